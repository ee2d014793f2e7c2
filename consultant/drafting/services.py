"""Drafting a reply for one stored inbound message."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from email.utils import make_msgid
from typing import Any

from sqlalchemy.orm import Session

from consultant.config import Settings
from consultant.drafting.checker import KnowledgeBaseChecker
from consultant.drafting.templates import load_overrides, render
from consultant.drafting.text import TEMPLATE_HELPERS
from consultant.drafting.verdicts import PROCEDURE_SYSTEMS, ncci_verdicts
from consultant.errors import EmptyQuestion
from consultant.extraction import extract_message
from consultant.extraction.dates import dates_of_service, impossible_dates_of_service
from consultant.intake.processing import Intake, StepFailed, prepare, step
from consultant.intake.quarantine import quarantine_message, resolve_entries
from consultant.intake.threading import CASE_TOKEN
from consultant.parsing import ParsedMessage
from consultant.parsing.addresses import is_mail_address
from consultant.storage.models import Draft, DraftEvent, DraftState, InboundMessage, MessageState

log = logging.getLogger(__name__)

# Settings without which a draft cannot be stored: the service address that the reply
# comes from and whose domain its Message-ID uses.
DRAFT_SETTINGS = ("from_address",)

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
    # The date of service the codes were looked up for, when the question gives one.
    date_of_service: date | None = None


def reply_subject(subject: str, case_token: str | None) -> str:
    """Return "Re: <subject>" with the case token, without stacking "Re:" or tokens.

    Tokens of other cases are removed, so a reply never carries a case token that
    its recipient does not take part in.
    """
    if case_token:
        subject = CASE_TOKEN.sub(
            lambda match: match.group(0) if match.group(1).upper() == case_token else "", subject
        )
    subject = " ".join(subject.split()) or "Your coding question"
    if not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    if case_token and f"[Case {case_token}]" not in subject:
        subject = f"{subject} [Case {case_token}]"
    return subject


def look_up_codes(
    session: Session, subject: str, body: str, date_of_service: date | None = None
) -> list[dict[str, Any]]:
    """Extract the codes of a subject and body and return each with its code-set lookup.

    Each candidate is checked against the editions in force on *date_of_service*, so
    a shape that no loaded code set contains comes back with validity "unrecognised".
    A code missing from an edition that is not in force, or from a code set that is not
    loaded, comes back with "unchecked" true, because its absence proves nothing.
    Procedure codes also carry the NCCI verdicts that involve them, under "verdicts".
    """
    checker = KnowledgeBaseChecker(session, date_of_service)
    references = extract_message(subject, body, checker).references
    verdicts, unchecked_note = ncci_verdicts(session, references, date_of_service)
    entries = []
    for reference in references:
        info = checker.describe(reference.system, reference.code)
        expired = checker.expired_note(reference.system, reference.code)
        review_notes = [expired] if expired else []
        if unchecked_note and reference.system in PROCEDURE_SYSTEMS:
            # Said once, on the first procedure code.
            review_notes.append(unchecked_note)
            unchecked_note = None
        entry = reference.to_dict()
        entry.update(
            system_label=SYSTEM_LABELS.get(reference.system, reference.system),
            status=info.status,
            description=info.description,
            section=info.section,
            source=info.source,
            notes=info.notes,
            messages=info.messages,
            unchecked=checker.unchecked(reference.system, reference.code),
            verdicts=verdicts.get(reference.code.upper(), []),
            review_notes=review_notes,
        )
        entries.append(entry)
    return entries


def compose_reply(
    session: Session,
    parsed: ParsedMessage,
    case_token: str | None,
    history: list[dict[str, Any]] | None = None,
) -> Reply:
    """Render the reply to *parsed* from the consultation templates.

    *history* is the earlier exchange of the case (questions and replies sent, oldest
    first); it is passed to the templates as ``history``. The codes are looked up by the
    date of service the question gives, or in the newest loaded editions when it gives
    none. The templates get that date as ``date_of_service``, and every date of service
    the question gives as ``dates_of_service``. Dates of service that are not calendar
    dates ("13/45/2026") are passed as written in ``impossible_dates_of_service``.
    """
    # A question with several dates of service is looked up as of the latest, and the
    # reply states which date it used.
    asked = f"{parsed.subject}\n{parsed.question}"
    dates = dates_of_service(asked)
    date_of_service = max(dates, default=None)
    codes = look_up_codes(session, parsed.subject, parsed.question, date_of_service)
    # A pair edit concerns two codes; the reply states it once.
    edits = list(dict.fromkeys(verdict for code in codes for verdict in code["verdicts"]))
    context = {
        **TEMPLATE_HELPERS,
        "edits": edits,
        "subject": parsed.subject,
        "question": parsed.question,
        "codes": codes,
        "case_token": case_token,
        "history": history or [],
        "date_of_service": date_of_service,
        "dates_of_service": dates,
        "impossible_dates_of_service": impossible_dates_of_service(asked),
    }
    overrides = load_overrides(session)
    return Reply(
        subject=reply_subject(parsed.subject, case_token),
        body_text=render("replies/consultation/body.txt.j2", overrides, **context),
        body_html=render("replies/consultation/body.html.j2", overrides, **context),
        codes=codes,
        date_of_service=date_of_service,
    )


def answer_question(session: Session, subject: str, question: str) -> Reply:
    """Render the reply the email path would write for a typed *question*.

    Nothing is stored or sent. Raises EmptyQuestion when *question* is empty or only
    white space, whatever the subject contains, so Ask rejects it the same way everywhere.
    """
    if not question.strip():
        raise EmptyQuestion()
    # A browser sends the lines of a form field ended by "\r\n", and mail is read with "\n".
    question = question.replace("\r\n", "\n").replace("\r", "\n")
    parsed = ParsedMessage(
        message_id="<ask@localhost>", subject=subject.strip(), sender=None, reply_to=None,
        in_reply_to=None, references=[], date=None, body=question, question=question.strip(),
    )
    return compose_reply(session, parsed, case_token=None)


def draft_for_message(
    session: Session, message_row_id: int, settings: Settings, *, release: bool = False
) -> Draft | None:
    """Create the pending draft for an inbound message; return the existing one if made before.

    Intake runs first (size limit, parsing, classification, threading): a message
    that must not be answered gets its state and no draft, and None is returned.
    A step that fails quarantines the message with the step and the error, and None
    is returned; the rest of the transaction is kept. *release* lifts the holds.
    """
    message = session.get_one(InboundMessage, message_row_id, with_for_update=True)
    if message.draft is not None:
        return message.draft
    if message.state != MessageState.RECEIVED and not release:
        return None
    try:
        with session.begin_nested():
            intake = prepare(session, message, settings, release=release)
            if intake is None:
                return None
            with step("draft"):
                draft = _create_draft(session, message, intake, settings)
            # A message retried from the web or released is no longer waiting in quarantine.
            resolve_entries(session, message.id, "released" if release else "retried")
            return draft
    except StepFailed as failure:
        quarantine_message(session, message, failure.step, failure.error)
        return None


def _create_draft(
    session: Session, message: InboundMessage, intake: Intake, settings: Settings
) -> Draft:
    parsed, case = intake.parsed, intake.case
    recipient = parsed.reply_to or parsed.sender
    if recipient is None:
        raise ValueError("the message has neither a From nor a Reply-To address")
    if not is_mail_address(recipient):
        # Caught here, a reviewer sees it in quarantine instead of a relay rejecting the reply.
        raise ValueError("the reply address of the message is malformed")

    reply = compose_reply(session, parsed, case.token, intake.history)
    settings.require(*DRAFT_SETTINGS)
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
    count = len(reply.codes)
    note = f"{count} code{'' if count == 1 else 's'} found"
    if intake.history:
        note += f"; follow-up with {len(intake.history)} earlier entries in the case"
    session.add(DraftEvent(draft=draft, from_state=None, to_state=DraftState.PENDING_REVIEW.value,
                           actor="system", note=note))
    message.state = MessageState.DRAFTED
    log.info("drafted draft=%d message_row=%d codes=%d", draft.id, message.id, len(reply.codes))
    return draft
