"""One exception hierarchy for every party, each error with a stable machine code.

Codes are part of the contract: verifiers log them, wallets show them, the
HTTP layer maps them. Messages are for people and may change; codes may not.
Messages never carry claim values, so an error can be logged without leaking
personal data.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar


class CitykeyError(Exception):
    """Root of every error citykey raises on purpose."""

    code: ClassVar[str] = "citykey_error"

    def __init__(self, message: str = "") -> None:
        super().__init__(message or self.__class__.__doc__ or self.code)

    @property
    def message(self) -> str:
        return str(self.args[0])

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


# --- input that cannot be read at all ------------------------------------


class FormatError(CitykeyError):
    """The input is not well-formed."""

    code = "malformed"


class TooLarge(FormatError):
    """The input exceeds a size limit and was not parsed."""

    code = "too_large"


class DisclosureMalformed(FormatError):
    """A disclosure is not a JSON array of salt, (name,) value."""

    code = "disclosure_malformed"


class KeyInvalid(FormatError):
    """A key is not a usable P-256 public or private JWK."""

    code = "key_invalid"


# --- issuance and presentation by our own code ----------------------------


class PolicyInvalid(FormatError):
    """A verifier's policy file is not valid TOML or names an unknown mode, claim or setting."""

    code = "policy_invalid"


class UsageError(CitykeyError):
    """A caller asked for something the format does not allow."""

    code = "usage"


class ChallengeMissing(UsageError):
    """A verifier's policy names no challenge: its own `aud` and its nonce, or one-way mode with a replay cache."""

    code = "challenge_missing"


class ClaimNotFound(UsageError):
    """A requested claim path does not exist in the credential."""

    code = "claim_not_found"


class HolderKeyNotHeld(UsageError):
    """A credential is bound to a holder key this wallet does not hold."""

    code = "holder_key_not_held"


class FactNotHeld(UsageError):
    """A fact pass was asked for whose fact is not true for this resident on the issuance day (not yet 65, say)."""

    code = "fact_not_held"


class StatusRefUnknown(UsageError):
    """A status reference names no list of this issuer, or an index it never allocated."""

    code = "status_ref_unknown"


class ReceiptInvalid(CitykeyError):
    """A revocation receipt is malformed or its MAC is not the city's."""

    code = "receipt_invalid"


class KeyStoreError(CitykeyError):
    """The key store is missing, damaged, or asked for something its state forbids."""

    code = "keystore_error"


class KeyStoreMismatch(KeyStoreError):
    """The issuer database was made with another key store; its status lists belong to that one."""

    code = "keystore_mismatch"


class PassphraseInvalid(KeyStoreError):
    """The passphrase does not decrypt the key store's private keys."""

    code = "passphrase_invalid"


# --- verification ---------------------------------------------------------


class VerificationError(CitykeyError):
    """A check failed: the token is well-formed but must not be accepted."""

    code = "verification_failed"


class AlgorithmNotAllowed(VerificationError):
    """The JWS algorithm is not on the allow-list (never `none`, never a MAC)."""

    code = "alg_not_allowed"


class TypInvalid(VerificationError):
    """The JOSE `typ` header is not the one this token type requires."""

    code = "typ_invalid"


class HeaderInvalid(VerificationError):
    """The JOSE header carries a parameter we must not honour (e.g. `crit`)."""

    code = "header_invalid"


class SignatureInvalid(VerificationError):
    """The issuer's signature does not verify with the trusted key."""

    code = "signature_invalid"


class UnknownKey(VerificationError):
    """No trusted key matches the token's `kid`."""

    code = "unknown_key"


class HashAlgUnsupported(VerificationError):
    """`_sd_alg` names a hash algorithm we do not accept."""

    code = "sd_alg_unsupported"


class DigestStructureInvalid(VerificationError):
    """`_sd` is not an array of digest strings, or a `...` element has other keys."""

    code = "sd_invalid"


