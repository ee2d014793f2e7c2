"""Read-only views of the review work: the filtered queue, a case's thread and audit trail."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import String, and_, cast, func, or_, select
from sqlalchemy.orm import Session, aliased, joinedload

from consultant.storage.base import utcnow
from consultant.storage.ids import MAX_ID, equals_id
from consultant.storage.models import (
    Case,
    CaseEvent,
    Draft,
    DraftEvent,
    DraftState,
    InboundMessage,
    Mailbox,
)

UNASSIGNED = "-"
"""Assignee filter value that selects drafts nobody has claimed."""
UNCLAIMED = "unclaimed"
"""Another assignee filter value for unclaimed drafts, and so a username no account may take."""

MAX_PER_PAGE = 200
# Draft ids count up from 1 and are int4, so the queue never has more than MAX_ID drafts
# and no later page has rows. The bound also keeps the row offset within 64 bits.
MAX_PAGE = MAX_ID


@dataclass
class QueueFilter:
    """Which drafts the queue shows; empty fields do not filter."""

    states: list[DraftState] = field(default_factory=lambda: [DraftState.PENDING_REVIEW])
    assignee: str | None = None
    mailbox_id: int | None = None
    search: str | None = None
    page: int = 1
    per_page: int = 25


@dataclass
class QueueRow:
    """One line of the queue."""

    draft_id: int
    case_id: int
    case_token: str
    state: DraftState
    received_at: datetime
    age_seconds: int
    organisation: str
    subject: str
    code_count: int
    assignee: str | None
    version: int
    # Drafts that answer newer questions of the same case, which this one predates.
    superseded_by: list[int] = field(default_factory=list)


@dataclass
class QueuePage:
    """One page of the queue and the numbers needed to page through it."""

    rows: list[QueueRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def sender_organisation(address: str | None) -> str:
    """Return the domain of *address* in lower case, the closest thing mail gives to a sender's
    organisation, or an empty string."""
    if not address or "@" not in address:
        return ""
    return address.rpartition("@")[2].strip().strip(">").lower()


def _filtered(query_filter: QueueFilter):  # type: ignore[no-untyped-def]
    query = (select(Draft).join(Draft.inbound_message).join(Draft.case)
             .where(Draft.state.in_(query_filter.states)))
    if query_filter.assignee in (UNASSIGNED, UNCLAIMED):
        query = query.where(Draft.assignee.is_(None))
    elif query_filter.assignee:
        query = query.where(Draft.assignee == query_filter.assignee)
    if query_filter.mailbox_id is not None:
        query = query.where(equals_id(InboundMessage.mailbox_id, query_filter.mailbox_id))
    text = (query_filter.search or "").strip().replace("%", "").replace("_", "")
    if text:
        pattern = f"%{text}%"
        conditions = [
            InboundMessage.subject.ilike(pattern),
            InboundMessage.sender.ilike(pattern),
            Draft.body_text.ilike(pattern),
            Case.token.ilike(pattern),
            cast(Draft.codes, String).ilike(pattern),
        ]
        if _UNDOTTED_DIAGNOSIS.fullmatch(text):
            # Codes are stored with their dot: "o403xx0" finds O40.3XX0.
            conditions.append(cast(Draft.codes, String).ilike(f"%{text[:3]}.{text[3:]}%"))
        query = query.where(or_(*conditions))
    return query


# An ICD-10-CM code written without its dot, as searchers type it.
_UNDOTTED_DIAGNOSIS = re.compile(r"[A-Za-z]\d[0-9A-Za-z][0-9A-Za-z]{1,4}")


def queue_page(session: Session, query_filter: QueueFilter) -> QueuePage:
    """Return one page of drafts matching *query_filter*, oldest question first."""
    per_page = min(max(query_filter.per_page, 1), MAX_PER_PAGE)
    page = min(max(query_filter.page, 1), MAX_PAGE)
    query = _filtered(query_filter)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    drafts = session.scalars(
        query.options(joinedload(Draft.inbound_message), joinedload(Draft.case))
        .order_by(InboundMessage.received_at, Draft.id)
        .limit(per_page).offset((page - 1) * per_page)
    ).unique().all()
    newer = superseding_ids(session, drafts)
    now = utcnow()
    rows = [
        QueueRow(
            draft_id=draft.id, case_id=draft.case_id, case_token=draft.case.token,
            state=draft.state, received_at=draft.inbound_message.received_at,
            age_seconds=int((now - draft.inbound_message.received_at).total_seconds()),
            organisation=sender_organisation(draft.inbound_message.sender or draft.to_address),
            subject=draft.inbound_message.subject or draft.subject,
            code_count=len(draft.codes or []), assignee=draft.assignee, version=draft.version,
            superseded_by=newer.get(draft.id, []),
        )
        for draft in drafts
    ]
    return QueuePage(rows=rows, total=total, page=page, per_page=per_page)


def newer_in_case(newer: type[Draft], older: type[Draft]):  # type: ignore[no-untyped-def]
    """Return the condition that draft *newer* supersedes draft *older*.

    It answers a question of the same case whose inbound message row was stored later,
    the order in which drafting builds a follow-up's history. Rejected drafts do not
    count, because rejecting a follow-up leaves the earlier question to be answered.
    """
    return and_(newer.case_id == older.case_id,
                newer.inbound_message_id > older.inbound_message_id,
                newer.state != DraftState.REJECTED)


def superseding_ids(session: Session, drafts: Sequence[Draft]) -> dict[int, list[int]]:
    """Return, for each of *drafts* that is superseded, the ids of the newer drafts."""
    if not drafts:
        return {}
    older, newer = aliased(Draft), aliased(Draft)
    pairs = session.execute(
        select(older.id, newer.id).join(newer, newer_in_case(newer, older))
        .where(older.id.in_([draft.id for draft in drafts]))
        .order_by(older.id, newer.inbound_message_id)
    )
    found: dict[int, list[int]] = {}
    for older_id, newer_id in pairs:
        found.setdefault(older_id, []).append(newer_id)
    return found


def mailboxes(session: Session) -> list[Mailbox]:
    """Return the mailboxes whose folder was read at least once, for the queue's filter.

    A poll that never reached its server (a mistyped host, a refused login) leaves a
    mailbox row with no UIDVALIDITY, and no draft can come from it.
    """
    return list(session.scalars(
        select(Mailbox).where(Mailbox.uidvalidity.is_not(None)).order_by(Mailbox.key)
    ))


@dataclass
class AuditEntry:
    """One line of a case's audit trail."""

    at: datetime
    actor: str
    action: str
    draft_id: int | None
    note: str | None


def audit_trail(session: Session, case_id: int) -> list[AuditEntry]:
    """Return every state change and reviewer action on the case, oldest first."""
    entries = [
        AuditEntry(event.at, event.actor,
                   f"{event.from_state or 'new'} -> {event.to_state}", event.draft_id, event.note)
        for event in session.scalars(
            select(DraftEvent).join(Draft).where(equals_id(Draft.case_id, case_id)))
    ]
    entries += [
        AuditEntry(event.at, event.actor, event.action, event.draft_id, event.note)
        for event in session.scalars(
            select(CaseEvent).where(equals_id(CaseEvent.case_id, case_id)))
    ]
    return sorted(entries, key=lambda entry: entry.at)


def case_messages(session: Session, case: Case) -> list[InboundMessage]:
    """Return the case's inbound messages in the order they arrived, with their drafts."""
    return list(session.scalars(
        select(InboundMessage).where(InboundMessage.case_id == case.id)
        .options(joinedload(InboundMessage.draft))
        .order_by(InboundMessage.received_at, InboundMessage.id)
    ).unique())
