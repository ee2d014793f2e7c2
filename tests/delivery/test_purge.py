"""``caseconsultant purge``: finished cases past the retention period go, open work stays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from consultant.cli import main
from consultant.config import get_settings
from consultant.delivery.services import send_draft
from consultant.storage.base import utcnow
from consultant.storage.models import (
    Case,
    Draft,
    DraftEvent,
    DraftVersion,
    InboundMessage,
    OutboxEntry,
    QuarantineEntry,
)
from tests.conftest import append_message
from tests.intake.test_poller import question
from tests.steps.test_delivery import approved_draft
from workers.tasks import process_message


def _count(session: Session, model: type) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(model)) or 0


def _age_everything(session: Session, days: int) -> None:
    past = utcnow() - timedelta(days=days)
    session.execute(update(Draft).values(updated_at=past, created_at=past))
    session.execute(update(InboundMessage).values(received_at=past))
    session.commit()


def _pending_draft(session: Session, imap_server) -> None:  # type: ignore[no-untyped-def]
    from consultant.intake.poller import poll_mailbox

    append_message(imap_server, question(5))
    poll_mailbox(get_settings())
    row = session.scalars(select(InboundMessage).where(
        InboundMessage.message_id == "<q5@clinic.example.com>")).one()
    process_message(row.id)


def test_purge_deletes_old_sent_case(
    session: Session, imap_server, smtp_server, mail_settings
) -> None:
    draft = approved_draft(session, imap_server)
    assert send_draft(draft.id, get_settings())
    _pending_draft(session, imap_server)
    _age_everything(session, days=40)

    result = CliRunner().invoke(main, ["purge", "--older-than", "30"])

    assert result.exit_code == 0, result.output
    assert "deleted 1 drafts, 1 messages, 1 cases older than 30 days" in result.output
    assert "kept 1 older drafts that are still open" in result.output
    assert _count(session, OutboxEntry) == 0
    assert _count(session, Draft) == 1
    assert _count(session, InboundMessage) == 1
    assert _count(session, Case) == 1
    assert _count(session, DraftEvent) == 1


def test_purge_keeps_recent_cases(
    session: Session, imap_server, smtp_server, mail_settings
) -> None:
    draft = approved_draft(session, imap_server)
    assert send_draft(draft.id, get_settings())

    result = CliRunner().invoke(main, ["purge", "--older-than", "30"])

    assert result.exit_code == 0, result.output
    assert "deleted 0 drafts, 0 messages, 0 cases" in result.output
    assert _count(session, Draft) == 1


def test_purge_dry_run_deletes_nothing(
    session: Session, imap_server, smtp_server, mail_settings
) -> None:
    draft = approved_draft(session, imap_server)
    assert send_draft(draft.id, get_settings())
    _age_everything(session, days=40)

    result = CliRunner().invoke(main, ["purge", "--older-than", "30", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "would delete 1 drafts, 1 messages older than 30 days" in result.output
    one_day = CliRunner().invoke(main, ["purge", "--older-than", "1", "--dry-run"])
    assert "older than 1 day\n" in one_day.output
    assert _count(session, Draft) == 1


@pytest.mark.parametrize("days", ["0", "36501", "99999999999", "-5"])
def test_purge_rejects_days_out_of_range(days: str) -> None:
    result = CliRunner().invoke(main, ["purge", f"--older-than={days}"])

    assert result.exit_code == 2
    assert f"Invalid value for '--older-than': {days} is not in the range 1<=x<=36500" in (
        result.output)


def test_purge_accepts_100_years(session: Session) -> None:
    result = CliRunner().invoke(main, ["purge", "--older-than", "36500", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "would delete 0 drafts, 0 messages older than 36500 days" in result.output


def test_purge_deletes_old_quarantine_entries(session: Session) -> None:
    from consultant.intake.quarantine import quarantine_message, quarantine_raw
    from consultant.intake.services import store_message

    stored = store_message(session, b"Subject: no sender\r\nMessage-ID: <qq@example.com>\r\n\r\nx")
    message = session.get_one(InboundMessage, stored.message_row_id)
    quarantine_message(session, message, "draft", ValueError("no sender"))
    quarantine_raw(session, b"\xff unstorable", step="store", error=ValueError("bad"))
    session.commit()
    _age_everything(session, days=40)
    session.execute(update(QuarantineEntry).values(created_at=utcnow() - timedelta(days=40)))
    session.commit()

    result = CliRunner().invoke(main, ["purge", "--older-than", "30"])

    assert result.exit_code == 0, result.output
    assert _count(session, InboundMessage) == 0
    assert _count(session, QuarantineEntry) == 0
    assert _count(session, DraftVersion) == 0


def test_purge_reports_old_held_message(session: Session) -> None:
    from consultant.intake.quarantine import hold_message
    from consultant.intake.services import store_message

    stored = store_message(session, b"From: big@clinic.example.com\r\n"
                                    b"Message-ID: <held@clinic.example.com>\r\n\r\n27447?")
    message = session.get_one(InboundMessage, stored.message_row_id)
    hold_message(session, message, "over CASECONSULTANT_MAX_MESSAGE_BYTES")
    session.commit()
    _age_everything(session, days=40)

    dry_run = CliRunner().invoke(main, ["purge", "--older-than", "30", "--dry-run"])
    result = CliRunner().invoke(main, ["purge", "--older-than", "30"])

    assert dry_run.exit_code == 0, dry_run.output
    assert "kept 1 older messages held for an operator" in dry_run.output
    assert result.exit_code == 0, result.output
    assert "deleted 0 drafts, 0 messages" in result.output
    assert "kept 1 older messages held for an operator" in result.output
    assert "caseconsultant quarantine release ID" in result.output
    assert _count(session, InboundMessage) == 1
