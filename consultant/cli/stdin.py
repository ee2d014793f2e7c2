"""Reading a question or a message from standard input, with a clear error for bad input."""

from __future__ import annotations

import sys

from consultant.errors import ConsultantError

# Control characters other than tab, line feed, form feed and carriage return.
_CONTROL = frozenset(range(32)) - {9, 10, 12, 13}
# Text with more control characters than this share is taken for binary data.
_MAX_CONTROL_SHARE = 0.01


def read_stdin_text() -> str:
    """Return standard input decoded as UTF-8; raise ConsultantError when it is no text.

    Empty input, input with a NUL byte and input with more than one control character
    in a hundred bytes are rejected. Bytes that are not UTF-8 become U+FFFD, so offsets
    stay one per character.
    """
    return check_text(sys.stdin.buffer.read()).decode("utf-8", errors="replace")


def check_text(raw: bytes) -> bytes:
    """Return *raw* unchanged when it is text; raise ConsultantError when it is not."""
    if not raw.strip():
        raise ConsultantError(
            "standard input is empty; pipe the text in, for example: "
            "echo 'Is E11.4 billable?' | caseconsultant ask"
        )
    controls = sum(1 for byte in raw if byte in _CONTROL)
    if b"\x00" in raw or controls > len(raw) * _MAX_CONTROL_SHARE:
        raise ConsultantError(
            f"standard input is not text ({len(raw)} bytes, {controls} control characters); "
            "pipe a question or an email message"
        )
    return raw
