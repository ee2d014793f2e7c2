"""Decoding header values: RFC 2047 encoded words and raw 8-bit bytes.

The standard library decodes each encoded word on its own, so a multibyte
character that a sender split across two words comes out as two replacement
characters.  Here adjacent encoded words of the same charset are joined as bytes
before decoding (RFC 2047 section 6.2 lets whitespace between them be dropped).
Raw 8-bit bytes, which arrive as surrogate escapes from the bytes parser, are
decoded with the charset fallbacks of ``charsets.decode_text``.
"""

from __future__ import annotations

import base64
import binascii
import re

from consultant.parsing.charsets import decode_text

_ENCODED_WORD = re.compile(
    r"=\?(?P<charset>[^?*\s]+)(?:\*[^?\s]*)?\?(?P<encoding>[bBqQ])\?(?P<text>[^?\s]*)\?="
)
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_BETWEEN_WORDS = re.compile(r"[ \t\r\n]+")


def _word_bytes(encoding: str, text: str) -> bytes:
    if encoding.lower() == "q":
        return binascii.a2b_qp(text.replace("_", " ").encode("ascii", "surrogateescape"),
                               header=True)
    cleaned = re.sub(r"[^A-Za-z0-9+/]", "", text)
    cleaned = cleaned[: len(cleaned) - len(cleaned) % 4] if len(cleaned) % 4 == 1 else cleaned
    return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))


def _raw_text(segment: str, defects: list[str]) -> str:
    """Decode a stretch of header text that is not an encoded word."""
    data = segment.encode("utf-8", "surrogateescape")
    if data.isascii():
        return segment
    text, defect = decode_text(data, "utf-8")
    if defect:
        defects.append(f"header: raw 8-bit bytes; {defect}")
    return text


def decode_header_value(value: str | None, defects: list[str]) -> str:
    """Return *value* unfolded and decoded to text; problems are appended to *defects*."""
    if value is None:
        return ""
    value = _FOLD.sub("", str(value))
    pieces: list[str] = []
    pending: list[bytes] = []
    pending_charset: str | None = None
    position = 0

    def flush() -> None:
        nonlocal pending, pending_charset
        if pending:
            text, defect = decode_text(b"".join(pending), pending_charset)
            if defect:
                defects.append(f"header: {defect}")
            pieces.append(text)
        pending, pending_charset = [], None

    for match in _ENCODED_WORD.finditer(value):
        between = value[position : match.start()]
        charset = match.group("charset")
        only_space = position > 0 and not _BETWEEN_WORDS.sub("", between)
        if not (only_space and (pending_charset or "").lower() == charset.lower()):
            flush()
            if not only_space:
                pieces.append(_raw_text(between, defects))
        try:
            pending.append(_word_bytes(match.group("encoding"), match.group("text")))
            pending_charset = charset
        except (binascii.Error, ValueError):
            defects.append("header: undecodable encoded word kept as written")
            flush()
            pieces.append(match.group(0))
        position = match.end()
    flush()
    pieces.append(_raw_text(value[position:], defects))
    text = "".join(pieces)
    if "\x00" in text:
        # PostgreSQL text cannot hold NUL, and no header means one; the raw bytes keep it.
        defects.append("header: NUL bytes removed")
        text = text.replace("\x00", "")
    return text.strip()
