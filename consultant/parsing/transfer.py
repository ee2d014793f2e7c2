"""Undoing Content-Transfer-Encoding leniently, recording what was wrong.

Base64 bodies are decoded in full even when the padding is missing or when
several padded chunks were concatenated (padding in the middle), which the
standard library either rejects or stops at.  An unknown encoding is read as
8bit, because the bytes are then most likely the content itself.
"""

from __future__ import annotations

import base64
import binascii
import re

_BASE64_CHUNK = re.compile(rb"[A-Za-z0-9+/]+=*")
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/=]")
_KNOWN_IDENTITY = {"7bit", "8bit", "binary", ""}


def decode_base64(data: bytes, defects: list[str]) -> bytes:
    """Decode base64 *data* chunk by chunk, tolerating bad padding and stray bytes."""
    cleaned = _NOT_BASE64.sub(b"", data)
    if len(cleaned) != len(re.sub(rb"\s", b"", data)):
        defects.append("base64: characters outside the alphabet skipped")
    decoded = bytearray()
    chunks = _BASE64_CHUNK.findall(cleaned)
    if len(chunks) > 1:
        defects.append(f"base64: padding inside the body; decoded {len(chunks)} chunks")
    for chunk in chunks:
        letters = chunk.rstrip(b"=")
        if len(letters) % 4 == 1:
            defects.append("base64: dangling character dropped")
            letters = letters[:-1]
        if len(chunk) % 4 and len(chunks) == 1:
            defects.append("base64: missing padding")
        padded = letters + b"=" * (-len(letters) % 4)
        try:
            decoded += base64.b64decode(padded)
        except binascii.Error:
            defects.append("base64: undecodable chunk skipped")
    return bytes(decoded)


def decode_transfer(data: bytes, encoding: object, defects: list[str]) -> bytes:
    """Return *data* with the Content-Transfer-Encoding *encoding* undone.

    *encoding* is the header as the message object gives it: None, a string, or a
    ``Header`` when the field contains bytes that are not ASCII.
    """
    name = str(encoding or "").strip().lower()
    if name == "base64":
        return decode_base64(data, defects)
    if name == "quoted-printable":
        return binascii.a2b_qp(data)
    if name in {"x-uuencode", "uuencode", "x-uue"}:
        return _decode_uuencode(data, defects)
    if name not in _KNOWN_IDENTITY:
        defects.append(f"unknown Content-Transfer-Encoding {encoding!r}; read as 8bit")
    return data


def _decode_uuencode(data: bytes, defects: list[str]) -> bytes:
    decoded = bytearray()
    lines = data.splitlines()
    started = False
    for line in lines:
        if not started:
            started = line.startswith(b"begin ")
            continue
        if line.strip() in {b"end", b"`"}:
            break
        try:
            decoded += binascii.a2b_uu(line)
        except binascii.Error:
            defects.append("uuencode: undecodable line skipped")
    return bytes(decoded)
