"""Every error code in `wallet_spec.errors` is raised by real code, through a public API.

`CASES` maps each error class to a small function that provokes it and returns
the error raised (or, for verification, the entry in `VerificationFailed.errors`).
The table is checked against `all_error_classes()`, so adding an error class
without a case here fails the suite. Modules outside wallet_spec (issuer, keys,
verifier) are imported inside their cases so that this file does not depend on them
being importable for the other cases to run.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from wallet_spec import jws, openid4vp
from wallet_spec.encoding import b64url_encode
from wallet_spec.errors import CitykeyError, VerificationFailed, all_error_classes
from wallet_spec.jwk import PrivateKey, public_jwk, public_key_from_jwk, thumbprint
from wallet_spec.keybinding import KeyBindingPolicy
from wallet_spec.keylist import signing_kid
from wallet_spec.present import parse_claim_path, present, select
from wallet_spec.sdjwt import SdJwt
from wallet_spec.verify import verify

ROOT = Path(__file__).resolve().parents[2]
SOURCE_PACKAGES = ("wallet_spec", "issuer", "keys", "verifier", "wallet", "citykey", "citykey_io")
DAY = 86_400
NONCE, AUD = "nonce-1", "https://bus.example"
KB = KeyBindingPolicy(required=True, nonce=NONCE, aud=AUD)


@dataclass(frozen=True)
class Kit:
    forge: Any
    credential: SdJwt
    city_credential: SdJwt
    issuer_key: PrivateKey
    holder_key: PrivateKey
    other_key: PrivateKey

    @property
    def now(self) -> int:
        return int(self.forge.now)


@pytest.fixture(scope="module")
def kit(
    forge: Any,
    credential: SdJwt,
    city_credential: SdJwt,
    issuer_key: PrivateKey,
    holder_key: PrivateKey,
    other_key: PrivateKey,
) -> Kit:
    return Kit(forge, credential, city_credential, issuer_key, holder_key, other_key)


def raised(action: Callable[[], object]) -> CitykeyError:
    with pytest.raises(CitykeyError) as info:
        action()
    return info.value


def failed(action: Callable[[], object], code: str) -> CitykeyError:
    """The one error with `code` inside the VerificationFailed that `action` raises."""
    with pytest.raises(VerificationFailed) as info:
        action()
    matching = [e for e in info.value.errors if e.code == code]
    assert matching, f"{code} not among {info.value.codes}"
    return matching[0]


def forged(kit: Kit, code: str, *, disclosures: tuple[Any, ...] = (), **claims: Any) -> CitykeyError:
    """Verify an issuer-signed JWT over `forge.payload(**claims)` with `disclosures`."""
    token = kit.forge.jwt(kit.forge.payload(**claims))
    return failed(lambda: kit.forge.verify(kit.forge.sd_jwt(token, disclosures)), code)


def bound(kit: Kit, code: str, **kb: Any) -> CitykeyError:
    """Verify the sample credential with a KB-JWT made with `kb` overrides, against the KB policy."""
    text = kit.forge.with_kb(kit.credential.serialize(), **kb)
    return failed(lambda: kit.forge.verify(text, key_binding=KB), code)


def kb_payload(kit: Kit, code: str, **changes: Any) -> CitykeyError:
    sd_part = kit.credential.serialize()
    payload = {**jws.parse(kit.forge.kb(sd_part, nonce=NONCE, aud=AUD)).payload, **changes}
    return failed(lambda: kit.forge.verify(sd_part + kit.forge.kb_raw(payload), key_binding=KB), code)


# --- the trust bundle and offline verifier ------------------------------------------


def _key_list(kit: Kit, *, not_before: int = 0, revoked: frozenset[str] = frozenset()) -> Any:
    from wallet_spec.keylist import KeyList, ListedKey

    kid = signing_kid(kit.issuer_key)
    entry = ListedKey(kid, public_jwk(kit.issuer_key), not_before)
    return KeyList("https://issuer.example", kit.now - DAY, kit.now + DAY, (entry,), revoked)


def _bundle(kit: Kit, *, status: int | None = 0, bits: int = 1, issued_at: int | None = None, **key_list: Any) -> Any:
    from wallet_spec.bundle import TrustBundle
    from wallet_spec.statuslist import StatusList, VerifiedStatusList

    status_ref = kit.city_credential.payload()["status"]["status_list"]
    lists = {}
    if status is not None:
        bits_list = StatusList.new(64, bits=bits)
        bits_list.set(status_ref["idx"], status)
        lists[status_ref["uri"]] = VerifiedStatusList(status_ref["uri"], kit.now, kit.now + DAY, None, bits_list)
    at = kit.now - 3600 if issued_at is None else issued_at
    return TrustBundle("https://issuer.example", at, at + DAY, _key_list(kit, **key_list), lists)


def offline(kit: Kit, code: str, bundle: Any, *, required: tuple[tuple[str, ...], ...] = ()) -> CitykeyError:
    from verifier import Policy
    from verifier import verify as verify_offline

    text = present(
        kit.city_credential, [("resident_of",)], holder_key=kit.holder_key, nonce=NONCE, aud=AUD, iat=kit.now
    )
    policy = Policy(required=required, nonce=NONCE, aud=AUD)
    return failed(lambda: verify_offline(text, bundle, policy, now=kit.now), code)


def _verifier_error(kit: Kit, code: str) -> CitykeyError:
    """The kiosk's own errors: syncing a bundle, reading a policy file, a claim's value."""
    from verifier.policies import parse_policies, policy_named
    from verifier.sync import check_newer, pin_root, sync

    if code == "bundle_outdated":
        return raised(lambda: check_newer(_bundle(kit), _bundle(kit, issued_at=kit.now - 7200)))
    if code == "sync_failed":
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            pin_root(Path(tmp), "root-thumbprint")
            return raised(lambda: sync(Path(tmp), str(Path(tmp) / "absent.jwt"), now=kit.now))
    if code == "replay_unavailable":
        from verifier.replay import open_replay_cache

        with open_replay_cache("redis://127.0.0.1:1/0") as nowhere:  # nothing listens on port 1
            return raised(lambda: nowhere.check_and_remember(b"k", expires=kit.now + 60, now=kit.now))
    if code == "claim_not_met":
        return policy_named("senior-fare").unmet({"resident_of": "Springfield", "age_over_65": False})[0]
    return raised(lambda: parse_policies("[desk]\nmode = 'turnstile'"))


def _decryption_failed(kit: Kit) -> CitykeyError:
    from wallet_spec import jwe

    sealed = jwe.encrypt({"vp_token": {}}, jwe.encryption_jwk(kit.other_key, kid="t"))
    return raised(lambda: jwe.decrypt(sealed, kit.holder_key, kid="t"))


def _transaction_unknown(kit: Kit) -> CitykeyError:
    from verifier.openid4vp import OnlineVerifier
    from verifier.transactions import MemoryTransactions

    online = OnlineVerifier(aud=AUD, key=kit.other_key, attestation=str, bundle=lambda _: None, policies={},
                            store=MemoryTransactions(), public_url="https://verifier.example")
    return raised(lambda: online.request_object("never-made"))


def _verifier_unreachable(kit: Kit) -> CitykeyError:
    import httpx

    from wallet.openid4vp import fetch_request

    link = openid4vp.invocation_url("verifier_attestation:x", "http://127.0.0.1:1/request")  # nothing listens
    with httpx.Client(timeout=2) as http:
        return raised(lambda: fetch_request(link, http=http, bundle=_bundle(kit), now=kit.now))


def _replayed(kit: Kit) -> CitykeyError:
    import tempfile

    from verifier import Policy, ReplayCache
    from verifier import verify as verify_offline

    text = present(
        kit.city_credential, [("resident_of",)], holder_key=kit.holder_key, nonce="one-way", aud=AUD, iat=kit.now
    )
    policy = Policy(aud=AUD, one_way=True, kb_max_age=60)
    with tempfile.TemporaryDirectory() as tmp, ReplayCache(Path(tmp) / "replay.db") as cache:
        verify_offline(text, _bundle(kit), policy, now=kit.now, replay=cache)
        return failed(lambda: verify_offline(text, _bundle(kit), policy, now=kit.now + 1, replay=cache), "replayed")


def _challenge_missing(kit: Kit) -> CitykeyError:
    from verifier import Policy

    return raised(lambda: Policy(aud=AUD))  # no nonce and not one-way: docs/security.md item 2


def _listed(key: PrivateKey, *, may_ask: list[str]) -> Any:
    from wallet_spec.request import ListedVerifier

    return ListedVerifier.create(AUD, "Bus", public_jwk(key), may_ask)


def _request(kit: Kit, code: str, *, key: PrivateKey | None = None, at: int = 0, **options: Any) -> CitykeyError:
    from wallet_spec.request import encode_request, make_request, parse_request, sign_request

    request = make_request(aud=AUD, claims=["resident_of"], name="Bus", now=kit.now)
    text = encode_request(request if key is None else sign_request(request, key))
    return failed(lambda: parse_request(text, now=kit.now + at, **options), code)


def _key_list_not_from_root(kit: Kit) -> CitykeyError:
    from wallet_spec.keylist import sign_key_list, verify_key_list

    token = sign_key_list(_key_list(kit), kit.other_key)
    return failed(lambda: verify_key_list(token, thumbprint(kit.holder_key), now=kit.now), "bundle_invalid")


def _bundle_window(kit: Kit, code: str, *, issued_at: int, not_after: int | None = None) -> CitykeyError:
    """A bundle signed by the (listed) issuer key, its key list signed by `other_key` as the root."""
    from wallet_spec.bundle import load_bundle, sign_bundle
    from wallet_spec.keylist import KeyList, ListedKey, sign_key_list

    kid = signing_kid(kit.issuer_key)
    entry = ListedKey(kid, public_jwk(kit.issuer_key), 0, not_after)
    key_list = sign_key_list(KeyList("https://issuer.example", kit.now - DAY, kit.now + DAY, (entry,)), kit.other_key)
    text = sign_bundle(key_list_token=key_list, status_list_tokens=[], issuer="https://issuer.example",
                       issued_at=issued_at, next_update=issued_at + DAY, signing_key=kit.issuer_key, kid=kid)
    return failed(lambda: load_bundle(text, thumbprint(kit.other_key), now=kit.now), code)


# --- outside wallet_spec --------------------------------------------------------------


def _status_ref_unknown(kit: Kit) -> CitykeyError:
    from sqlalchemy import create_engine

    from issuer.statuslists import StatusRef, StatusRegistry

    registry = StatusRegistry(create_engine("sqlite://"), "https://issuer.example/status")
    return raised(lambda: registry.revoke([StatusRef("https://elsewhere.example/status/1", 0)]))


def _fact_not_held(kit: Kit) -> CitykeyError:
    """A "65 or over" pass for a resident of 40, asked of the issuer's batch signing."""
    import datetime as dt

    from issuer.batch import check_signable
    from wallet_spec.profile import CREDENTIAL_TYPES, Resident

    forty = Resident("Ana", "Ruiz", dt.date(1986, 5, 1), "Springfield")
    return raised(lambda: check_signable(forty, [CREDENTIAL_TYPES["resident-65"]], now=kit.now))


