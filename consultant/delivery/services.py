"""Sending one approved draft, exactly as the state machine allows."""

from __future__ import annotations

import logging

from consultant.config import Settings
from consultant.delivery.smtp import build_reply, send
from consultant.errors import InvalidTransition, PermanentDeliveryError, TemporaryDeliveryError
from consultant.intake.imap import imap_connection
from consultant.queue import enqueue
from consultant.review.states import transition
from consultant.storage import session_scope
from consultant.storage.base import utcnow
from consultant.storage.models import Draft, DraftState, InboundMessage

log = logging.getLogger(__name__)


def send_draft(draft_id: int, settings: Settings) -> bool:
    """Send an approved draft; return False when it was not approved (already handled).

    The draft moves to ``sending`` in its own commit before the SMTP transaction, so a
    crash during the transaction leaves it in ``sending`` for the recovery sweep instead
    of sending it twice.  Temporary failures move it back to ``approved`` and re-raise
    for the caller's retry; permanent failures mark it ``failed`` with the reply.
    """
    with session_scope() as session:
        draft = session.get(Draft, draft_id)
        if draft is None or draft.state is not DraftState.APPROVED:
            log.info("send skipped for draft=%s: not approved", draft_id)
            return False
        try:
            transition(session, draft, DraftState.SENDING, "delivery", attempts=draft.attempts + 1)
        except InvalidTransition:
            log.info("send skipped for draft=%d: another worker took it", draft_id)
            return False
        message = build_reply(draft, settings)

    try:
        send(message, settings)
    except TemporaryDeliveryError as error:
        _record_failure(draft_id, DraftState.APPROVED, str(error))
        raise
    except PermanentDeliveryError as error:
        _record_failure(draft_id, DraftState.FAILED, str(error))
        log.error("send failed for good draft=%d: %s", draft_id, type(error).__name__)
        return False

    with session_scope() as session:
        draft = session.get_one(Draft, draft_id)
        transition(session, draft, DraftState.SENT, "delivery", sent_at=utcnow(),
                   failure_reason=None)
        enqueue(session, "flag_answered", draft.inbound_message_id)
    log.info("sent draft=%d size=%d", draft_id, len(message.as_bytes()))
    return True


def _record_failure(draft_id: int, state: DraftState, reason: str) -> None:
    with session_scope() as session:
        draft = session.get_one(Draft, draft_id)
        transition(session, draft, state, "delivery", reason, failure_reason=reason)


def flag_answered(message_row_id: int, settings: Settings) -> bool:
    """Set \\Answered on the question in the mailbox; return False if it is not there."""
    with session_scope() as session:
        message = session.get_one(InboundMessage, message_row_id)
        if message.answered or message.uid is None:
            return False
        uid, uidvalidity = message.uid, message.uidvalidity

    with imap_connection(settings) as client:
        status = client.select_folder(settings.imap_folder)
        if int(status[b"UIDVALIDITY"]) != uidvalidity:
            # The UIDs were renumbered; the next poll records the new UID of this message.
            log.warning("UIDVALIDITY changed; \\Answered not set on message_row=%d", message_row_id)
            return False
        client.add_flags([uid], [b"\\Answered"], silent=True)

    with session_scope() as session:
        session.get_one(InboundMessage, message_row_id).answered = True
    log.info("flagged \\Answered message_row=%d uid=%d", message_row_id, uid)
    return True
