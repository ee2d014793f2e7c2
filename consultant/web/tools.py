"""The code lookup box and the Ask page: the pipeline's knowledge base, without mail."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from consultant.codes.info import reported_status
from consultant.codes.lookup import describe, describe_any, ended_edition_note
from consultant.drafting.services import SYSTEM_LABELS, Reply, answer_question, look_up_codes
from consultant.errors import TextTooLong
from consultant.extraction.dates import dates_of_service

# Maximum lengths in characters, the same in the web forms and the JSON API.
MAX_LOOKUP_LENGTH = 500
MAX_SUBJECT_LENGTH = 500
MAX_QUESTION_LENGTH = 20_000


def lookup(session: Session, text: str) -> list[dict[str, Any]]:
    """Look up each code in *text* and return one row per code and system, in text order.

    Codes are found, and looked up by a date of service in the text, the way the email
    path does it. A word that the extractor does not read as a code, but that is written
    like an attempt at one (see ``code_like_words``), is looked up in every code system
    as it is, so a mistyped code gets a row too. A single word is looked up that way
    whatever it looks like. A code that could not be checked gets the status
    "not_checked", as in ``caseconsultant codes lookup --json``, never "not_found".

    Raises TextTooLong when *text* has more than MAX_LOOKUP_LENGTH characters.
    """
    if len(text) > MAX_LOOKUP_LENGTH:
        raise TextTooLong("lookup text", len(text), MAX_LOOKUP_LENGTH)
    text = text.strip()
    if not text:
        return []
    date_of_service = max(dates_of_service(text), default=None)
    entries = look_up_codes(session, "", text, date_of_service)
    if not entries and len(text.split()) == 1:
        return _look_up_word(session, text, None)
    rows = [(_first_start(entry), _reported(entry)) for entry in entries]
    read_spans = [(start, end) for entry in entries for start, end in entry["positions"]]
    for start, word in code_like_words(text, read_spans):
        rows.extend((start, row) for row in _look_up_word(session, word, date_of_service))
    # A stable sort, so the rows of one word keep the order of the code systems.
    rows.sort(key=lambda row: row[0])
    return [row for _, row in rows]


def code_like_words(text: str, read_spans: list[tuple[int, int]]) -> list[tuple[int, str]]:
    """Return the words of *text* written like a code that no span in *read_spans* overlaps.

    Words are separated by white space, commas, semicolons, slashes and dashes, and lose
    the brackets, quotes and sentence punctuation around them. Each distinct word comes
    back once, with its offset in *text*. See ``_is_code_like`` for what counts.
    """
    found: list[tuple[int, str]] = []
    seen: set[str] = set()
    for match in _WORD.finditer(text):
        stripped = match.group().strip(_AROUND_WORDS)
        if not stripped:
            continue
        start = match.start() + match.group().index(stripped)
        end = start + len(stripped)
        if any(start < read_end and read_start < end for read_start, read_end in read_spans):
            continue
        if _is_code_like(stripped) and stripped.upper() not in seen:
            seen.add(stripped.upper())
            found.append((start, stripped))
    return found


_WORD = re.compile(r"[^\s,;/\-\u2013]+")
_AROUND_WORDS = "()[]{}<>\"'.:?!*#"
# Letters and digits with at most one dot inside, as codes are written.
_CODE_CHARACTERS = re.compile(r"[0-9A-Za-z]+(?:\.[0-9A-Za-z]+)?")
# Words with digits that are not codes. Whole numbers of up to four digits are counts,
# years or amounts. The others are decimal numbers, a number with a lower-case unit
# (40mg, 2nd, 15min, 10x), units written as x19, and code set names (ICD10, CPT4).
# Units take a lower-case x only, because X1 to X5 are HCPCS Level II modifiers.
_NOT_CODES = re.compile(
    r"\d{1,4}|\d+\.\d+|\d+[a-z]+|x\d{1,3}|(?i:icd|cpt)\d{1,2}(?i:cm|pcs)?"
)


def _is_code_like(word: str) -> bool:
    """Return whether *word* is written like an attempt at a code or a modifier.

    It must be letters and digits, 2 to 8 of them with at most one dot inside, and at
    least one a digit. Words without a digit ("and", "DOS") and the numbers and
    quantities that ``_NOT_CODES`` matches do not count.
    """
    if _CODE_CHARACTERS.fullmatch(word) is None or _NOT_CODES.fullmatch(word) is not None:
        return False
    characters = word.replace(".", "")
    return 2 <= len(characters) <= 8 and any(character.isdigit() for character in characters)


def _first_start(entry: dict[str, Any]) -> int:
    return min((start for start, _ in entry["positions"]), default=0)


def _look_up_word(session: Session, word: str,
                  date_of_service: date | None) -> list[dict[str, Any]]:
    """Look *word* up in every code system as it is written, on *date_of_service*.

    Each system that has it gives a row. Otherwise the one row is what ``describe_any``
    reports: not found, or not checked when a system it may belong to has no edition in
    force to check it in. A word shaped like no code is reported as written, with the
    system "", as ``codes lookup`` does.
    """
    token = word.upper()
    found = []
    for system, label in SYSTEM_LABELS.items():
        info = describe(session, system, token, date_of_service)
        if info.status != "not_found":
            found.append(_reported({**info.to_dict(), "system_label": label}))
    if found:
        return found
    reading = describe_any(session, word, date_of_service)
    ended = None
    if reading.unchecked:
        ended = ended_edition_note(session, reading.system, date_of_service, reading.code)
    return [_reported({**reading.to_dict(), "system_label": SYSTEM_LABELS.get(reading.system, ""),
                       "review_notes": [ended] if ended else []})]


def _reported(entry: dict[str, Any]) -> dict[str, Any]:
    return {**entry, "status": reported_status(entry["status"], bool(entry.get("unchecked")))}


def ask(session: Session, subject: str, question: str) -> Reply:
    """Return the draft the email path would write for *question*; nothing is stored or sent.

    Raises EmptyQuestion when the question is empty or only white space, and TextTooLong
    when the subject or the question is longer than its maximum.
    """
    if len(subject) > MAX_SUBJECT_LENGTH:
        raise TextTooLong("subject", len(subject), MAX_SUBJECT_LENGTH)
    if len(question) > MAX_QUESTION_LENGTH:
        raise TextTooLong("question", len(question), MAX_QUESTION_LENGTH)
    return answer_question(session, subject, question)
