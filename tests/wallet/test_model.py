"""The holder wallet model: sealing, importing, and presenting so that presentations do not link."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest

from wallet import model as wallet_module
from wallet.model import Wallet, seal, unseal
from wallet_spec import jws, keybinding
from wallet_spec.errors import (
    ClaimNotFound,
    FormatError,
    HolderKeyNotHeld,
    KeyBindingUnexpected,
    PassphraseInvalid,
    UsageError,
)
from wallet_spec.jwk import PrivateKey, private_key_from_jwk, public_key_from_jwk, thumbprint
from wallet_spec.keybinding import KeyBindingPolicy
from wallet_spec.keylist import signing_kid
from wallet_spec.profile import Resident, issue_credential, verify_credential
from wallet_spec.sdjwt import SdJwt

NOW = 1_767_225_600 + 37_000
ISSUER = "https://id.springfield.example"
STATUS_URI = f"{ISSUER}/statuslists/1"
STATUS_INDICES = (17, 4242, 99, 100_001)
PASSPHRASE = b"five random words for my wallet"
SHOWN = [("resident_of",), ("age_over_65",)]


def issue_to(jwk: dict[str, str], resident: Resident, issuer_key: PrivateKey, idx: int) -> str:
    return issue_credential(
        resident,
        issuer=ISSUER,
        signing_key=issuer_key,
        kid=signing_kid(issuer_key),
        holder_key=public_key_from_jwk(jwk),
        status_idx=idx,
        status_uri=STATUS_URI,
        now=NOW,
    ).serialize()


@pytest.fixture
def batch_wallet(resident: Resident, issuer_key: PrivateKey) -> Wallet:
    """A wallet holding a batch of four credentials, one per holder key."""
    wallet = Wallet()
    for jwk, idx in zip(wallet.new_holder_keys(4), STATUS_INDICES, strict=True):
        wallet.import_credential(issue_to(jwk, resident, issuer_key, idx))
    return wallet


# --- sealing -------------------------------------------------------------------------------------


def test_sealed_wallet_opens_with_its_passphrase_unchanged(batch_wallet: Wallet) -> None:
    batch_wallet.receipts.append("ckr1.payload.mac")
    batch_wallet.present(SHOWN)
    opened = unseal(seal(batch_wallet, PASSPHRASE), PASSPHRASE)
    assert opened.to_json() == batch_wallet.to_json()
    assert opened.credentials[0].uses == 1
    text, _ = opened.present(SHOWN, nonce="n", aud="https://bus.example", iat=NOW)
    assert text.count("~") == 3  # two disclosures and a KB-JWT


def test_sealed_file_reveals_nothing_and_is_fresh_each_time(batch_wallet: Wallet) -> None:
    first, second = seal(batch_wallet, PASSPHRASE), seal(batch_wallet, PASSPHRASE)
    assert first != second  # new salt and nonce
    assert first[:4] == b"ckw1"
    for secret in (batch_wallet.credentials[0].sd_jwt[:40], next(iter(batch_wallet.holder_keys.values()))["d"]):
        assert secret.encode() not in first
    assert b"Springfield" not in first


def test_wrong_passphrase_is_passphrase_invalid(batch_wallet: Wallet) -> None:
    with pytest.raises(PassphraseInvalid) as info:
        unseal(seal(batch_wallet, PASSPHRASE), b"five random words for my walle")
    assert info.value.code == "passphrase_invalid"


@pytest.mark.parametrize(
    "blob",
    [b"", b"ckw1", b"ckw1" + bytes(43), b"not a wallet at all, just some text that is long enough", b"\x00" * 100],
    ids=["empty", "magic-only", "header-short-of-a-tag", "text", "zeros"],
)
def test_garbage_or_truncated_file_is_malformed(blob: bytes) -> None:
    with pytest.raises(FormatError) as info:
        unseal(blob, PASSPHRASE)
    assert info.value.code == "malformed"


def test_file_of_another_format_version_is_malformed(batch_wallet: Wallet) -> None:
    blob = seal(batch_wallet, PASSPHRASE)
    with pytest.raises(FormatError):
        unseal(b"ckw2" + blob[4:], PASSPHRASE)


@pytest.mark.parametrize("cut", [1, 16, 200])
def test_damaged_ciphertext_never_opens(batch_wallet: Wallet, cut: int) -> None:
    # AES-GCM cannot tell a damaged file from a wrong passphrase: both fail authentication,
    # so the user is told the passphrase does not open it. Nothing half-read is ever returned.
    blob = seal(batch_wallet, PASSPHRASE)
    flipped = bytearray(blob)
    flipped[-cut] ^= 0x01
    for damaged in (blob[:-cut], bytes(flipped)):
        with pytest.raises(PassphraseInvalid):
            unseal(damaged, PASSPHRASE)


class NotAWallet:
    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def to_json(self) -> Any:
        return self.obj


@pytest.mark.parametrize(
    "content",
    [
        {"version": 2, "holder_keys": {}, "credentials": [], "receipts": []},
        {"holder_keys": {}, "credentials": [], "receipts": []},
        {"version": 1, "holder_keys": [], "credentials": [], "receipts": []},
        {"version": 1, "holder_keys": {}, "credentials": [{"sd_jwt": "x"}], "receipts": []},
        {"version": 1, "holder_keys": {}, "credentials": [{"bogus": 1}], "receipts": []},
        {"version": 1, "holder_keys": {}, "credentials": []},
        [1, 2, 3],
        "wallet",
    ],
    ids=repr,
)
def test_sealed_content_that_is_not_a_wallet_is_malformed(content: Any) -> None:
    blob = seal(NotAWallet(content), PASSPHRASE)  # type: ignore[arg-type]
    with pytest.raises(FormatError):
        unseal(blob, PASSPHRASE)


# --- importing ---------------------------------------------------------------------------------


def test_import_accepts_a_credential_bound_to_a_held_key(resident: Resident, issuer_key: PrivateKey) -> None:
    wallet = Wallet()
    (jwk,) = wallet.new_holder_keys(1)
    stored = wallet.import_credential("\n" + issue_to(jwk, resident, issuer_key, 7) + "\n")
    assert stored.holder_kid == thumbprint(jwk)
    assert stored.vct == "urn:citykey:id:1"
    assert stored.uses == 0
    assert wallet.credentials == [stored]


def test_holder_keys_are_fresh_and_only_public_parts_are_handed_out() -> None:
    wallet = Wallet()
    publics = wallet.new_holder_keys(4)
    assert len({thumbprint(j) for j in publics}) == 4
    assert all("d" not in j for j in publics)
    assert sorted(wallet.holder_keys) == sorted(thumbprint(j) for j in publics)
    assert all("d" in j for j in wallet.holder_keys.values())


@pytest.mark.parametrize("count", [0, -1, 65])
def test_asking_for_too_few_or_too_many_holder_keys_is_a_usage_error(count: int) -> None:
    with pytest.raises(UsageError):
        Wallet().new_holder_keys(count)


def test_import_refuses_a_credential_bound_to_a_key_the_wallet_does_not_hold(
    resident: Resident, issuer_key: PrivateKey
) -> None:
    wallet, stranger = Wallet(), Wallet()
    wallet.new_holder_keys(2)
    (theirs,) = stranger.new_holder_keys(1)
    with pytest.raises(HolderKeyNotHeld, match="does not hold"):
        wallet.import_credential(issue_to(theirs, resident, issuer_key, 7))
    assert wallet.credentials == []


def test_import_refuses_a_credential_carrying_a_kb_jwt(resident: Resident, issuer_key: PrivateKey) -> None:
    wallet = Wallet()
    (jwk,) = wallet.new_holder_keys(1)
    sd_jwt = SdJwt.parse(issue_to(jwk, resident, issuer_key, 7))
    holder = private_key_from_jwk(wallet.holder_keys[thumbprint(jwk)])
    with_kb = sd_jwt.sd_part + keybinding.create(sd_jwt.sd_part, holder, nonce="n", aud="a", iat=NOW)
    with pytest.raises(KeyBindingUnexpected) as info:
        wallet.import_credential(with_kb)
    assert info.value.code == "kb_unexpected"
    assert wallet.credentials == []


def test_import_refuses_the_same_credential_twice(resident: Resident, issuer_key: PrivateKey) -> None:
    wallet = Wallet()
    (jwk,) = wallet.new_holder_keys(1)
    text = issue_to(jwk, resident, issuer_key, 7)
    wallet.import_credential(text)
    with pytest.raises(UsageError, match="already"):
        wallet.import_credential(text + "\n")
    assert len(wallet.credentials) == 1


def test_import_refuses_a_credential_without_a_holder_key(issuer_key: PrivateKey) -> None:
    wallet = Wallet()
    wallet.new_holder_keys(1)
    unbound = jws.sign({"typ": "dc+sd-jwt"}, {"iss": ISSUER, "vct": "urn:citykey:id:1"}, issuer_key) + "~"
    with pytest.raises(FormatError, match="holder key"):
        wallet.import_credential(unbound)


@pytest.mark.parametrize("text", ["", "not a credential", "a.b.c~", "~~~"])
def test_import_of_unreadable_text_is_malformed(text: str) -> None:
    with pytest.raises(FormatError):
        Wallet().import_credential(text)


# --- presenting ------------------------------------------------------------------------------


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    if isinstance(node, dict):
        return [leaf for k, v in node.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(node, list):
        return [leaf for i, v in enumerate(node) for leaf in _leaves(v, (*path, i))]
    return [(path, node)]


SHARED_BY_DESIGN = {
    ("iss",), ("iat",), ("exp",), ("vct",), ("_sd_alg",),
    # Format constants, and the list URI shared by every credential on that list (131,072 of them).
    ("cnf", "jwk", "kty"), ("cnf", "jwk", "crv"), ("status", "status_list", "uri"),
}


def linkable_values(text: str) -> set[str]:
    """Everything in a presentation that could tie it to another one, as JSON text.

    The issuer-signed payload's values (digests, holder key, status index) except the
    ones every credential of the day shares; the signature; each disclosure string and
    salt (the disclosed claim values are what the holder chose to show, so not counted);
    the KB-JWT's signature and claims.
    """
    sd = SdJwt.parse(text)
    found = {json.dumps(v) for path, v in _leaves(jws.parse(sd.jwt).payload) if path not in SHARED_BY_DESIGN}
    found.add(sd.jwt.split(".")[2])
    found.update(d.encoded for d in sd.disclosures)
    found.update(d.salt for d in sd.disclosures)
    assert sd.kb_jwt is not None
    found.add(sd.kb_jwt.split(".")[2])
    found.update(json.dumps(v) for v in jws.parse(sd.kb_jwt).payload.values())
    return found


def test_each_presentation_uses_a_fresh_credential_and_no_two_presentations_link(
    batch_wallet: Wallet, issuer_key: PrivateKey
) -> None:
    shown = []
    for n in range(4):
        nonce, aud = f"nonce-{n}", f"https://verifier-{n}.example"
        text, used = batch_wallet.present(SHOWN, nonce=nonce, aud=aud, iat=NOW + 60 * n)
        policy = KeyBindingPolicy(required=True, nonce=nonce, aud=aud)
        verified = verify_credential(text, issuer_key.public_key(), key_binding=policy, now=NOW + 60 * n)
        assert {k: verified.claims[k] for k in ("resident_of", "age_over_65")} == {
            "resident_of": "Springfield", "age_over_65": True
        }
        shown.append((text, used, verified.claims))

    assert len({id(used) for _, used, _ in shown}) == 4
    assert len({claims["cnf"]["jwk"]["x"] for _, _, claims in shown}) == 4
    assert sorted(claims["status"]["status_list"]["idx"] for _, _, claims in shown) == sorted(STATUS_INDICES)
    assert len({text.split("~")[0].split(".")[2] for text, _, _ in shown}) == 4
    for (a, _, _), (b, _, _) in itertools.combinations(shown, 2):
        assert linkable_values(a).isdisjoint(linkable_values(b))
        # Byte level: the only compact parts two presentations share are the two JOSE headers
        # (alg, typ and the city's kid: the same for every credential the key signed).
        parts_a = {p for chunk in a.split("~") for p in chunk.split(".")}
        parts_b = {p for chunk in b.split("~") for p in chunk.split(".")}
        assert parts_a & parts_b == {a.split(".")[0], a.split("~")[-1].split(".")[0]}


def test_once_all_are_used_the_least_used_credential_is_reused(batch_wallet: Wallet) -> None:
    first_round = [batch_wallet.present(SHOWN)[1].holder_kid for _ in range(4)]
    second_round = [batch_wallet.present(SHOWN)[1].holder_kid for _ in range(4)]
    assert len(set(first_round)) == 4
    assert len(set(second_round)) == 4
    assert [c.uses for c in batch_wallet.credentials] == [2, 2, 2, 2]
    batch_wallet.credentials[2].uses = 0  # e.g. a credential added later
    assert batch_wallet.present(SHOWN)[1] is batch_wallet.credentials[2]


def test_presentation_without_a_nonce_and_audience_has_no_key_binding(batch_wallet: Wallet) -> None:
    text, _ = batch_wallet.present(SHOWN)
    assert text.endswith("~")
    assert SdJwt.parse(text).kb_jwt is None


def test_nonce_without_audience_is_a_usage_error(batch_wallet: Wallet) -> None:
    with pytest.raises(UsageError, match="audience"):
        batch_wallet.present(SHOWN, nonce="n-1")
    assert [c.uses for c in batch_wallet.credentials] == [0, 0, 0, 0]


def test_audience_without_nonce_is_one_way_with_a_fresh_random_nonce(batch_wallet: Wallet) -> None:
    """A turnstile shows no challenge: the wallet binds to its aud with a nonce of its own, new each time."""
    nonces = []
    for _ in range(2):
        text, _ = batch_wallet.present(SHOWN, aud="https://bus.example", iat=NOW)
        kb = SdJwt.parse(text).kb_jwt
        assert kb is not None
        claims = jws.parse(kb).payload
        assert (claims["aud"], claims["iat"]) == ("https://bus.example", NOW)
        assert len(claims["nonce"]) == 16  # 96 random bits, base64url
        nonces.append(claims["nonce"])
    assert nonces[0] != nonces[1]


def test_asking_for_a_claim_the_credential_lacks_uses_nothing_up(batch_wallet: Wallet) -> None:
    with pytest.raises(ClaimNotFound):
        batch_wallet.present([("shoe_size",)])
    assert [c.uses for c in batch_wallet.credentials] == [0, 0, 0, 0]


def test_presenting_from_an_empty_wallet_or_of_an_absent_type_is_a_usage_error(batch_wallet: Wallet) -> None:
    with pytest.raises(UsageError):
        Wallet().present(SHOWN)
    with pytest.raises(UsageError, match="urn:other"):
        batch_wallet.present(SHOWN, vct="urn:other")


# --- a sealed file is checked whole before anything is used (docs/security.md item 12) ---------


@pytest.mark.parametrize("log_n", [22, 31, 255, 11, 9])
def test_a_file_naming_a_scrypt_cost_the_wallet_never_writes_is_refused_before_deriving(
    batch_wallet: Wallet, monkeypatch: pytest.MonkeyPatch, log_n: int
) -> None:
    """Cost byte 22 once meant 19 s and 4 GB of scrypt (a MemoryError under a limit) before any check.
    The wallet writes `_SCRYPT_LOG_N` (15; 10 in these tests): nothing dearer is ever derived."""
    blob = bytearray(seal(batch_wallet, PASSPHRASE))
    blob[4] = log_n

    def no_kdf(*args: Any) -> bytes:
        raise AssertionError("scrypt ran on a cost the wallet does not write")

    monkeypatch.setattr(wallet_module, "_kdf", no_kdf)
    with pytest.raises(FormatError, match="scrypt cost") as info:
        unseal(bytes(blob), PASSPHRASE)
    assert info.value.code == "malformed"


def test_a_file_written_at_the_cost_in_use_still_opens(batch_wallet: Wallet) -> None:
    blob = seal(batch_wallet, PASSPHRASE)
    assert blob[4] == wallet_module._SCRYPT_LOG_N
    assert unseal(blob, PASSPHRASE).to_json() == batch_wallet.to_json()


def _valid_json(wallet: Wallet) -> dict[str, Any]:
    return json.loads(json.dumps(wallet.to_json()))


def _damage(batch_wallet: Wallet, how: str) -> Any:
    obj = _valid_json(batch_wallet)
    kid = next(iter(obj["holder_keys"]))
    credential = obj["credentials"][0]
    other = Wallet()
    other.new_holder_keys(1)
    foreign_kid, foreign_jwk = next(iter(other.holder_keys.items()))
    changes: dict[str, Callable[[], None]] = {
        "version-true": lambda: obj.update(version=True),
        "version-string": lambda: obj.update(version="1"),
        "unknown-member": lambda: obj.update(pin="1234"),
        "holder-keys-list": lambda: obj.update(holder_keys=[]),
        "holder-key-a-string": lambda: obj["holder_keys"].update({kid: "not a key"}),
        "holder-key-public-only": lambda: obj["holder_keys"][kid].pop("d"),
        "holder-key-rsa": lambda: obj["holder_keys"].update({kid: {"kty": "RSA", "n": "AQAB", "e": "AQAB"}}),
        "holder-key-extra-member": lambda: obj["holder_keys"][kid].update(use="sig"),
        "holder-key-under-another-kid": lambda: obj["holder_keys"].update({kid: foreign_jwk}),
        "credentials-an-object": lambda: obj.update(credentials={}),
        "credential-a-string": lambda: obj["credentials"].__setitem__(0, "x"),
        "credential-unparseable": lambda: credential.update(sd_jwt="not an sd-jwt"),
        "credential-with-a-kb-jwt": lambda: credential.update(sd_jwt=credential["sd_jwt"] + "e30.e30.AA"),
        "credential-of-an-unheld-key": lambda: credential.update(holder_kid=foreign_kid),
        "credential-of-another-held-key": lambda: credential.update(holder_kid=obj["credentials"][1]["holder_kid"]),
        "credential-vct-not-its-own": lambda: credential.update(vct="urn:other"),
        "credential-uses-a-string": lambda: credential.update(uses="1"),
        "credential-uses-negative": lambda: credential.update(uses=-1),
        "credential-uses-a-bool": lambda: credential.update(uses=True),
        "credential-missing-uses": lambda: credential.pop("uses"),
        "credential-extra-member": lambda: credential.update(note="x"),
        "receipts-a-string": lambda: obj.update(receipts="ckr1.abc"),
        "receipt-a-number": lambda: obj.update(receipts=[1]),
    }
    changes[how]()
    return obj


DAMAGE = [
    "version-true", "version-string", "unknown-member", "holder-keys-list", "holder-key-a-string",
    "holder-key-public-only", "holder-key-rsa", "holder-key-extra-member", "holder-key-under-another-kid",
    "credentials-an-object", "credential-a-string", "credential-unparseable", "credential-with-a-kb-jwt",
    "credential-of-an-unheld-key", "credential-of-another-held-key", "credential-vct-not-its-own",
    "credential-uses-a-string", "credential-uses-negative", "credential-uses-a-bool", "credential-missing-uses",
    "credential-extra-member", "receipts-a-string", "receipt-a-number",
]  # fmt: skip


@pytest.mark.parametrize("how", DAMAGE)
def test_a_sealed_wallet_of_the_wrong_shape_is_refused_at_unseal_not_at_first_use(
    batch_wallet: Wallet, how: str
) -> None:
    blob = seal(NotAWallet(_damage(batch_wallet, how)), PASSPHRASE)  # type: ignore[arg-type]
    with pytest.raises(FormatError, match="wallet file") as info:
        unseal(blob, PASSPHRASE)
    assert info.value.code in ("malformed", "key_invalid")
    assert "Erika" not in info.value.message  # never a value from the file


def test_the_undamaged_json_of_a_wallet_opens(batch_wallet: Wallet) -> None:
    assert unseal(seal(NotAWallet(_valid_json(batch_wallet)), PASSPHRASE), PASSPHRASE).to_json() == _valid_json(  # type: ignore[arg-type]
        batch_wallet
    )
