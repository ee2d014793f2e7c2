"""Quarantine: messages that failed a step or are held, kept for an operator.

Every entry keeps the raw bytes (on the inbound message row, or on the entry itself
when not even the row could be stored), the step and the error.  An operator
lists and inspects entries and re-runs them: ``retry`` runs the message through
every check again, ``release`` runs it with the holds lifted (size, rate limit,
sender lists and classification), so it is drafted like a question.  Bytes that
arrived under an already stored Message-ID with other content are kept here too
(step "duplicate"); re-running one stores it under its SHA-256 stand-in id.
"""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.config import Settings
from consultant.errors import ConsultantError, NotFound
from consultant.parsing import stand_in_message_id
from consultant.storage.base import utcnow
from consultant.storage.ids import get_by_id
from consultant.storage.models import InboundMessage, MessageState, QuarantineEntry

log = logging.getLogger(__name__)

HOLD_STEP = "hold"
# Bytes that arrived under a Message-ID already stored with other content.
DUPLICATE_STEP = "duplicate"
# The resolution of an entry whose message intake then ignored, so it gets no draft.
IGNORED_RESOLUTION = "ignored"


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _open_entry(session: Session, message_id: int) -> QuarantineEntry | None:
    return session.scalar(
        select(QuarantineEntry)
        .where(QuarantineEntry.inbound_message_id == message_id,
               QuarantineEntry.resolved_at.is_(None))
        .order_by(QuarantineEntry.id.desc())
        .limit(1)
    )


def _record(session: Session, message: InboundMessage, step: str, error: str) -> QuarantineEntry:
    entry = _open_entry(session, message.id)
    if entry is None:
        entry = QuarantineEntry(inbound_message_id=message.id, mailbox_id=message.mailbox_id,
                                uidvalidity=message.uidvalidity, uid=message.uid,
                                size=message.size, step=step, error=error, attempts=1)
        session.add(entry)
    else:
        entry.step, entry.error, entry.attempts = step, error, entry.attempts + 1
    session.flush()
    return entry


def quarantine_message(
    session: Session, message: InboundMessage, step: str, error: BaseException
) -> QuarantineEntry:
    """Mark *message* quarantined at *step* and record the error for an operator."""
    message.state = MessageState.QUARANTINED
    message.error = f"{step}: {_describe(error)}"
    entry = _record(session, message, step, _describe(error))
    log.error("message_row=%d quarantined at step %s: %s (entry=%d)",
              message.id, step, type(error).__name__, entry.id)
    return entry


def resolve_entries(session: Session, message_id: int, resolution: str) -> int:
    """Mark the open entries of a message resolved; return how many.

    Called when the message is drafted, and when intake ignores it on a re-run.
    """
    entries = list(session.scalars(
        select(QuarantineEntry).where(QuarantineEntry.inbound_message_id == message_id,
                                      QuarantineEntry.resolved_at.is_(None))
    ))
    for entry in entries:
        entry.resolved_at, entry.resolution = utcnow(), resolution
    if entries:
        log.info("message_row=%d: %d quarantine entries resolved as %s", message_id,
                 len(entries), resolution)
    return len(entries)


def hold_message(session: Session, message: InboundMessage, reason: str) -> QuarantineEntry:
    """Mark *message* held with *reason*; it gets no draft until an operator releases it."""
    message.state = MessageState.HELD
    entry = _record(session, message, HOLD_STEP, reason)
    log.warning("message_row=%d held (entry=%d)", message.id, entry.id)
    return entry


