"""The process_message task: a message that cannot be drafted is ignored or quarantined.

Either way its raw bytes are kept, never lost.
"""

import logging

import pytest
from sqlalchemy.orm import Session

from consultant.config import reset_settings
from consultant.intake.classify import MALFORMED_REPLY_ADDRESS_REASON, NO_REPLY_ADDRESS_REASON
from consultant.intake.services import store_message
from consultant.storage.models import InboundMessage, MessageState
from workers.tasks import process_message

NO_SENDER = b"Subject: 99213?\r\nMessage-ID: <nosender@example.com>\r\n\r\nCan we bill 99213?\r\n"


@pytest.fixture(autouse=True)
def _service_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASECONSULTANT_FROM_ADDRESS", "coding-help@example.org")
    reset_settings()


def test_message_without_sender_is_ignored(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    stored = store_message(session, NO_SENDER)
    session.commit()

    with caplog.at_level(logging.INFO):
        assert process_message(stored.message_row_id) is None

    message = session.get_one(InboundMessage, stored.message_row_id)
    session.refresh(message)
    assert message.state is MessageState.IGNORED
    assert message.classification == "no_reply_address"
    assert message.error is None
    assert message.raw == NO_SENDER
    assert f"message_row={stored.message_row_id} classified no_reply_address" in caplog.text
    assert "quarantined" not in caplog.text
    assert "99213" not in caplog.text


def test_binary_garbage_is_stored_unchanged(session: Session) -> None:
    garbage = bytes(range(256)) * 4
    stored = store_message(session, garbage)
    session.commit()

    process_message(stored.message_row_id)

    message = session.get_one(InboundMessage, stored.message_row_id)
    session.refresh(message)
    assert message.raw == garbage
    # No From header can be read from it, so no reply can be sent.
    assert message.state is MessageState.IGNORED
    assert message.classification == "no_reply_address"


# "dana@" names no address at all, and "dana@localhost" one that no relay delivers to, so
# both are ignored as having no reply address, with their reasons.
@pytest.mark.parametrize(("sender", "reason"), [
    ("dana@", NO_REPLY_ADDRESS_REASON),
    ("<<broken@@example..com>", MALFORMED_REPLY_ADDRESS_REASON),
    ("dana@localhost", MALFORMED_REPLY_ADDRESS_REASON),
])
def test_malformed_sender_is_ignored(session: Session, sender: str, reason: str) -> None:
    raw = (f"From: {sender}\r\nSubject: 99213?\r\nMessage-ID: <bad-from@example.com>\r\n\r\n"
           "Can we bill 99213?\r\n").encode()
    stored = store_message(session, raw)
    session.commit()

    assert process_message(stored.message_row_id) is None

    message = session.get_one(InboundMessage, stored.message_row_id)
    session.refresh(message)
    assert message.raw == raw
    assert message.state is MessageState.IGNORED
    assert message.classification == "no_reply_address"
    assert message.classification_reasons == [reason]
