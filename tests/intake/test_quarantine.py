"""Quarantine: a failing message never stops the others, and an operator can re-run it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import consultant.intake.poller as poller
from consultant.cli import main
from consultant.cli.quarantine import shorten_at_word
from consultant.config import reset_settings
from consultant.intake.quarantine import quarantine_message
from consultant.intake.services import store_message
from consultant.storage.models import (
    InboundMessage,
    Mailbox,
    MessageState,
    QuarantineEntry,
)
from tests.conftest import append_message
from tests.intake.helpers import SentTasks, message_by_id, poll_and_process

POISON_MARK = b"X-Test-Poison: yes"


def question(number: int, extra: bytes = b"") -> bytes:
    return (
        f"From: coder{number}@clinic.example.com\r\nTo: coding-help@example.org\r\n"
        f"Subject: Question {number}\r\nMessage-ID: <poll-{number}@clinic.example.com>\r\n"
    ).encode() + extra + f"\r\nCan we bill 9921{number}?\r\n".encode()


@pytest.fixture
def poisoned_store(monkeypatch: pytest.MonkeyPatch) -> dict[str, bool]:
    """Make storing fail for messages carrying POISON_MARK while ``["active"]`` is true."""
    real_store = poller.store_message
    switch = {"active": True}

    def store(session: Session, raw: bytes, **kwargs: object):  # type: ignore[no-untyped-def]
        if switch["active"] and POISON_MARK in raw:
            raise RuntimeError("simulated storage failure")
        return real_store(session, raw, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(poller, "store_message", store)
    return switch


def _entries(session: Session) -> list[QuarantineEntry]:
    session.expire_all()
    return list(session.scalars(select(QuarantineEntry).order_by(QuarantineEntry.id)))


def test_poisoned_message_does_not_stop_fetch(
    session: Session, imap_server, mail_settings, sent_tasks: SentTasks,
    poisoned_store: dict[str, bool],
) -> None:
    append_message(imap_server, question(1))
    append_message(imap_server, question(2, POISON_MARK + b"\r\n"))
    append_message(imap_server, question(3))

    result = poll_and_process(sent_tasks)

    assert result.stored == 2
    assert result.quarantined == 1
    assert session.scalar(select(func.count()).select_from(InboundMessage)) == 2
    assert message_by_id(session, "<poll-3@clinic.example.com>").state is MessageState.DRAFTED
    assert session.scalars(select(Mailbox)).one().last_uid == 3
    entry = _entries(session)[0]
    assert entry.step == "store"
    assert entry.error == "RuntimeError: simulated storage failure"
    assert entry.uid == 2
    assert POISON_MARK in (entry.raw or b"")


def test_poisoned_message_quarantined_once_after_reset(
    session: Session, imap_server, mail_settings, sent_tasks: SentTasks,
    poisoned_store: dict[str, bool],
) -> None:
    append_message(imap_server, question(2, POISON_MARK + b"\r\n"))
    poll_and_process(sent_tasks)
    session.execute(Mailbox.__table__.update().values(uidvalidity=1))
    session.commit()

    poll_and_process(sent_tasks)

    entries = _entries(session)
    assert len(entries) == 1
    assert entries[0].attempts == 2


def test_retry_stores_and_drafts_quarantined_message(
    session: Session, imap_server, mail_settings, sent_tasks: SentTasks,
    poisoned_store: dict[str, bool],
) -> None:
    append_message(imap_server, question(2, POISON_MARK + b"\r\n"))
    poll_and_process(sent_tasks)
    entry_id = _entries(session)[0].id
    poisoned_store["active"] = False

    output = CliRunner().invoke(main, ["quarantine", "retry", str(entry_id)])

    assert output.exit_code == 0, output.output
    assert f"entry {entry_id}: retried" in output.output
    message = message_by_id(session, "<poll-2@clinic.example.com>")
    assert message.state is MessageState.DRAFTED
    entry = _entries(session)[0]
    assert entry.resolution == "retried"
    assert entry.inbound_message_id == message.id


def test_failing_draft_step_quarantines_only_that_message(
    session: Session, imap_server, mail_settings, sent_tasks: SentTasks,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import consultant.drafting.services as drafting

    real_compose = drafting.compose_reply

    def compose(session_, parsed, token, history=None):  # type: ignore[no-untyped-def]
        if "9212" in parsed.question:
            raise LookupError("simulated code lookup failure")
        return real_compose(session_, parsed, token, history)

    monkeypatch.setattr(drafting, "compose_reply", compose)
    for number in (1, 2, 3):
        append_message(imap_server, question(number))

    poll_and_process(sent_tasks)

    states = {number: message_by_id(session, f"<poll-{number}@clinic.example.com>").state
              for number in (1, 2, 3)}
    assert states == {1: MessageState.DRAFTED, 2: MessageState.QUARANTINED,
                      3: MessageState.DRAFTED}
    entry = _entries(session)[0]
    assert entry.step == "draft"
    assert entry.error == "LookupError: simulated code lookup failure"
    assert entry.raw is None
    assert POISON_MARK not in message_by_id(session, "<poll-2@clinic.example.com>").raw


def test_release_drafts_held_oversized_message(
    session: Session, imap_server, mail_settings, sent_tasks: SentTasks,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CASECONSULTANT_MAX_MESSAGE_BYTES", "2048")
    reset_settings()
    append_message(imap_server, question(4) + b"scan line\r\n" * 300)
    poll_and_process(sent_tasks)
    entry = _entries(session)[0]
    runner = CliRunner()

    listed = runner.invoke(main, ["quarantine", "list"])
    shown = runner.invoke(main, ["quarantine", "show", str(entry.id)])
    raw = runner.invoke(main, ["quarantine", "show", "--raw", str(entry.id)])
    released = runner.invoke(main, ["quarantine", "release", str(entry.id)])

    assert entry.step == "hold"
    assert f"{entry.id:>6}  hold" in listed.output
    assert '"state": "held"' in shown.output
    assert '"classification": "oversized"' in shown.output
    assert raw.stdout_bytes == message_by_id(session, "<poll-4@clinic.example.com>").raw
    assert f"entry {entry.id}: released" in released.output, released.output
    message = message_by_id(session, "<poll-4@clinic.example.com>")
    assert message.state is MessageState.DRAFTED
    assert message.classification_reasons[-1] == "released by an operator"


def test_retry_keeps_held_message_held(
    session: Session, imap_server, mail_settings, sent_tasks: SentTasks,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CASECONSULTANT_MAX_MESSAGE_BYTES", "2048")
    reset_settings()
    append_message(imap_server, question(4) + b"scan line\r\n" * 300)
    poll_and_process(sent_tasks)
    entry_id = _entries(session)[0].id

    output = CliRunner().invoke(main, ["quarantine", "retry", str(entry_id)])

    assert output.exit_code == 1
    assert "is still held at step hold after 2 attempts" in output.output
    assert "over CASECONSULTANT_MAX_MESSAGE_BYTES (2048)" in output.output
    assert f"run 'caseconsultant quarantine release {entry_id}'" in output.output
    entry = _entries(session)[0]
    assert entry.resolved_at is None
    assert entry.attempts == 2


def test_rerun_without_from_address_changes_nothing(
    session: Session, imap_server, mail_settings, sent_tasks: SentTasks,
    monkeypatch: pytest.MonkeyPatch, tmp_path,
) -> None:
    monkeypatch.setenv("CASECONSULTANT_MAX_MESSAGE_BYTES", "2048")
    reset_settings()
    append_message(imap_server, question(4) + b"scan line\r\n" * 300)
    append_message(imap_server, question(1))
    append_message(imap_server, question(1).replace(b"9211", b"9215"))
    poll_and_process(sent_tasks)
    duplicate, held = _entries(session)
    # The settings a command gets beside `caseconsultant dev` without its settings file.
    monkeypatch.delenv("CASECONSULTANT_FROM_ADDRESS")
    reset_settings()
    (tmp_path / "var").mkdir(exist_ok=True)
    (tmp_path / "var" / "dev.toml").write_text("# written by dev\n")
    runner = CliRunner()

    outputs = [runner.invoke(main, ["quarantine", command, str(entry.id)])
               for command in ("retry", "release") for entry in (held, duplicate)]

    for output in outputs:
        assert output.exit_code == 1, output.output
        assert "error: missing setting: CASECONSULTANT_FROM_ADDRESS" in output.output
        assert (f"set CASECONSULTANT_CONFIG_FILE={tmp_path / 'var' / 'dev.toml'}"
                in output.output)
    entries = _entries(session)
    assert [(entry.step, entry.attempts, entry.resolved_at) for entry in entries] == [
        ("duplicate", 1, None), ("hold", 1, None)]
    assert entries[0].inbound_message_id is None
    assert message_by_id(session, "<poll-4@clinic.example.com>").state is MessageState.HELD
    assert session.scalar(select(func.count()).select_from(InboundMessage)) == 2


def test_show_unknown_entry_fails_clearly(session: Session) -> None:
    output = CliRunner().invoke(main, ["quarantine", "show", "999"])

    assert output.exit_code == 1
    assert "quarantine entry 999 not found" in output.output


def test_reused_message_id_keeps_both_messages(
    session: Session, imap_server, mail_settings, sent_tasks: SentTasks
) -> None:
    append_message(imap_server, question(1))
    append_message(imap_server, question(1).replace(b"9211", b"9215"))

    result = poll_and_process(sent_tasks)

    assert result.stored == 1
    assert result.quarantined == 1
    entry = _entries(session)[0]
    assert entry.step == "duplicate"
    assert b"Can we bill 99215?" in (entry.raw or b"")

    output = CliRunner().invoke(main, ["quarantine", "retry", str(entry.id)])

    assert f"entry {entry.id}: retried" in output.output, output.output
    assert session.scalar(select(func.count()).select_from(InboundMessage)) == 2


def test_list_cuts_long_error_at_word(session: Session) -> None:
    raw = (b"To: coding-help@example.org\r\nSubject: No sender\r\n"
           b"Message-ID: <long-error@clinic.example.com>\r\n\r\nCan we bill 99213?\r\n")
    message = session.get_one(InboundMessage, store_message(session, raw).message_row_id)
    error = ValueError("the message has neither a From nor a Reply-To address")
    entry = quarantine_message(session, message, "draft", error)
    session.commit()

    listed = CliRunner().invoke(main, ["quarantine", "list"])
    shown = CliRunner().invoke(main, ["quarantine", "show", str(entry.id)])

    assert listed.exit_code == 0, listed.output
    line = listed.output.splitlines()[0]
    assert line.startswith(f"{entry.id:>6}  draft     quarantined")
    assert line.endswith("  ValueError: the message has neither a From nor a Reply-To…")
    assert '"error": "ValueError: the message has neither a From nor a Reply-To address"' in (
        shown.output)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("short reason", "short reason"),
        ("a" * 20, "a" * 20),
        ("a" * 21, "a" * 19 + "…"),
        ("one two three four five six", "one two three four…"),
        ("one two three, fourteen", "one two three…"),
        ("one\ntwo  three four five six", "one two three four…"),
        ("ab " + "x" * 30, "ab " + "x" * 16 + "…"),
        ("a" * 19 + " b", "a" * 19 + "…"),
    ],
)
def test_shorten_at_word_table(text: str, expected: str) -> None:
    shortened = shorten_at_word(text, 20)

    assert shortened == expected
    assert len(shortened) <= 20