class DigestDuplicate(VerificationError):
    """A digest occurs more than once in the payload and disclosures."""

    code = "digest_duplicate"


class DisclosureUnreferenced(VerificationError):
    """A disclosure is not referenced by any digest reachable from the payload."""

    code = "disclosure_unreferenced"


class DisclosureDuplicate(VerificationError):
    """The same disclosure was sent more than once."""

    code = "disclosure_duplicate"


class DisclosureNameReserved(VerificationError):
    """A disclosure names the claim `_sd` or `...`."""

    code = "disclosure_name_reserved"


class DisclosureKindMismatch(VerificationError):
    """An array-element disclosure is referenced from `_sd`, or the reverse."""

    code = "disclosure_kind_mismatch"


class ClaimOverwrite(VerificationError):
    """A disclosure would replace a claim that already exists at its level."""

    code = "claim_overwrite"


class ClaimInvalid(VerificationError):
    """A registered claim (`iat`, `exp`, `cnf`, ...) is missing or has the wrong type."""

    code = "claim_invalid"


class Expired(VerificationError):
    """The credential's `exp` has passed."""

    code = "expired"


class NotYetValid(VerificationError):
    """The credential's `nbf` or `iat` lies in the future."""

    code = "not_yet_valid"


class KeyBindingMissing(VerificationError):
    """The verifier requires key binding but no KB-JWT was sent."""

    code = "kb_missing"


class KeyBindingUnexpected(VerificationError):
    """A KB-JWT was sent where only an SD-JWT may stand (e.g. at issuance)."""

    code = "kb_unexpected"


class HolderKeyMissing(VerificationError):
    """The credential names no holder key (`cnf.jwk`) to check key binding with."""

    code = "cnf_missing"


class KeyBindingSignatureInvalid(VerificationError):
    """The KB-JWT is not signed by the holder key in `cnf.jwk`."""

    code = "kb_signature_invalid"


class KeyBindingInvalid(VerificationError):
    """The KB-JWT lacks a required claim or has one of the wrong type."""

    code = "kb_invalid"


class SdHashMismatch(VerificationError):
    """The KB-JWT's `sd_hash` does not cover the presented SD-JWT."""

    code = "sd_hash_mismatch"


class NonceMismatch(VerificationError):
    """The KB-JWT's `nonce` is not the verifier's nonce."""

    code = "nonce_mismatch"


class AudienceMismatch(VerificationError):
    """The KB-JWT's `aud` is not this verifier."""

    code = "aud_mismatch"


class KeyBindingStale(VerificationError):
    """The KB-JWT's `iat` lies outside the verifier's acceptance window."""

    code = "kb_iat_invalid"


class Revoked(VerificationError):
    """The city's status list marks this credential as revoked."""

    code = "revoked"


class AlreadyRenewed(VerificationError):
    """The credential was already presented for a renewal: a credential renews once."""

    code = "already_renewed"


class Suspended(VerificationError):
    """The city's status list marks this credential as suspended."""

    code = "suspended"


class StatusUnknown(VerificationError):
    """The bundle has no valid status list for this credential, or the index is outside it."""

    code = "status_unknown"


class KeyRevoked(VerificationError):
    """The credential was signed by a key the city has revoked (e.g. compromised)."""

    code = "key_revoked"


class KeyNotValidThen(VerificationError):
    """The signing key was not valid for signing at the credential's `iat`."""

    code = "key_not_valid"


class BundleInvalid(VerificationError):
    """The trust bundle or its key list is not signed by the pinned root."""

    code = "bundle_invalid"


class BundleStale(VerificationError):
    """The trust bundle is older than this verifier's limit; sync it."""

    code = "bundle_stale"


class BundleOutdated(VerificationError):
    """A downloaded trust bundle is not newer than the one held; the held one is kept."""

    code = "bundle_outdated"


class SyncFailed(CitykeyError):
    """The trust bundle could not be fetched (network, server, or file); the held one is kept."""

    code = "sync_failed"