def _already_renewed(kit: Kit) -> CitykeyError:
    from issuer.db import create_schema, make_engine
    from issuer.statuslists import StatusRegistry

    engine = make_engine("sqlite://")
    create_schema(engine)
    registry = StatusRegistry(engine, "https://issuer.example/status", list_size=8)
    spent = registry.allocate(1)[0]
    registry.renew(spent, registry.allocate(1), expires=kit.now + DAY)
    return raised(lambda: registry.renew(spent, registry.allocate(1), expires=kit.now + DAY))


def _rate_limited(kit: Kit) -> CitykeyError:
    from issuer.ratelimit import Budget

    budget = Budget(capacity=1, window=60)
    budget.spend("127.0.0.1", now=kit.now, what="sign-ins")
    return raised(lambda: budget.spend("127.0.0.1", now=kit.now + 1, what="sign-ins"))


def _preapplication_damaged(kit: Kit) -> CitykeyError:
    from wallet_spec import preapplication

    text = preapplication.encode(preapplication.Preapplication({"given_name": "Ann"}))
    return raised(lambda: preapplication.decode(text[:-3], today=_today(kit)))


def _preapplication_invalid(kit: Kit) -> CitykeyError:
    from wallet_spec import preapplication

    text = preapplication.encode(preapplication.Preapplication({"given_name": "Ann"}))
    return raised(lambda: preapplication.decode(text, today=_today(kit)))


