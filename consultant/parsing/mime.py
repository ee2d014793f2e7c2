"""Walking the MIME tree of a message: body text, attachments, forwards, TNEF.

Every step is lenient: a part that cannot be read adds a defect and the walk
goes on with the next part.  The tree comes from the standard library's bytes
parser with the compat32 policy, which keeps header values and bodies as
written, so decoding stays under this module's control.
"""

from __future__ import annotations

import mimetypes
import re
from collections import Counter
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesParser

from consultant.parsing.charsets import decode_text
from consultant.parsing.headers import decode_header_value
from consultant.parsing.htmltext import html_to_text
from consultant.parsing.tnef import read_tnef
from consultant.parsing.transfer import decode_transfer

_BOUNDARY_LINE = re.compile(rb"^--([0-9A-Za-z'()+_,./:=?-]{1,70}?)(--)?[ \t]*\r?$", re.M)
_MAX_DEPTH = 20
_NOT_BODY_TEXT = {"text/calendar", "text/x-vcard", "text/vcard"}


@dataclass
class Forwarded:
    """A message forwarded as a message/rfc822 part."""

    subject: str
    sender: str
    text: str


@dataclass
class AttachmentSource:
    """The origin of one attachment's bytes: a MIME part, or a file unpacked from TNEF.

    ``filename`` is None when the part names no file. ``data`` is used only when
    ``part`` is None.
    """

    filename: str | None
    content_type: str
    part: Message | None = None
    data: bytes = b""

    @property
    def label(self) -> str:
        """Return the file name, or the content type of a part without one."""
        return self.filename or self.content_type


@dataclass
class WalkResult:
    """What the walk found: body texts by kind, attachment names and forwards."""

    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    # The source of each entry of ``attachments``, in the same order.
    attachment_sources: list[AttachmentSource] = field(default_factory=list)
    inline_parts: list[str] = field(default_factory=list)
    # The source of each entry of ``inline_parts``, in the same order.
    inline_sources: list[AttachmentSource] = field(default_factory=list)
    text_attachments: list[tuple[str, str]] = field(default_factory=list)
    forwarded: list[Forwarded] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)
    tnef_text: list[str] = field(default_factory=list)

    def add_attachment(self, source: AttachmentSource) -> None:
        """Record an attachment's label and its source together, so the lists stay aligned."""
        self.attachments.append(source.label)
        self.attachment_sources.append(source)

    def add_attachments_of(self, other: WalkResult) -> None:
        """Append the attachments that the walk of a nested part found."""
        self.attachments += other.attachments
        self.attachment_sources += other.attachment_sources

    def add_inline(self, label: str, source: AttachmentSource) -> None:
        """Record an inline image's label and its source together, so the lists stay aligned."""
        self.inline_parts.append(label)
        self.inline_sources.append(source)

    def add_inline_images_of(self, other: WalkResult) -> None:
        """Append the inline images that the walk of a nested part found."""
        self.inline_parts += other.inline_parts
        self.inline_sources += other.inline_sources


def parse_bytes(raw: bytes, headers_only: bool = False) -> Message:
    """Parse *raw* into a compat32 message tree; the parser records problems as defects."""
    return BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=headers_only)


def payload_bytes(part: Message) -> bytes:
    """Return the body of a non-multipart *part* as the bytes that were written."""
    # get_payload() would decode 8-bit bytes with the declared charset and replace what
    # does not fit; the stored payload keeps them as surrogate escapes, byte for byte.
    payload = part._payload  # noqa: SLF001
    if isinstance(payload, bytes):
        return payload
    if not isinstance(payload, str):
        return b""
    return payload.encode("utf-8", "surrogateescape")


def part_text(part: Message, defects: list[str]) -> str:
    """Decode a text part: transfer encoding first, then the charset with fallbacks."""
    data = decode_transfer(payload_bytes(part), part.get("Content-Transfer-Encoding"), defects)
    text, defect = decode_text(data, part.get_content_charset())
    if defect:
        defects.append(f"{part.get_content_type()}: {defect}")
    if "\x00" in text:
        # PostgreSQL text cannot hold NUL, and no question needs one; the raw bytes keep it.
        defects.append(f"{part.get_content_type()}: NUL bytes removed")
        text = text.replace("\x00", "")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def filename(part: Message, defects: list[str]) -> str | None:
    """Return the attachment file name, decoding RFC 2231 and encoded words leniently."""
    for name, header in (("filename", "content-disposition"), ("name", "content-type")):
        try:
            value = part.get_param(name, header=header)
        except (ValueError, LookupError, TypeError):
            defects.append(f"unreadable {name} parameter")
            continue
        if value is None:
            continue
        if isinstance(value, tuple):
            charset, _language, text = value
            data = text.encode("latin-1", "replace") if isinstance(text, str) else b""
            decoded, defect = decode_text(data, charset or "us-ascii")
            if defect:
                defects.append(f"attachment name: {defect}")
            return decoded
        return decode_header_value(str(value).strip('"'), defects)
    return None


def _is_attachment(part: Message, name: str | None) -> bool:
    disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    return disposition == "attachment" or (name is not None and disposition != "inline")


def recover_multipart(part: Message, defects: list[str]) -> Message | None:
    """Re-read a multipart whose boundary is missing or wrong, guessing it from the body."""
    body = payload_bytes(part)
    tokens = Counter(match.group(1) for match in _BOUNDARY_LINE.finditer(body))
    if not tokens:
        return None
    boundary = tokens.most_common(1)[0][0].decode("ascii")
    defects.append("multipart boundary missing or wrong; recovered from the body")
    header = f'Content-Type: {part.get_content_type()}; boundary="{boundary}"\r\n\r\n'
    recovered = parse_bytes(header.encode("ascii") + body)
    return recovered if recovered.is_multipart() else None


