"""The Held mail page: Retry and Release, and the page that shows their outcome."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.config import get_settings
from consultant.drafting.services import draft_for_message
from consultant.intake.quarantine import hold_message
from consultant.storage.models import InboundMessage, MessageState, QuarantineEntry
from tests.web.conftest import question_bytes, sign_in
from tests.web.test_api import api_sign_in

REFRESH = '<meta http-equiv="refresh" content="3">'


def _quarantined(session: Session, raw: bytes) -> InboundMessage:
    """Store *raw* as a message that an earlier drafting attempt quarantined."""
    message = InboundMessage(message_id=f"<held-{len(raw)}@example.com>", raw=raw,
                             size=len(raw), sha256="0" * 64, state=MessageState.QUARANTINED,
                             error="draft: OperationalError: database unavailable")
    session.add(message)
    session.commit()
    return message


def _outcome(html: str) -> str:
    return html.partition('id="outcome"')[2].partition("</div>")[0]


def _run_worker_task(session: Session, message: InboundMessage) -> None:
    """Do what the worker's process_message task does with the retried message."""
    session.expire_all()
    draft_for_message(session, message.id, get_settings())
    session.commit()


def test_retry_opens_queued_outcome(client: TestClient, users, session: Session,
                                    sent_tasks) -> None:
    message = _quarantined(session, question_bytes())
    token = sign_in(client, "rita")

    retried = client.post(f"/held/{message.id}/retry", data={"csrf_token": token})
    page = client.get(f"/held/{message.id}")

    assert retried.status_code == 303
    assert retried.headers["location"] == f"/held/{message.id}"
    assert sent_tasks == [("process_message", (message.id,))]
    assert page.status_code == 200
    assert "Queued: a worker has not processed the message yet" in _outcome(page.text)
    assert f'<a href="/held/{message.id}">Reload now</a>' in page.text
    assert REFRESH in page.text
    assert "Retried by rita at " in page.text


def test_retry_outcome_drafted(client: TestClient, users, session: Session, web_env,
                               sent_tasks) -> None:
    message = _quarantined(session, question_bytes())
    token = sign_in(client, "rita")

    client.post(f"/held/{message.id}/retry", data={"csrf_token": token})
    _run_worker_task(session, message)
    page = client.get(f"/held/{message.id}")

    session.refresh(message)
    assert message.draft is not None
    outcome = _outcome(page.text)
    assert (f'Drafted: <a href="/drafts/{message.draft.id}">draft {message.draft.id}</a> '
            "(pending review)") in outcome
    assert REFRESH not in page.text