def _today(kit: Kit) -> Any:
    import datetime as dt

    return dt.datetime.fromtimestamp(kit.now, dt.UTC).date()


def _slot_unavailable(kit: Kit) -> CitykeyError:
    from issuer.appointments import book
    from issuer.db import create_schema, make_engine
    from issuer.settings import IssuerSettings

    engine = make_engine("sqlite://")
    create_schema(engine)
    settings = IssuerSettings(key_passphrase="unused")  # type: ignore[arg-type]
    return raised(lambda: book(engine, settings, kit.now - 60, now=kit.now))  # a slot in the past


def _receipt_invalid(kit: Kit) -> CitykeyError:
    from issuer.receipts import open_receipt

    return raised(lambda: open_receipt(b"k" * 32, "ckr1.e30.AAAA"))


def _keystore_error(kit: Kit) -> CitykeyError:
    from citykey_io.pem import decrypt

    return raised(lambda: decrypt(b"-----BEGIN PRIVATE KEY-----\n", b"pw", what="signing key"))


def _keystore_mismatch(kit: Kit) -> CitykeyError:
    from sqlalchemy.pool import StaticPool

    from issuer.db import bind_key_store, create_schema, make_engine

    engine = make_engine("sqlite://", poolclass=StaticPool)  # one in-memory database for every connection
    try:
        create_schema(engine)
        bind_key_store(engine, "https://id.springfield.example", "root-one")
        return raised(lambda: bind_key_store(engine, "https://id.springfield.example", "root-two"))
    finally:
        engine.dispose()


