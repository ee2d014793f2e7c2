"""Reading a question or a message from standard input, with a clear error for bad input."""

from __future__ import annotations

from consultant.errors import ConsultantError

# Control characters other than tab, line feed, form feed and carriage return.
_CONTROL = frozenset(range(32)) - {9, 10, 12, 13}
# Text with more control characters than this share is taken for binary data.
_MAX_CONTROL_SHARE = 0.01


def check_text(raw: bytes) -> bytes:
    """Return *raw* unchanged when it is text; raise ConsultantError when it is not.

    Empty input, input with a NUL byte and input with more than one control character
    in a hundred bytes are rejected.
    """
    if not raw.strip():
        raise ConsultantError(
            "standard input is empty; pipe the text in, for example: "
            "echo 'Is E11.4 billable?' | caseconsultant extract"
        )
    controls = sum(1 for byte in raw if byte in _CONTROL)
    if b"\x00" in raw or controls > len(raw) * _MAX_CONTROL_SHARE:
        raise ConsultantError(
            f"standard input is not text ({len(raw)} bytes, {controls} control characters); "
            "pipe a question or an email message"
        )
    return raw
