"""What one running issuer holds in memory: its settings, keys, database and published tokens."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import Engine

from citykey_io.passphrase import passphrase_bytes
from issuer.db import bind_key_store, create_schema, make_engine
from issuer.settings import IssuerSettings
from issuer.signing import SigningKeys
from issuer.statuslists import StatusRegistry
from issuer.trust_bundle import build_bundle, status_base_uri, status_list_uris, verifier_attestations
from keys import KeyStore
from wallet_spec.errors import CitykeyError

log = logging.getLogger("citykey.issuer")


@dataclass
class Published:
    """The latest signed artefacts, served as they are: verifiers scale without the issuer."""

    bundle: str = ""
    issued_at: int = 0
    attestations: dict[str, str] = field(default_factory=dict)
    """A Verifier Attestation JWT for each listed verifier, by the kid of its key (OpenID4VP)."""
    status_uris: frozenset[str] = frozenset()
    """The status lists `bundle` carries: a credential in another list needs a new bundle at once."""


@dataclass
class IssuerState:
    settings: IssuerSettings
    store: KeyStore
    engine: Engine
    registry: StatusRegistry
    published: Published = field(default_factory=Published)
    lock: threading.Lock = field(default_factory=threading.Lock)
    republish_error: str | None = None
    """Why the last attempt to re-sign failed (None after a success); `/health` reports it."""
    _keys: SigningKeys | None = field(default=None, repr=False)
    """The active signing key and the receipt MAC key, decrypted, in memory only (`keys`).

    Opening them costs a scrypt each (~0.15 s); they are decrypted when `republish` (re)loads the
    key store and finds a new key, and kept until then, so a rotation takes effect for issuance at
    the same moment the published bundle names the new key. Never written anywhere, never logged."""

    @classmethod
    def open(cls, settings: IssuerSettings) -> IssuerState:
        store = KeyStore.open(settings.keys_path)
        if settings.db_url is None:  # the default SQLite file: its folder holds clerk password hashes too
            settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        engine = make_engine(settings.database_url)
        create_schema(engine)
        bind_key_store(engine, store.issuer_id, store.root_thumbprint)
        registry = StatusRegistry(engine, status_base_uri(store.issuer_id))
        registry.ensure_open()  # published from the first bundle on, before any credential points into it
        return cls(settings, store, engine, registry)

    @property
    def passphrase(self) -> bytes:
        """The key store's passphrase, as the bytes of its variable (not UTF-8 is fine: `passphrase_bytes`)."""
        return passphrase_bytes(self.settings.key_passphrase.get_secret_value())

    @property
    def issuer_id(self) -> str:
        return self.settings.public_url or self.store.issuer_id

    def republish(self, *, now: int | None = None) -> Published:
        """Re-sign the status lists and the bundle; cheap, so done on a timer and after every revocation."""
        now = int(time.time()) if now is None else now
        with self.lock:
            # Pick up rotations made by `citykey keys`, but sign credentials with a new key only once a
            # bundle whose key list names it is out: until the root has signed that list, keep the old view.
            store = KeyStore.open(self.store.directory)
            keys = SigningKeys.open(store, self.passphrase, held=self._keys)
            bundle = build_bundle(store, self.registry, self.passphrase, now=now, signing=keys.signing)
            attestations = verifier_attestations(bundle, kid=keys.kid, key=keys.key, now=now)
            published = Published(bundle, now, attestations, status_list_uris(bundle))
            self.store, self.published, self.republish_error = store, published, None
            self._keys = keys
            return self.published

    @property
    def keys(self) -> SigningKeys:
        """The signing keys of the key store as last republished (opened now if it never was)."""
        with self.lock:
            if self._keys is None:
                self._keys = SigningKeys.open(self.store, self.passphrase)
            return self._keys

    def try_republish(self, *, now: int | None = None) -> Published | None:
        """`republish`, but a failure is logged and kept for `/health` instead of raised.

        The last good bundle stays published meanwhile (it is valid for a day or more);
        the usual cause is a key list the root must sign again (`citykey keys keylist`).
        """
        try:
            return self.republish(now=now)
        except CitykeyError as exc:
            self.republish_error = f"{exc.code}: {exc.message}"
        except Exception as exc:  # a database outage must not stop the timer either
            first_line = (str(exc).splitlines() or [""])[0][:200]  # not the SQL and its parameters
            self.republish_error = f"{type(exc).__name__}: {first_line}"
        log.error("could not re-sign the trust bundle: %s", self.republish_error)
        return None
