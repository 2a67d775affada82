"""No input ends in a traceback: every parser of outside input gives a result or a typed CitykeyError.

The targets are those of the atheris harnesses (fuzz/targets.py): the presentation verifier, the SD-JWT
container, the QR codec, the status list decoder, the trust bundle loader, the request codec and the
wallet file. Hypothesis feeds each one arbitrary bytes and single-point mutations of a real input (a byte
flipped, cut, inserted, or a run duplicated), bounded to a few seconds each; `make fuzz` runs the
coverage-guided version for as long as asked.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz.targets import TARGETS, run, seeds

BOUNDED = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def mutated(draw: st.DrawFn, name: str) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds(name))))
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "cut", "insert", "repeat", "truncate"]))
        if action == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif action == "cut":
            del data[at : at + draw(st.integers(1, 16))]
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif action == "repeat":
            data[at:at] = data[at : at + draw(st.integers(1, 64))] * draw(st.integers(1, 8))
        else:
            del data[at:]
    return bytes(data)


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_every_seed_is_read(name: str) -> None:
    """The first seed is a real, valid input each target accepts (so mutations start deep)."""
    first, *others = seeds(name)
    TARGETS[name](first)
    for seed in others:
        run(name, seed)


@pytest.mark.parametrize("name", sorted(TARGETS))
@BOUNDED
@given(data=st.data())
def test_mutated_real_input_ends_in_a_result_or_a_typed_error(name: str, data: st.DataObject) -> None:
    run(name, data.draw(mutated(name)))


@pytest.mark.parametrize("name", sorted(TARGETS))
@BOUNDED
@given(blob=st.binary(max_size=2048))
def test_arbitrary_bytes_end_in_a_result_or_a_typed_error(name: str, blob: bytes) -> None:
    run(name, blob)


@BOUNDED
@given(text=st.text(alphabet=st.sampled_from("eyJ0.~-_ABCabc0129CK1:Q%"), max_size=400))
def test_presentation_shaped_text_ends_in_a_result_or_a_typed_error(text: str) -> None:
    run("presentation", text.encode())
    run("qr", text.encode())
