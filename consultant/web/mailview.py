"""What a reviewer sees of an inbound email: its text, and its HTML only after sanitising.

The HTML part is cleaned with nh3 (the Rust ammonia sanitiser) against an allow-list:
no scripts, no event handler attributes, no styles, no images or other embedded
content, and links only with http, https or mailto targets.  Images are dropped rather
than proxied, so opening a message never tells its sender that it was read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import nh3

from consultant.parsing import parse_message

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt",
    "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "q", "s",
    "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "u", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "abbr": {"title"},
}
_IMAGE = re.compile(r"<img\b", re.IGNORECASE)


@dataclass
class MessageView:
    """The parts of an inbound email shown on the draft page."""

    sender: str | None
    subject: str
    date: datetime | None
    text: str
    question: str
    safe_html: str | None
    images_blocked: int


def sanitise_html(markup: str) -> str:
    """Return *markup* reduced to inert formatting: safe to insert into a page as it is."""
    return nh3.clean(
        markup,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style", "title", "noscript", "template"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def _html_part(raw: bytes) -> str | None:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    try:
        part = message.get_body(preferencelist=("html",))
    except Exception:  # noqa: BLE001 - a broken MIME tree means there is no HTML to show
        return None
    if not isinstance(part, EmailMessage):
        return None
    try:
        return str(part.get_content())
    except (LookupError, UnicodeDecodeError, ValueError, AssertionError):
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else None


def message_view(raw: bytes) -> MessageView:
    """Parse *raw* for display; never raises for malformed mail."""
    parsed = parse_message(raw)
    markup = _html_part(raw)
    return MessageView(
        sender=parsed.sender,
        subject=parsed.subject,
        date=parsed.date,
        text=parsed.body,
        question=parsed.question,
        safe_html=sanitise_html(markup) if markup else None,
        images_blocked=len(_IMAGE.findall(markup)) if markup else 0,
    )
