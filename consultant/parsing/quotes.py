"""Trimming quoted replies and signatures from the text that extraction reads.

The reviewer always sees the full body; only ``ParsedMessage.question`` is trimmed.
A cut happens at the first of:

- an attribution line "On <date>, <name> wrote:", also when a mail client wrapped
  it over up to three lines, and its German and French counterparts;
- an Outlook header block ("-----Original Message-----", or a "From:" line followed
  by "Sent:" or "Date:" within the next lines);
- a signature separator: "-- " on its own line (RFC 3676 section 4.3), a line of
  underscores, or a mobile "Sent from my ..." line.

A line that contains something shaped like a code (five digits, a letter and
digits) is never taken for a separator, so "--99213" or "-- 25 modifier" stays.
Lines starting with ">" are dropped wherever they are.

An answer written between the quoted lines below an attribution ("> old question",
then the new text, then more "> " lines) is new text and is kept, up to a signature.
"""

from __future__ import annotations

import re

_ATTRIBUTION = re.compile(
    r"^[ \t]*(?:On|Am|Le)\b[^\n]{0,200}(?:\n[^\n]{0,200}){0,2}?"
    # German puts the name after the verb: "Am <date> schrieb <name> <address>:".
    r"(?:\b(?:wrote|a écrit)[ \t]*|\bschrieb\b[^\n]{0,200}(?:\n[^\n]{0,200})?):[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_ORIGINAL_MESSAGE = re.compile(
    r"^[ \t]*-{2,}[ \t]*(?:Original Message|Ursprüngliche Nachricht|Message d'origine)"
    r"[ \t]*-{2,}[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_OUTLOOK_HEADER = re.compile(
    r"^[ \t]*\*?From:\*?[ \t].*\n(?:.*\n){0,3}?[ \t]*\*?(?:Sent|Date):\*?[ \t]",
    re.IGNORECASE | re.MULTILINE,
)
_SIGNATURE = re.compile(
    r"^(?:-- ?|_{5,}|Sent from my [^\n]{1,40}|Get Outlook for [^\n]{1,40})[ \t]*$",
    re.MULTILINE,
)
_FORWARD_MARK = re.compile(
    r"^[ \t]*(?:-{2,}[ \t]*Forwarded message[ \t]*-{2,}|Begin forwarded message:)", re.I | re.M
)
_BLANK_RUN = re.compile(r"\n(?:[ \t]*\n)+")
_QUOTE_PREFIX = re.compile(r"^[ \t]*> ?")
_CODE_SHAPE = re.compile(r"\d{4}[\dFTU]|\b[A-Z]\d{2}|\b\d{2}\b", re.IGNORECASE)


def _first_cut(text: str) -> int | None:
    positions = []
    for pattern in (_ATTRIBUTION, _ORIGINAL_MESSAGE, _OUTLOOK_HEADER):
        match = pattern.search(text)
        if match:
            positions.append(match.start())
    signature = _signature(text)
    if signature is not None:
        positions.append(signature)
    return min(positions) if positions else None


def _signature(text: str) -> int | None:
    """Return where the signature starts, if a separator line marks one."""
    for match in _SIGNATURE.finditer(text):
        if not _CODE_SHAPE.search(match.group(0)):
            return match.start()
    return None


def _inline_answers(quoted: str) -> str:
    """Return the unquoted lines written between the quoted lines after an attribution.

    Only a reply whose first line after the attribution is quoted with ">" counts, so
    an earlier message pasted without quote marks is not taken for new text. The
    new text ends at a signature, or at a header block of a still earlier message.
    """
    first = next((line for line in quoted.splitlines() if line.strip()), "")
    if not first.lstrip().startswith(">"):
        return ""
    ends = [_signature(quoted)]
    ends += [match.start() for pattern in (_ATTRIBUTION, _ORIGINAL_MESSAGE, _OUTLOOK_HEADER)
             if (match := pattern.search(quoted))]
    end = min((position for position in ends if position is not None), default=len(quoted))
    answers = [line for line in quoted[:end].splitlines() if not line.lstrip().startswith(">")]
    # Each dropped quote leaves the blank lines around it, so runs of them become one.
    return _BLANK_RUN.sub("\n\n", "\n".join(answers)).strip()


def _forwarded_header(text: str) -> re.Match[str] | None:
    """Return the header block that starts the earlier message of a forward, if any."""
    matches = [match for pattern in (_ATTRIBUTION, _ORIGINAL_MESSAGE, _OUTLOOK_HEADER)
               if (match := pattern.search(text))]
    return min(matches, key=lambda match: match.start()) if matches else None


def strip_quoted(text: str, forwarded: bool = False) -> str:
    """Return the new text of a message: without quoted replies, quote lines and signature.

    A forwarded message ("---------- Forwarded message ----------") is kept, because
    a forward usually carries the question itself. With *forwarded* (the subject starts
    with "Fw:" or "Fwd:"), an Outlook or Apple Mail header block starts the forwarded
    message too, instead of a quoted reply.
    """
    marked = _FORWARD_MARK.search(text)
    forward = marked or (_forwarded_header(text) if forwarded else None)
    head, tail = (text[: forward.start()], text[forward.start() :]) if forward else (text, "")
    cut = _first_cut(head)
    if cut is not None:
        attribution = _ATTRIBUTION.match(head, cut)
        answers = "" if attribution is None else _inline_answers(head[attribution.end() :])
        head = head[:cut] + "\n" + answers if answers else head[:cut]
        # A forward keeps its forwarded part below a signature ("Sent from my iPad") or
        # the rule Outlook draws above the header block. A reply keeps nothing below it
        # but the answers written between its quoted lines.
        if not forwarded:
            tail = ""
    if forwarded:
        # Apple Mail quotes the forwarded message; in a forward it is the question itself.
        tail = "\n".join(_QUOTE_PREFIX.sub("", line, count=1) for line in tail.splitlines())
    kept = [line for line in (head + tail).splitlines() if not line.lstrip().startswith(">")]
    return "\n".join(kept).strip()
