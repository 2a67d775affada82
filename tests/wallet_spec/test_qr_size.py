"""The size targets of the QR transport, measured with segno at error-correction level M.

Targets (the issue's): a key-bound presentation proving residency and one age claim fits
QR version 18; a key-bound name-and-address presentation (library sign-up) fits version 22,
with long names and street too;
the full-disclosure presentation used for renewal fits at all. Every age threshold is
measured, each from the residency pass that carries it. Inputs are realistic (see
benchmarks/qrsizes.py); keys, salts and nonces are random, so each run measures afresh.
"""

from __future__ import annotations

import pytest
import segno

from benchmarks.qrsizes import LONG, TYPICAL, measure, pass_for, pass_presentations
from wallet_spec import qr
from wallet_spec.profile import AGE_THRESHOLDS, IDENTITY, PERSONAL_CLAIMS, RESIDENCY, Resident

MAX_QR_VERSION = 40


@pytest.mark.parametrize("age", AGE_THRESHOLDS)
def test_residency_and_one_age_claim_fit_qr_version_18(age: int) -> None:
    m = measure("bus", pass_for(age), [("resident_of",), (f"age_over_{age}",)])
    assert m.version <= 18, f"{m.qr_chars} characters need version {m.version}"


def test_residency_alone_fits_qr_version_18() -> None:
    assert measure("door", RESIDENCY, [("resident_of",)]).version <= 18


def test_every_fact_pass_presentation_fits_qr_version_16() -> None:
    measured = pass_presentations()
    assert len(measured) == len(AGE_THRESHOLDS) + 1
    too_big = {m.name: (m.qr_chars, m.version) for m in measured if m.version > 16}
    assert not too_big, f"(characters, version) above version 16: {too_big}"


@pytest.mark.parametrize("resident", [TYPICAL, LONG], ids=["typical", "long"])
def test_library_sign_up_fits_qr_version_22(resident: Resident) -> None:
    m = measure("library", IDENTITY, [("given_name",), ("family_name",), ("address",)], resident)
    assert m.version <= 22, f"{m.qr_chars} characters need version {m.version}"


@pytest.mark.parametrize("resident", [TYPICAL, LONG], ids=["typical", "long"])
def test_full_disclosure_for_renewal_fits_a_qr_code(resident: Resident) -> None:
    m = measure("renewal", IDENTITY, [(n,) for n in PERSONAL_CLAIMS], resident)
    assert m.version <= MAX_QR_VERSION


def test_the_qr_text_uses_alphanumeric_mode_and_decodes_to_the_presentation() -> None:
    m = measure("bus", RESIDENCY, [("resident_of",), ("age_over_65",)])
    assert segno.make(m.text, error="m", micro=False).mode == "alphanumeric"
    assert qr.decode(m.text) == m.presentation
    assert len(m.text) < 0.65 * m.compact_chars  # the codec earns its keep over plain compact
