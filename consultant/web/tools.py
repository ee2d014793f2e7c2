"""The code lookup box and the Ask page: the pipeline's knowledge base, without mail."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from consultant.codes.info import reported_status
from consultant.codes.lookup import describe, describe_any, ended_edition_note
from consultant.drafting.services import SYSTEM_LABELS, Reply, answer_question, look_up_codes
from consultant.extraction.dates import dates_of_service

MAX_LOOKUP_LENGTH = 500
MAX_QUESTION_LENGTH = 20_000


def lookup(session: Session, text: str) -> list[dict[str, Any]]:
    """Return what the code sets say about each code in *text*.

    Codes are found, and looked up by a date of service in the text, the way the email
    path does it. A single token the extractor does not recognise is looked up in every
    code system as it is. A code that could not be checked gets the status
    "not_checked", as in ``caseconsultant codes lookup --json``, never "not_found".
    """
    text = text.strip()[:MAX_LOOKUP_LENGTH]
    if not text:
        return []
    entries = look_up_codes(session, "", text, max(dates_of_service(text), default=None))
    if entries or len(text.split()) != 1:
        return [_reported(entry) for entry in entries]
    token = text.upper()
    found = []
    for system, label in SYSTEM_LABELS.items():
        info = describe(session, system, token)
        if info.status != "not_found":
            found.append(_reported({**info.to_dict(), "system_label": label}))
    if found:
        return found
    # As ``codes lookup`` does, a token that no loaded code set has is reported as
    # unchecked when a system it may belong to has no edition in force to check it in,
    # and a token shaped like no code is reported as written, with the system "".
    reading = describe_any(session, text)
    ended = (ended_edition_note(session, reading.system, None, reading.code)
             if reading.unchecked else None)
    return [_reported({**reading.to_dict(), "system_label": SYSTEM_LABELS.get(reading.system, ""),
                       "review_notes": [ended] if ended else []})]


def _reported(entry: dict[str, Any]) -> dict[str, Any]:
    return {**entry, "status": reported_status(entry["status"], bool(entry.get("unchecked")))}


def ask(session: Session, subject: str, question: str) -> Reply:
    """Return the draft the email path would write for *question*; nothing is stored or sent.

    Raises EmptyQuestion when the question is empty or only white space.
    """
    return answer_question(session, subject, question[:MAX_QUESTION_LENGTH])
