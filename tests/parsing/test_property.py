"""Property tests: the parser never raises, and storing never alters the raw bytes."""

from __future__ import annotations

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from consultant.config import get_settings
from consultant.drafting.services import draft_for_message
from consultant.intake.services import header_message_id, store_message
from consultant.parsing import not_a_message_reason, parse_message
from consultant.parsing.attachments import message_attachments
from consultant.parsing.htmltext import html_to_text
from consultant.storage.models import (
    Case,
    CaseEvent,
    Draft,
    DraftEvent,
    DraftVersion,
    InboundMessage,
    MessageState,
    QuarantineEntry,
)
from tests.corpus import EXPECTED, raw

FIXTURES = [raw(name) for name in sorted(EXPECTED)]

_HEADER_NAMES = st.sampled_from([
    "From", "Subject", "Message-ID", "In-Reply-To", "References", "Content-Type",
    "Content-Transfer-Encoding", "Content-Disposition", "Auto-Submitted", "Precedence",
    "List-Id", "Date", "Reply-To",
])
_HEADER_VALUES = st.one_of(
    st.text(max_size=80),
    st.sampled_from([
        "multipart/mixed; boundary=b", "multipart/alternative", "text/html; charset=x-bad",
        "message/rfc822", "application/ms-tnef", "base64", "quoted-printable", "x-odd",
        "=?utf-8?B?w6k=?= =?utf-8?Q?=C3?=", "=?bogus?X?zz?=", "attachment; filename*=utf-8''%FF",
        "<a@b>", "<<>>", "auto-replied", "multipart/report; report-type=delivery-status",
    ]),
)


@st.composite
def structured_messages(draw: st.DrawFn) -> bytes:
    headers = draw(st.lists(st.tuples(_HEADER_NAMES, _HEADER_VALUES), max_size=8))
    lines = [f"{name}: {value}" for name, value in headers]
    body = draw(st.one_of(
        st.binary(max_size=400),
        st.sampled_from([b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n",
                         b"--b\r\n\r\n--b\r\n", b"QUJD=RA=\r\n", b"<p>x<blockquote>y"]),
    ))
    head = "\r\n".join(lines).encode("utf-8", "surrogatepass")
    return head + b"\r\n\r\n" + body


@st.composite
def mutated_fixtures(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(FIXTURES)))
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(data)))
        end = draw(st.integers(start, min(len(data), start + 64)))
        data[start:end] = draw(st.binary(max_size=16))
    return bytes(data)


ANY_MESSAGE = st.one_of(st.binary(max_size=2000), structured_messages(), mutated_fixtures())


@settings(max_examples=300, deadline=None)
@given(ANY_MESSAGE)
def test_parse_never_raises(message: bytes) -> None:
    before = bytes(message)

    parsed = parse_message(message)

    assert message == before
    assert parsed.message_id.startswith("<")
    assert isinstance(parsed.question, str)
    assert isinstance(parsed.defects, list)


@settings(max_examples=300, deadline=None)
@given(ANY_MESSAGE)
def test_attachments_match_parsed_names(message: bytes) -> None:
    attachments = message_attachments(message)
    parsed = parse_message(message)

    # The attachments come first, then the inline images.
    assert [attachment.inline for attachment in attachments] == (
        [False] * len(parsed.attachments) + [True] * len(parsed.inline_parts))
    assert [attachment.label for attachment in attachments
            if not attachment.inline] == parsed.attachments
    assert [attachment.number for attachment in attachments] == list(
        range(1, len(attachments) + 1))


@settings(max_examples=300, deadline=None)
@given(ANY_MESSAGE)
def test_message_test_never_raises(message: bytes) -> None:
    reason = not_a_message_reason(message)

    assert reason is None or isinstance(reason, str)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=500))
def test_html_to_text_never_raises(markup: str) -> None:
    assert isinstance(html_to_text(markup), str)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(message=ANY_MESSAGE)
def test_store_keeps_raw_bytes(session: Session, message: bytes) -> None:
    try:
        stored = store_message(session, message)
        session.commit()
        session.expire_all()
        row = session.scalars(
            select(InboundMessage).where(InboundMessage.id == stored.message_row_id)
        ).one()

        assert stored.created
        assert row.raw == message
        assert row.message_id == header_message_id(message)
        assert row.size == len(message)
    finally:
        session.rollback()
        session.execute(delete(InboundMessage))
        session.commit()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(message=ANY_MESSAGE)
def test_processing_never_raises(session: Session, message: bytes) -> None:
    settings_ = get_settings(from_address="coding-help@example.org")
    try:
        stored = store_message(session, message)
        session.commit()

        draft_for_message(session, stored.message_row_id, settings_)
        session.commit()

        row = session.get_one(InboundMessage, stored.message_row_id)
        assert row.raw == message
        assert row.state is not MessageState.RECEIVED
    finally:
        session.rollback()
        for model in (DraftEvent, DraftVersion, CaseEvent, Draft, QuarantineEntry,
                      InboundMessage, Case):
            session.execute(delete(model))
        session.commit()


@pytest.mark.parametrize(
    "raw", [b"!:=?\x80?B??=", b"!:=?\x00?B??=", b"Subject: =?\xff\x00?Q?x?=\r\n\r\n"]
)
def test_encoded_word_with_broken_charset(raw: bytes) -> None:
    parsed = parse_message(raw)

    assert parsed.message_id.endswith("@no-message-id.invalid>")
