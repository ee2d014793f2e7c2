"""Reading Outlook TNEF (winmail.dat) parts with tnefparse.

Outlook wraps the body and attachments of some messages in one
application/ms-tnef part; without unpacking it the question would be lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from tnefparse import TNEF

from consultant.parsing.charsets import decode_text
from consultant.parsing.htmltext import html_to_text

log = logging.getLogger(__name__)


@dataclass
class TnefFile:
    """One file attached inside a TNEF part: its name and its bytes."""

    name: str
    data: bytes


@dataclass
class TnefContent:
    """The body text and attached files recovered from a TNEF part."""

    text: str
    attachments: list[TnefFile] = field(default_factory=list)


def _as_text(value: bytes | str | None, defects: list[str]) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    text, defect = decode_text(value.rstrip(b"\x00"), None)
    if defect:
        defects.append(f"winmail.dat body: {defect}")
    return text


def read_tnef(data: bytes, defects: list[str]) -> TnefContent | None:
    """Return what *data* holds, or None (with a defect) when it is not readable TNEF."""
    try:
        tnef = TNEF(data, do_checksum=False)
    except Exception as error:  # noqa: BLE001 - tnefparse raises many types on bad input
        module = type(error).__module__
        name = type(error).__name__ if module == "builtins" else f"{module}.{type(error).__name__}"
        defects.append(f"unreadable winmail.dat: {name}")
        return None
    text = _as_text(tnef.body, defects).replace("\r\n", "\n").strip("\x00")
    if not text.strip() and tnef.htmlbody:
        text = html_to_text(_as_text(tnef.htmlbody, defects))
    files = []
    for attachment in tnef.attachments:
        try:
            name = _as_text(attachment.long_filename(), defects) or "attachment"
        except (UnicodeDecodeError, AttributeError):
            defects.append("winmail.dat attachment with an unreadable name")
            name = "attachment"
        data = attachment.data if isinstance(attachment.data, bytes) else b""
        files.append(TnefFile(name=name, data=data))
    return TnefContent(text=text, attachments=files)
