"""Messages that produced no draft: quarantined after an error, or held by intake.

Intake ignores auto-replies, bulk mail and listed senders, and keeps oversized and
rate-limited messages for an operator. Retrying puts a message back to ``received`` and
enqueues ``process_message`` after the commit. A quarantined message goes through every
check again, as if it had just arrived. An ignored or held message is released: intake
would stop it again for the same reason, so it is drafted with the holds lifted.
"""

from __future__ import annotations

import logging

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consultant.errors import InvalidTransition, NotFound
from consultant.parsing import parse_message
from consultant.queue import enqueue
from consultant.storage.ids import equals_id, get_by_id
from consultant.storage.models import CaseEvent, InboundMessage, MessageState, User

log = logging.getLogger(__name__)

HELD_STATES = (MessageState.QUARANTINED, MessageState.IGNORED, MessageState.HELD)
# States whose messages are released, with the holds of intake lifted, instead of retried.
RELEASED_STATES = (MessageState.IGNORED, MessageState.HELD)


def held_messages(session: Session, limit: int = 200) -> list[InboundMessage]:
    """Return quarantined, ignored and held messages, newest first."""
    return list(session.scalars(
        select(InboundMessage).where(InboundMessage.state.in_(HELD_STATES))
        .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc()).limit(limit)
    ))


def get_message(session: Session, message_row_id: int) -> InboundMessage:
    """Return the inbound message *message_row_id*; raise NotFound without it."""
    message = get_by_id(session, InboundMessage, message_row_id)
    if message is None:
        raise NotFound(f"no inbound message with id {message_row_id}; see the list of held "
                       "mail for the messages that can be retried")
    return message


# Characters of a held message's text shown before deciding to release it. Oversized
# mail is among the held, so the page shows the start of the text only.
MAX_SHOWN_CHARACTERS = 20_000


def message_text(message: InboundMessage) -> tuple[str, int]:
    """Return the readable text of *message* as a reviewer would see it, and the characters cut.

    The text is the body as drafting reads it, quoted replies included, so an operator
    can tell a question from an auto-reply or a newsletter before releasing it.
    """
    body = parse_message(message.raw).body
    return body[:MAX_SHOWN_CHARACTERS], max(0, len(body) - MAX_SHOWN_CHARACTERS)


def last_retry(session: Session, message_row_id: int) -> CaseEvent | None:
    """Return the latest retry or release of the message, or None when it had neither."""
    return session.scalars(
        select(CaseEvent)
        .where(equals_id(CaseEvent.inbound_message_id, message_row_id),
               CaseEvent.action.in_(("retried", "released")))
        .order_by(CaseEvent.id.desc()).limit(1)
    ).first()


def retry_message(session: Session, message_row_id: int, user: User) -> InboundMessage:
    """Send a quarantined or held message through drafting again."""
    message = get_by_id(session, InboundMessage, message_row_id)
    if message is None:
        raise NotFound(f"no inbound message with id {message_row_id}")
    previous = message.state
    result = session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == message_row_id, InboundMessage.state.in_(HELD_STATES))
        .values(state=MessageState.RECEIVED, error=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise InvalidTransition(f"message {message_row_id} is {message.state.value}; only "
                                "quarantined or held messages can be retried")
    release = previous in RELEASED_STATES
    action = "released" if release else "retried"
    session.add(CaseEvent(case_id=message.case_id, inbound_message_id=message.id,
                          action=action, actor=user.username, note=f"was {previous.value}"))
    session.flush()
    session.refresh(message)
    if release:
        enqueue(session, "process_message", message.id, kwargs={"release": True})
    else:
        enqueue(session, "process_message", message.id)
    log.info("%s of message_row=%d enqueued by user_id=%d", "release" if release else "retry",
             message.id, user.id)
    return message
