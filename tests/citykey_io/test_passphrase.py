"""The one passphrase rule every party uses (`citykey_io.passphrase`)."""

from __future__ import annotations

import os

import pytest

from citykey_io.passphrase import MIN_PASSPHRASE_BYTES, read_passphrase
from wallet_spec.errors import UsageError

VAR = "CITYKEY_TEST_PASSPHRASE"


def never_asked(confirm: bool) -> str:
    raise AssertionError("no prompt expected")


def test_the_variable_wins_and_keeps_its_exact_bytes() -> None:
    raw = b"caf\xe9 not utf-8 at all"
    value = os.fsdecode(raw)
    got = read_passphrase(VAR, never_asked, environ={VAR: value})
    assert got == raw


def test_a_variable_set_but_empty_is_refused_even_in_a_terminal() -> None:
    with pytest.raises(UsageError, match=f"{VAR} is set but empty"):
        read_passphrase(VAR, never_asked, environ={VAR: ""})


def test_no_variable_and_no_terminal_is_refused_rather_than_hanging() -> None:
    with pytest.raises(UsageError, match=f"no passphrase: set {VAR}"):
        read_passphrase(VAR, None, environ={})


def test_a_terminal_is_asked_twice_only_when_a_passphrase_is_chosen() -> None:
    asked: list[bool] = []

    def prompt(confirm: bool) -> str:
        asked.append(confirm)
        return "typed passphrase, twelve+"

    for new in (False, True):
        got = read_passphrase(VAR, prompt, new=new, environ={})
        assert got == b"typed passphrase, twelve+"
    assert asked == [False, True]


def test_a_new_passphrase_is_measured_in_bytes_an_existing_one_is_not() -> None:
    short = "x" * (MIN_PASSPHRASE_BYTES - 1)
    with pytest.raises(UsageError, match=f"at least {MIN_PASSPHRASE_BYTES} bytes"):
        read_passphrase(VAR, None, new=True, environ={VAR: short})
    assert read_passphrase(VAR, None, environ={VAR: short}) == (
        short.encode()
    )
    wide = "é" * (MIN_PASSPHRASE_BYTES // 2)  # 6 characters, 12 bytes
    assert read_passphrase(VAR, None, new=True,
                           environ={VAR: wide}) == wide.encode()
