"""Import the AMA's licensed CPT data files, for teams that hold a CPT licence.

Three tab-delimited text files are read: the long descriptors (LONGULT.txt style, one
code and its descriptor per line), and optionally the consumer-friendly and clinician
descriptor files, which open with a heading row naming their columns.  No CPT text
ships with this project; it comes only from the files a licensee imports.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from consultant.codes.releases import (
    ImportResult,
    find_same_file,
    insert_codes,
    replace_release,
    sha256_of,
)
from consultant.errors import ImportFileError

log = logging.getLogger(__name__)

LONG_NAMES = ("LONGULT.txt", "LONGUF.txt", "LONGULF.txt")
CONSUMER_NAMES = ("ConsumerDescriptor.txt",)
CLINICIAN_NAMES = ("ClinicianDescriptor.txt",)
_CODE = re.compile(r"\d{4}[0-9FTU]")
# Lines before the first code may be notices; past this many, the file is not a CPT file.
MAX_PREAMBLE_LINES = 30


def _lines(path: Path) -> list[tuple[int, str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="latin-1")
    return [(number, line.rstrip("\r\n")) for number, line in enumerate(text.splitlines(), 1)]


def parse_long(path: Path) -> dict[str, str]:
    """Read a long-descriptor file: a code, a tab (or spaces), and the descriptor per line."""
    descriptors: dict[str, str] = {}
    for number, line in _lines(path):
        if not line.strip():
            continue
        code, _, text = line.partition("\t") if "\t" in line else line.partition(" ")
        code = code.strip().upper()
        if not _CODE.fullmatch(code):
            if not descriptors and number <= MAX_PREAMBLE_LINES:
                continue
            raise ImportFileError(
                f"{path.name} line {number}: expected a CPT code and its descriptor, "
                f"found {line[:40]!r}"
            )
        if not text.strip():
            raise ImportFileError(f"{path.name} line {number}: expected a descriptor for {code}")
        descriptors[code] = text.strip()
    if not descriptors:
        raise ImportFileError(f"{path.name}: expected lines of a CPT code and a descriptor")
    return descriptors


def parse_headed(path: Path, descriptor_heading: str) -> dict[str, list[str]]:
    """Read a consumer or clinician file: a heading row, then tab-separated columns."""
    lines = [(number, line) for number, line in _lines(path) if line.strip()]
    if not lines:
        raise ImportFileError(f"{path.name}: the file is empty")
    number, heading_line = lines[0]
    headings = [cell.strip().lower() for cell in heading_line.split("\t")]
    try:
        code_column = headings.index("cpt code")
        text_column = headings.index(descriptor_heading.lower())
    except ValueError as error:
        raise ImportFileError(
            f"{path.name} line {number}: expected tab-separated headings with 'CPT Code' "
            f"and {descriptor_heading!r}"
        ) from error
    found: dict[str, list[str]] = {}
    for number, line in lines[1:]:
        cells = line.split("\t")
        if len(cells) <= max(code_column, text_column):
            raise ImportFileError(
                f"{path.name} line {number}: expected {len(headings)} tab-separated columns, "
                f"found {len(cells)}"
            )
        code = cells[code_column].strip().upper()
        if not _CODE.fullmatch(code):
            raise ImportFileError(f"{path.name} line {number}: expected a CPT code, found {code!r}")
        found.setdefault(code, []).append(cells[text_column].strip())
    return found


def _find(folder: Path, names: tuple[str, ...]) -> Path | None:
    lowered = {name.lower() for name in names}
    for path in sorted(folder.iterdir()):
        if path.name.lower() in lowered:
            return path
    return None


def locate(path: Path) -> tuple[Path, Path | None, Path | None]:
    """Return the long, consumer and clinician files of a folder, or *path* itself."""
    if not path.is_dir():
        if not path.is_file():
            raise ImportFileError(f"{path}: file not found")
        return path, None, None
    long_file = _find(path, LONG_NAMES)
    if long_file is None:
        raise ImportFileError(f"{path}: no {' or '.join(LONG_NAMES)} in this folder")
    return long_file, _find(path, CONSUMER_NAMES), _find(path, CLINICIAN_NAMES)


def import_cpt(
    session: Session,
    path: Path,
    *,
    edition: str,
    effective_from: date | None = None,
    consumer: Path | None = None,
    clinician: Path | None = None,
) -> ImportResult:
    """Import licensed CPT descriptors as the edition *edition* (such as ``2026``)."""
    long_file, found_consumer, found_clinician = locate(path)
    consumer, clinician = consumer or found_consumer, clinician or found_clinician
    if effective_from is None:
        if not re.fullmatch(r"\d{4}", edition):
            raise ImportFileError(f"edition {edition!r} is not a year; pass the effective date")
        effective_from = date(int(edition), 1, 1)
    sha256 = sha256_of(long_file)
    existing = find_same_file(session, "cpt", sha256)
    if existing is not None and existing.edition == edition:
        return ImportResult(existing.id, "cpt", existing.edition, existing.row_count, True)
    descriptors = parse_long(long_file)
    consumers = parse_headed(consumer, "Consumer Friendly Descriptor") if consumer else {}
    clinicians = parse_headed(clinician, "Clinician Descriptor") if clinician else {}
    release = replace_release(
        session,
        system="cpt",
        edition=edition,
        effective_from=effective_from,
        effective_to=None,
        source=long_file,
        sha256=sha256,
    )
    count = insert_codes(session, release, _rows(descriptors, consumers, clinicians))
    log.info("cpt release %s: %d codes", release.id, count)
    return ImportResult(release.id, "cpt", edition, count, skipped=False)


def _rows(
    descriptors: dict[str, str], consumers: dict[str, list[str]], clinicians: dict[str, list[str]]
) -> list[dict[str, Any]]:
    rows = []
    for code, text in descriptors.items():
        attributes: dict[str, Any] = {}
        if code in consumers:
            attributes["consumer_descriptor"] = consumers[code][0]
        if code in clinicians:
            attributes["clinician_descriptors"] = clinicians[code]
        rows.append(
            {
                "system": "cpt",
                "code": code,
                "description": text,
                "short_description": None,
                "billable": True,
                "attributes": attributes,
            }
        )
    return rows
