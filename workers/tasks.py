"""Celery tasks, one per pipeline step, each idempotent by the database ids it receives.

Tasks are acknowledged late (see celeryconfig), so a task interrupted by a crash runs
again. Each task checks the stored state first and does nothing twice.
"""

from __future__ import annotations

import logging

from celery.utils.log import get_task_logger
from imapclient.exceptions import IMAPClientError
from sqlalchemy.exc import IntegrityError, OperationalError

from consultant import logging as service_logging
from consultant.config import get_settings
from consultant.delivery import mailbox, recovery
from consultant.delivery import services as delivery
from consultant.drafting.services import draft_for_message
from consultant.errors import MailboxUnavailable, TemporaryDeliveryError
from consultant.intake.poller import poll_mailbox as poll
from consultant.intake.quarantine import quarantine_message
from consultant.storage import session_scope
from consultant.storage.models import Draft, InboundMessage
from workers.app import app

log: logging.Logger = get_task_logger(__name__)
service_logging.connect_celery_signals()

# Database outages are retried this often, 5 seconds apart and doubling; the
# recovery sweep takes over after that.
DATABASE_RETRIES = 5


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


@app.task(name="workers.tasks.process_message", bind=True, max_retries=DATABASE_RETRIES)
def process_message(self, message_row_id: int, release: bool = False) -> int | None:  # type: ignore[no-untyped-def]
    """Parse one stored message, extract and look up its codes, and store the draft.

    With *release* the intake holds are lifted, because an operator released it.
    """
    settings = get_settings()
    with service_logging.bound(message_row=message_row_id):
        try:
            with session_scope() as session:
                draft = draft_for_message(session, message_row_id, settings, release=release)
                return draft.id if draft else None
        except IntegrityError:
            # Two deliveries of this task drafted at once; the unique draft per message kept one.
            existing = _existing_draft(message_row_id)
            if existing is not None:
                log.info("draft already made by a concurrent task draft=%d", existing)
                return existing
            raise
        except OperationalError as error:
            log.warning("database unavailable while drafting; retry %d", self.request.retries + 1)
            # Celery logs the retry's exception, and SQLAlchemy's text quotes the SQL parameters.
            reason = RuntimeError(f"database unavailable: {type(error.orig).__name__}")
            raise self.retry(exc=reason, countdown=5 * 2**self.request.retries) from error
        except Exception as error:
            # The exception text may quote the message, so only its type is logged; the
            # whole text is kept on the row for the operator.
            _quarantine(message_row_id, "draft", error)
            log.error("message_row=%d quarantined at step draft: %s", message_row_id,
                      type(error).__name__)
            return None


def _existing_draft(message_row_id: int) -> int | None:
    with session_scope() as session:
        return session.query(Draft.id).filter_by(inbound_message_id=message_row_id).scalar()


def _quarantine(message_row_id: int, step: str, error: Exception) -> None:
    """Quarantine a message whose processing failed outside the intake steps.

    The entry makes the failure visible to ``caseconsultant quarantine list`` and the
    web queue's held mail, with the raw bytes kept on the message row.
    """
    with session_scope() as session:
        message = session.get(InboundMessage, message_row_id)
        if message is not None and message.draft is None:
            quarantine_message(session, message, step, error)


@app.task(name="workers.tasks.send_reply", bind=True, max_retries=None)
def send_reply(self, draft_id: int) -> bool:  # type: ignore[no-untyped-def]
    """Send one approved draft by SMTP, retrying temporary failures until the send deadline."""
    settings = get_settings()
    with service_logging.bound(draft=draft_id):
        try:
            return delivery.send_draft(draft_id, settings)
        except TemporaryDeliveryError as error:
            delay = float(getattr(error, "retry_in", settings.send_retry_base))
            if delay > settings.visibility_timeout / 2:
                # Redis would hand a task with so long a countdown to a second worker
                # after the visibility timeout; the recovery sweep sends it when due.
                log.info("send retry of draft=%d left to the recovery sweep", draft_id)
                return False
            # Celery logs the retry's exception, and the server's reply may quote the address.
            reason = TemporaryDeliveryError("temporary delivery failure; see the draft's history")
            raise self.retry(exc=reason, countdown=delay) from error


@app.task(name="workers.tasks.flag_answered", bind=True, max_retries=5)
def flag_answered(self, message_row_id: int) -> bool:  # type: ignore[no-untyped-def]
    """Set \\Answered on the question in the mailbox after its reply was sent."""
    with service_logging.bound(message_row=message_row_id):
        try:
            return mailbox.flag_answered(message_row_id, get_settings())
        except (OSError, IMAPClientError) as error:
            log.warning("flag failed (%s); retry %d", type(error).__name__,
                        self.request.retries + 1)
            raise self.retry(exc=error, countdown=30 * 2**self.request.retries) from error


@app.task(name="workers.tasks.append_sent", bind=True, max_retries=5)
def append_sent(self, draft_id: int) -> bool:  # type: ignore[no-untyped-def]
    """Copy a sent reply to the Sent folder named by CASECONSULTANT_SENT_FOLDER."""
    with service_logging.bound(draft=draft_id):
        try:
            return mailbox.append_sent(draft_id, get_settings())
        except (OSError, IMAPClientError) as error:
            log.warning("Sent copy failed (%s); retry %d", type(error).__name__,
                        self.request.retries + 1)
            raise self.retry(exc=error, countdown=30 * 2**self.request.retries) from error


@app.task(name="workers.tasks.recover_stuck")
def recover_stuck() -> dict[str, int]:
    """Re-enqueue work whose task was lost, and settle sends interrupted by a crash."""
    return recovery.sweep(get_settings()).as_dict()
