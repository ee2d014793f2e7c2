"""Sending an approved draft so that no retry or crash recovery delivers it twice.

Each attempt commits three times: before connecting (draft ``sending``, outbox
``prepared``), just before the message data goes out (outbox ``transmitting``) and
right after the server's reply (outbox ``accepted`` or ``rejected``). The rule that
follows for a worker that dies mid-send:

* outbox ``prepared``: the server never saw the DATA payload, so the recovery sweep
  sends again automatically;
* outbox ``transmitting``: the server may hold the message, so the draft fails with
  "outcome unknown" and a reviewer decides (approving again resends it);
* outbox ``accepted``: the server has the message, so the draft becomes ``sent``.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consultant.config import Settings
from consultant.delivery.smtp import build_reply, reply_bytes, transmit
from consultant.errors import (
    DeliveryAborted,
    DeliveryOutcomeUnknown,
    InvalidTransition,
    PermanentDeliveryError,
    TemporaryDeliveryError,
)
from consultant.queue import enqueue
from consultant.review.states import transition
from consultant.storage import session_scope
from consultant.storage.base import utcnow
from consultant.storage.models import Draft, DraftState, OutboxEntry, OutboxState

log = logging.getLogger(__name__)

# Worker clocks may differ, so a retry task may arrive a little before its due time.
# Within this margin it counts as due.
CLOCK_SKEW = timedelta(seconds=2)
UNKNOWN_OUTCOME = (
    "outcome unknown: the worker stopped after the message data went to the SMTP server "
    "and before the server's reply was recorded, so the reply may have been delivered; "
    "check with the recipient and approve the draft again only if it did not arrive"
)


@dataclass(frozen=True)
class Attempt:
    """One send attempt, as committed before the SMTP connection opens."""

    draft_id: int
    number: int
    raw: bytes
    rcpt_to: str
    envelope_from: str


def retry_delay(failures: int, settings: Settings) -> float:
    """Return the seconds to wait after the *failures*-th temporary failure (1-based).

    The delay doubles from ``send_retry_base`` up to ``send_retry_max``, with 10%
    jitter so drafts that failed together do not retry together.
    """
    delay = min(settings.send_retry_base * 2 ** (failures - 1), settings.send_retry_max)
    return delay * random.uniform(0.9, 1.1)


def send_draft(draft_id: int, settings: Settings) -> bool:
    """Send an approved draft; return True when the server accepted it.

    Returns False when there was nothing to do (not approved, not due, taken over)
    or the draft failed for good.  Raises TemporaryDeliveryError with ``retry_in``
    (seconds) set when the caller should try again later.
    """
    attempt = _begin_attempt(draft_id, settings)
    if attempt is None:
        return False
    try:
        transmit(attempt.raw, attempt.envelope_from, [attempt.rcpt_to], settings,
                 before_data=lambda: _mark_transmitting(attempt),
                 on_accepted=lambda reply: _mark_accepted(attempt, reply))
    except TemporaryDeliveryError as error:
        retry_in = _record_temporary_failure(attempt, str(error), settings)
        if retry_in is None:
            return False
        error.retry_in = retry_in
        raise
    except PermanentDeliveryError as error:
        _record_final_failure(attempt, OutboxState.REJECTED, str(error))
        log.error("send failed for good draft=%d attempt=%d", draft_id, attempt.number)
        return False
    except DeliveryOutcomeUnknown:
        _record_final_failure(attempt, OutboxState.UNKNOWN, UNKNOWN_OUTCOME)
        log.error("send outcome unknown draft=%d attempt=%d", draft_id, attempt.number)
        return False
    except DeliveryAborted:
        log.warning("send aborted before DATA draft=%d attempt=%d: taken over", draft_id,
                    attempt.number)
        return False
    _record_sent(attempt, settings)
    log.info("sent draft=%d attempt=%d size=%d", draft_id, attempt.number, len(attempt.raw))
    return True


def _begin_attempt(draft_id: int, settings: Settings) -> Attempt | None:
    """Move the draft to ``sending`` and the outbox to ``prepared``, in one commit."""
    settings.require("from_address")
    with session_scope() as session:
        draft = session.get(Draft, draft_id)
        if draft is None or draft.state is not DraftState.APPROVED:
            log.info("send skipped for draft=%s: not approved", draft_id)
            return None
        entry = session.scalar(select(OutboxEntry).where(OutboxEntry.draft_id == draft_id)
                               .with_for_update())
        now = utcnow()
        if entry is not None and entry.next_attempt_at and entry.next_attempt_at > now + CLOCK_SKEW:
            log.info("send skipped for draft=%d: next attempt is not due yet", draft_id)
            return None
        if entry is not None and entry.state in (OutboxState.ACCEPTED, OutboxState.TRANSMITTING):
            log.error("send not started for draft=%d: its outbox entry is already %s", draft_id,
                      entry.state.value)
            return None
        try:
            transition(session, draft, DraftState.SENDING, "delivery", attempts=draft.attempts + 1)
        except InvalidTransition:
            log.info("send skipped for draft=%d: another worker took it", draft_id)
            return None
        raw = reply_bytes(build_reply(draft, settings))
        entry = _prepare_entry(session, entry, draft, raw, settings)
        return Attempt(draft_id, entry.attempts, raw, draft.to_address, settings.from_address or "")


def _prepare_entry(session: Session, entry: OutboxEntry | None, draft: Draft, raw: bytes,
                   settings: Settings) -> OutboxEntry:
    now = utcnow()
    deadline = now + timedelta(seconds=settings.send_deadline)
    if entry is None:
        entry = OutboxEntry(draft_id=draft.id, reply_message_id=draft.reply_message_id,
                            attempts=0, first_attempt_at=now, deadline_at=deadline,
                            temporary_failures=0, sent_folder_appended=False)
        session.add(entry)
    elif entry.finished_at is not None:
        # A reviewer approved a failed draft again: the retry budget starts over.
        entry.first_attempt_at, entry.deadline_at = now, deadline
        entry.temporary_failures, entry.finished_at = 0, None
    entry.state = OutboxState.PREPARED
    entry.raw = raw
    entry.attempts += 1
    entry.last_attempt_at = now
    entry.next_attempt_at = None
    session.flush()
    return entry


def _mark_transmitting(attempt: Attempt) -> bool:
    """Record that the data goes out now; False when this attempt is no longer current."""
    with session_scope() as session:
        result = session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.draft_id == attempt.draft_id,
                   OutboxEntry.attempts == attempt.number,
                   OutboxEntry.state == OutboxState.PREPARED)
            .values(state=OutboxState.TRANSMITTING, last_attempt_at=utcnow())
        )
        return result.rowcount == 1


def _current_attempt(session: Session, attempt: Attempt) -> tuple[OutboxEntry, Draft] | None:
    """Lock and return the outbox entry and draft, or None when a later attempt replaced it."""
    entry = session.scalar(select(OutboxEntry).where(OutboxEntry.draft_id == attempt.draft_id)
                           .with_for_update())
    if entry is None or entry.attempts != attempt.number:
        log.error("outbox entry of draft=%d moved past attempt=%d; result not recorded",
                  attempt.draft_id, attempt.number)
        return None
    return entry, session.get_one(Draft, attempt.draft_id)


def _still_sending(entry: OutboxEntry, draft: Draft, attempt: Attempt) -> bool:
    if draft.state is DraftState.SENDING and entry.state in (OutboxState.PREPARED,
                                                             OutboxState.TRANSMITTING):
        return True
    log.warning("result of draft=%d attempt=%d not recorded: the recovery sweep settled it "
                "as %s", attempt.draft_id, attempt.number, entry.state.value)
    return False


def _mark_accepted(attempt: Attempt, reply: str) -> None:
    """Commit the server's acceptance in one statement, before anything else happens.

    A worker killed between the server's reply and this commit leaves the outcome
    unknown, so this step does nothing but the one UPDATE.  It records the reply
    even when the recovery sweep already marked the attempt unknown.
    """
    with session_scope() as session:
        session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.draft_id == attempt.draft_id,
                   OutboxEntry.attempts == attempt.number)
            .values(state=OutboxState.ACCEPTED, smtp_reply=reply, finished_at=utcnow())
        )


def mark_sent(session: Session, draft: Draft, settings: Settings, actor: str) -> bool:
    """Move a draft whose reply the server accepted to ``sent`` and enqueue the follow-ups.

    The draft may have moved on while its send ran: the sweep may have failed it as
    an unknown outcome, or a reviewer may have approved it again since.  The
    server's acceptance settles both.  Returns False when the draft is already sent.
    """
    if draft.state is DraftState.SENT:
        return False
    if draft.state is not DraftState.SENDING:
        log.warning("draft=%d was %s when its acceptance was recorded", draft.id,
                    draft.state.value)
    note = None if draft.state is DraftState.SENDING else "the server accepted the reply"
    if draft.state is DraftState.APPROVED:
        transition(session, draft, DraftState.SENDING, actor, note)
    transition(session, draft, DraftState.SENT, actor, note, sent_at=utcnow(),
               failure_reason=None)
    enqueue(session, "flag_answered", draft.inbound_message_id)
    if settings.sent_folder:
        enqueue(session, "append_sent", draft.id)
    return True


def _record_sent(attempt: Attempt, settings: Settings) -> None:
    with session_scope() as session:
        draft = session.get_one(Draft, attempt.draft_id, with_for_update=True)
        mark_sent(session, draft, settings, "delivery")


def _record_temporary_failure(attempt: Attempt, reason: str, settings: Settings) -> float | None:
    """Put the draft back to ``approved`` and return the retry delay, or None past the deadline."""
    with session_scope() as session:
        found = _current_attempt(session, attempt)
        if found is None or not _still_sending(*found, attempt):
            return None
        entry, draft = found
        entry.temporary_failures += 1
        delay = retry_delay(entry.temporary_failures, settings)
        now = utcnow()
        entry.state, entry.smtp_reply = OutboxState.REJECTED, reason
        if now + timedelta(seconds=delay) > entry.deadline_at:
            entry.finished_at = now
            final = (f"gave up after {entry.temporary_failures} temporary failures since "
                     f"{entry.first_attempt_at:%Y-%m-%d %H:%M} UTC; last: {reason}")
            transition(session, draft, DraftState.FAILED, "delivery", final, failure_reason=final)
            log.error("send deadline passed draft=%d failures=%d", draft.id,
                      entry.temporary_failures)
            return None
        entry.next_attempt_at = now + timedelta(seconds=delay)
        transition(session, draft, DraftState.APPROVED, "delivery", reason, failure_reason=reason)
        log.warning("send failed temporarily draft=%d failures=%d retry_in=%.0fs", draft.id,
                    entry.temporary_failures, delay)
        return delay


def _record_final_failure(attempt: Attempt, state: OutboxState, reason: str) -> None:
    with session_scope() as session:
        found = _current_attempt(session, attempt)
        if found is None or not _still_sending(*found, attempt):
            return
        entry, draft = found
        entry.state, entry.smtp_reply, entry.finished_at = state, reason, utcnow()
        transition(session, draft, DraftState.FAILED, "delivery", reason, failure_reason=reason)
