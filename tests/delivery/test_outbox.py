"""The outbox rules: what a retry, a crash or a deadline does to one reply, on real servers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from imapclient import IMAPClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from consultant.config import get_settings, reset_settings
from consultant.delivery import recovery
from consultant.delivery.mailbox import append_sent
from consultant.delivery.services import retry_delay, send_draft
from consultant.devserver.imap import free_port
from consultant.devserver.smtp import start_smtp_server
from consultant.errors import TemporaryDeliveryError
from consultant.storage.base import utcnow
from consultant.storage.models import Draft, DraftState, OutboxEntry, OutboxState
from tests.steps.test_delivery import approved_draft


def _set_env(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name, value in values.items():
        monkeypatch.setenv(f"CASECONSULTANT_{name.upper()}", value)
    reset_settings()


def _age_attempt(session: Session, draft_id: int, state: OutboxState, seconds: float) -> None:
    """Leave the draft as a worker killed mid-send would: ``sending``, outbox in *state*."""
    past = utcnow() - timedelta(seconds=seconds)
    session.execute(update(Draft).where(Draft.id == draft_id).values(state=DraftState.SENDING))
    session.execute(update(OutboxEntry).where(OutboxEntry.draft_id == draft_id)
                    .values(state=state, last_attempt_at=past))
    session.commit()


class DroppingHandler:
    """Takes the whole message, then drops the connection instead of replying."""

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001
        server.transport.abort()
        return "250 never seen by the client"


def test_retry_delay_doubles_up_to_maximum(monkeypatch: pytest.MonkeyPatch) -> None:
    _set_env(monkeypatch, send_retry_base="10", send_retry_max="60")
    settings = get_settings()

    delays = [retry_delay(failures, settings) for failures in range(1, 6)]

    for expected, delay in zip([10, 20, 40, 60, 60], delays, strict=True):
        assert expected * 0.9 <= delay <= expected * 1.1


def test_retry_not_due_is_skipped(
    session: Session, imap_server, mail_settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = approved_draft(session, imap_server)
    _set_env(monkeypatch, smtp_port=str(free_port()), send_retry_base="300")

    with pytest.raises(TemporaryDeliveryError) as raised:
        send_draft(draft.id, get_settings())
    again = send_draft(draft.id, get_settings())

    assert 270 <= raised.value.retry_in <= 330  # type: ignore[attr-defined]
    assert again is False
    entry = session.query(OutboxEntry).one()
    assert entry.attempts == 1
    assert entry.temporary_failures == 1


def test_deadline_fails_draft(
    session: Session, imap_server, mail_settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = approved_draft(session, imap_server)
    _set_env(monkeypatch, smtp_port=str(free_port()), send_retry_base="30", send_deadline="10")

    assert send_draft(draft.id, get_settings()) is False

    session.refresh(draft)
    assert draft.state is DraftState.FAILED
    assert draft.failure_reason is not None
    assert draft.failure_reason.startswith("gave up after 1 temporary failures")
    assert "could not reach the SMTP server" in draft.failure_reason


def test_dropped_connection_after_data_is_unknown(
    session: Session, imap_server, mail_settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = approved_draft(session, imap_server)
    controller = start_smtp_server(DroppingHandler())
    _set_env(monkeypatch, smtp_port=str(controller.port))
    try:
        assert send_draft(draft.id, get_settings()) is False
    finally:
        controller.stop()

    session.refresh(draft)
    assert draft.state is DraftState.FAILED
    assert (draft.failure_reason or "").startswith("outcome unknown")
    assert session.query(OutboxEntry).one().state is OutboxState.UNKNOWN


def test_recovery_resends_attempt_without_data(
    session: Session, imap_server, smtp_server, mail_settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = approved_draft(session, imap_server)
    _set_env(monkeypatch, smtp_port="1")
    with pytest.raises(TemporaryDeliveryError):
        send_draft(draft.id, get_settings())
    _age_attempt(session, draft.id, OutboxState.PREPARED, seconds=3600)
    _set_env(monkeypatch, smtp_port=str(smtp_server.port), stuck_after="60")

    swept = recovery.sweep(get_settings())
    session.execute(update(OutboxEntry).values(next_attempt_at=None))
    session.commit()
    sent = send_draft(draft.id, get_settings())

    assert swept.sends_restarted == 1
    assert sent is True
    assert len(smtp_server.received) == 1


def test_recovery_marks_attempt_with_data_unknown(
    session: Session, imap_server, smtp_server, mail_settings
) -> None:
    draft = approved_draft(session, imap_server)
    assert send_draft(draft.id, get_settings())
    _age_attempt(session, draft.id, OutboxState.TRANSMITTING, seconds=3600)

    swept = recovery.sweep(get_settings())

    session.refresh(draft)
    assert swept.sends_unknown == 1
    assert draft.state is DraftState.FAILED
    assert (draft.failure_reason or "").startswith("outcome unknown")
    assert send_draft(draft.id, get_settings()) is False
    assert len(smtp_server.received) == 1


def test_recovery_leaves_recent_attempt_alone(
    session: Session, imap_server, smtp_server, mail_settings
) -> None:
    draft = approved_draft(session, imap_server)
    assert send_draft(draft.id, get_settings())
    _age_attempt(session, draft.id, OutboxState.TRANSMITTING, seconds=1)

    swept = recovery.sweep(get_settings())

    session.refresh(draft)
    assert swept.sends_unknown == 0
    assert draft.state is DraftState.SENDING


def test_sent_copy_is_appended_once(
    session: Session, imap_server, smtp_server, mail_settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = approved_draft(session, imap_server)
    _set_env(monkeypatch, sent_folder="Sent")
    assert send_draft(draft.id, get_settings())

    first = append_sent(draft.id, get_settings())
    session.execute(update(OutboxEntry).values(sent_folder_appended=False))
    session.commit()
    second = append_sent(draft.id, get_settings())

    with IMAPClient(imap_server.host, port=imap_server.port, ssl=False) as client:
        client.login(imap_server.username, imap_server.password)
        client.select_folder("Sent", readonly=True)
        copies = client.search(["HEADER", "Message-ID", draft.reply_message_id])
        flags = client.get_flags(copies)
    assert first is True
    assert second is False
    assert len(copies) == 1
    assert b"\\Seen" in flags[copies[0]]


def test_no_sent_folder_means_no_copy(
    session: Session, imap_server, smtp_server, mail_settings
) -> None:
    draft = approved_draft(session, imap_server)
    assert send_draft(draft.id, get_settings())

    assert append_sent(draft.id, get_settings()) is False


def test_late_acceptance_after_unknown_is_sent(
    session: Session, imap_server, smtp_server, mail_settings
) -> None:
    from consultant.delivery import services as delivery

    draft = approved_draft(session, imap_server)
    attempt = delivery._begin_attempt(draft.id, get_settings())
    assert attempt is not None
    assert delivery._mark_transmitting(attempt)
    _age_attempt(session, draft.id, OutboxState.TRANSMITTING, seconds=3600)
    assert recovery.sweep(get_settings()).sends_unknown == 1

    delivery._mark_accepted(attempt, "250 OK")
    delivery._record_sent(attempt, get_settings())

    session.refresh(draft)
    assert draft.state is DraftState.SENT
    assert session.query(OutboxEntry).one().state is OutboxState.ACCEPTED
    assert [event.to_state for event in draft.events][-2:] == ["failed", "sent"]


def test_recovery_completes_accepted_send(
    session: Session, imap_server, smtp_server, mail_settings
) -> None:
    from consultant.delivery import services as delivery

    draft = approved_draft(session, imap_server)
    attempt = delivery._begin_attempt(draft.id, get_settings())
    assert attempt is not None
    delivery._mark_accepted(attempt, "250 OK")
    _age_attempt(session, draft.id, OutboxState.ACCEPTED, seconds=3600)

    swept = recovery.sweep(get_settings())

    session.refresh(draft)
    assert swept.sends_completed == 1
    assert draft.state is DraftState.SENT
    assert draft.sent_at is not None
