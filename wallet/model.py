"""The reference holder wallet, as a pure model: keys, credentials, receipts; no files.

A batch is one credential per holder key, each used for one presentation
where possible, so two verifiers never see the same signature, salt, key or
status index. The wallet is sealed at rest with a passphrase (scrypt + AES-GCM);
reading and writing the sealed bytes is the caller's job (the CLI).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from wallet_spec.encoding import is_int, json_dumps, json_loads
from wallet_spec.errors import (
    CitykeyError,
    ClaimNotFound,
    FormatError,
    HolderKeyNotHeld,
    KeyBindingUnexpected,
    KeyInvalid,
    PassphraseInvalid,
    UsageError,
)
from wallet_spec.jwk import generate_private_key, private_jwk, private_key_from_jwk, public_jwk, thumbprint
from wallet_spec.present import present
from wallet_spec.profile import RESIDENT_VCT, plain_claims
from wallet_spec.request import Request, check_answerable
from wallet_spec.sdjwt import ClaimPath, SdJwt, has_claim, unfold

_MAGIC = b"ckw1"
_SCRYPT_LOG_N = 15
"""scrypt cost of new wallet files (N = 2**15); each file records its own, so raising it locks no one out."""
_SCRYPT_MIN_LOG_N = 10
"""The cheapest cost a file may name (what tests write). `unseal` derives nothing dearer than
`_SCRYPT_LOG_N`: the cost byte is read before the file is authenticated, so it is bounded first."""


@dataclass(slots=True)
class StoredCredential:
    sd_jwt: str
    holder_kid: str
    vct: str
    uses: int = 0


@dataclass(slots=True)
class Wallet:
    holder_keys: dict[str, dict[str, str]] = field(default_factory=dict)
    """Private JWKs by kid (thumbprint). Keys not yet bound to a credential are pending."""
    credentials: list[StoredCredential] = field(default_factory=list)
    receipts: list[str] = field(default_factory=list)

    def new_holder_keys(self, count: int) -> list[dict[str, str]]:
        """Make `count` fresh holder keys; return their public JWKs for the issuer."""
        if not 1 <= count <= 64:
            raise UsageError("ask for between 1 and 64 holder keys")
        publics = []
        for _ in range(count):
            key = generate_private_key()
            self.holder_keys[thumbprint(key)] = private_jwk(key)
            publics.append(public_jwk(key))
        return publics

    def import_credential(self, text: str) -> StoredCredential:
        """Accept an issued SD-JWT bound to one of our keys (RFC 9901 §7.2: no KB-JWT allowed)."""
        sd_jwt, kid, vct = _read_credential(text.strip())
        if kid not in self.holder_keys:
            raise HolderKeyNotHeld("the credential is bound to a key this wallet does not hold")
        if any(c.sd_jwt == sd_jwt for c in self.credentials):
            raise UsageError("this credential is already in the wallet")
        stored = StoredCredential(sd_jwt, kid, vct)
        self.credentials.append(stored)
        return stored

    def pick(self, vct: str | frozenset[str] | None = None, paths: Sequence[ClaimPath] = ()) -> StoredCredential:
        """The credential to present: an unused fact pass stating exactly the claims in `paths`,
        else the smallest kind that holds every one; of that kind the least used, so presentations
        don't link while fresh ones remain.

        Smallest first because a presentation must fit a QR code a bus validator can read:
        a fact pass for "resident, 65+", an identity credential for a name. A fact pass shows
        all its claims, so one stating more than was asked (65+ for "resident") is never chosen;
        a used one is chosen again only when no other credential holds the claims. If no
        credential holds every claim, the least-used one is returned and presenting it reports
        the missing claim.
        """
        kinds = frozenset({vct}) if isinstance(vct, str) else vct
        asked = frozenset(str(path[0]) for path in paths if path)
        candidates = [
            c for c in self.credentials
            if (kinds is None or c.vct in kinds) and (c.vct != RESIDENT_VCT or _plain_claims(c) == asked)
        ]
        if not candidates:
            of_type = f" of type {' or '.join(sorted(kinds))}" if kinds else ""
            raise UsageError(f"the wallet holds no credential{of_type}")
        holding = [c for c in candidates if _holds(c, paths)] if paths else []
        if not holding:
            _refuse_split(candidates, paths)
            return min(candidates, key=lambda c: c.uses)
        fresh_passes = [c for c in holding if c.vct == RESIDENT_VCT and c.uses == 0]
        others = [c for c in holding if c.vct != RESIDENT_VCT]
        return min(fresh_passes or others or holding, key=lambda c: (_disclosure_count(c), c.uses))

    def present(
        self,
        paths: Sequence[ClaimPath],
        *,
        nonce: str | None = None,
        aud: str | None = None,
        iat: int | None = None,
        vct: str | frozenset[str] | None = None,
    ) -> tuple[str, StoredCredential]:
        """Present `paths` from a fresh credential (of type `vct`, or one of them), key-bound to `aud` if given.

        With `nonce` too, this answers a verifier's challenge. With `aud` alone it is
        one-way (a turnstile that shows no challenge): the KB-JWT gets a random
        nonce, so each presentation is distinct, and the verifier accepts it once,
        within a short window. A nonce without an audience binds to no one: refused.
        """
        if nonce is not None and aud is None:
            raise UsageError("key binding needs an audience: a nonce alone binds to no verifier")
        if aud is not None and nonce is None:
            nonce = secrets.token_urlsafe(12)
        chosen = self.pick(vct, paths)
        holder_key = private_key_from_jwk(self.holder_keys[chosen.holder_kid]) if aud is not None else None
        text = present(SdJwt.parse(chosen.sd_jwt), paths, holder_key=holder_key, nonce=nonce, aud=aud, iat=iat)
        chosen.uses += 1
        return text, chosen

    def answer(
        self, request: Request, *, allow_unsigned: bool = False, iat: int | None = None, vct: str | None = None
    ) -> tuple[str, StoredCredential]:
        """Answer a presentation request: exactly its claims, bound to its nonce and audience.

        Reading the request (expiry, who signed it, its scope) is `wallet_spec.request.parse_request`'s
        job, done before the holder is asked. Here the wallet refuses what it must not answer
        (`check_answerable`): a listed verifier's request beyond the claims the city lets it ask
        for, and an unknown asker's unless the holder accepted that warning (`allow_unsigned`).
        """
        check_answerable(request, allow_unsigned=allow_unsigned)
        return self.present(request.paths, nonce=request.nonce, aud=request.aud, iat=iat, vct=vct)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "holder_keys": self.holder_keys,
            "credentials": [
                {"sd_jwt": c.sd_jwt, "holder_kid": c.holder_kid, "vct": c.vct, "uses": c.uses}
                for c in self.credentials
            ],
            "receipts": self.receipts,
        }

    @classmethod
    def from_json(cls, obj: Any) -> Wallet:
        """Read a wallet's JSON, checking every field before anything is used.

        A defect is a FormatError naming the field, never showing its value: holder keys must be
        private P-256 JWKs filed under their thumbprint, and each credential must parse, carry no
        KB-JWT, and be bound to a held key and of the type recorded with it.
        """
        if not isinstance(obj, dict) or set(obj) != _WALLET_MEMBERS:
            raise _damaged(f"it must be an object of exactly {', '.join(sorted(_WALLET_MEMBERS))}")
        if not is_int(obj["version"]) or obj["version"] != 1:
            raise _damaged("it has an unsupported version")
        holder_keys, credentials, receipts = obj["holder_keys"], obj["credentials"], obj["receipts"]
        if not isinstance(holder_keys, dict):
            raise _damaged("holder_keys must be an object")
        if not isinstance(credentials, list):
            raise _damaged("credentials must be a list")
        if not isinstance(receipts, list) or not all(isinstance(r, str) for r in receipts):
            raise _damaged("receipts must be a list of strings")
        wallet = cls(receipts=list(receipts))
        for n, (kid, jwk) in enumerate(holder_keys.items(), 1):
            wallet.holder_keys[kid] = _read_holder_key(kid, jwk, n)
        for n, entry in enumerate(credentials, 1):
            wallet.credentials.append(_read_stored(entry, n, wallet))
        return wallet


_WALLET_MEMBERS = frozenset({"version", "holder_keys", "credentials", "receipts"})
_CREDENTIAL_MEMBERS = frozenset({"sd_jwt", "holder_kid", "vct", "uses"})


def _damaged(why: str) -> FormatError:
    return FormatError(f"the wallet file is damaged: {why}")


def _read_credential(text: str) -> tuple[str, str, str]:
    """An issued credential's compact form, the thumbprint of its holder key, and its `vct`."""
    sd_jwt = SdJwt.parse(text)
    if sd_jwt.kb_jwt is not None:
        raise KeyBindingUnexpected("an issued credential must not carry a KB-JWT")
    payload = sd_jwt.payload()
    cnf = payload.get("cnf")
    jwk = cnf.get("jwk") if isinstance(cnf, dict) else None
    if not isinstance(jwk, dict):
        raise FormatError("the credential names no holder key (cnf.jwk)")
    return sd_jwt.serialize(), thumbprint(jwk), str(payload.get("vct", ""))


