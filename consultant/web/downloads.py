"""Sending a mail attachment to the reviewer's browser as a file download.

An attachment's bytes, name and content type all come from the sender, so the
response is built to be saved, never rendered. The body is declared
application/octet-stream, the Content-Disposition is attachment, nosniff forbids content
sniffing, and a sandboxing content security policy applies if a browser renders it
anyway. The file name is cleaned of folders, control characters and quotes before it
goes into the header.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from urllib.parse import quote

from fastapi.responses import Response

from consultant.parsing.attachments import Attachment

# Longer names are cut, keeping the extension. ext4 allows 255 bytes in a name, and
# browsers may add " (1)" to a name that already exists.
MAX_FILENAME_BYTES = 200
DOWNLOAD_SECURITY_POLICY = "default-src 'none'; sandbox"

_PATH_SEPARATORS = re.compile(r"[/\\]")
_NOT_PLAIN_ASCII = re.compile(r"[^A-Za-z0-9._ ()+-]")


def _without_controls(text: str) -> str:
    # Categories Cc and Cf cover CR, LF, NUL and the invisible bidirectional overrides
    # that can disguise an extension ("report\u202efdp.exe").
    return "".join(char for char in text if unicodedata.category(char) not in ("Cc", "Cf"))


def _shortened(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or not 0 < len(extension) <= 10:
        stem, extension = name, ""
    suffix = f".{extension}" if extension else ""
    while len(f"{stem}{suffix}".encode()) > MAX_FILENAME_BYTES:
        stem = stem[:-1]
    return f"{stem}{suffix}"


def download_filename(attachment: Attachment) -> str:
    """Return a file name for *attachment* that is safe to offer: no folder, no controls.

    An attachment without a usable name gets ``attachment-N`` with the extension of its
    content type.
    """
    name = _PATH_SEPARATORS.split(attachment.filename or "")[-1]
    name = " ".join(_without_controls(name).replace('"', "'").split())
    # Leading dots would make a hidden file, and trailing dots or spaces are dropped
    # by Windows.
    name = name.lstrip(". ").rstrip(". ")
    if not name:
        extension = mimetypes.guess_extension(attachment.content_type, strict=False) or ".bin"
        name = f"attachment-{attachment.number}{extension}"
    return _shortened(name)


def content_disposition(filename: str) -> str:
    """Return a Content-Disposition value that makes browsers save *filename* (RFC 6266).

    ``filename`` carries an ASCII stand-in for old clients, and ``filename*`` the full
    name in UTF-8 (RFC 8187).
    """
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = _NOT_PLAIN_ASCII.sub("_", ascii_name).strip() or "attachment"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def attachment_response(attachment: Attachment) -> Response:
    """Return *attachment* as a response that browsers save and never render."""
    headers = {
        "Content-Disposition": content_disposition(download_filename(attachment)),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": DOWNLOAD_SECURITY_POLICY,
    }
    return Response(attachment.data, media_type="application/octet-stream", headers=headers)
