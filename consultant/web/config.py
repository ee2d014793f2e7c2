"""Settings of the web queue, read from ``CASECONSULTANT_WEB_*`` environment variables."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebSettings(BaseSettings):
    """Session lifetimes, cookie flags and page sizes of the web queue."""

    model_config = SettingsConfigDict(env_prefix="CASECONSULTANT_WEB_", extra="ignore")

    session_idle_minutes: int = Field(30, ge=1, description="Sign out after this idle time")
    session_max_hours: int = Field(12, ge=1, description="Sign out this long after sign-in")
    # Chromium accepts Secure cookies from http://127.0.0.1 (the browser tests check it),
    # so this stays on in development too. Turn it off only for plain HTTP elsewhere.
    secure_cookies: bool = True
    per_page: int = Field(25, ge=1, le=200, description="Queue rows per page")
    # Queue ages past these are shown in amber and red.  The defaults are placeholders
    # until the service-level targets are agreed.
    due_after_hours: float = Field(4.0, gt=0, description="Age in hours shown as due")
    overdue_after_hours: float = Field(24.0, gt=0, description="Age in hours shown as overdue")
    trusted_proxies: str = Field(
        "",
        description="Comma-separated addresses or networks of reverse proxies whose "
        "X-Forwarded-For header names the client; empty trusts no proxy",
    )

    @property
    def idle_timeout(self) -> timedelta:
        return timedelta(minutes=self.session_idle_minutes)

    @property
    def max_lifetime(self) -> timedelta:
        return timedelta(hours=self.session_max_hours)

    @property
    def keepalive_seconds(self) -> int:
        """The shortest time between two keep-alive requests of a page while the user types.

        A third of the idle limit lets a user who keeps typing be seen more than once
        before the limit, even when one request is lost.
        """
        return self.session_idle_minutes * 60 // 3


@lru_cache(maxsize=1)
def get_web_settings() -> WebSettings:
    return WebSettings()
