"""Settings of CaseConsultant.

Every setting is an environment variable with the ``CASECONSULTANT_`` prefix.  A TOML
file named by ``CASECONSULTANT_CONFIG_FILE`` (default ``./caseconsultant.toml`` when it
exists) may set the same keys in lower case without the prefix; the environment wins.
"""

from __future__ import annotations

import enum
import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from consultant.errors import ConfigError

ENV_PREFIX = "CASECONSULTANT_"


class TlsMode(enum.StrEnum):
    """Transport security of an IMAP or SMTP connection."""

    SSL = "ssl"
    STARTTLS = "starttls"
    NONE = "none"


def _config_file() -> Path | None:
    named = os.environ.get(ENV_PREFIX + "CONFIG_FILE")
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigError(f"CASECONSULTANT_CONFIG_FILE names {path}, which does not exist")
        return path
    default = Path("caseconsultant.toml")
    return default if default.is_file() else None


class Settings(BaseSettings):
    """All settings; mail servers are optional here and checked by the commands that need them."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    data_dir: Path = Field(Path("var"), description="Folder for the SQLite database and broker")
    database_url: str = Field("", description="SQLAlchemy URL; default SQLite in data_dir")
    broker_url: str = Field("", description="Celery broker URL; default a filesystem broker")
    queue: str = Field("caseconsultant", min_length=1,
                       description="Celery queue name; separate installations on one broker differ")

    imap_host: str | None = None
    imap_port: int | None = Field(None, ge=1, le=65535)
    imap_username: str | None = None
    imap_password: str | None = None
    imap_folder: str = "INBOX"
    imap_tls: TlsMode = TlsMode.SSL
    imap_timeout: float = Field(30.0, gt=0, description="Seconds per IMAP network operation")
    imap_ca_file: Path | None = Field(
        None, description="PEM CA bundle trusted instead of the system's"
    )

    smtp_host: str | None = None
    smtp_port: int | None = Field(None, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_tls: TlsMode = TlsMode.STARTTLS
    smtp_timeout: float = Field(30.0, gt=0, description="Seconds per SMTP network operation")
    smtp_ca_file: Path | None = Field(
        None, description="PEM CA bundle trusted instead of the system's"
    )

    from_address: str | None = None
    poll_interval: float = Field(60.0, gt=0, description="Seconds between IMAP polls")
    poll_batch_size: int = Field(100, ge=1, description="Messages fetched per IMAP FETCH")
    poll_fetch_bytes: int = Field(
        64 * 1024 * 1024, ge=1024,
        description="Bytes of messages fetched per IMAP FETCH, by their RFC822.SIZE; a "
        "larger message is fetched alone",
    )
    max_message_bytes: int = Field(
        25 * 1024 * 1024, ge=1024,
        description="Larger messages are stored in full and held for an operator, never drafted",
    )
    sender_allowlist: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses or domains (example.com) that may ask; empty allows everyone. "
        "Comma-separated in the environment",
    )
    sender_denylist: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses or domains whose mail is stored but never answered; "
        "wins over the allowlist. Comma-separated in the environment",
    )
    sender_rate_limit: int = Field(
        10, ge=1,
        description="Messages one sender may send per rate window before the rest are held",
    )
    sender_rate_window: float = Field(3600.0, gt=0, description="Seconds of the per-sender window")
    templates_dir: Path | None = None
    log_level: str = "INFO"
    log_format: str = Field("text", pattern="^(text|json)$",
                            description="Service log lines as key=value text or as JSON")

    sent_folder: str = Field("", description="IMAP folder that gets a copy of each sent reply; "
                                             "empty: no copy")
    send_retry_base: float = Field(60.0, gt=0, description="Seconds before the first send retry; "
                                                            "each later retry waits twice as long")
    send_retry_max: float = Field(3600.0, gt=0, description="Longest wait between send retries, "
                                                             "in seconds")
    send_deadline: float = Field(4 * 3600.0, gt=0,
                                 description="Seconds after the first send attempt when temporary "
                                             "failures stop being retried and the draft fails")
    stuck_after: float = Field(600.0, gt=0, description="Seconds a message or draft may sit in "
                                                         "an intermediate state before recovery")
    recovery_interval: float = Field(60.0, gt=0, description="Seconds between recovery sweeps")
    visibility_timeout: float = Field(3600.0, gt=0,
                                      description="Seconds Redis waits for a task's "
                                                  "acknowledgement before it hands the task to "
                                                  "another worker")
    poll_lease: float = Field(120.0, gt=0, description="Seconds a poller's mailbox lock lasts "
                                                       "without renewal; a crashed poller "
                                                       "blocks polling this long")
    idle_timeout: float = Field(300.0, gt=0, description="Seconds one IMAP IDLE command waits "
                                                          "before it is renewed")

    @field_validator("from_address")
    @classmethod
    def _check_address(cls, value: str | None) -> str | None:
        if value is not None and ("@" not in value or " " in value.strip()):
            raise ValueError(f"{value!r} is not an email address")
        return value

    @field_validator("imap_ca_file", "smtp_ca_file")
    @classmethod
    def _check_ca_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{value} is not a file")
        return value

    @field_validator("sender_allowlist", "sender_denylist", mode="before")
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [item.strip().lower() for item in value.split(",") if item.strip()]
        if isinstance(value, list):
            return [str(item).strip().lower() for item in value if str(item).strip()]
        return value

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"{value!r} is not a logging level")
        return level

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_file()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'caseconsultant.db').resolve()}"

    @property
    def resolved_broker_url(self) -> str:
        return self.broker_url or "filesystem://localhost//"

    @property
    def broker_folder(self) -> Path:
        """Folder of the embedded filesystem broker."""
        return (self.data_dir / "broker").resolve()

    @property
    def resolved_imap_port(self) -> int:
        if self.imap_port is not None:
            return self.imap_port
        return 993 if self.imap_tls is TlsMode.SSL else 143

    @property
    def resolved_smtp_port(self) -> int:
        if self.smtp_port is not None:
            return self.smtp_port
        return {TlsMode.SSL: 465, TlsMode.STARTTLS: 587, TlsMode.NONE: 25}[self.smtp_tls]

    def require(self, *names: str) -> None:
        """Raise ConfigError naming every one of *names* that is unset."""
        missing = [ENV_PREFIX + name.upper() for name in names if not getattr(self, name)]
        if not missing:
            return
        if len(missing) == 1:
            message = f"missing setting: {missing[0]} (set it"
        else:
            listed = ", ".join(missing[:-1]) + " and " + missing[-1]
            message = f"missing settings: {listed} (set them"
        message += " in the environment or in caseconsultant.toml)"
        dev_settings = self.data_dir / "dev.toml"
        if not os.environ.get(ENV_PREFIX + "CONFIG_FILE") and dev_settings.is_file():
            # Written by a running `caseconsultant dev` for commands run beside it.
            message += (f"; to use the servers of the running dev, set "
                        f"CASECONSULTANT_CONFIG_FILE={dev_settings}")
        raise ConfigError(message)

    def mailbox_key(self) -> str:
        """Identity of the watched mailbox, stored on each message row (no password)."""
        self.require("imap_host", "imap_username")
        return f"{self.imap_username}@{self.imap_host}:{self.resolved_imap_port}/{self.imap_folder}"


_settings: Settings | None = None


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        name = ENV_PREFIX + "_".join(str(part) for part in item["loc"]).upper()
        # The value helps find the typo, except where it is a secret.
        shown = "" if "PASSWORD" in name else f" (got {item.get('input')!r})"
        parts.append(f"{name}: {item['msg']}{shown}")
    return "invalid setting: " + "; ".join(parts)


def get_settings(**overrides: Any) -> Settings:
    """Return the process-wide settings, reading them on first use."""
    global _settings
    if _settings is None or overrides:
        try:
            settings = Settings(**overrides)
        except ValidationError as error:
            raise ConfigError(_describe(error)) from None
        if overrides:
            return settings
        _settings = settings
    return _settings


def reset_settings() -> None:
    """Forget the cached settings so the next call reads the environment again."""
    global _settings
    _settings = None