def _passphrase_invalid(kit: Kit) -> CitykeyError:
    from wallet.model import Wallet, seal, unseal

    blob = seal(Wallet(), b"correct horse")
    return raised(lambda: unseal(blob, b"battery staple"))


def _wallet_import(kit: Kit, text: str) -> CitykeyError:
    from wallet.model import Wallet

    return raised(lambda: Wallet().import_credential(text))


# --- the table ------------------------------------------------------------------------


def _alg_none(kit: Kit) -> CitykeyError:
    token = kit.forge.raw_jwt({"alg": "none"}, kit.forge.payload()) + "~"
    return failed(lambda: kit.forge.verify(token), "alg_not_allowed")


def _unknown_key(kit: Kit) -> CitykeyError:
    bundle = _bundle(kit)
    foreign = kit.forge.jwt(kit.forge.payload(), header={"kid": "no-such-kid"}) + "~"
    return failed(lambda: verify(foreign, bundle.issuer_key, now=kit.now), "unknown_key")


def _key_revoked(kit: Kit) -> CitykeyError:
    bundle = _bundle(kit, revoked=frozenset({signing_kid(kit.issuer_key)}))
    return failed(lambda: verify(kit.city_credential, bundle.issuer_key, now=kit.now), "key_revoked")


def _key_not_valid(kit: Kit) -> CitykeyError:
    bundle = _bundle(kit, not_before=kit.now + DAY)
    return failed(lambda: verify(kit.city_credential, bundle.issuer_key, now=kit.now), "key_not_valid")


