"""Parse an RFC 5322 message into what the pipeline reads.

Parsing never raises on malformed mail: what the parser could not understand is
listed in ``defects`` and the raw bytes stay untouched in storage.  Header values
are decoded by ``parsing.headers`` and bodies by ``parsing.mime``, both with the
charset fallbacks of ``parsing.charsets``.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from consultant.parsing.detection import not_a_message_reason
from consultant.parsing.headers import decode_header_value
from consultant.parsing.htmltext import html_to_text
from consultant.parsing.mime import Forwarded, WalkResult, body_from, parse_bytes, walk
from consultant.parsing.quotes import strip_quoted

__all__ = ["ParsedMessage", "html_to_text", "not_a_message_reason", "parse_message",
           "stand_in_message_id", "strip_quoted"]

log = logging.getLogger(__name__)

# RFC 5322 limits a line to 998 characters; a longer Message-ID is not usable as a key.
MAX_MESSAGE_ID_LENGTH = 998


@dataclass
class ParsedMessage:
    """The fields the pipeline reads from one email.

    ``body`` is the full readable text for the reviewer; ``question`` is the new text
    only (quotes and signature trimmed, forwarded questions appended).
    """

    message_id: str
    subject: str
    sender: str | None
    reply_to: str | None
    in_reply_to: str | None
    references: list[str]
    date: datetime | None
    body: str
    question: str
    defects: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    inline_parts: list[str] = field(default_factory=list)
    forwarded: list[Forwarded] = field(default_factory=list)
    # Decoded header values by lower-case name, in message order.
    headers: dict[str, list[str]] = field(default_factory=dict)
    content_type: str = "text/plain"
    content_types: list[str] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        """Return the first value of header *name*, or None."""
        values = self.headers.get(name.lower())
        return values[0] if values else None


def stand_in_message_id(raw: bytes) -> str:
    """Return a stable Message-ID for a message that has none: the SHA-256 of its bytes."""
    return f"<{hashlib.sha256(raw).hexdigest()}@no-message-id.invalid>"


def first_address(value: str | None) -> str | None:
    """Return the first address in an address header value, lower-cased domain kept as is."""
    if not value:
        return None
    try:
        pairs = getaddresses([value])
    except (ValueError, IndexError, TypeError):
        return None
    addresses = [address.strip() for _name, address in pairs if "@" in address]
    return addresses[0] if addresses else None


def message_ids(value: str | None) -> list[str]:
    """Return the <id> tokens of a Message-ID, In-Reply-To or References value.

    Tokens with control characters or raw 8-bit bytes are skipped, because they
    cannot be stored as a key (PostgreSQL text rejects NUL) and RFC 5322 allows
    neither.
    """
    return [token for token in re.findall(r"<[^<>\s]+>", value or "")
            if len(token) <= MAX_MESSAGE_ID_LENGTH and token.isascii() and token.isprintable()]


def _headers(message: Message, defects: list[str]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Return decoded header values and the raw first value of each header."""
    decoded: dict[str, list[str]] = {}
    raw: dict[str, str] = {}
    for name, value in message.raw_items():
        key = str(name).strip().lower()
        text = str(value)
        raw.setdefault(key, text)
        decoded.setdefault(key, []).append(decode_header_value(text, defects))
    return decoded, raw


def _date(value: str | None, defects: list[str]) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        defects.append("unreadable Date header")
        return None


_FORWARD_SUBJECT = re.compile(r"\s*(?:fwd?|fw)\s*:", re.IGNORECASE)


def _question(main: str, reading: WalkResult, subject: str) -> str:
    pieces = [strip_quoted(main, forwarded=_FORWARD_SUBJECT.match(subject) is not None)]
    for forward in reading.forwarded:
        pieces.append(strip_quoted(forward.text))
    return "\n\n".join(piece for piece in pieces if piece)


def _full_body(main: str, reading: WalkResult) -> str:
    pieces = [main] if main else []
    for forward in reading.forwarded:
        pieces.append(f"---------- Forwarded message ----------\nFrom: {forward.sender}\n"
                      f"Subject: {forward.subject}\n\n{forward.text}")
    return "\n\n".join(pieces)


def _main_text(reading: WalkResult, defects: list[str]) -> str:
    main = body_from(reading)
    if not main.strip() and reading.text_attachments:
        name, text = reading.text_attachments[0]
        defects.append(f"no body text; question read from the attachment {name!r}")
        main = text
    return main


def walk_message(message: Message, defects: list[str]) -> WalkResult:
    """Walk the MIME tree of *message*, recording what cannot be read in *defects*."""
    reading = WalkResult()
    try:
        walk(message, reading, defects)
    except (RecursionError, ValueError, LookupError, TypeError, AttributeError) as error:
        defects.append(f"unreadable MIME structure: {type(error).__name__}")
    for part in message.walk():
        if part is not message:
            defects += [type(defect).__name__ for defect in part.defects]
    return reading


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse *raw* into a ParsedMessage; never raises for malformed mail."""
    defects: list[str] = []
    message = parse_bytes(raw)
    defects += [type(defect).__name__ for defect in message.defects]
    headers, raw_headers = _headers(message, defects)

    reading = walk_message(message, defects)

    main = _main_text(reading, defects)
    subject = " ".join((headers.get("subject") or [""])[0].split())
    ids = message_ids(raw_headers.get("message-id"))
    in_reply_to = message_ids(raw_headers.get("in-reply-to"))
    return ParsedMessage(
        message_id=ids[0] if ids else stand_in_message_id(raw),
        subject=subject,
        sender=first_address(raw_headers.get("from")),
        reply_to=first_address(raw_headers.get("reply-to")),
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=message_ids(raw_headers.get("references")),
        date=_date(raw_headers.get("date"), defects),
        body=_full_body(main, reading),
        question=_question(main, reading, subject),
        defects=list(dict.fromkeys(defects)),
        attachments=reading.attachments,
        inline_parts=reading.inline_parts,
        forwarded=reading.forwarded,
        headers=headers,
        content_type=message.get_content_type(),
        content_types=reading.content_types,
    )
