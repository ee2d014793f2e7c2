"""Drafting a reply for one stored inbound message."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from email.utils import make_msgid
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from consultant.codes.lookup import describe
from consultant.config import Settings
from consultant.extraction import extract
from consultant.drafting.templates import render
from consultant.drafting.text import codes_table
from consultant.parsing import ParsedMessage, parse_message
from consultant.storage.models import Case, Draft, DraftEvent, DraftState, InboundMessage, MessageState

log = logging.getLogger(__name__)

SYSTEM_LABELS = {
    "cpt": "CPT",
    "hcpcs": "HCPCS Level II",
    "icd10cm": "ICD-10-CM",
    "icd10pcs": "ICD-10-PCS",
    "modifier": "Modifier",
}


@dataclass
class Reply:
    """A rendered reply: subject, plain text and HTML bodies, and the codes it covers."""

    subject: str
    body_text: str
    body_html: str
    codes: list[dict[str, Any]] = field(default_factory=list)


def reply_subject(subject: str, case_token: str | None) -> str:
    """Return "Re: <subject>" with the case token, without stacking "Re:" or tokens."""
    subject = " ".join(subject.split()) or "Your coding question"
    if not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    if case_token and f"[Case {case_token}]" not in subject:
        subject = f"{subject} [Case {case_token}]"
    return subject


def look_up_codes(
    session: Session, text: str, date_of_service: date | None = None
) -> list[dict[str, Any]]:
    """Extract the codes of *text* and return each with what the code sets say about it."""
    entries = []
    for reference in extract(text):
        info = describe(session, reference.system, reference.code, date_of_service)
        entry = reference.to_dict()
        entry.update(
            system_label=SYSTEM_LABELS.get(reference.system, reference.system),
            status=info.status,
            description=info.description,
            section=info.section,
            source=info.source,
            notes=info.notes,
            messages=info.messages,
        )
        entries.append(entry)
    return entries


def compose_reply(session: Session, parsed: ParsedMessage, case_token: str | None) -> Reply:
    """Render the reply to *parsed* from the consultation templates."""
    codes = look_up_codes(session, f"{parsed.subject}\n\n{parsed.question}")
    context = {
        "codes_table": codes_table,
        "subject": parsed.subject,
        "question": parsed.question,
        "codes": codes,
        "case_token": case_token,
    }
    return Reply(
        subject=reply_subject(parsed.subject, case_token),
        body_text=render("replies/consultation/body.txt.j2", **context),
        body_html=render("replies/consultation/body.html.j2", **context),
        codes=codes,
    )


def _find_case(session: Session, parsed: ParsedMessage) -> Case | None:
    """Return the case this message follows up on, by In-Reply-To and References."""
    ids = [*parsed.references, *([parsed.in_reply_to] if parsed.in_reply_to else [])]
    if not ids:
        return None
    case_id = session.scalar(
        select(InboundMessage.case_id).where(InboundMessage.message_id.in_(ids),
                                             InboundMessage.case_id.is_not(None)).limit(1)
    ) or session.scalar(
        select(Draft.case_id).where(or_(Draft.reply_message_id.in_(ids))).limit(1)
    )
    return session.get(Case, case_id) if case_id else None


def draft_for_message(session: Session, message_row_id: int, settings: Settings) -> Draft | None:
    """Create the pending draft for an inbound message; return the existing one if made before.

    Raises ValueError when the message gives no address to reply to; the caller
    quarantines the message.
    """
    message = session.get_one(InboundMessage, message_row_id, with_for_update=True)
    if message.draft is not None:
        return message.draft

    parsed = parse_message(message.raw)
    message.sender = parsed.sender
    message.subject = parsed.subject
    recipient = parsed.reply_to or parsed.sender
    if recipient is None:
        raise ValueError("the message has neither a From nor a Reply-To address")

    case = _find_case(session, parsed) or Case()
    message.case = case
    session.flush()
    reply = compose_reply(session, parsed, case.token)
    settings.require("from_address")
    domain = settings.from_address.rpartition("@")[2]
    own_id = parsed.message_id if not parsed.message_id.endswith(".invalid>") else None
    references = [*parsed.references, *([own_id] if own_id else [])]
    draft = Draft(
        case=case,
        inbound_message=message,
        to_address=recipient,
        subject=reply.subject,
        body_text=reply.body_text,
        body_html=reply.body_html,
        in_reply_to=own_id,
        references=" ".join(references) or None,
        reply_message_id=make_msgid(domain=domain),
        codes=reply.codes,
    )
    session.add(draft)
    session.flush()
    session.add(DraftEvent(draft=draft, from_state=None, to_state=DraftState.PENDING_REVIEW.value,
                           actor="system", note=f"{len(reply.codes)} codes found"))
    message.state = MessageState.DRAFTED
    log.info("drafted draft=%d message_row=%d codes=%d", draft.id, message.id, len(reply.codes))
    return draft
