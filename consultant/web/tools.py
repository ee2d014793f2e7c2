"""The code lookup box and the Ask page: the pipeline's knowledge base, without mail."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from consultant.codes.lookup import describe
from consultant.drafting.services import SYSTEM_LABELS, Reply, answer_question, look_up_codes
from consultant.extraction.dates import dates_of_service

MAX_LOOKUP_LENGTH = 500
MAX_QUESTION_LENGTH = 20_000


def lookup(session: Session, text: str) -> list[dict[str, Any]]:
    """Return what the code sets say about each code in *text*.

    Codes are found, and looked up by a date of service in the text, the way the email
    path does it. A single token the extractor does not recognise is looked up in every
    code system as it is.
    """
    text = text.strip()[:MAX_LOOKUP_LENGTH]
    if not text:
        return []
    entries = look_up_codes(session, "", text, max(dates_of_service(text), default=None))
    if entries or len(text.split()) != 1:
        return entries
    token = text.upper()
    found = []
    for system, label in SYSTEM_LABELS.items():
        info = describe(session, system, token)
        if info.status != "not_found":
            found.append({**info.to_dict(), "system_label": label})
    return found or [{"system": "", "system_label": "", "code": token, "status": "not_found",
                      "description": None, "notes": {}, "messages": []}]


def ask(session: Session, subject: str, question: str) -> Reply:
    """Return the draft the email path would write for *question*; nothing is stored or sent.

    Raises EmptyQuestion when the question is empty or only white space.
    """
    return answer_question(session, subject, question[:MAX_QUESTION_LENGTH])
