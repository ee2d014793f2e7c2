"""Tables in coder mail: markdown (pipes), tab-separated and quoted CSV, with a header row.

The header gives each column a role. Codes in a row take the modifiers and units written
in that row's modifier and units columns. Cells under headers such as "ZIP", "NPI",
"Claim #" or "POS" are masked, so nothing in them is taken for a code. Cells under a
diagnosis header count as diagnosis context.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from consultant.extraction.shapes import TOKEN, classify

Span = tuple[int, int]

MODIFIER = "modifier"
UNITS = "units"
DIAGNOSIS = "diagnosis"
CODE = "code"
MASKED = "masked"

_ROLES = [
    # The size of one billing unit ("Billing unit: 10 mg") or its price, not a count.
    (re.compile(r"billing unit|unit (?:of measure|price|cost|dose|rate|charge|size)|per unit"),
     MASKED),
    (re.compile(r"mod(?:ifier)?s?\b|mod\s*\d|modifier\s*\d"), MODIFIER),
    (re.compile(r"units?\b|qty|quantity|uos|days/units|count\b|# ?units"), UNITS),
    (re.compile(r"dx(?!\s*(?:pointer|ptr))|icd|diag"), DIAGNOSIS),
    (re.compile(r"cpt|hcpcs|code|proc|service|item|pcs"), CODE),
    (
        re.compile(
            r"zip|npi|claim|invoice|inv\b|acct|account|ticket|pos\b|place|rev|tob|type of bill|"
            r"dos\b|"
            r"date|charge|amount|billed|paid|allowed|ndc|drg|carc|rarc|reason|phone|tax|"
            r"pointer|ptr|^line\b|#|no\.?$|mrn|id\b|ref|\$|balance|payer|member|age|"
            # Anesthesia times and minutes: "| MIN |", "START", "STOP".
            r"^min\b|minutes|time|start|stop"
        ),
        MASKED,
    ),
]
_MARKDOWN_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")


@dataclass
class Tables:
    """Column roles found in the tables of a text, as spans."""

    masked: list[Span] = field(default_factory=list)
    diagnosis: list[Span] = field(default_factory=list)
    # Per table row: the row's span, its modifier cells and its units cells.
    rows: list[tuple[Span, list[Span], list[Span]]] = field(default_factory=list)

    def row_at(self, position: int) -> tuple[Span, list[Span], list[Span]] | None:
        """Return the table row that contains *position*, if any."""
        index = bisect_right(self.rows, position, key=lambda row: row[0][0]) - 1
        if index >= 0 and self.rows[index][0][0] <= position < self.rows[index][0][1]:
            return self.rows[index]
        return None

    def in_diagnosis_cell(self, position: int) -> bool:
        """Return whether *position* lies in a cell under a diagnosis header."""
        index = bisect_right(self.diagnosis, position, key=lambda span: span[0]) - 1
        return index >= 0 and self.diagnosis[index][0] <= position < self.diagnosis[index][1]


def _cells(line: str, offset: int) -> list[tuple[str, int, int]]:
    """Split a table line into (stripped text, start, end) cells, with absolute offsets."""
    if "|" in line:
        separator = "|"
    elif "\t" in line:
        separator = "\t"
    else:
        separator = ","
    cells = []
    position = 0
    for raw in line.split(separator):
        start = offset + position
        position += len(raw) + 1
        # The quotes of a CSV cell are not part of its text.
        text = raw.strip().strip('"') if separator == "," else raw.strip()
        cells.append((text, start, start + len(raw)))
    if separator == "|":
        # Leading and trailing pipes leave empty edge cells.
        if cells and not cells[0][0]:
            cells = cells[1:]
        if cells and not cells[-1][0]:
            cells = cells[:-1]
    return cells


def _role(header: str) -> str | None:
    header = header.lower().lstrip("> ").strip()
    for pattern, role in _ROLES:
        if pattern.search(header):
            return role
    return None


def _has_code(line: str) -> bool:
    return any(classify(match["token"]) for match in TOKEN.finditer(line))


def _is_table_line(line: str, under_header: bool = False) -> bool:
    # A CSV line counts when its cells are quoted ("40031177","03/02/2026","96375"),
    # because commas alone also separate codes in prose. Under a header, a row whose
    # later cells are empty ("99051<tab><tab>") ends in tabs.
    if under_header and "\t" in line.lstrip():
        return True
    return line.count("|") >= 2 or "\t" in line.strip() or line.count('","') >= 2


# The header of a CSV export without quotes, with a column for codes:
# "ticket,acct,dos,code,mod,units,ndc,charge". Its rows have as many commas.
_CSV_HEADER = re.compile(
    r"^[ \t>]*[A-Za-z#][\w #/.-]*(?:,[ \t]*[A-Za-z#][\w #/.-]*){3,}[ \t]*\r?$", re.MULTILINE
)
_CSV_CODE_WORD = re.compile(r"(?i)(?:^|,)[ \t]*(?:cpt|hcpcs|code|proc)")


def find_tables(text: str) -> Tables:
    """Return the column roles of every table with a recognisable header in *text*."""
    tables = Tables()
    plain_csv = "," in text and any(
        _CSV_CODE_WORD.search(match.group()) for match in _CSV_HEADER.finditer(text)
    )
    if "|" not in text and "\t" not in text and '","' not in text and not plain_csv:
        return tables
    roles: list[str | None] | None = None
    # The comma count of the header of an unquoted CSV table, while its rows follow.
    commas: int | None = None
    offset = 0
    for line in text.splitlines(keepends=True):
        start = offset
        offset += len(line)
        body = line.rstrip("\r\n")
        in_csv = commas is not None and body.count(",") == commas
        if not in_csv and not _is_table_line(body, under_header=roles is not None):
            roles = commas = None
            if plain_csv and _CSV_HEADER.fullmatch(body) and _CSV_CODE_WORD.search(body):
                roles = [_role(cell) for cell, _, _ in _cells(body, start)]
                commas = body.count(",")
            continue
        if _MARKDOWN_RULE.match(body.lstrip("> ")):
            continue
        cells = _cells(body, start)
        if roles is None:
            header = [_role(cell) for cell, _, _ in cells]
            if any(header) and not _has_code(body):
                roles = header
            continue
        _add_row(tables, roles, cells, (start, start + len(body)))
    return tables


def _add_row(
    tables: Tables, roles: list[str | None], cells: list[tuple[str, int, int]], row: Span
) -> None:
    modifier_cells: list[Span] = []
    unit_cells: list[Span] = []
    for role, (_, start, end) in zip(roles, cells, strict=False):
        if role == MODIFIER:
            modifier_cells.append((start, end))
        elif role == UNITS:
            unit_cells.append((start, end))
        elif role == MASKED:
            tables.masked.append((start, end))
        elif role == DIAGNOSIS:
            tables.diagnosis.append((start, end))
    tables.rows.append((row, modifier_cells, unit_cells))


# The units header of a table whose columns are lined up with spaces, as in claim lines
# pasted from a CMS-1500 or UB-04 screen: "Rev    HCPCS        Units   Charges".
_ALIGNED_UNITS_HEADER = re.compile(r"(?<![\w])(?i:units?|qty|uos)(?![\w])")
_ALIGNED_GAP = re.compile(r"\S[ ]{2,}\S")
# A count is a number alone: "1 mg" under "Unit" is the size of the billing unit.
_ALIGNED_COUNT = re.compile(
    r"(?<!\S)\d{1,3}(?!\S)(?![ \t](?i:mg|mcg|ml|g|gm|iu|units?|cc|l|meq|mmol)\b)"
)
# How far a count may stand from the header's columns and still be under it.
_ALIGNED_SLACK = 3


def aligned_units(text: str) -> list[tuple[int, int, int]]:
    """Return (line start, line end, count) for rows under a space-aligned units header.

    A header is a line with at least two gaps of two or more spaces, a units word and
    no code. Each following line up to a blank one is a row. A number of one to three
    digits under the units word is that row's count.
    """
    rows: list[tuple[int, int, int]] = []
    column: tuple[int, int] | None = None
    offset = 0
    for line in text.splitlines(keepends=True):
        start = offset
        offset += len(line)
        body = line.rstrip("\r\n")
        if not body.strip():
            column = None
            continue
        header = _ALIGNED_UNITS_HEADER.search(body)
        if header is not None and len(_ALIGNED_GAP.findall(body)) >= 2 and not _has_code(body):
            column = (header.start() - _ALIGNED_SLACK, header.end() + _ALIGNED_SLACK)
            continue
        if column is None:
            continue
        for count in _ALIGNED_COUNT.finditer(body):
            if count.start() < column[1] and count.end() > column[0]:
                rows.append((start, start + len(body), int(count.group())))
                break
    return rows


# How far above its rows the heading of a space-aligned table may be.
_HEADING_LINES = 12
# A heading word: letters with at most one digit ("DX1", "Units", "MOD"). Values in the
# rows between it and the token have more digits ("E1142", "11/04/25") or none of its
# letters ("--").
_HEADING_WORD = re.compile(r"[A-Za-z][A-Za-z/#_.()-]*\d?(?![^\s])")


def heading_above(text: str, position: int) -> str | None:
    """Return the heading of the space-aligned column that starts at *position*, if any.

    The heading is the nearest line above, within a few lines, with a heading word that
    starts in the same column, past the rows of values between them: "DX1" above
    "E1142" in "DOS  CPT    DX1" over "11/04/25  99214  E1142". Tab-separated tables,
    whose columns do not line up by character, are read by ``find_tables`` instead.
    """
    line_start = text.rfind("\n", 0, position) + 1
    column = position - line_start
    if column == 0 or "\t" in text[line_start:position]:
        return None
    end = line_start - 1
    for _ in range(_HEADING_LINES):
        if end <= 0:
            return None
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end]
        end = start - 1
        if "\t" in line:
            return None
        if len(line) <= column or line[column].isspace() or not line[column - 1].isspace():
            continue
        heading = _HEADING_WORD.match(line, column)
        if heading is not None:
            return heading.group()
    return None

