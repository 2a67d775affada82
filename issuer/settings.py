"""The issuer service's configuration: environment variables (`CITYKEY_…`) or a settings file."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    """Opens the key store's private keys (`CITYKEY_KEY_PASSPHRASE`)."""
    session_secret: SecretStr | None = None
    """Signs clerk session cookies; every instance behind one load balancer needs the same value."""
    public_url: str | None = None
    """Where wallets reach this service (default: the key store's issuer id)."""
    office: str = "main"
    """This desk's office, recorded in audit events (hour, office, event, count)."""
    offer_ttl: int = 600
    """Seconds a credential offer stays redeemable."""
    max_batch: int = 16
    """Credentials one request may ask for (`batch_credential_issuance.batch_size`)."""
    republish_every: int = 3600
    """Seconds between re-signing status list tokens and the trust bundle."""

    @property
    def keys_path(self) -> Path:
        return self.keys_dir or self.data_dir / "keys"

    @property
    def database_url(self) -> str:
        return self.db_url or f"sqlite:///{self.data_dir / 'issuer.db'}"
