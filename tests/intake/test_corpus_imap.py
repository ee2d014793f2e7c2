"""The fixture corpus through the real IMAP path: APPEND to pymap, poll, process.

One run per database delivers every fixture, checks each one's stored outcome,
then fetches the mailbox again, after a UIDVALIDITY change and from a second
folder, and checks that no message gets a second row or case.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import Session

from consultant.config import get_settings, reset_settings
from consultant.intake.poller import poll_mailbox
from consultant.parsing import stand_in_message_id
from consultant.storage.models import Case, InboundMessage, Mailbox
from tests.conftest import append_message
from tests.corpus import (
    CORPUS_DENYLIST,
    CORPUS_MAX_MESSAGE_BYTES,
    EXPECTED,
    FIRST_CASE_TOKEN,
    STAND_IN,
    Expected,
    raw,
)
from tests.intake.helpers import SentTasks, message_by_id


def _message_id(name: str) -> str:
    return EXPECTED[name].message_id or f"<fixture-{name[:2]}@clinic.example.com>"


def _find(session: Session, name: str) -> InboundMessage:
    if EXPECTED[name].message_id != STAND_IN:
        return message_by_id(session, _message_id(name))
    # The IMAP server may rewrite line endings, so the stand-in is checked against
    # the bytes as stored, not the file.
    subject = EXPECTED[name].subject.encode()
    for message in session.scalars(select(InboundMessage)):
        if b"Subject: " + subject in message.raw:
            assert message.message_id == stand_in_message_id(message.raw)
            return message
    raise NoResultFound(name)


@pytest.fixture
def corpus_settings(monkeypatch: pytest.MonkeyPatch, mail_settings: None) -> None:
    monkeypatch.setenv("CASECONSULTANT_MAX_MESSAGE_BYTES", str(CORPUS_MAX_MESSAGE_BYTES))
    monkeypatch.setenv("CASECONSULTANT_SENDER_DENYLIST", CORPUS_DENYLIST)
    # The corpus sends most fixtures from one address; the rate limit has its own test.
    monkeypatch.setenv("CASECONSULTANT_SENDER_RATE_LIMIT", "1000")
    reset_settings()


def _process_in_order(session: Session, sent: SentTasks) -> None:
    from workers.tasks import process_message

    first = _message_id("01-plain-question.eml")
    for row_id in sent.ids("process_message"):
        process_message(row_id)
        message = session.get_one(InboundMessage, row_id)
        session.refresh(message)
        if message.message_id == first:
            # A fixed token lets the subject-token fixtures point at this case.
            session.execute(update(Case).where(Case.id == message.case_id)
                            .values(token=FIRST_CASE_TOKEN))
            session.commit()


def _check(session: Session, name: str, expected: Expected) -> list[str]:
    """Return what differs from the expected outcome of fixture *name*."""
    try:
        message = _find(session, name)
    except NoResultFound:
        return ["no row with the expected Message-ID"]
    problems = []
    if message.state.value != expected.state:
        problems.append(f"state {message.state.value} (error {message.error})")
    if message.classification != expected.kind:
        problems.append(f"classification {message.classification}")
    reasons = [reason.format(size=message.size) for reason in expected.reasons]
    if reasons and message.classification_reasons != reasons:
        problems.append(f"reasons {message.classification_reasons}")
    if message.subject != expected.subject:
        problems.append(f"subject {message.subject!r}")
    draft = message.draft
    if expected.state == "drafted":
        codes = frozenset(code["code"] for code in draft.codes) if draft else None
        if codes != expected.codes:
            problems.append(f"draft codes {codes}")
    elif draft is not None:
        problems.append("a draft was made")
    problems += _check_thread(session, message, expected)
    return problems


def _check_thread(session: Session, message: InboundMessage, expected: Expected) -> list[str]:
    problems = []
    if expected.joins:
        joined = message_by_id(session, _message_id(expected.joins))
        if message.case_id != joined.case_id:
            problems.append(f"case {message.case_id}, expected {joined.case_id}")
        note = message.draft.events[0].note if message.draft else ""
        if "earlier entries in the case" not in (note or ""):
            problems.append(f"draft did not see the earlier exchange: {note!r}")
    elif expected.links:
        linked = message_by_id(session, _message_id(expected.links))
        if message.related_case_id != linked.case_id or message.case_id == linked.case_id:
            problems.append(f"case {message.case_id} related {message.related_case_id}")
        if message.draft and FIRST_CASE_TOKEN in message.draft.subject:
            problems.append("the reply subject discloses the linked case token")
    elif expected.state == "drafted" and message.related_case_id is not None:
        problems.append("linked to a case")
    return problems


def test_corpus_through_imap(
    session: Session, imap_server, corpus_settings: None, sent_tasks: SentTasks
) -> None:
    for name in sorted(EXPECTED):
        append_message(imap_server, raw(name))

    result = poll_mailbox(get_settings())
    _process_in_order(session, sent_tasks)

    assert result.stored == len(EXPECTED)
    assert result.quarantined == 0
    problems = {name: _check(session, name, expected) for name, expected in EXPECTED.items()}
    assert {name: found for name, found in problems.items() if found} == {}

    _assert_refetch_adds_nothing(session, imap_server, sent_tasks)


def _case_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Case)) or 0


def _assert_refetch_adds_nothing(session: Session, imap_server, sent: SentTasks) -> None:
    rows, cases, tasks = len(EXPECTED), _case_count(session), len(sent)

    again = poll_mailbox(get_settings())
    session.execute(update(Mailbox).values(uidvalidity=1))
    session.commit()
    reset = poll_mailbox(get_settings())

    assert again.fetched == 0
    assert reset.resynced
    assert reset.duplicates == rows
    assert reset.stored == 0
    assert session.scalar(select(func.count()).select_from(InboundMessage)) == rows
    assert _case_count(session) == cases
    assert len(sent) == tasks