def _read_holder_key(kid: str, jwk: Any, n: int) -> dict[str, str]:
    try:
        key = private_key_from_jwk(jwk)
    except KeyInvalid as exc:
        raise _damaged(f"holder key {n} is not a private P-256 JWK ({exc.message})") from None
    canonical = private_jwk(key)
    if jwk != canonical:
        raise _damaged(f"holder key {n} has members other than a P-256 private JWK's")
    if thumbprint(key) != kid:
        raise _damaged(f"holder key {n} is filed under another key's kid")
    return canonical


def _read_stored(entry: Any, n: int, wallet: Wallet) -> StoredCredential:
    if not isinstance(entry, dict) or set(entry) != _CREDENTIAL_MEMBERS:
        raise _damaged(f"credential {n} must be an object of exactly {', '.join(sorted(_CREDENTIAL_MEMBERS))}")
    text, holder_kid, vct, uses = (entry[k] for k in ("sd_jwt", "holder_kid", "vct", "uses"))
    if not isinstance(text, str) or not isinstance(holder_kid, str) or not isinstance(vct, str):
        raise _damaged(f"credential {n}'s sd_jwt, holder_kid and vct must be strings")
    if not is_int(uses) or uses < 0:
        raise _damaged(f"credential {n}'s uses must be a whole number")
    try:
        sd_jwt, bound_to, its_vct = _read_credential(text)
    except CitykeyError as exc:
        raise _damaged(f"credential {n} does not parse ({exc.code}: {exc.message})") from None
    if sd_jwt != text:
        raise _damaged(f"credential {n} is not in its compact form")
    if holder_kid not in wallet.holder_keys or bound_to != holder_kid:
        raise _damaged(f"credential {n} is not bound to the holder key recorded with it")
    if vct != its_vct:
        raise _damaged(f"credential {n}'s type is not the one it carries")
    if any(c.sd_jwt == sd_jwt for c in wallet.credentials):
        raise _damaged(f"credential {n} is there twice")
    return StoredCredential(sd_jwt, holder_kid, vct, uses)


