"""The recovery sweep: find work stuck in an intermediate state and drive it on.

A task can be lost between states: by a worker killed before it acknowledged the
task (Redis hands the task out again only after the visibility timeout), by a
broker restart, or by an enqueue that failed after its commit.  The database
states tell what is left to do, so the sweep re-enqueues from them.  Every task it
enqueues is idempotent, so a task that was merely slow still does its work once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.config import Settings
from consultant.delivery.services import UNKNOWN_OUTCOME, mark_sent
from consultant.queue import enqueue
from consultant.review.states import transition
from consultant.storage import session_scope
from consultant.storage.base import utcnow
from consultant.storage.models import (
    Draft,
    DraftState,
    InboundMessage,
    MessageState,
    OutboxEntry,
    OutboxState,
)

log = logging.getLogger(__name__)

PREPARED_LOST = "the worker stopped before the message data went out; sending again"
# Mailbox follow-ups stop being retried after this long: the question may have been
# moved or deleted, or its UIDVALIDITY changed.
FOLLOW_UP_WINDOW = timedelta(days=1)


@dataclass
class SweepResult:
    """Counts of the work one sweep re-drove, by kind."""

    messages: int = 0
    drafts_requeued: int = 0
    sends_restarted: int = 0
    sends_completed: int = 0
    sends_unknown: int = 0
    flags: int = 0
    sent_copies: int = 0

    def as_dict(self) -> dict[str, int]:
        return {name: value for name, value in vars(self).items() if isinstance(value, int)}


def sweep(settings: Settings) -> SweepResult:
    """Re-enqueue every step that has waited longer than CASECONSULTANT_STUCK_AFTER."""
    cutoff = utcnow() - timedelta(seconds=settings.stuck_after)
    result = SweepResult()
    with session_scope() as session:
        _undrafted_messages(session, cutoff, result)
        _approved_drafts(session, cutoff, result)
    with session_scope() as session:
        _interrupted_sends(session, cutoff, settings, result)
    with session_scope() as session:
        _unflagged_and_uncopied(session, cutoff, settings, result)
    if any(result.as_dict().values()):
        log.warning("recovery sweep %s", " ".join(f"{k}={v}" for k, v in result.as_dict().items()))
    return result


def _undrafted_messages(session: Session, cutoff: datetime, result: SweepResult) -> None:
    stuck = session.scalars(select(InboundMessage.id).where(
        InboundMessage.state == MessageState.RECEIVED, InboundMessage.received_at < cutoff))
    for message_row_id in stuck:
        enqueue(session, "process_message", message_row_id)
        result.messages += 1


def _approved_drafts(session: Session, cutoff: datetime, result: SweepResult) -> None:
    """Approved drafts whose send task was lost, including retries that are overdue."""
    rows = session.execute(
        select(Draft.id, OutboxEntry.next_attempt_at)
        .outerjoin(OutboxEntry, OutboxEntry.draft_id == Draft.id)
        .where(Draft.state == DraftState.APPROVED, Draft.updated_at < cutoff)
    )
    for draft_id, next_attempt_at in rows:
        if next_attempt_at is not None and next_attempt_at > cutoff:
            continue
        enqueue(session, "send_reply", draft_id)
        result.drafts_requeued += 1


def _interrupted_sends(session: Session, cutoff: datetime, settings: Settings,
                       result: SweepResult) -> None:
    """Drafts left in ``sending``: resend, mark sent or fail as unknown, by the outbox state."""
    rows = session.execute(
        select(Draft, OutboxEntry)
        .join(OutboxEntry, OutboxEntry.draft_id == Draft.id)
        .where(Draft.state == DraftState.SENDING, OutboxEntry.last_attempt_at < cutoff)
        .with_for_update()
    ).all()
    for draft, entry in rows:
        if entry.state is OutboxState.PREPARED:
            entry.state, entry.smtp_reply = OutboxState.REJECTED, PREPARED_LOST
            transition(session, draft, DraftState.APPROVED, "recovery", PREPARED_LOST)
            enqueue(session, "send_reply", draft.id)
            result.sends_restarted += 1
        elif entry.state is OutboxState.ACCEPTED:
            mark_sent(session, draft, settings, "recovery")
            result.sends_completed += 1
        elif entry.state is OutboxState.TRANSMITTING:
            entry.state, entry.smtp_reply, entry.finished_at = (
                OutboxState.UNKNOWN, UNKNOWN_OUTCOME, utcnow())
            transition(session, draft, DraftState.FAILED, "recovery", UNKNOWN_OUTCOME,
                       failure_reason=UNKNOWN_OUTCOME)
            result.sends_unknown += 1
            log.error("send outcome unknown draft=%d; a reviewer must decide", draft.id)


def _unflagged_and_uncopied(session: Session, cutoff: datetime, settings: Settings,
                            result: SweepResult) -> None:
    rows = session.execute(
        select(Draft.id, Draft.inbound_message_id, InboundMessage.answered,
               OutboxEntry.sent_folder_appended)
        .join(InboundMessage, InboundMessage.id == Draft.inbound_message_id)
        .outerjoin(OutboxEntry, OutboxEntry.draft_id == Draft.id)
        .where(Draft.state == DraftState.SENT, Draft.sent_at < cutoff,
               Draft.sent_at > cutoff - FOLLOW_UP_WINDOW,
               InboundMessage.uid.is_not(None))
    )
    for draft_id, message_row_id, answered, appended in rows:
        if not answered:
            enqueue(session, "flag_answered", message_row_id)
            result.flags += 1
        if settings.sent_folder and appended is False:
            enqueue(session, "append_sent", draft_id)
            result.sent_copies += 1
