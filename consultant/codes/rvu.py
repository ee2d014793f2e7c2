"""Parse the CMS Physician Fee Schedule RVU file (PPRRVU), leaving out its descriptors.

The DESCRIPTION column carries CPT descriptors, which belong to the AMA, so it is
never read into a row.  Columns are found by their headings, which the file splits
over two rows (for example "WORK" above "RVU").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from consultant.codes.tabular import read_table
from consultant.errors import ImportFileError

# Stored value name, then words its joined heading contains and words it must not.
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "status_code": (("status",), ()),
    "work_rvu": (("work",), ()),
    "pe_rvu_nonfacility": (("non-fac", "pe rvu"), ("na",)),
    "pe_rvu_facility": (("facility", "pe rvu"), ("non-fac", "na ")),
    "mp_rvu": (("mp", "rvu"), ("opps",)),
    "total_nonfacility": (("non-facility", "total"), ()),
    "total_facility": (("facility", "total"), ("non-facility",)),
    "pctc_indicator": (("pctc",), ()),
    "global_days": (("glob",), ()),
    "multiple_procedure": (("mult",), ()),
    "bilateral_surgery": (("bilat",), ()),
    "assistant_surgery": (("asst",), ()),
    "co_surgeons": (("co", "surg"), ("asst", "team", "bilat")),
    "team_surgery": (("team",), ()),
    "conversion_factor": (("conv",), ()),
}
REQUIRED = (
    "status_code",
    "work_rvu",
    "global_days",
    "pctc_indicator",
    "multiple_procedure",
    "bilateral_surgery",
    "assistant_surgery",
    "co_surgeons",
    "team_surgery",
)
NUMERIC = (
    "work_rvu",
    "pe_rvu_nonfacility",
    "pe_rvu_facility",
    "mp_rvu",
    "total_nonfacility",
    "total_facility",
    "conversion_factor",
)
# Five characters with at least one digit, so a heading such as "HCPCS" is not a code.
_CODE = re.compile(r"(?=.*\d)[0-9A-Z]{5}")


def _column(headings: list[str], include: tuple[str, ...], exclude: tuple[str, ...]) -> int | None:
    for index, heading in enumerate(headings):
        padded = heading + " "
        if all(word in heading for word in include) and not any(word in padded for word in exclude):
            return index
    return None


def _columns(path: Path, headings: list[str]) -> dict[str, int]:
    if not headings or "hcpcs" not in headings[0]:
        raise ImportFileError(f"{path.name}: expected the first column to be headed HCPCS")
    found = {name: _column(headings, *words) for name, words in COLUMNS.items()}
    missing = [name for name in REQUIRED if found[name] is None]
    if missing:
        raise ImportFileError(f"{path.name}: expected RVU columns missing: {', '.join(missing)}")
    return {name: index for name, index in found.items() if index is not None}


def _number(value: str, where: str, name: str) -> float | None:
    value = value.strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError as error:
        raise ImportFileError(f"{where}: expected a number for {name}, found {value!r}") from error


def parse_rvu(path: Path) -> Iterator[dict[str, Any]]:
    """Yield rows of ``pfs_rvu_values``: code, modifier, status, global days and values."""
    table = read_table(
        path,
        first_heading=lambda cells: any(cell.lower() in {"work", "work rvu"} for cell in cells),
        is_data=lambda cells: bool(cells) and bool(_CODE.fullmatch(cells[0].upper())),
        expected="with a WORK RVU column",
    )
    columns = _columns(path, table.headings)
    width = 1 + max(columns.values())
    for number, cells in table.rows:
        where = f"{path.name} line {number}"
        if len(cells) < width:
            raise ImportFileError(
                f"{where}: expected at least {width} columns, found {len(cells)}; "
                "the file may be truncated"
            )
        values: dict[str, Any] = {}
        for name, index in columns.items():
            cell = cells[index].strip()
            values[name] = _number(cell, where, name) if name in NUMERIC else (cell or None)
        yield {
            "code": cells[0].strip().upper(),
            "modifier": cells[1].strip().upper() or None,
            "status_code": values.pop("status_code"),
            "global_days": values.pop("global_days"),
            "values": values,
        }
