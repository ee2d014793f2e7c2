"""caseconsultant quarantine retry and release when the message stays quarantined or is ignored."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.cli import main
from consultant.config import get_settings
from consultant.drafting.services import draft_for_message
from consultant.intake.quarantine import quarantine_message
from consultant.intake.services import store_message
from consultant.storage.models import InboundMessage, MessageState, QuarantineEntry


@pytest.fixture
def failing_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the draft step fail for every message, as a broken code lookup would."""

    def compose(*_args: object, **_kwargs: object) -> None:
        raise LookupError("simulated code lookup failure")

    monkeypatch.setattr("consultant.drafting.services.compose_reply", compose)


def _quarantined_entry(session: Session) -> QuarantineEntry:
    """Store and process a question while the draft step fails, which quarantines it."""
    raw = (b"From: dana@clinic.example.com\r\nTo: coding-help@example.org\r\n"
           b"Subject: Knee\r\nMessage-ID: <lookup-fails@clinic.example.com>\r\n\r\n"
           b"Can we bill 99213?\r\n")
    stored = store_message(session, raw)
    session.commit()
    draft_for_message(session, stored.message_row_id, get_settings())
    session.commit()
    entry = session.scalars(select(QuarantineEntry)).one()
    assert entry.step == "draft"
    return entry


@pytest.mark.parametrize("command", ["retry", "release"])
def test_rerun_still_quarantined_exits_1(runner: CliRunner, session: Session,
                                         service_address: None, failing_lookup: None,
                                         command: str) -> None:
    entry = _quarantined_entry(session)

    result = runner.invoke(main, ["quarantine", command, str(entry.id)])

    assert result.exit_code == 1
    assert (f"entry {entry.id}: the message (row {entry.inbound_message_id}) is still "
            "quarantined at step draft after 2 attempts") in result.output
    assert "LookupError: simulated code lookup failure" in result.output
    assert f"then run 'caseconsultant quarantine {command} {entry.id}' again" in result.output
    assert f"'caseconsultant quarantine show {entry.id}'" in result.output
    session.expire_all()
    reloaded = session.get_one(QuarantineEntry, entry.id)
    assert reloaded.resolved_at is None
    assert reloaded.attempts == 2


def test_rerun_resolved_entry_is_rejected(runner: CliRunner, session: Session,
                                          service_address: None, failing_lookup: None) -> None:
    entry = _quarantined_entry(session)
    entry.resolved_at = entry.created_at
    entry.resolution = "retried"
    session.commit()

    result = runner.invoke(main, ["quarantine", "retry", str(entry.id)])

    assert result.exit_code == 1
    assert f"quarantine entry {entry.id} is already resolved (retried)" in result.output


NO_FROM = (b"To: coding-help@example.org\r\nSubject: No sender\r\n"
           b"Message-ID: <nosender@clinic.example.com>\r\n\r\nCan we bill 99213?\r\n")


def _entry_without_reply_address(session: Session) -> QuarantineEntry:
    """Store a message without From or Reply-To as quarantined at the draft step.

    Intake now ignores such mail, but entries that earlier versions made stay open.
    """
    stored = store_message(session, NO_FROM)
    message = session.get_one(InboundMessage, stored.message_row_id)
    entry = quarantine_message(session, message, "draft", ValueError(
        "the message has neither a From nor a Reply-To address"))
    session.commit()
    return entry


@pytest.mark.parametrize(
    ("command", "reason"),
    [("retry", "no From or Reply-To address, so a reply has nowhere to go"),
     ("release", "released by an operator, but not drafted, because it has no From or "
                 "Reply-To address that a reply can be delivered to")],
)
def test_rerun_without_reply_address_resolves(runner: CliRunner, session: Session,
                                              service_address: None, command: str,
                                              reason: str) -> None:
    entry = _entry_without_reply_address(session)

    result = runner.invoke(main, ["quarantine", command, str(entry.id)])
    listed = runner.invoke(main, ["quarantine", "list"])

    assert result.exit_code == 0, result.output
    assert (f"entry {entry.id}: resolved without a draft, because intake now ignores the "
            f"message (row {entry.inbound_message_id}): {reason}.") in result.output
    assert "'caseconsultant purge' deletes it" in result.output
    assert "fix the cause" not in result.output
    assert listed.output.splitlines() == [
        "no open quarantine entries",
        "1 ignored messages (auto-replies, bounces, bulk mail, denied senders, mail without a "
        "reply address) have no entry; the Held mail page of the web queue lists and releases "
        "them",
    ]
    session.expire_all()
    reloaded = session.get_one(QuarantineEntry, entry.id)
    assert reloaded.resolution == "ignored"
    assert reloaded.resolved_at is not None
    message = session.get_one(InboundMessage, entry.inbound_message_id)
    assert message.state is MessageState.IGNORED
    assert message.draft is None
    assert message.raw == NO_FROM


def test_list_empty_without_ignored_mail(runner: CliRunner, session: Session) -> None:
    listed = runner.invoke(main, ["quarantine", "list"])
    listed_all = runner.invoke(main, ["quarantine", "list", "--all"])

    assert listed.exit_code == 0, listed.output
    assert listed.output == "no open quarantine entries\n"
    assert listed_all.output == "no quarantine entries\n"
