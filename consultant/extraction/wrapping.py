"""Join the lines of prose that a mail client wrapped, keeping every offset.

Plain-text mail is often wrapped near 72 to 80 characters, and quoted replies are
wrapped again behind their "> " marks. A wrap can split "J0585 x" from "100", or "with"
from the modifier after it, where the scanner reads a line break as the end of a
claim line or a list item. A line break that only wraps a paragraph becomes a space
here, and so do the quote marks that start the next line. The text keeps its length,
so every position found in it is a position in the message as written.
"""

from __future__ import annotations

import re

# Wrapped lines end near the wrap width. A shorter line ends where its writer ended it,
# and a longer one was not wrapped by a client, so its line break ends a paragraph.
MIN_WRAPPED_LENGTH = 55
MAX_WRAPPED_LENGTH = 100

# The quote marks of a quoted line: ">", "> >", ">>".
_QUOTE_PREFIX = re.compile(r"(?:>[ \t]?)*")
# Lines of a table or a claim pasted with tabs, pipes or columns of spaces. Two spaces
# after a full stop, question mark or colon are prose.
_TABULAR = re.compile(r"\t|\||[^ .?!:] {2,}\S")
# The start of a line that no line before it wraps into: a bullet, a mail header or a
# separator.
_BREAK_START = re.compile(r"[-*•+#=_]|[A-Z][\w-]*:[ \t]|On .* wrote:")
# The start of a numbered item or a definition ("76 - repeat", "Dx: I10"), which only a
# line that stops mid-phrase wraps into.
_ITEM_START = re.compile(r"\d{1,3}[.)][ \t]|[a-zA-Z][.)][ \t]|[\w./]{1,12}[ \t]*(?:[-–—=]|:)[ \t]")
# A line that stops mid-phrase, after "x", "with", "modifier", a comma or the hyphen of
# "20610-" (clients wrap at hyphens), goes on in the next line whatever that line starts
# with, and may be shorter than a wrapped line.
_OPEN_END = re.compile(
    r"(?:(?<![\w.])(?i:x|with|and|or|of|the|an?|to|on|for|from|than|mods?|modifiers?|through"
    r"|thru|vs\.?|versus|is|be|use|add|need|bill|billed|append)|[,&+/(]|(?<=[0-9A-Z]{2})-)[ \t]*\Z"
)
MIN_OPEN_LENGTH = 20
# A line that ends in a code and "x", and a line that starts with the count.
_CODE_TIMES_END = re.compile(r"(?<![\w])(?:\d{4}[0-9FTU]|[A-Z]\d{4})[ \t]+[xX×][ \t]*\Z")
_COUNT_START = re.compile(r"\d{1,3}(?![\d.,/:-])")


def join_wrapped_lines(text: str) -> str:
    """Return *text* with each line break inside a wrapped paragraph replaced by a space."""
    if "\n" not in text:
        return text
    lines = text.split("\n")
    characters: list[str] | None = None
    offset = 0
    for index in range(len(lines) - 1):
        line, following = lines[index], lines[index + 1]
        line_end = offset + len(line)
        prefix_length = _wrapped_prefix_length(line, following)
        if prefix_length is not None:
            if characters is None:
                characters = list(text)
            # The line break and the quote marks of the next line become spaces.
            characters[line_end : line_end + 1 + prefix_length] = " " * (1 + prefix_length)
        offset = line_end + 1
    return text if characters is None else "".join(characters)


def _wrapped_prefix_length(line: str, following: str) -> int | None:
    """Return the length of *following*'s quote marks when *line* wraps into it, else None."""
    if not MIN_OPEN_LENGTH <= len(line) <= MAX_WRAPPED_LENGTH:
        return None
    prefix = _QUOTE_PREFIX.match(line).group()  # type: ignore[union-attr]
    if not following.startswith(prefix):
        return None
    rest = following[len(prefix) :]
    if (
        line.rstrip(" \t").endswith(("x", "X", "×"))
        and _CODE_TIMES_END.search(line) is not None
        and _COUNT_START.match(rest) is not None
    ):
        # "5) J2919 x" above "25  6) J3373 x 100": a count wrapped away from its code,
        # in a line whose runs of spaces would otherwise read as columns.
        return len(prefix)
    if (
        not rest
        or rest[0] in " \t>"
        or _BREAK_START.match(rest) is not None
        or _TABULAR.search(line, len(prefix)) is not None
        or _TABULAR.search(rest) is not None
        # A row of a CSV export ("55178-1,40023311,2026-04-30,20610,RT,1,,285.00") has no
        # space, which a wrapped line of prose always has.
        or " " not in line[len(prefix) :].strip()
        or (" " not in rest.strip() and rest.count(",") >= 3)
    ):
        return None
    if _OPEN_END.search(line) is not None:
        return len(prefix)
    if (
        len(line) < MIN_WRAPPED_LENGTH
        or line.rstrip().endswith(":")
        or _ITEM_START.match(rest) is not None
    ):
        return None
    return len(prefix)