def _plain_claims(credential: StoredCredential) -> frozenset[str]:
    """What showing the credential always tells: its claims that are no registered JWT or SD-JWT member."""
    return plain_claims(SdJwt.parse(credential.sd_jwt).payload())


def _disclosure_count(credential: StoredCredential) -> int:
    sd_jwt = SdJwt.parse(credential.sd_jwt)
    return len(sd_jwt.disclosures)


def _refuse_split(candidates: Sequence[StoredCredential], paths: Sequence[ClaimPath]) -> None:
    """Claims each held by some credential but by no one of them (a name and an age): say so, and how to ask.

    One presentation shows one credential, so such a request needs one presentation per credential.
    """
    if len(paths) < 2:
        return
    groups: dict[str, list[str]] = {}
    for path in paths:
        holder = next((c for c in candidates if _holds(c, (path,))), None)
        if holder is None:
            return  # a claim no credential holds: presenting reports it as missing
        groups.setdefault(holder.vct, []).append(".".join(str(p) for p in path))
    if len(groups) > 1:
        parts = "; ".join(f"{', '.join(names)} in {vct}" for vct, names in groups.items())
        asks = " and ".join(f"--claims {','.join(names)}" for names in groups.values())
        raise ClaimNotFound(
            f"no one credential holds all these claims ({parts}); one presentation shows one credential, "
            f"so ask for them in separate presentations: {asks}"
        )


def _holds(credential: StoredCredential, paths: Sequence[ClaimPath]) -> bool:
    sd_jwt = SdJwt.parse(credential.sd_jwt)
    claims = unfold(sd_jwt.payload(), sd_jwt.disclosures).claims
    return all(has_claim(claims, path) for path in paths)


def _kdf(passphrase: bytes, salt: bytes, log_n: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=2**log_n, r=8, p=1).derive(passphrase)


def seal(wallet: Wallet, passphrase: bytes) -> bytes:
    """`ckw1` ‖ log2 N (1) ‖ salt(16) ‖ nonce(12) ‖ AES-256-GCM(JSON), key from scrypt(passphrase).

    The header is authenticated as associated data, so its cost cannot be lowered unnoticed.
    """
    salt, nonce = os.urandom(16), os.urandom(12)
    header = _MAGIC + bytes([_SCRYPT_LOG_N])
    plaintext = json_dumps(wallet.to_json()).encode("utf-8")
    return header + salt + nonce + AESGCM(_kdf(passphrase, salt, _SCRYPT_LOG_N)).encrypt(nonce, plaintext, header)


def unseal(blob: bytes, passphrase: bytes) -> Wallet:
    """Open a sealed wallet. A wrong passphrase and a damaged file look alike to AES-GCM."""
    if len(blob) < 5 + 16 + 12 + 16 or not blob.startswith(_MAGIC):
        raise FormatError("not a citykey wallet file")
    header, log_n, salt, nonce, ciphertext = blob[:5], blob[4], blob[5:21], blob[21:33], blob[33:]
    if not _SCRYPT_MIN_LOG_N <= log_n <= _SCRYPT_LOG_N:
        raise FormatError("the wallet file names a scrypt cost this wallet does not write")
    try:
        plaintext = AESGCM(_kdf(passphrase, salt, log_n)).decrypt(nonce, ciphertext, header)
    except InvalidTag:
        raise PassphraseInvalid("the passphrase does not open this wallet, or the file is damaged") from None
    return Wallet.from_json(json_loads(plaintext, what="the wallet file"))
