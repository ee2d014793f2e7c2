"""Telling an email message from other input, such as a plain-text question.

``caseconsultant parse`` rejects input that is not a message, and ``caseconsultant
extract --message`` reads such input as plain text, so both commands use this one test.
Intake does not use it: mail fetched from IMAP is parsed whatever its shape, and mail
without a sender address is quarantined.
"""

from __future__ import annotations

import re

# Header fields that mail programs and mail servers write: RFC 5322 section 3.6, the
# MIME fields of RFC 2045 and RFC 2183, and common trace, authentication and list
# fields. A text whose header-shaped first line is "Dx: M54.50" names none of them.
MESSAGE_HEADER_FIELDS = frozenset({
    "date", "from", "sender", "reply-to", "to", "cc", "bcc", "message-id", "in-reply-to",
    "references", "subject", "resent-date", "resent-from", "resent-sender", "resent-to",
    "resent-cc", "resent-bcc", "resent-message-id", "return-path", "received",
    "mime-version", "content-type", "content-transfer-encoding", "content-id",
    "content-description", "content-disposition", "content-language",
    "delivered-to", "x-original-to", "envelope-to", "dkim-signature", "authentication-results",
    "arc-seal", "arc-message-signature", "arc-authentication-results", "received-spf",
    "list-id", "list-unsubscribe", "list-post", "precedence", "auto-submitted",
    "user-agent", "x-mailer", "thread-topic", "thread-index",
})

# "Name: value". The name has no white space; RFC 5322 allows only printable ASCII in
# it, but a NUL or 8-bit byte is let through, so a header with such a defect still
# counts and parse_message lists the defect.
_FIELD = re.compile(rb"([^\s:]+)[ \t]*:")
# The end of the header block: an empty line, with or without a carriage return.
_EMPTY_LINE = re.compile(rb"\n\r?\n")


def _header_block(raw: bytes) -> tuple[list[bytes], bool]:
    """Return the lines before the first empty line, and whether an empty line follows."""
    end = _EMPTY_LINE.search(raw)
    if end is None:
        return raw.rstrip(b"\r\n").split(b"\n"), False
    return raw[:end.start()].split(b"\n"), True


def _check_header_block(lines: list[bytes]) -> tuple[str | None, set[str]]:
    """Return why *lines* are not a header block (or None), and the field names found."""
    names: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if number > 1 and line[:1] in (b" ", b"\t"):
            continue  # a folded continuation of the field above
        if number == 1 and line.startswith(b"From "):
            continue  # the mbox separator some programs write before the header
        field = _FIELD.match(line)
        if field is None:
            if number == 1:
                return ('its first line is not a header field ("Name: value"), so it has no '
                        "header fields"), names
            return (f'line {number} is neither a header field ("Name: value") nor the empty '
                    "line that ends the header fields"), names
        names.add(field.group(1).decode("ascii", "replace").lower())
    return None, names


def not_a_message_reason(raw: bytes) -> str | None:
    """Return why *raw* is not an email message, or None when it is one.

    A message is a block of header fields, an empty line, then the body (RFC 5322
    section 2.1), and at least one field must be one that mail programs write (From,
    Subject, Date and the like). So a text whose first line merely looks like a field,
    such as "Dx: M54.50", is not a message. A NUL byte or other defect inside a field
    does not disqualify it.

    NOTE: RFC 5322 lets a message without a body leave out the empty line, but such a
    file is taken for text here, because mail programs save the empty line.
    """
    if not raw:
        return "it is empty"
    if not raw.split(b"\n", 1)[0].strip():
        reason = "it starts with a blank line, so it has no header fields"
    else:
        lines, ended = _header_block(raw)
        reason, names = _check_header_block(lines)
        if reason is None and not names & MESSAGE_HEADER_FIELDS:
            reason = ("none of its header fields is one that email has, such as From, To, "
                      "Subject, Date or Message-ID")
        elif reason is None and not ended:
            reason = "no empty line follows its header fields, so it has no body"
    if reason is None:
        return None
    nul_bytes = raw.count(b"\x00")
    if nul_bytes:
        counted = "1 NUL byte" if nul_bytes == 1 else f"{nul_bytes} NUL bytes"
        reason += f"; it contains {counted}, so it looks like a binary file"
    return reason
