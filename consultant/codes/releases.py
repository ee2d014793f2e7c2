"""Editions of each code system: recording an import and finding the edition in force."""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, text
from sqlalchemy.orm import Session

from consultant.codes.models import (
    AddOnCode,
    Code,
    CodeDefinition,
    CodeRelease,
    MueLimit,
    PtpEdit,
    RvuValue,
    SearchTerm,
)
from consultant.errors import ImportFileError
from consultant.storage.base import Base

log = logging.getLogger(__name__)

# Every table whose rows belong to a release, for replacing an edition.
RELEASE_ROWS: tuple[type[Base], ...] = (
    SearchTerm,
    Code,
    CodeDefinition,
    PtpEdit,
    MueLimit,
    AddOnCode,
    RvuValue,
    SearchTerm,
)
# Words in at least this many descriptors of a release are stored as common search terms.
COMMON_TERM_DOCUMENTS = 200
_WORD = re.compile(r"[0-9a-z]+")
# Key of the per-session cache of releases in force (see info.cached_release).
RELEASE_CACHE_KEY = "code_releases"
# Rows per INSERT statement; large enough to amortise round trips on PostgreSQL.
BATCH_SIZE = 5000

PCS_DEFINITIONS = "pcs_definitions"
SYSTEM_NAMES = {
    PCS_DEFINITIONS: "ICD-10-PCS definitions",
    "icd10cm": "ICD-10-CM",
    "icd10pcs": "ICD-10-PCS",
    "hcpcs": "HCPCS Level II",
    "modifier": "HCPCS Level II modifiers",
    "cpt": "CPT",
    "ptp_practitioner": "NCCI PTP practitioner",
    "ptp_hospital": "NCCI PTP hospital",
    "mue_practitioner": "NCCI MUE practitioner",
    "mue_hospital": "NCCI MUE outpatient hospital",
    "mue_dme": "NCCI MUE DME supplier",
    "aoc": "NCCI add-on codes",
    "rvu": "PFS RVU",
}


@dataclass
class ImportResult:
    """Outcome of one import: the release it made, or the one already loaded from that file."""

    release_id: int
    system: str
    edition: str
    row_count: int
    skipped: bool

    def summary(self) -> str:
        name = SYSTEM_NAMES.get(self.system, self.system)
        if self.skipped:
            return f"{name} {self.edition}: already imported (release {self.release_id})"
        return f"{name} {self.edition}: {self.row_count} rows imported (release {self.release_id})"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def find_same_file(session: Session, system: str, sha256: str) -> CodeRelease | None:
    """Return the release of *system* already imported from a file with this SHA-256."""
    query = select(CodeRelease).where(
        CodeRelease.system == system, CodeRelease.source_sha256 == sha256
    )
    return session.scalars(query).first()


def check_same_edition(
    existing: CodeRelease, source: str, edition: str | None, effective_from: date | None
) -> None:
    """Raise ImportFileError when a file already imported is requested as another edition.

    A file is imported once, so "--edition '2026 Apr'" on the file already imported as
    2025 Oct would change nothing, and reporting the earlier import as done would mislead.
    """
    requested = []
    if edition is not None and edition != existing.edition:
        requested.append(f"edition {edition!r}")
    if effective_from is not None and effective_from != existing.effective_from:
        requested.append(f"effective {effective_from.isoformat()}")
    if requested:
        name = SYSTEM_NAMES.get(existing.system, existing.system)
        raise ImportFileError(
            f"{source}: already imported as {name} {existing.edition}, effective "
            f"{existing.effective_from.isoformat()} (release {existing.id}), so it is not "
            f"imported again as {' and '.join(requested)}; import the file of that edition"
        )


def replace_release(
    session: Session,
    *,
    system: str,
    edition: str,
    effective_from: date,
    effective_to: date | None,
    source: Path,
    sha256: str,
) -> CodeRelease:
    """Create the release row, dropping an earlier import of the same system and edition.

    The caller's transaction covers the whole import, so a failure later on rolls the
    deletion back and the earlier import stays in force.
    """
    old_ids = session.scalars(
        select(CodeRelease.id).where(CodeRelease.system == system, CodeRelease.edition == edition)
    ).all()
    if old_ids:
        for model in RELEASE_ROWS:
            session.execute(delete(model).where(model.release_id.in_(old_ids)))  # type: ignore[attr-defined]
        session.execute(delete(CodeRelease).where(CodeRelease.id.in_(old_ids)))
        log.info("replacing %s edition %r (releases %s)", system, edition, old_ids)
    release = CodeRelease(
        system=system,
        edition=edition,
        effective_from=effective_from,
        effective_to=effective_to,
        source_name=source.name,
        source_sha256=sha256,
        row_count=0,
    )
    session.add(release)
    session.flush()
    # Lookups cache the release in force per session; this import changes it.
    session.info.pop(RELEASE_CACHE_KEY, None)
    return release


