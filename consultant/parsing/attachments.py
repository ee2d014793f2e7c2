"""The attachments of a stored message, read again from its raw bytes when needed.

Attachments are never stored apart from the raw message, so the list on the draft page
and the bytes downloaded from it come from the same walk of the MIME tree that
``parse_message`` makes. The list contains the attachments in the order of
``ParsedMessage.attachments``, then the inline images (image parts with a Content-ID
that are not marked as attachments, which an HTML body shows in place) in the order of
``ParsedMessage.inline_parts``. Numbers start at 1.
The raw bytes never change after storage, so a number names the same file on every read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from consultant.errors import NotFound
from consultant.parsing.message import walk_message
from consultant.parsing.mime import AttachmentSource, attachment_bytes, parse_bytes

__all__ = ["Attachment", "format_size", "message_attachment", "message_attachments"]


def format_size(size: int) -> str:
    """Return a size in bytes as reviewers read it: "1 byte", "15,234 bytes"."""
    return "1 byte" if size == 1 else f"{size:,} bytes"


@dataclass(frozen=True)
class Attachment:
    """One attachment of a message, with its bytes after transfer decoding.

    ``filename`` is None when the sender's mail program named no file. The content
    type is the one the message declares (or, for a file inside winmail.dat, the one
    its extension suggests), so it is only a claim of the sender. ``inline`` is true for
    an image part with a Content-ID that is not marked as an attachment.
    """

    number: int
    filename: str | None
    content_type: str
    data: bytes = field(repr=False)
    inline: bool = False

    @property
    def size(self) -> int:
        """Return the size in bytes after transfer decoding."""
        return len(self.data)

    @property
    def label(self) -> str:
        """Return the file name, or the content type when the attachment has no name."""
        return self.filename or self.content_type


def _sources(raw: bytes) -> list[tuple[AttachmentSource, bool]]:
    """Return the source of each file of *raw*, with whether it is an inline image."""
    reading = walk_message(parse_bytes(raw), [])
    return ([(source, False) for source in reading.attachment_sources]
            + [(source, True) for source in reading.inline_sources])


def _attachment(number: int, source: AttachmentSource, inline: bool) -> Attachment:
    # Decoding defects are already listed by parse_message, so they are not kept here.
    return Attachment(number=number, filename=source.filename,
                      content_type=source.content_type, data=attachment_bytes(source, []),
                      inline=inline)


def message_attachments(raw: bytes) -> list[Attachment]:
    """Return every attachment and inline image of the message *raw*.

    Never raises for malformed mail.
    """
    return [_attachment(number, source, inline)
            for number, (source, inline) in enumerate(_sources(raw), start=1)]


def message_attachment(raw: bytes, number: int) -> Attachment:
    """Return attachment or inline image *number* (from 1) of the message *raw*.

    Raises NotFound when the message has no file with that number.
    """
    sources = _sources(raw)
    if not 1 <= number <= len(sources):
        count = len(sources)
        raise NotFound(f"attachment {number} not found: the message has {count} "
                       f"file{'' if count == 1 else 's'} (attachments and inline images). "
                       "Go back to the draft and choose one from its list")
    return _attachment(number, *sources[number - 1])