def quarantine_raw(
    session: Session,
    raw: bytes,
    *,
    step: str,
    error: BaseException,
    mailbox_id: int | None = None,
    uidvalidity: int | None = None,
    uid: int | None = None,
) -> QuarantineEntry:
    """Keep *raw* on a quarantine entry when no inbound message row could be stored.

    The same bytes already waiting in quarantine make no second entry, so fetching a
    folder again after a UIDVALIDITY change keeps one entry per message.
    """
    digest = hashlib.sha256(raw).hexdigest()
    for entry in session.scalars(
        select(QuarantineEntry).where(QuarantineEntry.inbound_message_id.is_(None),
                                      QuarantineEntry.resolved_at.is_(None),
                                      QuarantineEntry.size == len(raw))
    ):
        if entry.raw is not None and hashlib.sha256(entry.raw).hexdigest() == digest:
            entry.attempts += 1
            return entry
    entry = QuarantineEntry(raw=raw, size=len(raw), step=step, error=_describe(error),
                            mailbox_id=mailbox_id, uidvalidity=uidvalidity, uid=uid, attempts=1)
    session.add(entry)
    session.flush()
    log.error("uid=%s quarantined at step %s: %s (entry=%d, size=%d)",
              uid, step, type(error).__name__, entry.id, len(raw))
    return entry


def list_entries(session: Session, include_resolved: bool = False) -> list[QuarantineEntry]:
    """Return quarantine entries, oldest first; resolved ones only when asked."""
    query = select(QuarantineEntry).order_by(QuarantineEntry.id)
    if not include_resolved:
        query = query.where(QuarantineEntry.resolved_at.is_(None))
    return list(session.scalars(query))


def get_entry(session: Session, entry_id: int) -> QuarantineEntry:
    """Return entry *entry_id*; raise NotFound naming the id when there is none."""
    entry = get_by_id(session, QuarantineEntry, entry_id)
    if entry is None:
        raise NotFound(f"quarantine entry {entry_id} not found; "
                       "run 'caseconsultant quarantine list' to see the open entries")
    return entry


def raw_bytes(entry: QuarantineEntry) -> bytes:
    """Return the raw message of *entry*, wherever it is kept."""
    if entry.raw is not None:
        return entry.raw
    if entry.inbound_message is not None:
        return entry.inbound_message.raw
    return b""


def rerun(session: Session, entry_id: int, settings: Settings, *, release: bool) -> QuarantineEntry:
    """Run the message of entry *entry_id* through intake and drafting again.

    The entry is resolved when the message leaves quarantine and hold: as "retried"
    or "released" when it is drafted, and as "ignored" when intake ignores it.
    Otherwise it stays open with the new step, error and attempt count. A setting
    that drafting needs and that is missing raises ConfigError before anything changes.
    """
    from consultant.drafting.services import DRAFT_SETTINGS, draft_for_message
    from consultant.intake.services import store_message

    # Checked first, because the draft step would fail on it only after a duplicate's bytes
    # were stored as a new row, and would then quarantine the message at step "draft".
    settings.require(*DRAFT_SETTINGS)
    entry = get_entry(session, entry_id)
    if entry.resolved_at is not None:
        raise ConsultantError(f"quarantine entry {entry_id} is already resolved "
                              f"({entry.resolution})")
    if entry.inbound_message_id is None:
        raw = entry.raw or b""
        # A reused Message-ID is stored under the stand-in made from its own bytes.
        own_id = stand_in_message_id(raw) if entry.step == DUPLICATE_STEP else None
        stored = store_message(session, raw, mailbox_id=entry.mailbox_id,
                               uidvalidity=entry.uidvalidity, uid=entry.uid, message_id=own_id)
        entry.inbound_message_id = stored.message_row_id
        session.flush()

    message = session.get_one(InboundMessage, entry.inbound_message_id)
    message.state = MessageState.RECEIVED
    message.error = None
    draft_for_message(session, message.id, settings, release=release)
    session.refresh(entry)
    if entry.resolved_at is None and message.state not in (MessageState.QUARANTINED,
                                                           MessageState.HELD):
        entry.resolved_at = utcnow()
        entry.resolution = "released" if release else "retried"
    log.info("quarantine entry=%d re-run: message_row=%d state=%s",
             entry.id, message.id, message.state.value)
    return entry
