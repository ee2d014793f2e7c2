"""The end of a session: the sign-in page says so and returns to the page afterwards."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from consultant.storage.base import utcnow
from consultant.storage.models import WebSession
from consultant.web.signin import safe_next_path
from tests.web.conftest import PASSWORD, form_token, sign_in


def _hidden(page: str, name: str) -> str | None:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)
    return html.unescape(match.group(1)) if match else None


def _end_sessions(session: Session) -> None:
    """Make every session idle for an hour, as after a long time spent writing."""
    session.execute(update(WebSession).values(last_seen_at=utcnow() - timedelta(hours=1)))
    session.commit()


def test_expired_page_returns_after_sign_in(client: TestClient, users, make_draft,
                                            session: Session) -> None:
    draft = make_draft()
    sign_in(client, "rita")
    _end_sessions(session)

    expired = client.get(f"/drafts/{draft.id}")
    login = client.get(expired.headers["location"])
    signed_in = client.post("/login", data={
        "csrf_token": form_token(login.text), "username": "rita", "password": PASSWORD,
        "next": _hidden(login.text, "next")})

    assert expired.status_code == 303
    assert expired.headers["location"] == f"/login?next=%2Fdrafts%2F{draft.id}&ended=1"
    assert "Your session has ended." in login.text
    assert _hidden(login.text, "next") == f"/drafts/{draft.id}"
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == f"/drafts/{draft.id}"


def test_sign_in_without_next_opens_queue(client: TestClient, users) -> None:
    login = client.get("/login")

    response = client.post("/login", data={"csrf_token": form_token(login.text),
                                           "username": "rita", "password": PASSWORD})

    assert "Your session has ended" not in login.text
    assert _hidden(login.text, "next") is None
    assert response.headers["location"] == "/queue"


NON_LOCAL_PATHS = [
    "https://evil.example/drafts/1",
    "//evil.example/drafts/1",
    "/\\evil.example",
    "\\\\evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    " /queue",
    "/queue\r\nSet-Cookie: a=b",
    "/queue\t",
    "/drafts/\u00e9",
    "queue",
    "/login",
    "/logout",
    "/" + "a" * 2000,
    "",
]


@pytest.mark.parametrize("value", NON_LOCAL_PATHS)
def test_sign_in_rejects_non_local_next(client: TestClient, users, value: str) -> None:
    login = client.get("/login", params={"next": value})

    response = client.post("/login", data={"csrf_token": form_token(login.text),
                                           "username": "rita", "password": PASSWORD,
                                           "next": value})

    assert _hidden(login.text, "next") is None
    assert response.status_code == 303
    assert response.headers["location"] == "/queue"


@pytest.mark.parametrize("value", ["/drafts/12", "/queue?state=approved&page=2", "/held/3",
                                   "/cases/4"])
def test_safe_next_path_keeps_local(value: str) -> None:
    assert safe_next_path(value) == value


def test_redirect_keeps_page_query(client: TestClient, users) -> None:
    response = client.get("/queue", params={"state": "approved", "page": "2"})

    assert response.headers["location"] == (
        f"/login?next={quote('/queue?state=approved&page=2', safe='')}")
