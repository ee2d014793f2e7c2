"""Fixtures of the web tests: users, drafts made by the real drafting path, and a client."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from itertools import count

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from consultant.config import get_settings, reset_settings
from consultant.drafting.services import draft_for_message
from consultant.storage.base import utcnow
from consultant.storage.models import Draft, InboundMessage, Mailbox, MessageState, User
from consultant.web.app import create_app
from consultant.web.config import get_web_settings
from tests.conftest import ACCOUNT_PASSWORD, add_test_accounts

# One definition of the browser fixtures for every module, so one Chromium serves the run.
from tests.web.browser import browser, page  # noqa: F401

PASSWORD = ACCOUNT_PASSWORD
_numbers = count(1)


def question_bytes(subject: str = "Can we bill 99213-25 with 20610?",
                   sender: str = "coder@clinic.example.com",
                   body: str = "Can we bill 99213-25 with 20610 on the same day? Dx M17.11",
                   extra_headers: str = "", html: str | None = None) -> bytes:
    """Return a synthetic question email; *html* adds a text/html alternative."""
    number = next(_numbers)
    headers = (f"From: {sender}\r\nTo: coding-help@example.org\r\nSubject: {subject}\r\n"
               f"Message-ID: <q{number}.{id(body)}@clinic.example.com>\r\n{extra_headers}")
    if html is None:
        return (headers + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body).encode()
    return (headers + 'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="b"\r\n'
            "\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body +
            "\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html + "\r\n--b--\r\n"
            ).encode()


@pytest.fixture
def web_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CASECONSULTANT_FROM_ADDRESS", "coding-help@example.org")
    reset_settings()
    get_web_settings.cache_clear()
    yield
    get_web_settings.cache_clear()


@pytest.fixture
def make_draft(session: Session, web_env: None, sent_tasks: list) -> Callable[..., Draft]:
    """Store a question and draft its reply with the real drafting code; return the draft."""

    def make(raw: bytes | None = None, **question: str) -> Draft:
        raw = raw or question_bytes(**question)
        message = InboundMessage(message_id=f"<m{next(_numbers)}@example.com>", raw=raw,
                                 size=len(raw), sha256="0" * 64)
        session.add(message)
        session.flush()
        draft = draft_for_message(session, message.id, get_settings())
        assert draft is not None
        session.commit()
        return draft

    return make


@pytest.fixture
def make_follow_up(make_draft: Callable[..., Draft]) -> Callable[..., Draft]:
    """Draft the reply to a follow-up that answers the reply of *first*, in *first*'s case."""

    def make(first: Draft, body: str = "And may we add 99213-25 on the same day?") -> Draft:
        follow_up = make_draft(raw=question_bytes(
            subject=f"Re: {first.subject}", body=body,
            extra_headers=f"In-Reply-To: {first.reply_message_id}\r\n"
                          f"References: {first.reply_message_id}\r\n"))
        assert follow_up.case_id == first.case_id
        return follow_up

    return make


@pytest.fixture
def users(session: Session) -> dict[str, User]:
    """Two reviewers and an admin, all with PASSWORD."""
    return add_test_accounts(session)


@pytest.fixture
def client(web_env: None, sent_tasks: list) -> Iterator[TestClient]:
    # https, because the session cookie is Secure and httpx sends it only over https.
    app = create_app()
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as test_client:
        yield test_client


def form_token(html: str) -> str:
    """Return the first CSRF token found in a page's forms."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign *client* in through the form; return the session's CSRF token."""
    login = client.get("/login")
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": form_token(login.text)})
    assert response.status_code == 303, response.text
    return form_token(client.get("/queue").text)


@pytest.fixture
def live_server(db_url: str, web_env: None) -> Iterator[str]:
    """Serve the app with uvicorn on a free loopback port in a thread; yield its base URL."""
    import socket

    from consultant.web.server import start_in_thread

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    running = start_in_thread("127.0.0.1", port)
    yield running.url
    running.stop()


@pytest.fixture
def mailbox_rows(session: Session, monkeypatch: pytest.MonkeyPatch,
                 web_env: None) -> dict[str, Mailbox]:
    """The mailbox the IMAP settings name, with two messages, and an older unconfigured one."""
    monkeypatch.setenv("CASECONSULTANT_IMAP_HOST", "127.0.0.1")
    monkeypatch.setenv("CASECONSULTANT_IMAP_USERNAME", "coding-help")
    reset_settings()
    configured = Mailbox(key=get_settings().mailbox_key(), uidvalidity=1700000001, last_uid=42,
                         last_polled_at=utcnow(), lease_owner="a1b2c3d4e5f6",
                         lease_until=utcnow())
    retired = Mailbox(key="old-desk@127.0.0.1:993/INBOX", uidvalidity=7, last_uid=3)
    session.add_all([configured, retired])
    session.flush()
    for number, state in enumerate([MessageState.DRAFTED, MessageState.QUARANTINED]):
        raw = f"Subject: admin test {number}\r\n\r\nbody\r\n".encode()
        session.add(InboundMessage(mailbox_id=configured.id, uidvalidity=1700000001,
                                   uid=number + 1, message_id=f"<box{number}@example.com>",
                                   raw=raw, size=len(raw), sha256="0" * 64, state=state))
    session.commit()
    return {"configured": configured, "retired": retired}
