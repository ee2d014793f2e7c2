"""Read the CMS HCPCS Level II fixed-width text file: one 320-character record a line.

Fields follow the CMS record layout in the same order as the ANWEB workbook columns,
so each record becomes a row keyed by the workbook's column names.  RECID 4 and 8
records continue the long description of the code before them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from consultant.errors import ImportFileError

RECORD_LENGTH = 320
# (ANWEB column, first position, last position), counted from 1 as in the CMS layout.
# NOTE: the offsets follow the CMS record layout of the quarterly TXT file. The tests
# check them on synthetic records only, because no CMS-published TXT file is at hand.
FIELDS: tuple[tuple[str, int, int], ...] = (
    ("HCPC", 1, 5),
    ("SEQNUM", 6, 10),
    ("RECID", 11, 11),
    ("LONG DESCRIPTION", 12, 91),
    ("SHORT DESCRIPTION", 92, 119),
    ("PRICE1", 120, 121),
    ("PRICE2", 122, 123),
    ("PRICE3", 124, 125),
    ("PRICE4", 126, 127),
    ("MULT_PI", 128, 128),
    ("CIM1", 129, 134),
    ("CIM2", 135, 140),
    ("CIM3", 141, 146),
    ("MCM1", 147, 154),
    ("MCM2", 155, 162),
    ("MCM3", 163, 170),
    ("STATUTE", 171, 180),
    *((f"LABCERT{n}", 181 + 3 * (n - 1), 183 + 3 * (n - 1)) for n in range(1, 9)),
    *((f"XREF{n}", 205 + 5 * (n - 1), 209 + 5 * (n - 1)) for n in range(1, 6)),
    ("COV", 230, 230),
    ("ASC_GRP", 231, 232),
    ("ASC_DT", 233, 240),
    ("OPPS", 241, 243),
    ("OPPS_PI", 244, 244),
    ("OPPS_DT", 245, 252),
    ("PROCNOTE", 253, 256),
    ("BETOS", 257, 259),
    *((f"TOS{n}", 260 + n, 260 + n) for n in range(1, 6)),
    ("ANEST_BU", 267, 269),
    ("ADD DT", 270, 277),
    ("ACT EFF DT", 278, 285),
    ("TERM DT", 286, 293),
    ("ACTION CD", 294, 294),
)
# Shorter lines lost their trailing blanks; shorter than this, fields are missing.
MIN_LENGTH = 294


def split_record(line: str) -> dict[str, str]:
    padded = line.ljust(RECORD_LENGTH)
    return {name: padded[first - 1 : last] for name, first, last in FIELDS}


def read_fixed_width(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) of a fixed-width HCPCS file, checking each record's length."""
    with path.open(encoding="latin-1", newline="") as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            if len(line) > RECORD_LENGTH or len(line.rstrip()) < 11:
                raise ImportFileError(
                    f"{path.name} line {number}: expected a {RECORD_LENGTH}-character record, "
                    f"found {len(line)} characters"
                )
            if len(line) < MIN_LENGTH and line[10] in "37":
                raise ImportFileError(
                    f"{path.name} line {number}: expected a {RECORD_LENGTH}-character record, "
                    f"found {len(line)} characters; the file may be truncated"
                )
            yield number, split_record(line)
