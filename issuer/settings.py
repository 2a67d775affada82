"""The issuer service's configuration: environment variables (`CITYKEY_…`) or a settings file."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, DotEnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from citykey_io.passphrase import KEY_PASSPHRASE_ENV, not_empty
from wallet_spec.errors import UsageError

SETTINGS_FILE_ENV = "CITYKEY_SETTINGS_FILE"
"""Names an `.env`-style file (`CITYKEY_NAME=value` lines); variables set in the environment win over it."""


class IssuerSettings(BaseSettings):
    """Everything `citykey issuer serve` needs; defaults suit one instance on one machine.

    Secrets come from the environment (or an `.env`-style file named by
    `CITYKEY_SETTINGS_FILE`), never from the command line, where `ps` shows them.
    """

    model_config = SettingsConfigDict(env_prefix="CITYKEY_", extra="ignore")

    data_dir: Path = Path("citykey-data")
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
    """The city's name, `resident_of` in residency passes issued at renewal (an identity credential
    does not carry it). Default: the issuer id's host name. Use what the desk enters as `resident_of`."""
    offer_ttl: int = 600
    """Seconds a credential offer stays redeemable."""
    max_batch: int = 16
    """Credentials one request may ask for (`batch_credential_issuance.batch_size`)."""
    republish_every: int = Field(default=3600, ge=1, le=12 * 3600)
    """Seconds between re-signing status list tokens and the trust bundle (at most 12 h: the bundle
    announces its next update a day ahead, and a failed attempt must leave time for the next)."""

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
        return self.keys_dir or self.data_dir / "keys"

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL; a bare `postgresql://` (or `postgres://`) gets the installed driver, psycopg 3."""
        url = self.db_url or f"sqlite:///{self.data_dir / 'issuer.db'}"
        for bare in ("postgresql://", "postgres://"):
            if url.startswith(bare):
                return "postgresql+psycopg://" + url.removeprefix(bare)
        return url