def _sd_name_reserved(kit: Kit) -> CitykeyError:
    d = kit.forge.raw_disclosure(["c2FsdA", "_sd", []])
    return forged(kit, "disclosure_name_reserved", disclosures=(d,), _sd=[d.digest])


def _unreferenced(kit: Kit) -> CitykeyError:
    return forged(kit, "disclosure_unreferenced", disclosures=(kit.forge.disclosure("a", 1),))


def _duplicate_disclosure(kit: Kit) -> CitykeyError:
    d = kit.forge.disclosure("a", 1)
    return forged(kit, "disclosure_duplicate", disclosures=(d, d), _sd=[d.digest])


def _kind_mismatch(kit: Kit) -> CitykeyError:
    d = kit.forge.disclosure(None, "x")
    return forged(kit, "disclosure_kind_mismatch", disclosures=(d,), _sd=[d.digest])


def _overwrite(kit: Kit) -> CitykeyError:
    d = kit.forge.disclosure("iss", "https://evil.example")
    return forged(kit, "claim_overwrite", disclosures=(d,), _sd=[d.digest])


def _kb_missing_cnf(kit: Kit) -> CitykeyError:
    payload = kit.forge.payload()
    del payload["cnf"]
    text = kit.forge.with_kb(kit.forge.jwt(payload) + "~")
    return failed(lambda: kit.forge.verify(text, key_binding=KB), "cnf_missing")


def _sd_hash_mismatch(kit: Kit) -> CitykeyError:
    parsed = SdJwt.parse(kit.forge.with_kb(kit.credential.serialize(), nonce=NONCE, aud=AUD))
    text = SdJwt(parsed.jwt, parsed.disclosures[1:], parsed.kb_jwt).serialize()
    return failed(lambda: kit.forge.verify(text, key_binding=KB), "sd_hash_mismatch")


def _verification_failed(kit: Kit) -> CitykeyError:
    return raised(lambda: kit.forge.verify(kit.forge.jwt(kit.forge.payload(), key=kit.other_key) + "~"))