def insert_rows(
    session: Session, model: type[Base], release: CodeRelease, rows: Iterable[dict[str, Any]]
) -> int:
    """Insert rows of *model* (dicts of its columns without ``release_id``) in batches."""
    count = 0
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append({**row, "release_id": release.id})
        if len(batch) >= BATCH_SIZE:
            session.execute(insert(model), batch)
            count += len(batch)
            batch = []
    if batch:
        session.execute(insert(model), batch)
        count += len(batch)
    release.row_count += count
    return count


def insert_codes(session: Session, release: CodeRelease, rows: Iterable[dict[str, Any]]) -> int:
    """Insert code rows (dicts of Code columns without ``release_id``) and their common words."""
    counts: Counter[str] = Counter()

    def counted() -> Iterator[dict[str, Any]]:
        for row in rows:
            counts.update(set(_WORD.findall(row["description"].lower())))
            yield row

    inserted = insert_rows(session, Code, release, counted())
    common = [
        {"release_id": release.id, "term": term[:64], "documents": documents}
        for term, documents in counts.items()
        if documents >= COMMON_TERM_DOCUMENTS
    ]
    if common:
        session.execute(insert(SearchTerm), common)
    if session.get_bind().dialect.name == "postgresql":
        # GIN's fast-update list keeps new entries unsorted until a vacuum, and every
        # search scans that list, so it is merged into the index right after the import.
        session.execute(text("SELECT gin_clean_pending_list('ix_codes_search_vector'::regclass)"))
    return inserted


def release_in_force(
    session: Session, system: str, on: date | None
) -> tuple[CodeRelease | None, str | None]:
    """Return the release of *system* in force on *on* (the newest without a date).

    When no release covers the date, return the closest one with a warning message,
    because its codes may differ from those in force on that date of service.
    """
    newest_first = (CodeRelease.effective_from.desc(), CodeRelease.id.desc())
    query = select(CodeRelease).where(CodeRelease.system == system).order_by(*newest_first)
    if on is None:
        return session.scalars(query.limit(1)).first(), None
    covering = query.where(
        CodeRelease.effective_from <= on,
        (CodeRelease.effective_to.is_(None)) | (CodeRelease.effective_to >= on),
    )
    release = session.scalars(covering.limit(1)).first()
    if release is not None:
        return release, None
    earlier = session.scalars(query.where(CodeRelease.effective_from <= on).limit(1)).first()
    fallback = (
        earlier
        or session.scalars(
            select(CodeRelease)
            .where(CodeRelease.system == system)
            .order_by(CodeRelease.effective_from, CodeRelease.id)
            .limit(1)
        ).first()
    )
    if fallback is None:
        return None, None
    name = SYSTEM_NAMES.get(system, system)
    return fallback, (
        f"no {name} edition loaded is in force on {on.isoformat()}; "
        f"answered from {fallback.edition} (effective {fallback.effective_from.isoformat()})"
    )


# Code systems that CMS replaces every quarter (January, April, July and October). A file
# of such a system is in force until the next quarter begins, though it is stored with no
# end date because the import cannot know when the next file comes out.
# NOTE: a licensed CPT file is stored with no end date too, so an earlier year's CPT
# edition still counts as in force on a later date of service.
QUARTERLY_SYSTEMS = frozenset({"hcpcs"})


def quarter_end(day: date) -> date:
    """Return the last day of the calendar quarter that contains *day*."""
    first_month_of_next = (day.month - 1) // 3 * 3 + 4
    if first_month_of_next > 12:
        return date(day.year, 12, 31)
    return date(day.year, first_month_of_next, 1) - timedelta(days=1)


def last_day_in_force(release: CodeRelease) -> date | None:
    """Return the last date of service *release* applies to, or None when it has no end.

    A quarterly edition ends with the quarter it starts in, or on its stored end date
    when that is earlier.
    """
    if release.system not in QUARTERLY_SYSTEMS:
        return release.effective_to
    end = quarter_end(release.effective_from)
    if release.effective_to is not None and release.effective_to < end:
        return release.effective_to
    return end


def ended_before(release: CodeRelease, day: date) -> bool:
    """Return whether *release* no longer applies on *day*."""
    end = last_day_in_force(release)
    return end is not None and end < day


def outdated_note(release: CodeRelease, on: date | None) -> str | None:
    """Return a note for the reviewer when *release* ended before *on*, else None.

    Without a date of service, *release* is the newest loaded edition and is compared
    with today.
    """
    end = last_day_in_force(release)
    if end is None or end >= (on if on is not None else date.today()):
        return None
    if on is None:
        used = "the newest loaded edition of this code set"
        action = "import the current edition"
    else:
        used = f"the edition of this code set used for the date of service {on.isoformat()}"
        action = "import the edition in force on that date"
    cadence = ""
    if release.system in QUARTERLY_SYSTEMS:
        cadence = " (a new edition comes out every quarter)"
    return f"{used}, {release.edition}, ended on {end.isoformat()}{cadence}; {action}"


def list_releases(session: Session) -> Sequence[CodeRelease]:
    query = select(CodeRelease).order_by(CodeRelease.system, CodeRelease.effective_from)
    return session.scalars(query).all()
