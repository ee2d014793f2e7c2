"""Read the CMS spreadsheets (.xlsx, .csv, tab-delimited .txt) that open with notices.

NCCI and fee-schedule files start with copyright and notice lines, and their column
headings often span two or three rows.  ``read_table`` skips the notices, joins the
heading rows column by column, and yields the data rows with their line numbers.
"""

from __future__ import annotations

import csv
import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zipfile import BadZipFile

from consultant.errors import ImportFileError

# Rows read while looking for the heading; CMS notices take at most a dozen lines.
MAX_PREAMBLE_ROWS = 50
_YYYYMMDD = re.compile(r"\d{8}")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
_US = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


@dataclass
class Table:
    """The joined column headings of a file and an iterator over its data rows."""

    headings: list[str]
    rows: Iterator[tuple[int, list[str]]]


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "strftime"):
        return value.strftime("%Y%m%d")  # type: ignore[no-any-return]
    return str(value).strip()


def raw_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, cells) of an .xlsx, .csv or tab-delimited .txt file."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        yield from _xlsx(path)
        return
    if suffix not in {".csv", ".txt", ".tsv"}:
        raise ImportFileError(f"{path.name}: expected a .xlsx, .csv or tab-delimited .txt file")
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        sample = handle.read(4096)
        handle.seek(0)
        delimiter = "\t" if suffix in {".txt", ".tsv"} and "\t" in sample else ","
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            for cells in reader:
                yield reader.line_num, [cell.strip() for cell in cells]
        except csv.Error as error:
            raise ImportFileError(
                f"{path.name} line {reader.line_num + 1}: expected delimited text ({error})"
            ) from error


def _xlsx(path: Path) -> Iterator[tuple[int, list[str]]]:
    for number, values in xlsx_rows(path):
        yield number, [cell_text(value) for value in values]


# Errors of a workbook that is cut short, damaged, or not a workbook. ElementTree's
# ParseError and lxml's XMLSyntaxError both derive from SyntaxError.
_DAMAGED_WORKBOOK = (BadZipFile, zlib.error, EOFError, SyntaxError)


def xlsx_rows(path: Path) -> Iterator[tuple[int, tuple[object, ...]]]:
    """Yield (row number, cell values) of the first sheet of an .xlsx workbook.

    openpyxl finds some damage on opening the file and some only on reaching the damaged
    rows, so an error from either step raises ImportFileError.
    """
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, KeyError, ValueError, *_DAMAGED_WORKBOOK) as error:
        raise _unreadable_workbook(path, error) from error
    except OSError as error:
        raise ImportFileError(f"{path.name}: the file cannot be read ({error})") from error
    try:
        sheet = workbook.worksheets[0]
        yield from enumerate(sheet.iter_rows(values_only=True), start=1)
    except _DAMAGED_WORKBOOK as error:
        raise _unreadable_workbook(path, error) from error
    finally:
        workbook.close()


def _unreadable_workbook(path: Path, error: Exception) -> ImportFileError:
    return ImportFileError(
        f"{path.name}: expected an Excel .xlsx workbook, but the file cannot be read as one "
        f"({error}). It may be cut short or damaged, or be another kind of file named .xlsx, "
        "so download it again"
    )


def read_table(
    path: Path,
    *,
    first_heading: Callable[[list[str]], bool],
    is_data: Callable[[list[str]], bool],
    expected: str,
) -> Table:
    """Find the heading that starts at the first row *first_heading* accepts.

    Rows after it up to the first row that *is_data* accepts are more heading rows.
    *expected* describes the heading for the error raised when it is missing.
    """
    rows = raw_rows(path)
    heading_rows: list[list[str]] = []
    for number, cells in rows:
        if heading_rows and is_data(cells):
            return Table(_join(heading_rows), _chain((number, cells), rows))
        if heading_rows or (any(cells) and first_heading(cells)):
            heading_rows.append(cells)
        elif number > MAX_PREAMBLE_ROWS:
            break
    if heading_rows:
        raise ImportFileError(f"{path.name}: the heading {expected} is followed by no data rows")
    raise ImportFileError(
        f"{path.name}: expected a heading row {expected} within the first {MAX_PREAMBLE_ROWS} lines"
    )


def _join(heading_rows: list[list[str]]) -> list[str]:
    width = max(len(row) for row in heading_rows)
    joined = []
    for index in range(width):
        parts = [row[index] for row in heading_rows if index < len(row) and row[index]]
        joined.append(" ".join(" ".join(parts).split()).lower())
    return joined


def _chain(
    first: tuple[int, list[str]], rest: Iterator[tuple[int, list[str]]]
) -> Iterator[tuple[int, list[str]]]:
    yield first
    for number, cells in rest:
        if any(cells):
            yield number, cells


def check_headings(path: Path, headings: Sequence[str], needed: dict[int, str]) -> None:
    """Check that heading *index* contains each word of *needed*, naming what is missing."""
    for index, word in needed.items():
        found = headings[index] if index < len(headings) else ""
        if word not in found:
            raise ImportFileError(
                f"{path.name}: expected column {index + 1} to be headed {word!r}, "
                f"found {found or 'nothing'!r}"
            )


def parse_date(value: str, where: str, *, none_marks: Sequence[str] = ("", "*")) -> date | None:
    """Read YYYYMMDD, YYYY-MM-DD or M/D/YYYY; the *none_marks* mean no date."""
    value = value.strip()
    if value in none_marks:
        return None
    try:
        if _YYYYMMDD.fullmatch(value):
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        if _ISO.fullmatch(value[:10]):
            return date.fromisoformat(value[:10])
        match = _US.fullmatch(value)
        if match:
            return date(int(match[3]), int(match[1]), int(match[2]))
    except ValueError:
        pass
    raise ImportFileError(f"{where}: expected a date as YYYYMMDD, found {value!r}")
