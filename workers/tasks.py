"""Celery tasks, one per pipeline step, each idempotent by the database ids it receives.

Tasks are acknowledged late (see celeryconfig), so a task interrupted by a crash runs
again. Each task checks the stored state first and does nothing twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery.utils.log import get_task_logger
from sqlalchemy import select

from consultant.config import get_settings
from consultant.delivery import services as delivery
from consultant.drafting.services import draft_for_message
from consultant.errors import MailboxUnavailable, TemporaryDeliveryError
from consultant.intake.poller import poll_mailbox as poll
from consultant.queue import send_task
from consultant.storage import session_scope
from consultant.storage.base import utcnow
from consultant.storage.models import Draft, DraftState, InboundMessage, MessageState
from workers.app import app

log: logging.Logger = get_task_logger(__name__)

# Temporary SMTP failures are retried with exponential backoff up to this many times
# (about 1, 2, 4 ... 64 minutes apart, roughly two hours in all).
MAX_SEND_RETRIES = 7
STUCK_AFTER = timedelta(minutes=10)


@app.task(name="workers.tasks.poll_mailbox")
def poll_mailbox() -> dict[str, int | bool]:
    """Fetch new mail from the configured IMAP folder."""
    try:
        result = poll(get_settings())
    except MailboxUnavailable as error:
        # Beat schedules the next poll anyway; one error line per failed poll.
        log.error("poll failed: %s", error)
        return {"stored": 0, "duplicates": 0, "skipped": False, "failed": True}
    return {"stored": result.stored, "duplicates": result.duplicates, "skipped": result.skipped}


@app.task(name="workers.tasks.process_message")
def process_message(message_row_id: int) -> int | None:
    """Parse one stored message, extract and look up its codes, and store the draft."""
    settings = get_settings()
    try:
        with session_scope() as session:
            draft = draft_for_message(session, message_row_id, settings)
            return draft.id if draft else None
    except Exception as error:
        # The error text may quote the message, so it goes to the row, not the log.
        _quarantine(message_row_id, "draft", error)
        log.error("message_row=%d quarantined at step draft: %s", message_row_id,
                  type(error).__name__)
        return None


def _quarantine(message_row_id: int, step: str, error: Exception) -> None:
    with session_scope() as session:
        message = session.get(InboundMessage, message_row_id)
        if message is not None:
            message.state = MessageState.QUARANTINED
            message.error = f"{step}: {type(error).__name__}: {error}"


@app.task(name="workers.tasks.send_reply", bind=True, max_retries=MAX_SEND_RETRIES)
def send_reply(self, draft_id: int) -> bool:  # type: ignore[no-untyped-def]
    """Send one approved draft by SMTP, retrying temporary failures with backoff."""
    try:
        return delivery.send_draft(draft_id, get_settings())
    except TemporaryDeliveryError as error:
        countdown = 60 * 2**self.request.retries
        log.warning("send of draft=%d failed temporarily (%s); retry %d in %ds",
                    draft_id, type(error).__name__, self.request.retries + 1, countdown)
        raise self.retry(exc=error, countdown=countdown) from error


@app.task(name="workers.tasks.flag_answered", bind=True, max_retries=5)
def flag_answered(self, message_row_id: int) -> bool:  # type: ignore[no-untyped-def]
    """Set \\Answered on the question in the mailbox after its reply was sent."""
    try:
        return delivery.flag_answered(message_row_id, get_settings())
    except OSError as error:
        raise self.retry(exc=error, countdown=30 * 2**self.request.retries) from error


@app.task(name="workers.tasks.recover_stuck")
def recover_stuck() -> dict[str, int]:
    """Re-enqueue work whose task was lost: unprocessed messages and unsent approvals."""
    cutoff = utcnow() - STUCK_AFTER
    with session_scope() as session:
        messages = list(session.scalars(
            select(InboundMessage.id).where(InboundMessage.state == MessageState.RECEIVED,
                                            InboundMessage.received_at < cutoff)))
        drafts = list(session.scalars(
            select(Draft.id).where(Draft.state == DraftState.APPROVED, Draft.updated_at < cutoff)))
    for message_row_id in messages:
        send_task("process_message", message_row_id)
    for draft_id in drafts:
        send_task("send_reply", draft_id)
    if messages or drafts:
        log.warning("recovery re-enqueued messages=%d drafts=%d", len(messages), len(drafts))
    return {"messages": len(messages), "drafts": len(drafts)}
