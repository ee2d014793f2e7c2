"""Decoding bytes to text when the declared charset is missing, unknown or wrong.

The declared charset is tried first.  When Python does not know it, or the bytes
are not valid in it, decoding falls back to UTF-8, then windows-1252, then Latin-1
(which accepts every byte), and the caller records a defect naming what happened.
"""

from __future__ import annotations

import codecs

FALLBACK_CHARSETS = ("utf-8", "windows-1252", "latin-1")

# Labels mail clients send that Python's codec registry does not resolve.
_ALIASES = {
    "unknown-8bit": None,
    "x-unknown": None,
    "x-user-defined": "windows-1252",
    "ansi_x3.4-1968": "ascii",
    "iso-8859-8-i": "iso-8859-8",
}


def normalize_charset(label: str | None) -> str | None:
    """Return the Python codec name for a MIME charset label, or None when unknown."""
    if not label:
        return None
    label = label.strip().strip('"').lower()
    if label in _ALIASES:
        return _ALIASES[label]
    try:
        return codecs.lookup(label).name
    except (LookupError, UnicodeError, ValueError):
        # A label with undecodable bytes or a NUL is as unknown as a misspelt one.
        return None


def decode_text(data: bytes, declared: str | None) -> tuple[str, str | None]:
    """Decode *data*, returning the text and a defect description (None when clean).

    US-ASCII is widened to UTF-8 without a defect, because senders often label
    UTF-8 text as ASCII and the bytes cannot be misread that way.
    """
    codec = normalize_charset(declared)
    if codec == "ascii":
        codec = "utf-8"
    if codec is not None:
        try:
            return data.decode(codec), None
        except UnicodeDecodeError:
            problem = f"bytes invalid in declared charset {declared!r}"
        except LookupError:
            problem = f"unknown charset {declared!r}"
    else:
        problem = f"unknown charset {declared!r}" if declared else None

    for fallback in FALLBACK_CHARSETS:
        if fallback == codec:
            continue
        try:
            text = data.decode(fallback)
        except UnicodeDecodeError:
            continue
        if problem is None:
            # No charset declared: only a non-ASCII guess is worth a defect.
            if not data.isascii() and fallback != "utf-8":
                return text, f"no charset declared; decoded as {fallback}"
            return text, None
        return text, f"{problem}; decoded as {fallback}"
    # Unreachable because Latin-1 maps every byte, kept for type checkers.
    return data.decode("latin-1", errors="replace"), problem
