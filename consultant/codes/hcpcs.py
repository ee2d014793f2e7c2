"""Parse the CMS HCPCS Level II quarterly files: the ANWEB workbook and its CSV export.

Each row carries one record: RECID 3 is a procedure or supply code, RECID 7 a Level II
modifier.  Modifier codes are right-aligned in the HCPC column, so they are stripped.
Dates are ``YYYYMMDD``.  Terminated codes stay in the file with their TERM DT, which is
the last date of service the code may be used for.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from consultant.codes.hcpcs_fixed import read_fixed_width
from consultant.codes.tabular import xlsx_rows
from consultant.errors import ImportFileError

REQUIRED_COLUMNS = (
    "HCPC",
    "SEQNUM",
    "RECID",
    "LONG DESCRIPTION",
    "SHORT DESCRIPTION",
    "COV",
    "BETOS",
    "ADD DT",
    "ACT EFF DT",
    "TERM DT",
    "ACTION CD",
)
# Extra columns kept with each code when present, under lower-case keys.
KEPT_COLUMNS = ("MULT_PI", "PRICE1", "TOS1", "ASC_GRP", "OPPS", "OPPS_PI", "PROCNOTE")
XREF_COLUMNS = ("XREF1", "XREF2", "XREF3", "XREF4", "XREF5")
DATE_COLUMNS = {"ADD DT": "added", "ACT EFF DT": "action_effective", "TERM DT": "terminated"}
PROCEDURE_RECIDS = {"3": "first", "4": "continued"}
MODIFIER_RECIDS = {"7": "first", "8": "continued"}
_QUARTERS = {"JAN": 1, "APR": 4, "JUL": 7, "OCT": 10}
_FILE_NAME = re.compile(r"HCPC(?P<year>\d{4})_(?P<month>JAN|APR|JUL|OCT)", re.IGNORECASE)
_PROCEDURE = re.compile(r"[A-Z]\d{4}")
_MODIFIER = re.compile(r"[0-9A-Z]{2}")


@dataclass
class HcpcsRecord:
    """One HCPCS Level II code or modifier, ready to store."""

    system: str
    code: str
    description: str
    short_description: str
    attributes: dict[str, Any] = field(default_factory=dict)


def edition_from_name(path: Path) -> tuple[str, date] | None:
    """Read the edition and its first day from a CMS file name such as HCPC2025_OCT_ANWEB."""
    match = _FILE_NAME.search(path.name)
    if match is None:
        return None
    year, month = int(match["year"]), _QUARTERS[match["month"].upper()]
    return f"{year} {match['month'].capitalize()}", date(year, month, 1)


def parse_yyyymmdd(value: str, where: str) -> str | None:
    """Return an ISO date for a ``YYYYMMDD`` value, None for an empty one."""
    value = value.strip()
    if not value:
        return None
    try:
        if not value.isdigit() or len(value) != 8:
            raise ValueError("not eight digits")
        return date(int(value[:4]), int(value[4:6]), int(value[6:8])).isoformat()
    except ValueError as error:
        raise ImportFileError(f"{where}: expected a date as YYYYMMDD, found {value!r}") from error


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) from an ANWEB .xlsx or .csv, checking the header first."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        rows = xlsx_rows(path)
    elif suffix == ".csv":
        rows = _csv_rows(path)
    else:
        raise ImportFileError(f"{path.name}: expected an ANWEB file ending in .xlsx or .csv")
    header: Sequence[str] | None = None
    for number, values in rows:
        if header is None:
            header = [_cell(value).strip().upper() for value in values]
            missing = [name for name in REQUIRED_COLUMNS if name not in header]
            if missing:
                raise ImportFileError(
                    f"{path.name} line {number}: expected the ANWEB header, "
                    f"missing columns {', '.join(missing)}"
                )
            continue
        if not any(_cell(value).strip() for value in values):
            continue
        if len(values) < len(header):
            # Every row of the CMS workbook and its CSV export has as many cells as the
            # header, so a shorter row is most likely the last row of a file cut short.
            raise ImportFileError(
                f"{path.name} line {number}: expected {len(header)} columns as in the header, "
                f"found {len(values)}. The file may be cut short, so download it again"
            )
        yield number, dict(zip(header, (_cell(value) for value in values), strict=False))
    if header is None:
        raise ImportFileError(f"{path.name}: the file is empty; expected the ANWEB header row")


def _csv_rows(path: Path) -> Iterator[tuple[int, Sequence[object]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        try:
            for values in reader:
                yield reader.line_num, values
        except (csv.Error, UnicodeDecodeError) as error:
            raise ImportFileError(
                f"{path.name} line {reader.line_num + 1}: expected UTF-8 CSV ({error})"
            ) from error


def _attributes(row: dict[str, str], where: str) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "coverage": row["COV"].strip() or None,
        "betos": row["BETOS"].strip() or None,
        "action_code": row["ACTION CD"].strip() or None,
    }
    for column, key in DATE_COLUMNS.items():
        attributes[key] = parse_yyyymmdd(row[column], f"{where} column {column}")
    for column in KEPT_COLUMNS:
        value = row.get(column, "").strip()
        if value:
            attributes[column.lower()] = value
    xrefs = [row[column].strip() for column in XREF_COLUMNS if row.get(column, "").strip()]
    if xrefs:
        attributes["cross_references"] = xrefs
    return attributes


def _classify(row: dict[str, str], where: str) -> tuple[str, str, bool]:
    recid = row["RECID"].strip()
    code = row["HCPC"].strip().upper()
    if recid in PROCEDURE_RECIDS:
        system, shape, continued = "hcpcs", _PROCEDURE, PROCEDURE_RECIDS[recid] == "continued"
    elif recid in MODIFIER_RECIDS:
        system, shape, continued = "modifier", _MODIFIER, MODIFIER_RECIDS[recid] == "continued"
    else:
        raise ImportFileError(f"{where}: expected RECID 3, 4, 7 or 8, found {recid!r}")
    if not shape.fullmatch(code):
        kind = "a letter and four digits" if system == "hcpcs" else "two characters"
        raise ImportFileError(f"{where}: expected an HCPC of {kind}, found {code!r}")
    return system, code, continued


def parse_anweb(path: Path) -> list[HcpcsRecord]:
    """Parse an ANWEB .xlsx, .csv or fixed-width .txt file into records."""
    if path.suffix.lower() == ".txt":
        return build_records(path, read_fixed_width(path))
    return build_records(path, read_rows(path))


def build_records(path: Path, rows: Iterable[tuple[int, dict[str, str]]]) -> list[HcpcsRecord]:
    """Build records from rows keyed by ANWEB column; a continuation row extends the long text."""
    records: dict[tuple[str, str], HcpcsRecord] = {}
    for number, row in rows:
        where = f"{path.name} line {number}"
        system, code, continued = _classify(row, where)
        long_text = row["LONG DESCRIPTION"].strip()
        record = records.get((system, code))
        if record is not None:
            # Later SEQNUM rows of the same code continue its long description.
            record.description = f"{record.description} {long_text}".strip()
            continue
        if continued:
            raise ImportFileError(f"{where}: continuation row for {code} before its first row")
        if not long_text:
            raise ImportFileError(f"{where}: expected a LONG DESCRIPTION for {code}")
        records[(system, code)] = HcpcsRecord(
            system, code, long_text, row["SHORT DESCRIPTION"].strip(), _attributes(row, where)
        )
    if not records:
        raise ImportFileError(f"{path.name}: expected HCPCS rows after the header, found none")
    return list(records.values())
