"""Import code-set files into the database, one release per file.

Every importer parses the whole file before it writes, and the caller's transaction
covers the writes, so a bad file leaves the edition in force untouched.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from consultant.codes import hcpcs, icd10cm, icd10pcs
from consultant.codes.models import CodeDefinition
from consultant.codes.releases import (
    PCS_DEFINITIONS,
    ImportResult,
    check_same_edition,
    find_same_file,
    insert_codes,
    replace_release,
    sha256_of,
)
from consultant.errors import ImportFileError

log = logging.getLogger(__name__)

_UPDATE_IN_NAME = re.compile(
    r"(?P<month>January|April|July|October)-(?P<day>\d{1,2})-(?P<year>\d{4})", re.IGNORECASE
)
_MONTHS = {"january": 1, "april": 4, "july": 7, "october": 10}


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise ImportFileError(f"{path}: file not found")


def _already_imported(session: Session, system: str, sha256: str) -> ImportResult | None:
    existing = find_same_file(session, system, sha256)
    if existing is None:
        return None
    return ImportResult(existing.id, system, existing.edition, existing.row_count, skipped=True)


def fiscal_year_edition(path: Path, version: str) -> tuple[str, date, date]:
    """Name the edition of a tabular file and its first and last day of service.

    A fiscal year runs from October 1 of the year before to September 30.  A mid-year
    update, named in the file name (``April-1-2026``), starts on its own date.
    """
    try:
        fiscal_year = int(version)
    except ValueError as error:
        raise ImportFileError(
            f"{path.name}: expected a four-digit <version> year, found {version!r}"
        ) from error
    start, edition = date(fiscal_year - 1, 10, 1), f"FY{fiscal_year}"
    update = _UPDATE_IN_NAME.search(path.name)
    if update is not None:
        month = _MONTHS[update["month"].lower()]
        start = date(int(update["year"]), month, int(update["day"]))
        edition = f"FY{fiscal_year} {update['month'].capitalize()} {start.day} update"
    return edition, start, date(fiscal_year, 9, 30)


def _code_row(
    system: str,
    code: str,
    description: str,
    billable: bool,
    attributes: dict[str, Any],
    short_description: str | None = None,
) -> dict[str, Any]:
    return {
        "system": system,
        "code": code,
        "description": description,
        "short_description": short_description,
        "billable": billable,
        "attributes": attributes,
    }


def import_icd10cm(session: Session, path: Path | None = None) -> ImportResult:
    """Import an ICD-10-CM tabular XML, by default the FY2026 file of simple-icd-10-cm."""
    path = path or icd10cm.bundled_tabular_path()
    _check_file(path)
    return _import_fiscal_year(session, "icd10cm", path, icd10cm.parse_tabular)


def _import_fiscal_year(
    session: Session, system: str, path: Path, parse: Callable[[Path], tuple[str, Any]]
) -> ImportResult:
    """Import an ICD-10 file whose edition is a fiscal year, unless it is already imported."""
    sha256 = sha256_of(path)
    skipped = _already_imported(session, system, sha256)
    if skipped:
        return skipped

    started = time.perf_counter()
    version, records = parse(path)
    edition, start, end = fiscal_year_edition(path, version)
    release = replace_release(
        session,
        system=system,
        edition=edition,
        effective_from=start,
        effective_to=end,
        source=path,
        sha256=sha256,
    )
    rows = (
        _code_row(system, record.code, record.description, record.billable, record.attributes)
        for record in records
    )
    count = insert_codes(session, release, rows)

    elapsed = time.perf_counter() - started
    log.info("%s release %s: %d codes in %.1fs", system, release.id, count, elapsed)
    return ImportResult(release.id, system, edition, count, skipped=False)


def import_hcpcs(
    session: Session,
    path: Path,
    *,
    edition: str | None = None,
    effective_from: date | None = None,
) -> ImportResult:
    """Import a CMS HCPCS Level II file (ANWEB .xlsx, .csv or fixed-width .txt) with modifiers."""
    _check_file(path)
    sha256 = sha256_of(path)
    existing = find_same_file(session, "hcpcs", sha256)
    if existing is not None:
        check_same_edition(existing, path.name, edition, effective_from)
        return ImportResult(existing.id, "hcpcs", existing.edition, existing.row_count, True)
    named = hcpcs.edition_from_name(path)
    if edition is None or effective_from is None:
        if named is None:
            raise ImportFileError(
                f"{path.name}: the name does not show the quarter (like HCPC2025_OCT_ANWEB); "
                "pass the edition and its effective date"
            )
        edition = edition or named[0]
        effective_from = effective_from or named[1]

    started = time.perf_counter()
    records = hcpcs.parse_anweb(path)
    release = replace_release(
        session,
        system="hcpcs",
        edition=edition,
        effective_from=effective_from,
        effective_to=None,
        source=path,
        sha256=sha256,
    )
    # Modifiers are stored with system "modifier" in the same release as the codes.
    rows = (
        _code_row(
            record.system,
            record.code,
            record.description,
            True,
            record.attributes,
            record.short_description,
        )
        for record in records
    )
    count = insert_codes(session, release, rows)

    elapsed = time.perf_counter() - started
    log.info("hcpcs release %s: %d codes in %.1fs", release.id, count, elapsed)
    return ImportResult(release.id, "hcpcs", edition, count, skipped=False)


def _pcs_paths(path: Path) -> tuple[Path, Path | None]:
    """Find the tables file and the definitions file beside it, or in the folder *path*."""
    if path.is_dir():
        tables = sorted(path.glob("icd10pcs_tables_*.xml"))
        if not tables:
            raise ImportFileError(f"{path}: no icd10pcs_tables_YYYY.xml file in this folder")
        path = tables[-1]
    _check_file(path)
    definitions = path.with_name(path.name.replace("_tables_", "_definitions_"))
    return path, definitions if definitions != path and definitions.is_file() else None


def import_icd10pcs(
    session: Session, path: Path, definitions: Path | None = None
) -> list[ImportResult]:
    """Import the CMS ICD-10-PCS tables XML and, when given or found beside it, the definitions."""
    tables, found = _pcs_paths(path)
    definitions = definitions or found
    results = [_import_pcs_tables(session, tables)]
    if definitions is not None:
        results.append(_import_pcs_definitions(session, definitions))
    return results


def _import_pcs_tables(session: Session, path: Path) -> ImportResult:
    return _import_fiscal_year(session, "icd10pcs", path, icd10pcs.parse_tables)


def _import_pcs_definitions(session: Session, path: Path) -> ImportResult:
    _check_file(path)
    sha256 = sha256_of(path)
    skipped = _already_imported(session, PCS_DEFINITIONS, sha256)
    if skipped:
        return skipped
    version, terms = icd10pcs.parse_definitions(path)
    edition, start, end = fiscal_year_edition(path, version)
    release = replace_release(
        session,
        system=PCS_DEFINITIONS,
        edition=edition,
        effective_from=start,
        effective_to=end,
        source=path,
        sha256=sha256,
    )
    session.execute(
        insert(CodeDefinition),
        [
            {
                "release_id": release.id,
                "section": term.section,
                "position": term.position,
                "term": term.term,
                "definition": term.definition,
                "explanation": term.explanation,
                "includes": term.includes,
            }
            for term in terms
        ],
    )
    release.row_count = len(terms)
    log.info("icd10pcs definitions release %s: %d terms", release.id, len(terms))
    return ImportResult(release.id, PCS_DEFINITIONS, edition, len(terms), skipped=False)
