"""What one running issuer holds in memory: its settings, keys, database and published tokens."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import Engine

from issuer.db import create_schema, make_engine
from issuer.publish import build_bundle, status_base_uri
from issuer.settings import IssuerSettings
from issuer.statuslists import StatusRegistry
from keys import KeyStore


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

    @classmethod
    def open(cls, settings: IssuerSettings) -> IssuerState:
        store = KeyStore.open(settings.keys_path)
        engine = make_engine(settings.database_url)
        create_schema(engine)
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
            self.store = KeyStore.open(self.store.directory)  # pick up rotations made by `citykey keys`
            self.published = Published(build_bundle(self.store, self.registry, self.passphrase, now=now), now)
            return self.published
