"""Parse an RFC 5322 message with the standard library's modern email policy.

Parsing never raises on malformed mail: what the parser could not understand is
listed in ``defects`` and the raw bytes stay untouched in storage.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

_QUOTE_HEADER = re.compile(r"^\s*(On\b.{0,300}?\bwrote:|-{2,}\s*Original Message\s*-{2,})\s*$",
                           re.IGNORECASE | re.MULTILINE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"</(p|div|tr|li|h\d|table)\s*>|<br\s*/?>", re.IGNORECASE)
_DROP_ELEMENTS = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


@dataclass
class ParsedMessage:
    """What the pipeline reads from one email."""

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


def stand_in_message_id(raw: bytes) -> str:
    """Return a stable Message-ID for a message that has none: the SHA-256 of its bytes."""
    return f"<{hashlib.sha256(raw).hexdigest()}@no-message-id.invalid>"


def _first_address(value: str | None) -> str | None:
    if not value:
        return None
    addresses = [address for _name, address in getaddresses([value]) if "@" in address]
    return addresses[0] if addresses else None


def _header(message: EmailMessage, name: str, defects: list[str]) -> str | None:
    try:
        value = message.get(name)
    except Exception as error:  # noqa: BLE001 - header parsing may fail on any malformed input
        defects.append(f"unreadable {name} header: {type(error).__name__}")
        return None
    return None if value is None else str(value).strip()


def _part_text(part: EmailMessage, defects: list[str]) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeDecodeError, ValueError, AssertionError) as error:
        defects.append(f"undecodable {part.get_content_type()} part: {type(error).__name__}")
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace")


def html_to_text(markup: str) -> str:
    """Convert HTML to plain text for reading; script and style content is dropped."""
    markup = _DROP_ELEMENTS.sub(" ", markup)
    markup = _BLOCK_END.sub("\n", markup)
    text = html.unescape(_TAG.sub("", markup))
    lines = [re.sub(r"[ \t\xa0]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _body_text(message: EmailMessage, defects: list[str]) -> str:
    try:
        part = message.get_body(preferencelist=("plain", "html"))
    except Exception as error:  # noqa: BLE001 - a broken MIME tree must not stop parsing
        defects.append(f"unreadable MIME structure: {type(error).__name__}")
        part = None
    if part is None:
        return ""
    text = _part_text(part, defects).replace("\r\n", "\n")
    if part.get_content_type() == "text/html":
        return html_to_text(text)
    return text


def strip_quoted(text: str) -> str:
    """Return the new text of a reply: without the quoted earlier message and quote lines."""
    match = _QUOTE_HEADER.search(text)
    if match:
        text = text[: match.start()]
    kept = [line for line in text.splitlines() if not line.lstrip().startswith(">")]
    return "\n".join(kept).strip()


def _message_ids(value: str | None) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value or "")


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse *raw* into a ParsedMessage; never raises for malformed mail."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    defects = [type(defect).__name__ for defect in message.defects]

    message_id = _header(message, "Message-ID", defects)
    ids = _message_ids(message_id)
    date_value = _header(message, "Date", defects)
    try:
        date = parsedate_to_datetime(date_value) if date_value else None
    except (TypeError, ValueError):
        defects.append("unreadable Date header")
        date = None

    body = _body_text(message, defects)
    in_reply_to = _message_ids(_header(message, "In-Reply-To", defects))
    return ParsedMessage(
        message_id=ids[0] if ids else stand_in_message_id(raw),
        subject=_header(message, "Subject", defects) or "",
        sender=_first_address(_header(message, "From", defects)),
        reply_to=_first_address(_header(message, "Reply-To", defects)),
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=_message_ids(_header(message, "References", defects)),
        date=date,
        body=body,
        question=strip_quoted(body),
        defects=defects,
    )
