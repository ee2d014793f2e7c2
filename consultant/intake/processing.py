"""Intake decisions for one stored message before a draft is made.

In order: the size limit, parsing, classification (loops, sender lists, automatic
and bulk mail, mail without a reply address, the per-sender rate limit) and
threading.  A message that must not get a reply gets its state here (ignored or
held) and no draft.  A step that raises is reported as ``StepFailed`` naming the
step, so the caller can quarantine the message with it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultant.admin.sender_rules import SenderLists, effective_lists
from consultant.config import Settings
from consultant.intake import classify as kinds
from consultant.intake.classify import Classification, classify
from consultant.intake.quarantine import IGNORED_RESOLUTION, hold_message, resolve_entries
from consultant.intake.services import header_block
from consultant.intake.threading import find_thread
from consultant.parsing import ParsedMessage, parse_message
from consultant.storage.base import utcnow
from consultant.storage.models import Case, Draft, InboundMessage, MessageState

log = logging.getLogger(__name__)



class StepFailed(Exception):
    """A processing step raised; ``step`` names it and ``error`` is the original error."""

    def __init__(self, step: str, error: BaseException) -> None:
        super().__init__(f"{step}: {type(error).__name__}: {error}")
        self.step = step
        self.error = error


@contextmanager
def step(name: str) -> Iterator[None]:
    """Re-raise any error inside the block as StepFailed for step *name*."""
    try:
        yield
    except StepFailed:
        raise
    except Exception as error:
        raise StepFailed(name, error) from error


@dataclass
class Intake:
    """A message cleared for drafting, with its parsed content and its case."""

    parsed: ParsedMessage
    classification: Classification
    case: Case
    history: list[dict[str, Any]] = field(default_factory=list)


def _matches(address: str, entries: list[str]) -> str | None:
    address = address.lower()
    domain = address.rpartition("@")[2]
    for entry in entries:
        if entry == address or entry.lstrip("@") == domain:
            return entry
    return None


def _loop_reason(session: Session, parsed: ParsedMessage, settings: Settings) -> str | None:
    own = (settings.from_address or "").lower()
    if own and (parsed.sender or "").lower() == own:
        return "sent from our own address"
    own_reply = session.scalar(
        select(Draft.id).where(Draft.reply_message_id == parsed.message_id).limit(1)
    )
    if own_reply is not None:
        return "Message-ID of one of our own replies"
    return None


def sender_list_reason(
    parsed: ParsedMessage, settings: Settings, session: Session | None = None
) -> str | None:
    """Return why the sender may not ask, or None.

    The settings lists always apply. With *session* the admins' sender rules from the
    database are added to them; a deny entry wins over an allow entry.
    """
    if session is None:
        lists = SenderLists(allow=settings.sender_allowlist, deny=settings.sender_denylist)
    else:
        lists = effective_lists(session, settings)
    sender = parsed.sender or ""
    denied = _matches(sender, lists.deny)
    if denied:
        return f"sender matches the denylist entry {denied!r}"
    if lists.allow and not _matches(sender, lists.allow):
        return "sender is not on the allowlist"
    return None


def _recent_from_sender(session: Session, message: InboundMessage, settings: Settings) -> int:
    # The sender column is filled when a message is stored, so messages still waiting
    # for their processing task count too.
    since = utcnow() - timedelta(seconds=settings.sender_rate_window)
    return session.scalar(
        select(func.count()).select_from(InboundMessage).where(
            func.lower(InboundMessage.sender) == (message.sender or "").lower(),
            InboundMessage.received_at >= since,
            InboundMessage.id < message.id,
        )
    ) or 0


def decide(
    session: Session, message: InboundMessage, parsed: ParsedMessage, settings: Settings
) -> Classification:
    """Classify *message*: loops, sender lists, automatic mail, then the rate limit."""
    loop = _loop_reason(session, parsed, settings)
    if loop:
        return Classification(kinds.LOOP, [loop])
    listed = sender_list_reason(parsed, settings, session)
    if listed:
        return Classification(kinds.DENIED, [listed])
    found = classify(parsed)
    if not found.answerable:
        return found
    recent = _recent_from_sender(session, message, settings)
    if recent >= settings.sender_rate_limit:
        return Classification(kinds.RATE_LIMITED, [
            *found.reasons,
            f"{recent} earlier messages from this sender within "
            f"{settings.sender_rate_window:g} seconds (limit {settings.sender_rate_limit})",
        ])
    return found


def _released(found: Classification, parsed: ParsedMessage) -> Classification:
    """Return the classification of a message that an operator released.

    The holds are lifted, so it becomes a question. A message without a reply address
    stays unanswerable, because a release cannot supply one, and its last reason says so.
    """
    if not kinds.reply_address_missing(parsed):
        return Classification(kinds.QUESTION, [*found.reasons, "released by an operator"])
    unanswerable = {kinds.NO_REPLY_ADDRESS_REASON, kinds.MALFORMED_REPLY_ADDRESS_REASON}
    reasons = [reason for reason in found.reasons if reason not in unanswerable]
    return Classification(kinds.NO_REPLY_ADDRESS, [
        *reasons, "released by an operator, but not drafted, because it has no From or "
        "Reply-To address that a reply can be delivered to"])


def _set_headers(message: InboundMessage, parsed: ParsedMessage) -> None:
    # PostgreSQL text columns reject NUL, which broken mail may carry.
    message.sender = parsed.sender.replace("\x00", "") if parsed.sender else None
    message.subject = parsed.subject.replace("\x00", "")


def _record(message: InboundMessage, classification: Classification) -> None:
    message.classification = classification.kind
    message.classification_reasons = list(classification.reasons)


def _settle_unanswerable(session: Session, message: InboundMessage, found: Classification) -> None:
    if found.held:
        hold_message(session, message, "; ".join(found.reasons))
    else:
        message.state = MessageState.IGNORED
        # A quarantined or held message that a re-run ignores has nothing left to re-run.
        resolve_entries(session, message.id, IGNORED_RESOLUTION)
    log.info("message_row=%d classified %s; no draft", message.id, found.kind)


def prepare(
    session: Session, message: InboundMessage, settings: Settings, *, release: bool = False
) -> Intake | None:
    """Run the intake steps for *message*; return None when it gets no draft.

    With *release* the holds are lifted: an operator decided to have it drafted.
    Raises StepFailed naming the step that raised.
    """
    if message.size > settings.max_message_bytes and not release:
        found = Classification(kinds.OVERSIZED, [
            f"{message.size} bytes, over CASECONSULTANT_MAX_MESSAGE_BYTES "
            f"({settings.max_message_bytes})"])
        with step("parse"):
            # The header block alone names the sender and subject for the operator.
            _set_headers(message, parse_message(header_block(message.raw)))
        _record(message, found)
        _settle_unanswerable(session, message, found)
        return None

    with step("parse"):
        parsed = parse_message(message.raw)
        _set_headers(message, parsed)
        message.defects = list(parsed.defects)

    with step("classify"):
        found = decide(session, message, parsed, settings)
        if release:
            found = _released(found, parsed)
        _record(message, found)
        if not found.answerable:
            _settle_unanswerable(session, message, found)
            return None

    with step("thread"):
        match = find_thread(session, parsed, message.id)
        case = match.case or Case()
        message.case = case
        message.thread_match = match.method
        message.related_case = match.related_case
        session.flush()
    return Intake(parsed=parsed, classification=found, case=case, history=match.history)
