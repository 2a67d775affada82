"""What one running issuer holds in memory: its settings, keys, database and published tokens."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import Engine

from issuer.db import bind_key_store, create_schema, make_engine
from issuer.publish import build_bundle, status_base_uri
from issuer.settings import IssuerSettings
from issuer.statuslists import StatusRegistry
from keys import KeyStore
from wallet_spec.errors import CitykeyError
from wallet_spec.jwk import PrivateKey

log = logging.getLogger("citykey.issuer")


@dataclass
class Published:
    """The latest signed artefacts, served as they are: verifiers scale without the issuer."""

    bundle: str = ""
    issued_at: int = 0


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
    _signing: tuple[str, PrivateKey] | None = field(default=None, repr=False)
    _mac: tuple[str, bytes] | None = field(default=None, repr=False)
    """The decrypted active signing key (kid, key) and receipt MAC key, in memory only.

    Opening them costs a scrypt each (~0.15 s); they are decrypted when `republish` (re)loads the
    key store and kept until the next one, so a rotation takes effect for issuance at the same
    moment the published bundle names the new key. Never written anywhere, never logged."""

    @classmethod
    def open(cls, settings: IssuerSettings) -> IssuerState:
        store = KeyStore.open(settings.keys_path)
        if settings.db_url is None:  # the default SQLite file: its folder holds clerk password hashes too
            settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        engine = make_engine(settings.database_url)
        create_schema(engine)
        bind_key_store(engine, store.issuer_id, store.root_thumbprint)
        registry = StatusRegistry(engine, status_base_uri(store.issuer_id))
        return cls(settings, store, engine, registry)

    @property
    def passphrase(self) -> bytes:
        return self.settings.key_passphrase.get_secret_value().encode("utf-8")

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
            signing, mac_key = self._keys_of(store)
            bundle = build_bundle(store, self.registry, self.passphrase, now=now, signing=signing)
            self.store, self.published, self.republish_error = store, Published(bundle, now), None
            self._signing, self._mac = signing, (store.receipt_mac_id, mac_key)
            return self.published

    def _keys_of(self, store: KeyStore) -> tuple[tuple[str, PrivateKey], bytes]:
        """`store`'s active signing key and receipt MAC key, decrypted unless already held.

        Both ids are thumbprints of their keys, so an unchanged id is an unchanged key; a rotation
        or a revoked active key changes the id and the new key is decrypted here.
        """
        signing, mac = self._signing, self._mac
        if signing is None or signing[0] != store.active().kid:
            signing = store.active_signing_key(self.passphrase)
        if mac is None or mac[0] != store.receipt_mac_id:
            mac = (store.receipt_mac_id, store.receipt_mac_key(self.passphrase))
        return signing, mac[1]

    def signing_key(self) -> tuple[str, PrivateKey]:
        """The active signing key (kid, key) of the key store as last republished."""
        with self.lock:
            if self._signing is None:  # not republished yet
                self._signing = self.store.active_signing_key(self.passphrase)
            return self._signing

    def receipt_mac_key(self) -> bytes:
        """The receipt MAC key of the key store as last republished."""
        with self.lock:
            if self._mac is None:
                self._mac = (self.store.receipt_mac_id, self.store.receipt_mac_key(self.passphrase))
            return self._mac[1]

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
