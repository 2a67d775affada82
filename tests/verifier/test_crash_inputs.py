"""Inputs found by fuzzing the verifier that once escaped as a crash (docs/security.md item 12).

A scan must end in a yes or in a typed error the operator's screen can show; never in a
traceback. These two need no signature at all: they are what anyone could print as a QR code.
"""

from __future__ import annotations

import pytest

from tests.verifier.springfield import BUS, T0, City
from verifier import Policy, verify
from wallet_spec import qr
from wallet_spec.encoding import b64url_encode
from wallet_spec.errors import FormatError

KB_SURROGATE = "e30.e30.AA~e30.eyJzZF9oYXNoIjoiXHVkODAwIn0.AA"
"""`{}`.`{}`.sig~ then a KB-JWT whose payload is `{"sd_hash":"\\ud800"}`: a lone surrogate."""
KB_SURROGATE_QR = "CK1:KSCDBCC8C+SCLE27I4GK9RD5CA3C-O+H93H9Q*KDZ2ZZ0 .MCN1"
"""The same presentation as QR text."""


def test_the_qr_crash_input_decodes_to_the_compact_one() -> None:
    assert qr.decode(KB_SURROGATE_QR) == KB_SURROGATE


@pytest.mark.parametrize("text", [KB_SURROGATE, KB_SURROGATE_QR], ids=["compact", "qr"])
@pytest.mark.parametrize(
    "policy", [BUS, Policy(nonce=BUS.nonce, aud=BUS.aud, require_key_binding=False)], ids=["bus", "lenient"]
)
def test_a_lone_surrogate_in_a_kb_jwt_is_a_format_error_not_a_crash(city: City, text: str, policy: Policy) -> None:
    bundle = city.bundle(now=T0)
    presentation = qr.decode(text) if text.startswith(qr.PREFIXES) else text  # as the scanner does
    with pytest.raises(FormatError, match="surrogate") as info:
        verify(presentation, bundle, policy, now=T0)
    assert info.value.code == "malformed"


@pytest.mark.parametrize("claim", ["aud", "nonce"])
def test_a_lone_surrogate_in_kb_aud_or_nonce_is_a_format_error_not_a_crash(city: City, claim: str) -> None:
    kb_payload = b64url_encode(f'{{"{claim}":"\\ud800"}}'.encode())
    with pytest.raises(FormatError, match="surrogate"):
        verify(f"e30.e30.AA~e30.{kb_payload}.AA", city.bundle(now=T0), BUS, now=T0)
