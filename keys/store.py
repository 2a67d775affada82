"""The key store: a directory of encrypted private keys and one file of public metadata.

```
DIR/                 0700
  keystore.json      0600  public metadata (states, windows, public JWKs); no secret
  .lock              0600  flock'ed by every change
  <kid>.pem          0600  one per root, active or retiring signing key, receipt MAC key
  verifiers.json     0600  verifiers the city vouches for (public: aud, name, JWK, may_ask); optional
```

Reading the metadata needs no passphrase; anything that touches a private key
does. Every change takes the lock, re-reads the metadata, writes new key files
first and the metadata last (the commit point), then deletes the files of keys
that no longer sign. A crash at any point leaves a store that opens.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from citykey_io import pem
from citykey_io.files import atomic_write, exclusive_lock, make_private_dir, remove
from citykey_io.passphrase import check_length
from keys import receipt_key
from keys.records import HOLDS_PRIVATE_KEY, REASONS, Identity, KeyRecord, Metadata, Reason, parse_metadata
from wallet_spec.encoding import json_loads
from wallet_spec.errors import CitykeyError, FormatError, KeyStoreError, PassphraseInvalid, UsageError
from wallet_spec.jwk import PrivateKey, generate_private_key, public_jwk, thumbprint
from wallet_spec.keylist import KeyList, ListedKey, sign_key_list, signing_kid, verify_key_list
from wallet_spec.profile import coarse_day
from wallet_spec.request import ListedVerifier, verifiers_from_json

METADATA_NAME = "keystore.json"
DAY = 86_400
DEFAULT_KEY_LIST_VALIDITY = 30 * DAY
"""How long a signed key list stays valid: the root must come out to re-sign at least this often."""
DEFAULT_KEY_LIST_RENEWAL = 7 * DAY
KEY_LIST_FILE = "keylist.jwt"
VERIFIERS_NAME = "verifiers.json"


def _fresh_signing_key(meta: Metadata) -> PrivateKey:
    """A new signing key whose kid no earlier key of this store had."""
    taken = {k.kid for k in meta.signing_keys}
    while True:
        key = generate_private_key()
        if signing_kid(key) not in taken:
            return key


def _same_keys(a: KeyList, b: KeyList) -> bool:
    def shape(kl: KeyList) -> set[tuple[str, int, int | None]]:
        return {(k.kid, k.not_before, k.not_after) for k in kl.keys}

    return a.issuer == b.issuer and shape(a) == shape(b) and a.revoked == b.revoked


def _check_issuer_id(issuer_id: str) -> None:
    url = urllib.parse.urlsplit(issuer_id)
    local = url.hostname in ("localhost", "127.0.0.1", "::1")
    if not (url.scheme == "https" or (url.scheme == "http" and local)) or not url.hostname:
        raise UsageError("the issuer id must be an https URL (http only for localhost)")
    if url.query or url.fragment:
        raise UsageError("the issuer id may not have a query or fragment")


def _check_passphrase_type(passphrase: Any) -> bytes:
    if not isinstance(passphrase, bytes):
        raise UsageError("the passphrase must be bytes")
    return passphrase


class KeyStore:
    """A key store opened for reading; methods that change it lock and re-read it first."""

    def __init__(self, directory: Path, metadata: Metadata) -> None:
        self._dir = directory
        self._meta = metadata
        self._just_retired: tuple[str, ...] = ()

    # --- creating and opening -------------------------------------------------

    @classmethod
    def init(cls, directory: str | os.PathLike[str], issuer_id: str, passphrase: bytes, *, now: int) -> KeyStore:
        """Create a store with a root key, a first active signing key and the receipt MAC key."""
        passphrase = check_length(_check_passphrase_type(passphrase))
        cls.check_init(directory, issuer_id)
        path = Path(directory)
        with _os_errors(f"cannot create the key store in {path}"):
            make_private_dir(path)
            with exclusive_lock(path):
                if any(p.name != ".lock" for p in path.iterdir()):
                    raise KeyStoreError(f"{path} is not empty; refusing to create a key store there")
                root, signing, mac = generate_private_key(), generate_private_key(), receipt_key.generate()
                root_kid, mac_kid = thumbprint(root), receipt_key.key_id(mac)
                meta = Metadata(
                    issuer=issuer_id,
                    root=Identity(root_kid, now, public_jwk(root)),
                    receipt_mac=Identity(mac_kid, now),
                    signing_keys=(_new_record(signing, now),),
                )
                store = cls(path, meta)
                written: list[Path] = []
                try:
                    for kid, key in ((root_kid, root), (mac_kid, mac), (signing_kid(signing), signing)):
                        written.append(store.key_file(kid))
                        atomic_write(written[-1], pem.encrypt(key, passphrase))
                    store._write_metadata(meta)
                except BaseException:
                    for file in written:  # leave the directory empty, so init can simply be run again
                        remove(file)
                    raise
        return store

    @staticmethod
    def check_init(directory: str | os.PathLike[str], issuer_id: str) -> None:
        """Raise what `init` would refuse, before anyone is asked for a passphrase."""
        _check_issuer_id(issuer_id)
        path = Path(directory)
        with _os_errors(f"cannot create the key store in {path}"):
            if path.exists() and not path.is_dir():
                raise KeyStoreError(f"{path} exists and is not a directory")
            if path.exists() and any(p.name != ".lock" for p in path.iterdir()):
                raise KeyStoreError(f"{path} is not empty; refusing to create a key store there")

    @classmethod
    def open(cls, directory: str | os.PathLike[str]) -> KeyStore:
        """Read the public metadata; no passphrase is needed and no private key is read."""
        path = Path(directory)
        return cls(path, _read_metadata(path))

    # --- public metadata --------------------------------------------------------

    @property
    def directory(self) -> Path:
        return self._dir

    @property
    def issuer_id(self) -> str:
        return self._meta.issuer

    @property
    def root_thumbprint(self) -> str:
        """What verifiers pin: the RFC 7638 thumbprint of the root key."""
        return self._meta.root.kid

    @property
    def receipt_mac_id(self) -> str:
        return self._meta.receipt_mac.kid

    def records(self) -> tuple[KeyRecord, ...]:
        """Every signing key ever made, oldest first, whatever its state."""
        return self._meta.signing_keys

    def active(self) -> KeyRecord:
        return self._meta.active

    def record(self, kid: str) -> KeyRecord:
        """The signing key record with this kid, whatever its state."""
        found = self._meta.find(kid)
        if found is None:
            raise KeyStoreError(f"no signing key {kid!r} in this store")
        return found

    def key_file(self, kid: str) -> Path:
        return self._dir / f"{kid}.pem"

    def loose_permissions(self) -> list[Path]:
        """The directory and files that group or others may access (a restored backup, a careless copy)."""
        loose = []
        with _os_errors(f"cannot read {self._dir}"):
            for path in [self._dir, *sorted(self._dir.iterdir())]:
                try:
                    if path.stat().st_mode & 0o077:
                        loose.append(path)
                except FileNotFoundError:  # a temporary file renamed meanwhile
                    continue
        return loose

    def key_list(self, now: int, *, validity: int = DEFAULT_KEY_LIST_VALIDITY) -> KeyList:
        """The active and retiring keys still needed at `now`, every revoked kid, and the registered verifiers."""
        if validity <= 0:
            raise UsageError("the key list's validity must be positive")
        listed = tuple(
            ListedKey(k.kid, dict(k.jwk), k.not_before, k.not_after)
            for k in self._meta.signing_keys
            if k.state == "active" or (k.state == "retiring" and k.retire_after is not None and now < k.retire_after)
        )
        revoked = frozenset(k.kid for k in self._meta.signing_keys if k.state == "revoked")
        return KeyList(self._meta.issuer, now, now + validity, listed, revoked, self.verifiers())

    def jwks(self) -> dict[str, Any]:
        """SD-JWT VC issuer metadata (`/.well-known/jwt-vc-issuer`): the keys that verify."""
        keys = [
            {**k.jwk, "kid": k.kid, "use": "sig", "alg": "ES256"}
            for k in self._meta.signing_keys
            if k.state in HOLDS_PRIVATE_KEY
        ]
        return {"issuer": self._meta.issuer, "jwks": {"keys": keys}}

    # --- verifiers the city vouches for -------------------------------------------

    def verifiers(self) -> tuple[ListedVerifier, ...]:
        """The registered verifiers, in registration order; none when the file does not exist."""
        return _read_verifiers(self._dir)

    def register_verifier(self, aud: str, name: str, jwk: Any, may_ask: Any) -> ListedVerifier:
        """List a verifier's public key for its audience id, with the claims it may ask for.

        Public data only, so no passphrase; wallets trust the entry only once the root
        has signed it into the key list (`signed_key_list`). Registering a key again
        replaces its entry (a new name, aud or scope); a verifier may have several
        keys (rotation).
        """
        entry = ListedVerifier.create(aud, name, jwk, may_ask)
        if not entry.may_ask:
            raise UsageError("name the claims the verifier may ask for (may_ask), e.g. resident_of,age_over_65")
        with _os_errors(f"cannot change the verifiers in {self._dir}"), exclusive_lock(self._dir):
            _read_metadata(self._dir)  # only a real key store gets a verifier list
            listed = [v for v in _read_verifiers(self._dir) if v.kid != entry.kid]
            _write_verifiers(self._dir, (*listed, entry))
        return entry

    def remove_verifier(self, kid: str) -> ListedVerifier:
        """Stop vouching for a verifier key (lost or retired); effective from the next root-signed key list."""
        with _os_errors(f"cannot change the verifiers in {self._dir}"), exclusive_lock(self._dir):
            listed = _read_verifiers(self._dir)
            found = next((v for v in listed if v.kid == kid), None)
            if found is None:
                raise KeyStoreError(f"no verifier key {kid!r} is registered in this store")
            _write_verifiers(self._dir, tuple(v for v in listed if v.kid != kid))
        return found

    # --- private keys -----------------------------------------------------------

    def active_signing_key(self, passphrase: bytes) -> tuple[str, PrivateKey]:
        record = self._meta.active
        return record.kid, self._load_signing(record.kid, passphrase, what="the active signing key")

    def root_key(self, passphrase: bytes) -> PrivateKey:
        path = self.key_file(self.root_thumbprint)
        if not path.exists():
            raise KeyStoreError(
                f"the root key file {path.name} is not in {self._dir}; the root is kept offline: "
                "copy it back for this operation, then remove it again"
            )
        return self._load_signing(self.root_thumbprint, passphrase, what="the root key", named=thumbprint)

    def receipt_mac_key(self, passphrase: bytes) -> bytes:
        """The 32-byte HMAC key for revocation receipts."""
        key = self._load(self.receipt_mac_id, passphrase, what="the receipt MAC key")
        if not isinstance(key, ed25519.Ed25519PrivateKey) or receipt_key.key_id(key) != self.receipt_mac_id:
            raise KeyStoreError(f"{self.receipt_mac_id}.pem holds a different key than its name says")
        return receipt_key.mac_key(key)

    def signed_key_list(
        self, passphrase: bytes, *, now: int, validity: int = DEFAULT_KEY_LIST_VALIDITY
    ) -> str:
        """The key list signed by the root. Each listed key is first proven to be ours.

        The metadata file is not authenticated, so someone who can write the
        directory could add a public key of theirs to it. Before the root vouches
        for a key, its private key file must decrypt with the passphrase and
        match: a key the city did not make can never get into a signed list.
        The registered verifiers (`verifiers.json`) are signed as they are: the
        ceremony shows them (`citykey keys keylist`) for the operator to check.
        """
        key_list = self.key_list(now, validity=validity)
        root = self.root_key(passphrase)
        for entry in key_list.keys:
            self._load_signing(entry.kid, passphrase, what="a listed signing key")
        return sign_key_list(key_list, root)

    @property
    def published_key_list_file(self) -> Path:
        return self._dir / KEY_LIST_FILE

    def published_key_list(
        self,
        passphrase: bytes,
        *,
        now: int,
        renew_before: int = DEFAULT_KEY_LIST_RENEWAL,
        validity: int = DEFAULT_KEY_LIST_VALIDITY,
    ) -> str:
        """The root-signed key list to publish: the saved one while it is current, else a fresh one.

        Current means it lists exactly the keys, revocations and verifiers the store
        has now and stays valid for `renew_before` more seconds; a saved list that
        differs only in its verifiers is still used while the root is offline (the
        change waits for the next ceremony, `citykey keys keylist`). Otherwise the root signs
        again when its key file is here. When the root is offline (as in
        production), a saved list that is still valid and still right is used
        until it expires (`/health` counts down to that), so an offline root never
        stops publication early; a list that no longer matches the keys (after a
        rotation or revocation) needs the root, and without it this raises
        KeyStoreError saying so.
        """
        path = self.published_key_list_file
        if path.exists():
            try:
                saved = verify_key_list(path.read_text(encoding="ascii"), self.root_thumbprint, now=now)
            except (CitykeyError, OSError, UnicodeDecodeError):
                saved = None
            wanted = self.key_list(now, validity=validity)
            if saved is not None and _same_keys(saved, wanted):
                root_offline = not self.key_file(self.root_thumbprint).exists()
                current = saved.exp - now > renew_before and saved.verifiers == wanted.verifiers
                if current or root_offline:  # a verifier change waits for the root; a key change cannot
                    return path.read_text(encoding="ascii")
        token = self.signed_key_list(passphrase, now=now, validity=validity)
        atomic_write(path, token.encode("ascii"))
        return token

    # --- changes ------------------------------------------------------------------

    def rotate(self, passphrase: bytes, *, now: int, max_credential_lifetime: int) -> KeyRecord:
        """Make a new active key; the old one verifies until its last credential has expired."""
        if max_credential_lifetime <= 0:
            raise UsageError("the maximum credential lifetime must be positive")
        with self._changing(now) as (meta, commit):
            old = meta.active
            if now < old.created:
                raise UsageError("now is before the active key was created; is the clock right?")
            self._check_passphrase(meta, passphrase)
            new_key = _fresh_signing_key(meta)
            new = _new_record(new_key, now)
            atomic_write(self.key_file(new.kid), pem.encrypt(new_key, passphrase))
            retiring = old.replace(state="retiring", not_after=now, retire_after=now + max_credential_lifetime)
            commit(meta.with_keys((*_without(meta, old.kid), retiring, new)), self.key_file(new.kid))
        return new

    def revoke(self, kid: str, *, reason: str, now: int, passphrase: bytes) -> KeyRecord | None:
        """Revoke a signing key at once. Revoking the active key also makes its replacement,
        in the same locked step; that new record is returned (None otherwise)."""
        if reason not in REASONS:
            raise UsageError(f"reason must be one of {', '.join(REASONS)}")
        replacement: KeyRecord | None = None
        with self._changing(now) as (meta, commit):
            record = meta.find(kid)
            if record is None:
                if kid == meta.root.kid:
                    raise UsageError(
                        "the root cannot be revoked from its own store: a compromised root means a new "
                        "store and re-pinning every verifier (see docs/keys.md)"
                    )
                raise KeyStoreError(f"no signing key {kid!r} in this store")
            if record.state == "revoked":
                raise KeyStoreError(f"signing key {kid} is already revoked")
            self._check_passphrase(meta, passphrase)
            keys = [*_without(meta, kid)]
            written: list[Path] = []
            if record.state == "active":
                new_key = _fresh_signing_key(meta)
                replacement = _new_record(new_key, now)
                written.append(self.key_file(replacement.kid))
                atomic_write(written[-1], pem.encrypt(new_key, passphrase))
                keys.append(replacement)
            revoked = record.replace(
                state="revoked",
                not_after=record.not_after if record.not_after is not None else now,
                revoked_at=now,
                reason=_reason(reason),
            )
            commit(meta.with_keys((*keys, revoked)), *written)
        return replacement

    def refresh(self, now: int) -> tuple[str, ...]:
        """Retire the retiring keys whose credentials have all expired; return their kids.

        Takes the lock only when there is something to do, so reading commands
        that refresh first also work on a store the user may not write."""
        due = any(k.state == "retiring" and _due(k, now) for k in self._meta.signing_keys)
        leftover = any(k.state not in HOLDS_PRIVATE_KEY and self.key_file(k.kid).exists()
                       for k in self._meta.signing_keys)
        if not due and not leftover:
            return ()
        with self._changing(now) as (meta, commit):
            commit(meta)
        return self._just_retired

    # --- internals --------------------------------------------------------------------

    @contextmanager
    def _changing(self, now: int) -> Iterator[tuple[Metadata, Callable[..., None]]]:
        """Lock, re-read, retire what is due, let the caller change the metadata, then commit
        it and delete the private files of keys that no longer sign. No commit, no change.

        `commit(meta, *new_files)` names the key files the caller wrote for the change; if
        the metadata cannot be written they are removed again, so nothing is left behind."""
        committed: list[tuple[Metadata, tuple[Path, ...]]] = []

        def commit(meta: Metadata, *new_files: Path) -> None:
            committed.append((meta, new_files))

        with _os_errors(f"cannot change the key store in {self._dir}"), exclusive_lock(self._dir):
            current = _read_metadata(self._dir)
            due = current.with_keys(tuple(
                k.replace(state="retired") if k.state == "retiring" and _due(k, now) else k
                for k in current.signing_keys
            ))
            yield due, commit
            if not committed:
                return
            self._just_retired = tuple(
                k.kid for k in current.signing_keys if k.state == "retiring" and _due(k, now)
            )
            final, new_files = committed[-1]
            if final != current:
                try:
                    self._write_metadata(final)
                except BaseException:
                    for path in new_files:
                        remove(path)
                    raise
            self._meta = final
            for record in final.signing_keys:
                if record.state not in HOLDS_PRIVATE_KEY:
                    remove(self.key_file(record.kid))

    def _write_metadata(self, meta: Metadata) -> None:
        text = json.dumps(meta.to_json(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        atomic_write(self._dir / METADATA_NAME, text.encode("utf-8"))

    def _check_passphrase(self, meta: Metadata, passphrase: bytes) -> None:
        """Prove the passphrase before encrypting anything new under it (a typo would lock a key away)."""
        active = meta.active
        if self.key_file(active.kid).exists():
            self._load_signing(active.kid, passphrase, what="the active signing key")
        else:
            self._load(meta.receipt_mac.kid, passphrase, what="the receipt MAC key")

    def _load_signing(
        self, kid: str, passphrase: bytes, *, what: str, named: Callable[[PrivateKey], str] = signing_kid
    ) -> PrivateKey:
        """A P-256 key, checked to be the one its file's name (`named` of the key) says."""
        key = self._load(kid, passphrase, what=what)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or named(key) != kid:
            raise KeyStoreError(f"{kid}.pem holds a different key than its name says")
        return key

    def _load(self, kid: str, passphrase: bytes, *, what: str) -> pem.StoredKey:
        passphrase = _check_passphrase_type(passphrase)
        path = self.key_file(kid)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise KeyStoreError(f"the private key file {path} ({what}) is missing") from None
        except OSError as exc:
            raise KeyStoreError(f"cannot read {path}: {exc.strerror}") from None
        try:
            key = pem.decrypt(data, passphrase, what=f"{path.name} ({what})")
        except PassphraseInvalid:
            self._diagnose(kid, passphrase, what)
            raise
        return key

    def _diagnose(self, failed_kid: str, passphrase: bytes, what: str) -> None:
        """A file that the passphrase does not open while another one opens is damaged, not locked."""
        for kid in (self._meta.receipt_mac.kid, self._meta.active.kid):
            path = self.key_file(kid)
            if kid == failed_kid or not path.exists():
                continue
            try:
                pem.decrypt(path.read_bytes(), passphrase, what=kid)
            except (KeyStoreError, OSError):
                continue
            raise KeyStoreError(
                f"{failed_kid}.pem ({what}) is damaged: the passphrase opens the store's other keys"
            )


