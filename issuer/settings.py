"""The issuer service's configuration: environment variables (`CITYKEY_…`) or a settings file."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, DotEnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from citykey_io.passphrase import KEY_PASSPHRASE_ENV, not_empty
from wallet_spec.errors import UsageError

DEFAULT_HOME = Path("citykey-data")
"""The issuer's home: its key store (`keys/`) and SQLite database (`issuer.db`), for the service and the
command line alike (`CITYKEY_DATA_DIR`, `--home`)."""
HOME_ENV = "CITYKEY_DATA_DIR"
KEYS_ENV = "CITYKEY_KEYS_DIR"
DB_ENV = "CITYKEY_DB_URL"

SETTINGS_FILE_ENV = "CITYKEY_SETTINGS_FILE"
"""Names an `.env`-style file (`CITYKEY_NAME=value` lines); variables set in the environment win over it."""
_HH_MM = "([01][0-9]|2[0-3]):[0-5][0-9]"


class IssuerSettings(BaseSettings):
    """Everything `citykey issuer serve` needs; defaults suit one instance on one machine.

    Secrets come from the environment (or an `.env`-style file named by
    `CITYKEY_SETTINGS_FILE`), never from the command line, where `ps` shows them.
    """

    model_config = SettingsConfigDict(env_prefix="CITYKEY_", extra="ignore")

    data_dir: Path = DEFAULT_HOME
    keys_dir: Path | None = None
    """The key store (default: `data_dir/keys`)."""
    db_url: str | None = None
    """SQLAlchemy URL (default: SQLite at `data_dir/issuer.db`); PostgreSQL for several instances."""
    key_passphrase: SecretStr
    """Opens the key store's private keys (`CITYKEY_KEY_PASSPHRASE`, `citykey_io.passphrase.KEY_PASSPHRASE_ENV`)."""
    session_secret: SecretStr | None = None
    """Signs clerk session cookies; every instance behind one load balancer needs the same value."""
    public_url: str | None = None
    """Where wallets reach this service (default: the key store's issuer id)."""
    office: str = "main"
    """This desk's office, recorded in audit events (hour, office, event, count)."""
    city_name: str | None = None
    """The city's name: `resident_of` of every credential the desk issues (offers and paper cards) and
    of residency passes issued at renewal, and the issuer's display name in its metadata.
    Default: the issuer id's host name (e.g. `id.city.example`), which is rarely what a city wants."""
    offer_ttl: int = 600
    """Seconds a credential offer stays redeemable."""
    max_batch: int = 36
    """Credentials one request may ask for (`batch_credential_issuance.batch_size`)."""
    republish_every: int = Field(default=3600, ge=1, le=12 * 3600)
    """Seconds between re-signing status list tokens and the trust bundle (at most 12 h: the bundle
    announces its next update a day ahead, and a failed attempt must leave time for the next)."""
    rate_limits: bool = True
    """Limit `/token`, `/nonce`, `/revocations` and bookings per client address (issuer.ratelimit.LIMITS).
    Off only where a reverse proxy limits instead, or for a load test (`CITYKEY_RATE_LIMITS=false`)."""
    appointment_capacity: int = Field(default=4, ge=0, le=1000)
    """Residents who may book each desk slot from the `/apply/` page; 0 turns booking off."""
    appointment_minutes: int = Field(default=30, ge=5, le=240)
    """The length of a desk slot."""
    appointment_hours: str = Field(default="09:00-17:00", pattern=rf"^{_HH_MM}-{_HH_MM}$")
    """The desk's opening hours on weekdays (Monday to Friday), local time, `HH:MM-HH:MM`."""
    appointment_days: int = Field(default=14, ge=1, le=90)
    """How many days ahead slots are offered."""
    timezone: str = "UTC"
    """The desk's time zone (an IANA name such as `America/Chicago`), for its opening hours."""

    @field_validator("key_passphrase")
    @classmethod
    def _passphrase_not_empty(cls, value: SecretStr) -> SecretStr:
        """The rule every party applies (`citykey_io.passphrase`): a variable set but empty is a mistake."""
        try:
            not_empty(KEY_PASSPHRASE_ENV, value.get_secret_value())
        except UsageError as exc:
            raise ValueError(exc.message) from None
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then the environment, then the file named by `CITYKEY_SETTINGS_FILE` (or `_env_file`)."""
        named = os.environ.get(SETTINGS_FILE_ENV)
        if named and getattr(dotenv_settings, "env_file", None) is None:
            path = Path(named)
            if not path.is_file():  # pydantic-settings would skip a missing file without a word
                raise UsageError(f"{SETTINGS_FILE_ENV} names {path}, which is not a readable file")
            dotenv_settings = DotEnvSettingsSource(settings_cls, env_file=path, env_file_encoding="utf-8")
        return init_settings, env_settings, dotenv_settings, file_secret_settings

    @property
    def keys_path(self) -> Path:
        return home_keys(self.data_dir, self.keys_dir)

    @property
    def database_url(self) -> str:
        return home_database_url(self.data_dir, self.db_url)


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def start_up_public_url(public_url: str | None, issuer_id: str, host: str, port: int) -> tuple[str | None, list[str]]:
    """The public URL a starting service uses, and what to tell the operator about it.

    Without `CITYKEY_PUBLIC_URL`, a service listening on a loopback address is reached there (a trial
    on one machine): offers point at it rather than at the issuer id's host, which nothing serves
    yet. A public URL on another host than the issuer id's works (wallets follow the offer) but
    credentials still name the issuer id, so the operator is told why that may not be meant.
    """
    notes: list[str] = []
    issuer_host = urlsplit(issuer_id).hostname
    if public_url is None:
        if host not in LOOPBACK_HOSTS:
            notes.append(f"CITYKEY_PUBLIC_URL is not set: offers and metadata name {issuer_id} (the issuer id), "
                         "so wallets must reach this service there")
            return None, notes
        shown = f"[{host}]" if ":" in host else host
        public_url = f"http://{shown}:{port}"
        notes.append(f"CITYKEY_PUBLIC_URL is not set: offers point at {public_url}, where this service listens "
                     f"(for a trial on this machine); set it to the address wallets reach, normally {issuer_id}")
        return public_url, notes
    public_host = urlsplit(public_url).hostname
    if public_host != issuer_host:
        notes.append(f"CITYKEY_PUBLIC_URL {public_url} is not on the issuer id's host ({issuer_host}): wallets "
                     f"receive from {public_url}, but credentials name {issuer_id} as their issuer, where "
                     "residents and verifiers will look for the city (fine for a trial; in service the public "
                     "URL is the issuer id, or a proxy on its host forwards here: docs/operations.md)")
    return public_url, notes


def home_keys(home: Path, keys_dir: Path | None = None) -> Path:
    """The key store: `keys_dir` if given, else `home/keys`."""
    return keys_dir or home / "keys"


def home_database_url(home: Path, db: str | None = None) -> str:
    """The SQLAlchemy URL of the issuer database: `db` (a URL, or a path for SQLite), else SQLite at
    `home/issuer.db`. A bare `postgresql://` (or `postgres://`) gets the installed driver, psycopg 3."""
    if db is None:
        url = f"sqlite:///{home / 'issuer.db'}"
    elif "://" not in db:
        url = f"sqlite:///{Path(db)}"
    else:
        url = db
    for bare in ("postgresql://", "postgres://"):
        if url.startswith(bare):
            return "postgresql+psycopg://" + url.removeprefix(bare)
    return url