class ReplayUnavailable(CitykeyError):
    """The shared replay cache cannot be reached; a one-way gate must not decide without it."""

    code = "replay_unavailable"


class Replayed(VerificationError):
    """This presentation was already accepted by this verifier; the holder must show a fresh one."""

    code = "replayed"


class RequestExpired(VerificationError):
    """The presentation request's `exp` has passed; the verifier must show a new one."""

    code = "request_expired"


class VerifierUnknown(VerificationError):
    """The request is signed by a key the trust bundle does not list, or for another verifier's `aud`."""

    code = "verifier_unknown"


class RequestUnsigned(VerificationError):
    """The request is not signed, and this wallet answers only verifiers the city lists."""

    code = "request_unsigned"


class Declined(VerificationError):
    """The holder declined the service's request: their wallet sent `access_denied` and no presentation."""

    code = "declined"


class RequestOutOfScope(VerificationError):
    """A listed verifier asks for a claim the city has not allowed it to ask for."""

    code = "request_out_of_scope"


class MissingClaim(VerificationError):
    """The presentation does not disclose a claim the verifier's policy requires."""

    code = "missing_claim"


class ClaimNotMet(VerificationError):
    """A disclosed claim does not have the value the verifier's policy requires (e.g. age_over_65 false)."""

    code = "claim_not_met"


class VerificationFailed(VerificationError):
    """A presentation failed one or more checks; `errors` lists every one."""

    code = "verification_failed"

    def __init__(self, errors: Iterable[CitykeyError]) -> None:
        self.errors: tuple[CitykeyError, ...] = tuple(errors)
        if not self.errors:
            raise ValueError("VerificationFailed needs at least one error")
        super().__init__("; ".join(f"{e.code}: {e.message}" for e in self.errors))

    @property
    def codes(self) -> list[str]:
        return [e.code for e in self.errors]


class BundleKeyNotValid(BundleInvalid):
    """The trust bundle is signed by a listed key that was not allowed to sign at the bundle's `issued_at`."""

    code = "bundle_key_not_valid"


class BundleNotYetValid(BundleInvalid):
    """The trust bundle's `issued_at` lies in the future, beyond the clock leeway."""

    code = "bundle_not_yet_valid"


class PreapplicationDamaged(FormatError):
    """A pre-application code is cut short, was changed (its checksum does not match), or is of an unknown version."""

    code = "preapplication_damaged"


class PreapplicationInvalid(FormatError):
    """A pre-application's attributes break the desk's rules; `problems` names each field and its fault."""

    code = "preapplication_invalid"

    def __init__(self, message: str = "", problems: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.problems: dict[str, str] = dict(problems or {})


class SlotUnavailable(UsageError):
    """The desk slot asked for is not offered, has passed, or is fully booked."""

    code = "slot_unavailable"


class RateLimited(CitykeyError):
    """Too many requests; wait `retry_after` seconds before the next."""

    code = "rate_limited"

    def __init__(self, message: str = "", retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def all_error_classes() -> list[type[CitykeyError]]:
    """Every concrete error class, for docs and for the test that each code is raised."""
    seen: list[type[CitykeyError]] = []
    stack: list[type[CitykeyError]] = [CitykeyError]
    while stack:
        cls = stack.pop()
        seen.append(cls)
        stack.extend(cls.__subclasses__())
    return seen


class DecryptionFailed(VerificationError):
    """An encrypted response does not decrypt with the key it was meant for (wrong key, or changed on the way)."""

    code = "decryption_failed"


class RequestInvalid(VerificationError):
    """An OpenID4VP request breaks the protocol or the city's profile of it (mode, prefix, query, keys)."""

    code = "request_invalid"


class TransactionUnknown(UsageError):
    """An OpenID4VP transaction that this verifier does not hold: never made, already answered, or expired."""

    code = "transaction_unknown"


class VerifierUnreachable(CitykeyError):
    """An online service's address does not answer, or answers with an error instead of its request."""

    code = "verifier_unreachable"