def _new_record(key: PrivateKey, now: int) -> KeyRecord:
    return KeyRecord(signing_kid(key), public_jwk(key), "active", created=now, not_before=coarse_day(now))


def _without(meta: Metadata, kid: str) -> Iterator[KeyRecord]:
    return (k for k in meta.signing_keys if k.kid != kid)


def _due(record: KeyRecord, now: int) -> bool:
    return record.retire_after is not None and now >= record.retire_after


def _reason(value: str) -> Reason:
    for reason in REASONS:
        if reason == value:
            return reason
    raise UsageError(f"reason must be one of {', '.join(REASONS)}")  # pragma: no cover - checked before


def _read_metadata(directory: Path) -> Metadata:
    path = directory / METADATA_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if not directory.is_dir():
            raise KeyStoreError(f"there is no key store at {directory}") from None
        raise KeyStoreError(
            f"{directory} has no {METADATA_NAME}: it is not a key store, or its init was interrupted"
        ) from None
    except OSError as exc:
        raise KeyStoreError(f"cannot read {path}: {exc.strerror}") from None
    return parse_metadata(data, what=str(path))


def _read_verifiers(directory: Path) -> tuple[ListedVerifier, ...]:
    path = directory / VERIFIERS_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return ()
    except OSError as exc:
        raise KeyStoreError(f"cannot read {path}: {exc.strerror}") from None
    try:
        obj = json_loads(data, what=str(path))
        if not isinstance(obj, dict) or obj.get("version") != 1:
            raise FormatError("expected an object with version 1")
        return verifiers_from_json(obj.get("verifiers"))
    except FormatError as exc:
        raise KeyStoreError(f"{path} is damaged: {exc.message}") from None


def _write_verifiers(directory: Path, listed: tuple[ListedVerifier, ...]) -> None:
    obj = {"version": 1, "verifiers": [v.to_json() for v in listed]}
    text = json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    atomic_write(directory / VERIFIERS_NAME, text.encode("utf-8"))


@contextmanager
def _os_errors(context: str) -> Iterator[None]:
    """Turn an operating-system failure (disk full, permissions) into a KeyStoreError."""
    try:
        yield
    except OSError as exc:
        raise KeyStoreError(f"{context}: {exc.strerror or exc}") from None