CASES: dict[str, Callable[[Kit], CitykeyError]] = {
    # input that cannot be read
    "FormatError": lambda kit: raised(lambda: SdJwt.parse("no-tilde-here")),
    "TooLarge": lambda kit: raised(lambda: SdJwt.parse("a" * 70_000)),
    "DisclosureMalformed": lambda kit: raised(lambda: SdJwt.parse(f"{kit.credential.jwt}~{b64url_encode(b'{}')}~")),
    "KeyInvalid": lambda kit: raised(lambda: public_key_from_jwk({"kty": "RSA", "n": "AQAB", "e": "AQAB"})),
    # our own callers' mistakes
    "UsageError": lambda kit: raised(lambda: parse_claim_path("address..locality")),
    "ClaimNotFound": lambda kit: raised(lambda: select(kit.credential, [("shoe_size",)])),
    "StatusRefUnknown": _status_ref_unknown,
    "FactNotHeld": _fact_not_held,
    "ReceiptInvalid": _receipt_invalid,
    "KeyStoreError": _keystore_error,
    "KeyStoreMismatch": _keystore_mismatch,
    "PassphraseInvalid": _passphrase_invalid,
    # verification
    "HolderKeyNotHeld": lambda kit: _wallet_import(kit, kit.credential.serialize()),
    "VerificationFailed": _verification_failed,
    "AlgorithmNotAllowed": _alg_none,
    "TypInvalid": lambda kit: failed(lambda: kit.forge.verify(kit.credential, typ="dc+sd-jwt"), "typ_invalid"),
    "HeaderInvalid": lambda kit: failed(
        lambda: kit.forge.verify(kit.forge.jwt(kit.forge.payload(), header={"crit": ["x"]}) + "~"), "header_invalid"
    ),
    "SignatureInvalid": lambda kit: failed(
        lambda: kit.forge.verify(kit.forge.jwt(kit.forge.payload(), key=kit.other_key) + "~"), "signature_invalid"
    ),
    "UnknownKey": _unknown_key,
    "KeyRevoked": _key_revoked,
    "KeyNotValidThen": _key_not_valid,
    "HashAlgUnsupported": lambda kit: forged(kit, "sd_alg_unsupported", _sd_alg="sha-1"),
    "DigestStructureInvalid": lambda kit: forged(kit, "sd_invalid", _sd="not-an-array"),
    "DigestDuplicate": lambda kit: forged(kit, "digest_duplicate", _sd=["same", "same"]),
    "DisclosureUnreferenced": _unreferenced,
    "DisclosureDuplicate": _duplicate_disclosure,
    "DisclosureNameReserved": _sd_name_reserved,
    "DisclosureKindMismatch": _kind_mismatch,
    "ClaimOverwrite": _overwrite,
    "ClaimInvalid": lambda kit: forged(kit, "claim_invalid", exp="tomorrow"),
    "Expired": lambda kit: forged(kit, "expired", exp=kit.now - DAY),
    "NotYetValid": lambda kit: forged(kit, "not_yet_valid", nbf=kit.now + DAY),
    "KeyBindingMissing": lambda kit: failed(lambda: kit.forge.verify(kit.credential, key_binding=KB), "kb_missing"),
    "KeyBindingUnexpected": lambda kit: _wallet_import(kit, kit.forge.with_kb(kit.credential.serialize())),
    "HolderKeyMissing": _kb_missing_cnf,
    "KeyBindingSignatureInvalid": lambda kit: bound(
        kit, "kb_signature_invalid", key=kit.other_key, nonce=NONCE, aud=AUD
    ),
    "KeyBindingInvalid": lambda kit: kb_payload(kit, "kb_invalid", nonce=42),
    "SdHashMismatch": _sd_hash_mismatch,
    "NonceMismatch": lambda kit: bound(kit, "nonce_mismatch", nonce="replayed", aud=AUD),
    "AudienceMismatch": lambda kit: bound(kit, "aud_mismatch", nonce=NONCE, aud="https://elsewhere.example"),
    "KeyBindingStale": lambda kit: bound(kit, "kb_iat_invalid", nonce=NONCE, aud=AUD, iat=kit.now - DAY),
    "Revoked": lambda kit: offline(kit, "revoked", _bundle(kit, status=1)),
    "AlreadyRenewed": _already_renewed,
    "RateLimited": _rate_limited,
    "PreapplicationDamaged": _preapplication_damaged,
    "PreapplicationInvalid": _preapplication_invalid,
    "SlotUnavailable": _slot_unavailable,
    "Suspended": lambda kit: offline(kit, "suspended", _bundle(kit, status=2, bits=2)),
    "StatusUnknown": lambda kit: offline(kit, "status_unknown", _bundle(kit, status=None)),
    "BundleInvalid": _key_list_not_from_root,
    "BundleStale": lambda kit: offline(kit, "bundle_stale", _bundle(kit, issued_at=kit.now - 30 * DAY)),
    "MissingClaim": lambda kit: offline(kit, "missing_claim", _bundle(kit), required=(("given_name",),)),
    "Replayed": _replayed,
    "BundleOutdated": lambda kit: _verifier_error(kit, "bundle_outdated"),
    "SyncFailed": lambda kit: _verifier_error(kit, "sync_failed"),
    "ClaimNotMet": lambda kit: _verifier_error(kit, "claim_not_met"),
    "PolicyInvalid": lambda kit: _verifier_error(kit, "policy_invalid"),
    "ReplayUnavailable": lambda kit: _verifier_error(kit, "replay_unavailable"),
    "ChallengeMissing": _challenge_missing,
    "RequestExpired": lambda kit: _request(kit, "request_expired", at=DAY),
    "VerifierUnknown": lambda kit: _request(kit, "verifier_unknown", key=kit.other_key, verifiers=[]),
    "RequestOutOfScope": lambda kit: _request(kit, "request_out_of_scope", key=kit.other_key, verifiers=[
        _listed(kit.other_key, may_ask=["age_over_65"])]),
    "RequestUnsigned": lambda kit: _request(kit, "request_unsigned", verifiers=[], require_signed=True),
    "BundleKeyNotValid": lambda kit: _bundle_window(
        kit, "bundle_key_not_valid", issued_at=kit.now, not_after=kit.now - DAY
    ),
    "BundleNotYetValid": lambda kit: _bundle_window(kit, "bundle_not_yet_valid", issued_at=kit.now + 3650 * DAY),
    "DecryptionFailed": _decryption_failed,
    "Declined": lambda kit: raised(lambda: openid4vp.read_refusal("access_denied", "s" * 22, state="s" * 22)),
    "RequestInvalid": lambda kit: raised(lambda: openid4vp.parse_dcql(
        {"credentials": [{"id": "mdl", "format": "mso_mdoc", "meta": {}, "claims": [{"path": ["x"]}]}]})),
    "TransactionUnknown": _transaction_unknown,
    "VerifierUnreachable": _verifier_unreachable,
}
"""Error class name → a function that makes the real code raise it. Keyed by name: two classes share a code."""