def test_retry_outcome_quarantined_again(client: TestClient, users, session: Session,
                                         web_env, sent_tasks,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def compose(*_args: object, **_kwargs: object) -> None:
        raise LookupError("simulated code lookup failure")

    monkeypatch.setattr("consultant.drafting.services.compose_reply", compose)
    message = _quarantined(session, question_bytes())
    token = sign_in(client, "rita")

    client.post(f"/held/{message.id}/retry", data={"csrf_token": token})
    _run_worker_task(session, message)
    page = client.get(f"/held/{message.id}")

    outcome = _outcome(page.text)
    assert "Still quarantined: draft: LookupError: simulated code lookup failure" in outcome
    assert f'action="/held/{message.id}/retry"' in outcome
    assert REFRESH not in page.text


NO_FROM = (b"To: coding-help@example.org\r\nSubject: Is 20610 right?\r\n"
           b"Message-ID: <nofrom@clinic.example.com>\r\n\r\nIs 20610 right for the knee?\r\n")


def _ignored_without_sender(session: Session) -> InboundMessage:
    """Store a question with no From or Reply-To and let the worker ignore it."""
    message = InboundMessage(message_id="<nofrom@clinic.example.com>", raw=NO_FROM,
                             size=len(NO_FROM), sha256="2" * 64)
    session.add(message)
    session.commit()
    _run_worker_task(session, message)
    return message


def test_no_reply_address_listed_as_held(client: TestClient, users, session: Session,
                                         web_env, sent_tasks) -> None:
    message = _ignored_without_sender(session)
    sign_in(client, "rita")

    listing = client.get("/held").text
    page = client.get(f"/held/{message.id}").text

    row = listing.partition(f'<a href="/held/{message.id}">')
    cells = row[0].rpartition("<tr>")[2] + row[2].partition("</tr>")[0]
    assert '<span class="state state-ignored">held</span>' in cells
    assert "no From or Reply-To address, so a reply has nowhere to go" in cells
    # A release could not give it a reply address, so no button offers one.
    assert "No reply address to answer" in cells
    assert f'action="/held/{message.id}/retry"' not in listing
    assert ">Release</button>" not in _outcome(page)


def test_release_without_reply_address_says_why(client: TestClient, users, session: Session,
                                                web_env, sent_tasks) -> None:
    message = _ignored_without_sender(session)
    token = sign_in(client, "rita")

    released = client.post(f"/held/{message.id}/retry", data={"csrf_token": token})
    session.expire_all()
    draft_for_message(session, message.id, get_settings(), release=True)
    session.commit()
    page = client.get(f"/held/{message.id}")
    api = client.get(f"/api/v1/held/{message.id}").json()

    assert released.status_code == 303
    assert sent_tasks == [("process_message", (message.id,))]
    outcome = _outcome(page.text)
    assert ("Held by intake: released by an operator, but not drafted, because it has no "
            "From or Reply-To address that a reply can be delivered to") in outcome
    assert "Still quarantined" not in outcome
    assert REFRESH not in page.text
    assert (api["state"], api["draft_id"]) == ("ignored", None)
    session.refresh(message)
    assert message.raw == NO_FROM
    assert session.scalars(select(QuarantineEntry)).all() == []


def test_release_outcome_page(client: TestClient, users, session: Session,
                              sent_tasks) -> None:
    message = InboundMessage(message_id="<bulk@example.com>", raw=question_bytes(), size=10,
                             sha256="0" * 64, state=MessageState.IGNORED,
                             classification_reasons=["Precedence: bulk"])
    session.add(message)
    session.commit()
    token = sign_in(client, "rita")

    released = client.post(f"/held/{message.id}/retry", data={"csrf_token": token})
    page = client.get(f"/held/{message.id}")

    assert released.headers["location"] == f"/held/{message.id}"
    assert "Released by rita at " in page.text
    assert "Queued" in _outcome(page.text)


def test_held_message_shows_its_text(client: TestClient, users, session: Session,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from consultant.review import held

    raw = question_bytes(subject="Out of office", body="I am away until Monday. " * 10)
    message = InboundMessage(message_id="<away@clinic.example.com>", raw=raw, size=len(raw),
                             sha256="0" * 64, state=MessageState.IGNORED,
                             sender="coder@clinic.example.com", subject="Out of office",
                             classification="auto_reply",
                             classification_reasons=["auto-reply subject"])
    session.add(message)
    session.commit()
    monkeypatch.setattr(held, "MAX_SHOWN_CHARACTERS", 100)
    sign_in(client, "rita")

    listing = client.get("/held").text
    page = client.get(f"/held/{message.id}").text

    assert f'<a href="/held/{message.id}">Out of office</a>' in listing
    assert "<dt>From</dt><dd>coder@clinic.example.com</dd>" in page
    assert "<dt>Subject</dt><dd>Out of office</dd>" in page
    assert "I am away until Monday." in page
    assert "The text goes on for 140 more characters." in page


def test_outcome_of_unknown_message(client: TestClient, users) -> None:
    sign_in(client, "rita")

    page = client.get("/held/999")

    assert page.status_code == 404
    assert "no inbound message with id 999" in page.text


def test_outcome_needs_sign_in(client: TestClient, session: Session) -> None:
    response = client.get("/held/1")

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fheld%2F1"


def _held_for_size(session: Session, raw: bytes) -> InboundMessage:
    """Store *raw* as a message that intake held as oversized, with its quarantine entry."""
    reason = f"{len(raw)} bytes, over CASECONSULTANT_MAX_MESSAGE_BYTES (100)"
    message = InboundMessage(message_id="<held-size@example.com>", raw=raw, size=len(raw),
                             sha256="1" * 64, classification="oversized",
                             classification_reasons=[reason])
    session.add(message)
    session.flush()
    hold_message(session, message, reason)
    session.commit()
    return message


def test_held_message_listed_and_released(client: TestClient, users, session: Session,
                                          web_env, sent_tasks) -> None:
    message = _held_for_size(session, question_bytes())
    token = sign_in(client, "rita")

    listing = client.get("/held").text
    client.post(f"/held/{message.id}/retry", data={"csrf_token": token})
    session.expire_all()
    draft_for_message(session, message.id, get_settings(), release=True)
    session.commit()
    page = client.get(f"/held/{message.id}")

    row = listing.partition(f'action="/held/{message.id}/retry"')
    assert row[1]
    assert "over CASECONSULTANT_MAX_MESSAGE_BYTES" in row[0].rpartition("<tr>")[2]
    assert f'<td class="num">{message.size:,} bytes</td>' in row[0]
    assert row[2].partition("</tr>")[0].count(">Release</button>") == 1
    assert sent_tasks == [("process_message", (message.id,))]
    session.refresh(message)
    assert message.state is MessageState.DRAFTED
    assert "Released by rita at " in page.text
    assert "Drafted: " in _outcome(page.text)
    entry = session.scalars(select(QuarantineEntry)
                            .where(QuarantineEntry.inbound_message_id == message.id)).one()
    assert entry.resolved_at is not None
    assert entry.resolution == "released"


def test_api_held_message_outcome(client: TestClient, users, session: Session, web_env,
                                  sent_tasks) -> None:
    message = _held_for_size(session, question_bytes())
    headers = api_sign_in(client, "rita")

    before = client.get(f"/api/v1/held/{message.id}").json()
    client.post(f"/api/v1/held/{message.id}/retry", headers=headers)
    queued = client.get(f"/api/v1/held/{message.id}").json()
    session.expire_all()
    draft_for_message(session, message.id, get_settings(), release=True)
    session.commit()
    after = client.get(f"/api/v1/held/{message.id}").json()
    missing = client.get("/api/v1/held/999999")

    assert before["state"] == "held"
    assert before["reasons"][0].endswith("over CASECONSULTANT_MAX_MESSAGE_BYTES (100)")
    assert (queued["state"], queued["draft_id"]) == ("received", None)
    session.refresh(message)
    assert (after["state"], after["draft_id"]) == ("drafted", message.draft.id)
    assert missing.status_code == 404
