"""Parse the CMS NCCI files: PTP edits, MUE limits and add-on codes.

The files come as .xlsx, .csv or tab-delimited .txt. They open with AMA and CMS notices
and may split their headings over several rows, which ``tabular.read_table`` handles.
Column positions follow the CMS layouts and are checked against the headings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from consultant.codes.tabular import check_headings, parse_date, read_table
from consultant.errors import ImportFileError

PTP_SETTINGS = ("practitioner", "hospital")
MUE_SETTINGS = ("practitioner", "hospital", "dme")
MODIFIER_INDICATORS = {
    "0": "no modifier allows the pair",
    "1": "a modifier such as 59 or XE/XP/XS/XU may allow the pair when clinically appropriate",
    "9": "the edit does not apply (deleted on its effective date)",
}
MUE_ADJUDICATION = {
    "1": "line edit: each claim line is checked against the limit",
    "2": "date of service edit, policy: the limit is absolute for one date of service",
    "3": "date of service edit, clinical: units above the limit need documentation on appeal",
}
# Add-on code edit types: 1 lists every primary code, 2 lists none (the contractor
# decides), 3 lists some and lets the contractor accept others.
AOC_TYPES = (1, 2, 3)
NO_PRIMARY = {"", "CCCCC", "*"}
# Five characters with at least one digit, so a heading such as "HCPCS" is not a code.
_CODE = re.compile(r"(?=.*\d)[0-9A-Z]{5}")
_PTP_HEADINGS = {0: "column 1", 1: "column 2", 3: "effective", 4: "deletion", 5: "modifier"}
_MUE_HEADINGS = {1: "mue value", 2: "adjudication"}


def _is_code_row(cells: list[str]) -> bool:
    return bool(cells) and bool(_CODE.fullmatch(cells[0].upper()))


def _squashed(cell: str) -> str:
    return re.sub(r"[\s\-_/]", "", cell.lower())


def _code(value: str, where: str, column: str) -> str:
    code = value.strip().upper()
    if not _CODE.fullmatch(code):
        raise ImportFileError(
            f"{where}: expected a five-character code in {column}, found {value!r}"
        )
    return code


def _width(cells: list[str], needed: int, where: str, layout: str) -> None:
    if len(cells) < needed:
        raise ImportFileError(
            f"{where}: expected {needed} columns ({layout}), found {len(cells)}; "
            "the file may be truncated"
        )


def parse_ptp(path: Path) -> Iterator[dict[str, Any]]:
    """Yield the PTP edits of one file as rows of ``ncci_ptp_edits``."""
    table = read_table(
        path,
        first_heading=lambda cells: _squashed(cells[0]).startswith("column1"),
        is_data=_is_code_row,
        expected="starting 'Column 1'",
    )
    check_headings(path, table.headings, _PTP_HEADINGS)
    layout = "column 1, column 2, prior-1996 flag, effective date, deletion date, modifier"
    for number, cells in table.rows:
        where = f"{path.name} line {number}"
        _width(cells, 6, where, layout)
        indicator = cells[5].strip()
        if indicator not in MODIFIER_INDICATORS:
            raise ImportFileError(
                f"{where}: expected a modifier indicator 0, 1 or 9, found {indicator!r}"
            )
        effective = parse_date(cells[3], f"{where} effective date", none_marks=())
        yield {
            "column1": _code(cells[0], where, "column 1"),
            "column2": _code(cells[1], where, "column 2"),
            "existed_before_1996": cells[2].strip() == "*",
            "effective_from": effective,
            "deleted_on": parse_date(cells[4], f"{where} deletion date"),
            "modifier_indicator": indicator,
            "rationale": cells[6].strip() or None if len(cells) > 6 else None,
        }


def mue_setting(headings: list[str]) -> str | None:
    """Tell which MUE file this is from the heading of its value column."""
    heading = headings[1] if len(headings) > 1 else ""
    for word, setting in (
        ("practitioner", "practitioner"),
        ("hospital", "hospital"),
        ("dme", "dme"),
    ):
        if word in heading:
            return setting
    return None


def parse_mue(path: Path) -> tuple[str | None, Iterator[dict[str, Any]]]:
    """Return the setting named by the headings and the MUE rows of ``ncci_mue_limits``."""
    table = read_table(
        path,
        first_heading=lambda cells: _squashed(cells[0]).startswith("hcpcs"),
        is_data=_is_code_row,
        expected="starting 'HCPCS/CPT Code'",
    )
    check_headings(path, table.headings, _MUE_HEADINGS)
    return mue_setting(table.headings), _mue_rows(path, table.rows)


def _mue_rows(path: Path, rows: Iterator[tuple[int, list[str]]]) -> Iterator[dict[str, Any]]:
    for number, cells in rows:
        where = f"{path.name} line {number}"
        _width(cells, 3, where, "code, MUE value, adjudication indicator, rationale")
        value = cells[1].strip()
        if not value.isdigit():
            raise ImportFileError(f"{where}: expected a whole number of units, found {value!r}")
        indicator_text = cells[2].strip()
        indicator = indicator_text[:1]
        if indicator not in MUE_ADJUDICATION:
            raise ImportFileError(
                f"{where}: expected an adjudication indicator starting 1, 2 or 3, "
                f"found {indicator_text!r}"
            )
        yield {
            "code": _code(cells[0], where, "the code column"),
            "value": int(value),
            "adjudication_indicator": indicator,
            "adjudication_text": indicator_text[1:].strip() or None,
            "rationale": cells[3].strip() or None if len(cells) > 3 else None,
        }


def _find(headings: list[str], *words: str, avoid: tuple[str, ...] = ()) -> int | None:
    for index, heading in enumerate(headings):
        if all(word in heading for word in words) and not any(word in heading for word in avoid):
            return index
    return None


def _aoc_columns(path: Path, headings: list[str]) -> dict[str, int | None]:
    columns = {
        "primary": _find(headings, "primary code", avoid=("date",)),
        "type": _find(headings, "edit type"),
        "effective": _find(headings, "edit effective")
        or _find(headings, "add-on code effective")
        or _find(headings, "addon code effective"),
        "deleted": _find(headings, "edit deletion")
        or _find(headings, "add-on code deletion")
        or _find(headings, "addon code deletion"),
    }
    for name, heading in (("primary", "Primary Code"), ("type", "AOC Edit Type")):
        if columns[name] is None:
            raise ImportFileError(f"{path.name}: expected a column headed {heading!r}")
    return columns


def parse_aoc(path: Path) -> Iterator[dict[str, Any]]:
    """Yield add-on code rows of ``ncci_addon_codes``, one per add-on and primary pair."""
    table = read_table(
        path,
        first_heading=lambda cells: _squashed(cells[0]).startswith("addoncode"),
        is_data=_is_code_row,
        expected="starting 'Add-on Code'",
    )
    columns = _aoc_columns(path, table.headings)
    needed = 1 + max(index for index in columns.values() if index is not None)
    for number, cells in table.rows:
        where = f"{path.name} line {number}"
        _width(cells, needed, where, "add-on code, primary code, dates and edit type")
        edit_type = cells[columns["type"]].strip()  # type: ignore[index]
        if edit_type not in {str(value) for value in AOC_TYPES}:
            raise ImportFileError(
                f"{where}: expected an AOC edit type 1, 2 or 3, found {edit_type!r}"
            )
        primary = cells[columns["primary"]].strip().upper()  # type: ignore[index]
        effective, deleted = columns["effective"], columns["deleted"]
        yield {
            "addon_code": _code(cells[0], where, "the add-on code column"),
            "primary_code": None
            if primary in NO_PRIMARY
            else _code(primary, where, "Primary Code"),
            "edit_type": int(edit_type),
            "effective_from": parse_date(cells[effective], f"{where} effective date")
            if effective is not None
            else None,
            "deleted_on": parse_date(cells[deleted], f"{where} deletion date")
            if deleted is not None
            else None,
        }