ABSTRACT = {
    "CitykeyError": "the root; only its subclasses are raised",
    "VerificationError": "the base of every failed check; only its subclasses are raised",
}


def _constructed_names() -> dict[str, list[str]]:
    """Class name → source locations where it is called (constructed), across the project's packages."""
    found: dict[str, list[str]] = {}
    for package in SOURCE_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call):
                    func = node.func
                    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                    if name:
                        found.setdefault(name, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


@pytest.mark.parametrize("cls", all_error_classes(), ids=lambda cls: f"{cls.__name__}-{cls.code}")
def test_every_error_class_is_raised_by_the_code_with_its_code(kit: Kit, cls: type[CitykeyError]) -> None:
    if cls.__name__ in ABSTRACT:
        assert cls.__subclasses__(), f"{cls.__name__} is listed as abstract but has no subclasses"
        return
    assert cls.__name__ in CASES, f"no case in CASES for {cls.__name__} ({cls.code}): add one"
    error = CASES[cls.__name__](kit)
    assert type(error) is cls, f"expected {cls.__name__}, got {type(error).__name__}: {error}"
    assert error.code == cls.code
    assert error.as_dict() == {"code": cls.code, "message": error.message}
    assert error.message


def test_table_has_no_case_for_a_class_that_no_longer_exists() -> None:
    names = {cls.__name__ for cls in all_error_classes()}
    assert set(CASES) - names == set()
    assert set(ABSTRACT) <= names


def test_abstract_root_is_never_raised_directly() -> None:
    constructed = _constructed_names()
    for name in ABSTRACT:
        assert name not in constructed, f"{name} is raised directly at {constructed[name]}; give it a case"


def test_every_concrete_error_class_is_constructed_somewhere_in_the_code() -> None:
    constructed = _constructed_names()
    never = [cls.__name__ for cls in all_error_classes() if cls.__name__ not in ABSTRACT | constructed.keys()]
    assert never == [], f"error classes no code raises: {never}"


def test_codes_are_stable_snake_case_and_unique_but_for_the_verification_pair() -> None:
    by_code: dict[str, list[str]] = {}
    for cls in all_error_classes():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", cls.code), cls
        by_code.setdefault(cls.code, []).append(cls.__name__)
    shared = {code: sorted(names) for code, names in by_code.items() if len(names) > 1}
    assert shared == {"verification_failed": ["VerificationError", "VerificationFailed"]}


def test_every_error_is_a_citykey_error_with_a_default_message() -> None:
    for cls in all_error_classes():
        assert issubclass(cls, CitykeyError)
        if cls is not VerificationFailed:
            assert cls().message == (cls.__doc__ or cls.code)


def test_verification_failed_needs_at_least_one_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        VerificationFailed([])
