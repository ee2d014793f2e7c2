"""caseconsultant quarantine retry and release when the message stays quarantined."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.cli import main
from consultant.config import get_settings
from consultant.drafting.services import draft_for_message
from consultant.intake.services import store_message
from consultant.storage.models import QuarantineEntry


def _quarantined_entry(session: Session) -> QuarantineEntry:
    """Store and process a question without a sender address, which is quarantined."""
    raw = (b"To: coding-help@example.org\r\nSubject: No sender\r\n"
           b"Message-ID: <nosender@clinic.example.com>\r\n\r\nCan we bill 99213?\r\n")
    stored = store_message(session, raw)
    session.commit()
    draft_for_message(session, stored.message_row_id, get_settings())
    session.commit()
    entry = session.scalars(select(QuarantineEntry)).one()
    assert entry.step == "draft"
    return entry


@pytest.mark.parametrize("command", ["retry", "release"])
def test_rerun_still_quarantined_exits_1(runner: CliRunner, session: Session,
                                         service_address: None, command: str) -> None:
    entry = _quarantined_entry(session)

    result = runner.invoke(main, ["quarantine", command, str(entry.id)])

    assert result.exit_code == 1
    assert (f"entry {entry.id}: the message (row {entry.inbound_message_id}) is still "
            "quarantined at step draft after 2 attempts") in result.output
    assert "the message has neither a From nor a Reply-To address" in result.output
    assert f"then run 'caseconsultant quarantine {command} {entry.id}' again" in result.output
    assert f"'caseconsultant quarantine show {entry.id}'" in result.output
    session.expire_all()
    reloaded = session.get_one(QuarantineEntry, entry.id)
    assert reloaded.resolved_at is None
    assert reloaded.attempts == 2


def test_rerun_resolved_entry_is_rejected(runner: CliRunner, session: Session,
                                          service_address: None) -> None:
    entry = _quarantined_entry(session)
    entry.resolved_at = entry.created_at
    entry.resolution = "retried"
    session.commit()

    result = runner.invoke(main, ["quarantine", "retry", str(entry.id)])

    assert result.exit_code == 1
    assert f"quarantine entry {entry.id} is already resolved (retried)" in result.output
