"""Intake decisions on stored messages: loops, rate limit, sender lists, threading."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultant.cli.purge import purge
from consultant.config import Settings, get_settings
from consultant.drafting.services import draft_for_message, reply_subject
from consultant.intake.classify import NO_REPLY_ADDRESS, NO_REPLY_ADDRESS_REASON
from consultant.intake.services import store_message
from consultant.parsing import not_a_message_reason
from consultant.storage.base import utcnow
from consultant.storage.models import Case, Draft, InboundMessage, MessageState, QuarantineEntry

SERVICE = "coding-help@example.org"


def _settings(**overrides: object) -> Settings:
    return get_settings(from_address=SERVICE, **overrides)


def _mail(number: int, sender: str = "dana@clinic.example.com", subject: str = "Question",
          extra: str = "", body: str = "Can we bill 99213?") -> bytes:
    return (f"From: {sender}\r\nTo: {SERVICE}\r\nSubject: {subject}\r\n"
            f"Message-ID: <m{number}@clinic.example.com>\r\n{extra}\r\n{body}\r\n").encode()


def _process(session: Session, raw: bytes, settings: Settings | None = None) -> InboundMessage:
    stored = store_message(session, raw)
    session.commit()
    draft_for_message(session, stored.message_row_id, settings or _settings())
    session.commit()
    return session.get_one(InboundMessage, stored.message_row_id)


def test_rate_limit_holds_flood(session: Session) -> None:
    settings = _settings(sender_rate_limit=3)

    states = [_process(session, _mail(number), settings).state for number in range(5)]

    assert states == [MessageState.DRAFTED] * 3 + [MessageState.HELD] * 2
    assert session.scalar(select(func.count()).select_from(Draft)) == 3


def test_rate_limit_counts_messages_not_yet_processed(session: Session) -> None:
    settings = _settings(sender_rate_limit=3)
    # A flood stored by one poll, before any processing task has run.
    rows = [store_message(session, _mail(number)).message_row_id for number in range(5)]
    session.commit()

    for row in reversed(rows):
        draft_for_message(session, row, settings)
        session.commit()

    states = [session.get_one(InboundMessage, row).state for row in rows]
    assert states == [MessageState.DRAFTED] * 3 + [MessageState.HELD] * 2


def test_sender_stored_with_message(session: Session) -> None:
    stored = store_message(session, _mail(1, sender="Dana Coder <Dana@Clinic.example.com>"))
    broken = store_message(session, b"From: =?x-unknown?q?=00?=\r\n\r\nbody\r\n")

    stored_row = session.get_one(InboundMessage, stored.message_row_id)
    assert stored_row.sender == "Dana@Clinic.example.com"
    assert session.get_one(InboundMessage, broken.message_row_id).sender is None


def test_rate_limit_counts_each_sender_alone(session: Session) -> None:
    settings = _settings(sender_rate_limit=1)

    first = _process(session, _mail(1, sender="a@clinic.example.com"), settings)
    second = _process(session, _mail(2, sender="b@clinic.example.com"), settings)

    assert first.state is MessageState.DRAFTED
    assert second.state is MessageState.DRAFTED


def test_own_reply_by_message_id_is_loop(session: Session) -> None:
    question = _process(session, _mail(1))
    reply_id = question.draft.reply_message_id
    bounced_copy = (f"From: relay@example.net\r\nSubject: Re: Question\r\n"
                    f"Message-ID: {reply_id}\r\n\r\nUse 99213.\r\n").encode()

    looped = _process(session, bounced_copy)

    assert looped.state is MessageState.IGNORED
    assert looped.classification == "loop"
    assert looped.classification_reasons == ["Message-ID of one of our own replies"]


@pytest.mark.parametrize(
    ("allowlist", "sender", "expected"),
    [
        (["clinic.example.com"], "dana@clinic.example.com", MessageState.DRAFTED),
        (["clinic.example.com"], "eve@other.example.net", MessageState.IGNORED),
        (["eve@other.example.net"], "eve@other.example.net", MessageState.DRAFTED),
        ([], "eve@other.example.net", MessageState.DRAFTED),
    ],
)
def test_allowlist_decides(
    session: Session, allowlist: list[str], sender: str, expected: MessageState
) -> None:
    message = _process(session, _mail(1, sender=sender), _settings(sender_allowlist=allowlist))

    assert message.state is expected


def test_denylist_wins_over_allowlist(session: Session) -> None:
    settings = _settings(sender_allowlist=["clinic.example.com"],
                         sender_denylist=["dana@clinic.example.com"])

    message = _process(session, _mail(1), settings)

    assert message.classification == "denied"
    assert message.state is MessageState.IGNORED


def test_follow_up_to_our_reply_joins_case(session: Session) -> None:
    question = _process(session, _mail(1))
    reply = question.draft
    # A mail client keeps "Re: Question [Case ...]" when replying to our reply.
    follow_up = _mail(2, subject=reply.subject,
                      extra=f"In-Reply-To: {reply.reply_message_id}\r\n",
                      body="And 99214?\r\n\r\nOn Fri wrote:\r\n> Can we bill 99213?")

    joined = _process(session, follow_up)

    assert joined.case_id == question.case_id
    assert joined.thread_match == "in_reply_to"
    assert joined.draft.subject == reply.subject
    assert [code["code"] for code in joined.draft.codes] == ["99214"]


def test_stranger_in_reply_to_only_links(session: Session) -> None:
    question = _process(session, _mail(1))
    reply = question.draft
    stranger = _mail(2, sender="pat@elsewhere.example.net", subject=f"Re: {reply.subject}",
                     extra=f"In-Reply-To: {reply.reply_message_id}\r\n", body="What about 99215?")

    linked = _process(session, stranger)

    assert linked.case_id != question.case_id
    assert linked.related_case_id == question.case_id
    assert linked.thread_match == "linked_in_reply_to"
    case = session.get_one(Case, question.case_id)
    assert case.token not in linked.draft.subject
    assert "99213" not in linked.draft.body_text


def test_reply_subject_drops_other_case_tokens() -> None:
    assert reply_subject("About [Case 0A1B2C3D]", "11223344") == "Re: About [Case 11223344]"
    assert reply_subject("Re: X [Case 11223344]", "11223344") == "Re: X [Case 11223344]"


def test_processing_twice_makes_one_draft(session: Session) -> None:
    message = _process(session, _mail(1))

    draft_for_message(session, message.id, _settings())
    session.commit()

    assert session.scalar(select(func.count()).select_from(Draft)) == 1
    assert session.scalar(select(func.count()).select_from(Case)) == 1


def test_ignored_message_is_not_reprocessed(session: Session) -> None:
    auto = _process(session, _mail(1, extra="Auto-Submitted: auto-replied\r\n"))

    again = draft_for_message(session, auto.id, _settings())

    assert again is None
    assert auto.state is MessageState.IGNORED


def test_logs_carry_no_mail_content(session: Session, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    raw = _mail(1, subject="Private subject", body="Private body 99213?")

    _process(session, raw)
    _process(session, _mail(2, extra="Auto-Submitted: auto-replied\r\n"))
    _process(session, _mail(3, sender="", subject="No sender"))

    assert "dana@clinic.example.com" not in caplog.text
    assert "Private" not in caplog.text
    assert "No sender" not in caplog.text


@pytest.mark.parametrize(
    "raw",
    [b"", b"\x7fELF\x02\x01\x01\x00" + bytes(16), b"Can we bill 99213?\r\n",
     b"\r\nFrom: dana@clinic.example.com\r\n\r\n99213?\r\n"],
)
def test_non_message_kept_and_never_drafted(session: Session, raw: bytes) -> None:
    # ``caseconsultant parse`` rejects these bytes, and its error states this outcome.
    assert not_a_message_reason(raw) is not None

    message = _process(session, raw)

    assert message.raw == raw
    assert message.draft is None
    assert message.state is MessageState.IGNORED
    assert message.classification == NO_REPLY_ADDRESS


NO_REPLY_RELEASED = ("released by an operator, but not drafted, because it has no From or "
                     "Reply-To address that a reply can be delivered to")


def _without_from(number: int, header: str = "", extra: str = "") -> bytes:
    """Return a question whose From header is *header* (none when empty), without Reply-To."""
    from_line = f"From: {header}\r\n" if header else ""
    return (f"{from_line}To: {SERVICE}\r\nSubject: Knee injection\r\n"
            f"Message-ID: <nofrom{number}@clinic.example.com>\r\n{extra}\r\n"
            "Can we bill 20610 with 99213-25?\r\n").encode()


@pytest.mark.parametrize("header", ["", "undisclosed-recipients:;", "Dana Coder", "dana@"])
def test_no_reply_address_is_ignored(
    session: Session, caplog: pytest.LogCaptureFixture, header: str
) -> None:
    caplog.set_level("DEBUG")
    raw = _without_from(1, header)

    message = _process(session, raw)

    assert message.state is MessageState.IGNORED
    assert message.classification == NO_REPLY_ADDRESS
    assert message.classification_reasons == [NO_REPLY_ADDRESS_REASON]
    assert message.error is None
    assert message.draft is None
    assert message.raw == raw
    assert session.scalar(select(func.count()).select_from(QuarantineEntry)) == 0
    assert [record.message for record in caplog.records if record.levelno >= logging.WARNING] == []
    assert f"message_row={message.id} classified no_reply_address; no draft" in caplog.text
    assert "Knee injection" not in caplog.text
    assert "20610" not in caplog.text


def test_reply_to_alone_is_answered(session: Session) -> None:
    raw = _without_from(1, extra="Reply-To: Dana Coder <dana@clinic.example.com>\r\n")

    message = _process(session, raw)

    assert message.state is MessageState.DRAFTED
    assert message.draft.to_address == "dana@clinic.example.com"


@pytest.mark.parametrize(
    ("header", "kind"),
    [("Return-Path: <>", "dsn"), ("Auto-Submitted: auto-replied", "auto_reply"),
     ("Precedence: bulk", "bulk")],
)
def test_automatic_signs_win_over_no_reply_address(
    session: Session, header: str, kind: str
) -> None:
    message = _process(session, _without_from(1, extra=f"{header}\r\n"))

    assert message.state is MessageState.IGNORED
    assert message.classification == kind


def test_release_without_reply_address_explains(session: Session) -> None:
    message = _process(session, _without_from(1))

    draft = draft_for_message(session, message.id, _settings(), release=True)
    session.commit()

    assert draft is None
    assert message.state is MessageState.IGNORED
    assert message.classification == NO_REPLY_ADDRESS
    assert message.classification_reasons == [NO_REPLY_RELEASED]
    assert message.error is None
    assert session.scalar(select(func.count()).select_from(QuarantineEntry)) == 0


def test_release_of_denied_sender_without_address(session: Session) -> None:
    settings = _settings(sender_allowlist=["clinic.example.com"])
    message = _process(session, _without_from(1), settings)
    denied = message.classification

    draft_for_message(session, message.id, settings, release=True)
    session.commit()

    assert denied == "denied"
    assert message.state is MessageState.IGNORED
    assert message.classification == NO_REPLY_ADDRESS
    assert message.classification_reasons == ["sender is not on the allowlist",
                                              NO_REPLY_RELEASED]


def test_no_reply_address_purged_like_ignored_mail(session: Session) -> None:
    message = _process(session, _without_from(1))
    message.received_at = utcnow() - timedelta(days=40)
    session.commit()

    result = purge(session, utcnow() - timedelta(days=30))
    session.commit()

    assert result.messages == 1
    assert session.scalar(select(func.count()).select_from(InboundMessage)) == 0