def walk(part: Message, result: WalkResult, defects: list[str], depth: int = 0) -> None:
    """Collect the body texts, attachments and forwards of *part* into *result*."""
    if depth > _MAX_DEPTH:
        defects.append("MIME tree nested too deeply; inner parts skipped")
        return
    content_type = part.get_content_type()
    result.content_types.append(content_type)

    if part.get_content_maintype() == "multipart" and not part.is_multipart():
        recovered = recover_multipart(part, defects)
        if recovered is not None:
            walk(recovered, result, defects, depth + 1)
            return
        defects.append("multipart without parts; read as text")
        result.plain.append(part_text(part, defects))
        return
    if part.is_multipart() and content_type != "message/rfc822":
        _walk_multipart(part, result, defects, depth)
        return
    if content_type == "message/rfc822" or (
        part.is_multipart() and content_type.startswith("message/")
    ):
        _walk_forward(part, result, defects, depth)
        return
    _walk_leaf(part, content_type, result, defects)


def _walk_multipart(part: Message, result: WalkResult, defects: list[str], depth: int) -> None:
    children = [child for child in part.get_payload() if isinstance(child, Message)]
    if part.get_content_type() != "multipart/alternative":
        for child in children:
            walk(child, result, defects, depth + 1)
        return
    # Read one alternative only: the plain text when it has any, otherwise the richest.
    readings = []
    for child in children:
        reading = WalkResult()
        walk(child, reading, defects, depth + 1)
        readings.append(reading)
    chosen = next((r for r in readings if any(t.strip() for t in r.plain)), None)
    chosen = chosen or next((r for r in reversed(readings) if r.html or r.plain), None)
    for reading in readings:
        target = reading if reading is chosen else WalkResult()
        result.plain += target.plain
        result.html += target.html
        result.add_attachments_of(reading)
        result.add_inline_images_of(reading)
        result.text_attachments += reading.text_attachments
        result.forwarded += reading.forwarded
        result.content_types += reading.content_types
        result.tnef_text += reading.tnef_text


def _walk_forward(part: Message, result: WalkResult, defects: list[str], depth: int) -> None:
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    if not isinstance(inner, Message):
        inner = parse_bytes(payload_bytes(part))
    reading = WalkResult()
    walk(inner, reading, defects, depth + 1)
    text = body_from(reading)
    result.forwarded.append(Forwarded(
        subject=decode_header_value(inner.get("Subject"), defects),
        sender=decode_header_value(inner.get("From"), defects),
        text=text,
    ))
    result.add_attachments_of(reading)
    result.add_inline_images_of(reading)
    result.content_types += reading.content_types


def _walk_leaf(part: Message, content_type: str, result: WalkResult, defects: list[str]) -> None:
    name = filename(part, defects)
    if content_type == "application/ms-tnef" or (name or "").lower() == "winmail.dat":
        data = decode_transfer(payload_bytes(part), part.get("Content-Transfer-Encoding"), defects)
        tnef = read_tnef(data, defects)
        if tnef is not None:
            result.tnef_text += [tnef.text] if tnef.text.strip() else []
            for unpacked in tnef.attachments:
                result.add_attachment(AttachmentSource(
                    filename=unpacked.name, content_type=guessed_content_type(unpacked.name),
                    data=unpacked.data))
            return
    content_id = part.get("Content-ID")
    if part.get_content_maintype() == "image" and content_id and not _is_attachment(part, None):
        result.add_inline(name or content_id.strip().strip("<>"),
                          AttachmentSource(name, content_type, part))
        return
    if _is_attachment(part, name):
        result.add_attachment(AttachmentSource(name, content_type, part))
        if content_type == "text/plain":
            result.text_attachments.append((name or content_type, part_text(part, defects)))
        return
    if content_type == "text/html":
        result.html.append(part_text(part, defects))
    elif part.get_content_maintype() == "text" and content_type not in _NOT_BODY_TEXT:
        result.plain.append(part_text(part, defects))
    elif content_type.startswith("message/"):
        # message/delivery-status and message/disposition-notification: readable text.
        result.plain.append(part_text(part, defects))
    else:
        result.add_attachment(AttachmentSource(name, content_type, part))


def guessed_content_type(name: str) -> str:
    """Return the content type that the extension of file *name* suggests.

    The files of a TNEF part are read without their MAPI properties, so for them the
    name is all there is.
    """
    guessed, _encoding = mimetypes.guess_type(name, strict=False)
    return guessed or "application/octet-stream"


def attachment_bytes(source: AttachmentSource, defects: list[str]) -> bytes:
    """Return the bytes of an attachment, with its transfer encoding decoded."""
    if source.part is None:
        return source.data
    return decode_transfer(payload_bytes(source.part),
                           source.part.get("Content-Transfer-Encoding"), defects)


def body_from(reading: WalkResult) -> str:
    """Return the text a reader sees: plain parts, else HTML as text, else TNEF text."""
    plain = "\n\n".join(text.strip("\n") for text in reading.plain if text.strip())
    if plain:
        return plain
    html = "\n\n".join(html_to_text(markup) for markup in reading.html)
    if html.strip():
        return html
    return "\n\n".join(reading.tnef_text)
