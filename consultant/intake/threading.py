"""Finding the case a follow-up belongs to.

A message joins an earlier case when its In-Reply-To, any id in its References
(RFC 5322 section 3.6.4), or a "[Case TOKEN]" in its subject points at that case,
and its sender already takes part in the case (sent a message in it, or was the
recipient of a reply).  A pointer from anyone else only links the new case to
the old one for the reviewer: the new draft sees nothing of the old exchange,
because a case token or a Message-ID is no proof of who is asking.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.parsing import ParsedMessage, parse_message
from consultant.storage.models import Case, Draft, DraftState, InboundMessage

CASE_TOKEN = re.compile(r"\[Case ([0-9A-F]{6,16})\]", re.IGNORECASE)


@dataclass
class ThreadMatch:
    """Where a message belongs: the case it joins or the case it only links to."""

    case: Case | None = None
    method: str | None = None
    related_case: Case | None = None
    history: list[dict[str, Any]] = field(default_factory=list)


def _case_by_message_id(session: Session, message_id: str) -> Case | None:
    case_id = session.scalar(
        select(InboundMessage.case_id)
        .where(InboundMessage.message_id == message_id, InboundMessage.case_id.is_not(None))
        .limit(1)
    ) or session.scalar(select(Draft.case_id).where(Draft.reply_message_id == message_id).limit(1))
    return session.get(Case, case_id) if case_id else None


def _pointed_cases(session: Session, parsed: ParsedMessage) -> Iterator[tuple[Case, str]]:
    """Yield each case the message points at, with how, nearest pointer first."""
    if parsed.in_reply_to:
        case = _case_by_message_id(session, parsed.in_reply_to)
        if case is not None:
            yield case, "in_reply_to"
    # The last References entry is the parent, so search from the end.
    for message_id in reversed(parsed.references):
        case = _case_by_message_id(session, message_id)
        if case is not None:
            yield case, "references"
    for token in CASE_TOKEN.findall(parsed.subject):
        case = session.scalar(select(Case).where(Case.token == token.upper()))
        if case is not None:
            yield case, "subject_token"


def participants(session: Session, case: Case) -> set[str]:
    """Return the lower-cased addresses that took part in *case*."""
    senders = session.scalars(
        select(InboundMessage.sender).where(InboundMessage.case_id == case.id)
    )
    recipients = session.scalars(select(Draft.to_address).where(Draft.case_id == case.id))
    return {address.lower() for address in [*senders, *recipients] if address}


def case_history(session: Session, case: Case, before_row_id: int) -> list[dict[str, Any]]:
    """Return the earlier exchange of *case*: each question and each reply sent, oldest first."""
    history: list[dict[str, Any]] = []
    messages = session.scalars(
        select(InboundMessage)
        .where(InboundMessage.case_id == case.id, InboundMessage.id < before_row_id)
        .order_by(InboundMessage.id)
    )
    for message in messages:
        parsed = parse_message(message.raw)
        history.append({"kind": "question", "at": message.received_at,
                        "subject": parsed.subject, "text": parsed.question})
        draft = message.draft
        if draft is not None and draft.state == DraftState.SENT:
            history.append({"kind": "reply", "at": draft.sent_at,
                            "subject": draft.subject, "text": draft.body_text})
    return history


def find_thread(session: Session, parsed: ParsedMessage, row_id: int) -> ThreadMatch:
    """Return the case the message with row id *row_id* joins, or the one it only links to."""
    sender = (parsed.sender or "").lower()
    first: tuple[Case, str] | None = None
    for case, method in _pointed_cases(session, parsed):
        if sender and sender in participants(session, case):
            return ThreadMatch(case=case, method=method,
                               history=case_history(session, case, row_id))
        first = first or (case, method)
    if first is None:
        return ThreadMatch()
    return ThreadMatch(related_case=first[0], method=f"linked_{first[1]}")
