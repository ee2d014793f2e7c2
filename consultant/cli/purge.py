"""``caseconsultant purge --older-than DAYS``: delete finished cases past the retention period.

Stored mail is PHI, so finished work is deleted once it is older than the retention
period: sent and rejected drafts with their history, outbox rows and questions,
questions that were ignored or quarantined, and cases left without messages.  Work
still in progress (drafts pending review, approved, sending or failed, and messages
held for an operator) is never deleted.  The command reports how much of it is older
than the period, so an operator can act.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import click
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from consultant.storage import session_scope
from consultant.storage.base import utcnow
from consultant.storage.models import (
    Case,
    CaseEvent,
    Draft,
    DraftEvent,
    DraftState,
    DraftVersion,
    InboundMessage,
    MessageState,
    OutboxEntry,
    QuarantineEntry,
)

FINISHED_DRAFTS = (DraftState.SENT, DraftState.REJECTED)
FINISHED_MESSAGES = (MessageState.IGNORED, MessageState.QUARANTINED)
CHUNK = 500
# The maximum retention period: 100 years of 365 days. Each row's timestamps are the
# times the service stored or changed it, so no row is that old. A far larger number
# would put the cutoff before year 1, which datetime cannot represent.
MAX_RETENTION_DAYS = 36500


@dataclass
class PurgeResult:
    """Rows deleted (or, in a dry run, to be deleted), and old rows kept because work is open."""

    drafts: int = 0
    messages: int = 0
    cases: int = 0
    kept_open: int = 0
    kept_held: int = 0


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[start : start + CHUNK] for start in range(0, len(ids), CHUNK)]


def purge(session: Session, cutoff: datetime, dry_run: bool = False) -> PurgeResult:
    """Delete finished work last changed before *cutoff*; the caller commits."""
    drafts = session.execute(select(Draft.id, Draft.inbound_message_id).where(
        Draft.state.in_(FINISHED_DRAFTS), Draft.updated_at < cutoff)).all()
    draft_ids = [draft_id for draft_id, _message in drafts]
    lone_messages = list(session.scalars(select(InboundMessage.id).where(
        InboundMessage.state.in_(FINISHED_MESSAGES), InboundMessage.received_at < cutoff,
        ~InboundMessage.draft.has())))
    message_ids = [message_id for _draft, message_id in drafts] + lone_messages
    result = PurgeResult(drafts=len(draft_ids), messages=len(message_ids))
    result.kept_open = session.scalar(select(func.count()).select_from(Draft).where(
        Draft.state.not_in(FINISHED_DRAFTS), Draft.created_at < cutoff)) or 0
    result.kept_held = session.scalar(select(func.count()).select_from(InboundMessage).where(
        InboundMessage.state == MessageState.HELD, InboundMessage.received_at < cutoff)) or 0
    if dry_run:
        return result

    for chunk in _chunks(draft_ids):
        for model in (DraftEvent, DraftVersion, CaseEvent, OutboxEntry):
            session.execute(delete(model).where(model.draft_id.in_(chunk)))
        session.execute(delete(Draft).where(Draft.id.in_(chunk)))
    for chunk in _chunks(message_ids):
        session.execute(delete(CaseEvent).where(CaseEvent.inbound_message_id.in_(chunk)))
        session.execute(delete(QuarantineEntry).where(
            QuarantineEntry.inbound_message_id.in_(chunk)))
        session.execute(delete(InboundMessage).where(InboundMessage.id.in_(chunk)))
    # Raw bytes that could not be stored as a message are PHI under the same retention.
    session.execute(delete(QuarantineEntry).where(
        QuarantineEntry.inbound_message_id.is_(None), QuarantineEntry.created_at < cutoff))
    result.cases = _delete_empty_cases(session)
    return result


def _delete_empty_cases(session: Session) -> int:
    """Delete cases left without messages or drafts; return how many."""
    empty_cases = list(session.scalars(select(Case.id).where(
        ~Case.messages.any(), ~select(Draft.id).where(Draft.case_id == Case.id).exists())))
    for chunk in _chunks(empty_cases):
        session.execute(update(InboundMessage).where(InboundMessage.related_case_id.in_(chunk))
                        .values(related_case_id=None))
        session.execute(delete(CaseEvent).where(CaseEvent.case_id.in_(chunk)))
        session.execute(delete(Case).where(Case.id.in_(chunk)))
    return len(empty_cases)


@click.command("purge")
@click.option("--older-than", "days", type=click.IntRange(1, MAX_RETENTION_DAYS), required=True,
              help="Retention period in days, up to 100 years: finished cases last changed "
                   "before it are deleted.")
@click.option("--dry-run", is_flag=True, help="Print what would be deleted and delete nothing.")
def purge_command(days: int, dry_run: bool) -> None:
    """Delete sent and rejected cases, and ignored or quarantined questions, older than DAYS."""
    cutoff = utcnow() - timedelta(days=days)
    with session_scope() as session:
        result = purge(session, cutoff, dry_run)
    verb = "would delete" if dry_run else "deleted"
    click.echo(f"{verb} {result.drafts} drafts, {result.messages} messages"
               + ("" if dry_run else f", {result.cases} cases")
               + f" older than {days} {'day' if days == 1 else 'days'}")
    if result.kept_open:
        click.echo(f"kept {result.kept_open} older drafts that are still open "
                   "(pending review, approved, sending or failed)")
    if result.kept_held:
        click.echo(f"kept {result.kept_held} older messages held for an operator (oversized or "
                   "over the rate limit); list them with 'caseconsultant quarantine list' and "
                   "release each with 'caseconsultant quarantine release ID'")
