"""The client address behind a reverse proxy, which sign-in failures are counted by."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest

from consultant.users.services import MAX_FAILURES_PER_CLIENT
from tests.web.conftest import PASSWORD, form_token

BLOCKED_CLIENT = "192.0.2.10"
OTHER_CLIENT = "192.0.2.20"


def _sign_in(client: httpx2.Client, username: str, password: str, forwarded_for: str) -> int:
    headers = {"X-Forwarded-For": forwarded_for}
    page = client.get("/login", headers=headers)
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": form_token(page.text)},
        headers=headers,
    )
    return response.status_code


def _fail_from(client: httpx2.Client, forwarded_for: str) -> None:
    # A different username each time, so only the per-client limit is reached.
    for attempt in range(MAX_FAILURES_PER_CLIENT):
        assert _sign_in(client, f"nobody{attempt}", "not the password", forwarded_for) == 401


@pytest.fixture
def plain_http(monkeypatch: pytest.MonkeyPatch) -> None:
    # The live server speaks plain HTTP, over which httpx sends no Secure cookie.
    monkeypatch.setenv("CASECONSULTANT_WEB_SECURE_COOKIES", "false")


@pytest.fixture
def trusted_loopback(monkeypatch: pytest.MonkeyPatch, plain_http: None) -> None:
    monkeypatch.setenv("CASECONSULTANT_WEB_TRUSTED_PROXIES", "127.0.0.1")


@pytest.fixture
def http(live_server: str) -> Iterator[httpx2.Client]:
    with httpx2.Client(base_url=live_server, follow_redirects=False, timeout=30) as client:
        yield client


def test_trusted_proxy_counts_forwarded_client(
    trusted_loopback: None, users, http: httpx2.Client
) -> None:
    _fail_from(http, BLOCKED_CLIENT)

    assert _sign_in(http, "rita", PASSWORD, BLOCKED_CLIENT) == 429
    assert _sign_in(http, "rita", PASSWORD, OTHER_CLIENT) == 303


def test_forwarded_header_ignored_without_trust(
    plain_http: None, users, http: httpx2.Client
) -> None:
    _fail_from(http, BLOCKED_CLIENT)

    # The header is not believed, so every attempt came from the loopback peer.
    assert _sign_in(http, "rita", PASSWORD, OTHER_CLIENT) == 429
