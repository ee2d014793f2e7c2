"""Import NCCI edit files and the fee-schedule RVU file, one release per import.

An edition is named by the option given or by the file names.  Its first date of
service is the option given, a date in the file name (``..._Eff_2025-10-01``), or the
newest effective date among the rows.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from consultant.codes import ncci, rvu
from consultant.codes.models import AddOnCode, MueLimit, PtpEdit, RvuValue
from consultant.codes.releases import (
    ImportResult,
    check_same_edition,
    find_same_file,
    insert_rows,
    replace_release,
    sha256_of,
)
from consultant.errors import ImportFileError
from consultant.storage.base import Base

log = logging.getLogger(__name__)

_DATE_IN_NAME = re.compile(r"(20\d{2})-?(\d{2})-?(\d{2})")
_QUARTER_IN_NAME = re.compile(r"(\d{2})_?(JAN|APR|JUL|OCT)", re.IGNORECASE)
_MONTHS = {"JAN": 1, "APR": 4, "JUL": 7, "OCT": 10}


def _combined_sha256(paths: Sequence[Path]) -> str:
    if len(paths) == 1:
        return sha256_of(paths[0])
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(sha256_of(path).encode())
    return digest.hexdigest()


def _default_edition(paths: Sequence[Path]) -> str:
    # Multi-part files end in -f1, -f2 ...: the edition is the name they share.
    stems = [re.sub(r"[-_]f\d+$", "", path.stem, flags=re.IGNORECASE) for path in paths]
    common = os.path.commonprefix(stems).rstrip("-_ ")
    return common or stems[0]


def date_from_name(path: Path) -> date | None:
    """Read a first date of service from a file name, such as _Eff_2025-10-01 or RVU25_JAN."""
    match = _DATE_IN_NAME.search(path.name)
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None
    quarter = _QUARTER_IN_NAME.search(path.name)
    if quarter:
        return date(2000 + int(quarter[1]), _MONTHS[quarter[2].upper()], 1)
    return None


def _track_newest(rows: Iterable[dict[str, Any]], newest: list[date]) -> Iterator[dict[str, Any]]:
    for row in rows:
        effective = row.get("effective_from")
        if effective is not None and (not newest or effective > newest[0]):
            newest[:] = [effective]
        yield row


def import_rows(
    session: Session,
    *,
    system: str,
    model: type[Base],
    paths: Sequence[Path],
    rows: Iterable[dict[str, Any]],
    edition: str | None,
    effective_from: date | None,
) -> ImportResult:
    """Record a release of *system* and insert *rows* of *model* in the caller's transaction."""
    for path in paths:
        if not path.is_file():
            raise ImportFileError(f"{path}: file not found")
    sha256 = _combined_sha256(paths)
    existing = find_same_file(session, system, sha256)
    if existing is not None:
        check_same_edition(existing, paths[0].name, edition, effective_from)
        return ImportResult(existing.id, system, existing.edition, existing.row_count, True)

    started = time.perf_counter()
    edition = edition or _default_edition(paths)
    effective_from = effective_from or date_from_name(paths[0])
    release = replace_release(
        session,
        system=system,
        edition=edition,
        effective_from=effective_from or date.min,
        effective_to=None,
        source=paths[0],
        sha256=sha256,
    )

    newest: list[date] = []
    count = insert_rows(session, model, release, _track_newest(rows, newest))
    if count == 0:
        raise ImportFileError(f"{paths[0].name}: expected data rows after the heading, found none")
    if effective_from is None:
        if not newest:
            raise ImportFileError(
                f"{paths[0].name}: no effective date in the rows or the name; pass --effective-from"
            )
        release.effective_from = newest[0]
    log.info(
        "%s release %s: %d rows in %.1fs", system, release.id, count, time.perf_counter() - started
    )
    return ImportResult(release.id, system, edition, count, skipped=False)


def _chain_files(paths: Sequence[Path], parse: Any) -> Iterator[dict[str, Any]]:
    for path in paths:
        yield from parse(path)


def import_ptp(
    session: Session,
    paths: Sequence[Path],
    *,
    setting: str = "practitioner",
    edition: str | None = None,
    effective_from: date | None = None,
) -> ImportResult:
    """Import the PTP edit files of one quarter (often split into -f1 to -f4) as one release."""
    if setting not in ncci.PTP_SETTINGS:
        raise ImportFileError(f"unknown PTP setting {setting!r}; use practitioner or hospital")
    return import_rows(
        session,
        system=f"ptp_{setting}",
        model=PtpEdit,
        paths=paths,
        rows=_chain_files(paths, ncci.parse_ptp),
        edition=edition,
        effective_from=effective_from,
    )


def import_mue(
    session: Session,
    path: Path,
    *,
    setting: str | None = None,
    edition: str | None = None,
    effective_from: date | None = None,
) -> ImportResult:
    """Import one MUE file; the setting comes from its headings unless given."""
    if not path.is_file():
        raise ImportFileError(f"{path}: file not found")
    named, rows = ncci.parse_mue(path)
    setting = setting or named
    if setting not in ncci.MUE_SETTINGS:
        raise ImportFileError(
            f"{path.name}: the headings do not name practitioner, hospital or DME; pass the setting"
        )
    if effective_from is None and date_from_name(path) is None:
        raise ImportFileError(f"{path.name}: the name shows no effective date; pass one")
    return import_rows(
        session,
        system=f"mue_{setting}",
        model=MueLimit,
        paths=[path],
        rows=rows,
        edition=edition,
        effective_from=effective_from,
    )


def import_aoc(
    session: Session,
    paths: Sequence[Path],
    *,
    edition: str | None = None,
    effective_from: date | None = None,
) -> ImportResult:
    """Import the add-on code edit file (or its parts) as one release."""
    return import_rows(
        session,
        system="aoc",
        model=AddOnCode,
        paths=paths,
        rows=_chain_files(paths, ncci.parse_aoc),
        edition=edition,
        effective_from=effective_from,
    )


def import_rvu(
    session: Session,
    path: Path,
    *,
    edition: str | None = None,
    effective_from: date | None = None,
) -> ImportResult:
    """Import a PPRRVU file; without an effective date its name must show one (PPRRVU25_JAN)."""
    if effective_from is None and date_from_name(path) is None:
        raise ImportFileError(f"{path.name}: the name shows no effective date; pass one")
    return import_rows(
        session,
        system="rvu",
        model=RvuValue,
        paths=[path],
        rows=rvu.parse_rvu(path),
        edition=edition,
        effective_from=effective_from,
    )
