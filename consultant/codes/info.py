"""The result of a lookup (``CodeInfo``) and the queries that every code system uses."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from consultant.codes.models import Code, CodeRelease
from consultant.codes.releases import RELEASE_CACHE_KEY, SYSTEM_NAMES, release_in_force

# Columns a lookup reads.  Plain rows cost far less than ORM objects in a hot loop.
CODE_COLUMNS = (
    Code.id,
    Code.code,
    Code.description,
    Code.short_description,
    Code.billable,
    Code.attributes,
    Code.release_id,
)
CodeRow = Row[Any]
# Lookups run these statements thousands of times, so they are built once with bound
# parameters and run on the session's connection, skipping the ORM layer.
_FIND_CODES = select(*CODE_COLUMNS).where(
    Code.system == bindparam("system"),
    Code.code.in_(bindparam("codes", expanding=True)),
    Code.release_id == bindparam("release_id"),
)
_CODES_UNDER = (
    select(*CODE_COLUMNS)
    .where(
        Code.system == bindparam("system"),
        Code.code > bindparam("low"),
        Code.code < bindparam("high"),
        Code.release_id == bindparam("release_id"),
        Code.billable.is_(True),
    )
    .order_by(Code.code)
    .limit(bindparam("limit"))
)
STATUSES = ("valid", "header", "incomplete", "terminated", "not_found", "section_only")
# The status that ``codes lookup --json`` and the web lookup report for an unchecked code.
NOT_CHECKED = "not_checked"


@dataclass
class CodeInfo:
    """Knowledge about one code as of one date of service.

    ``status`` is one of ``STATUSES``.  ``suggestions`` are codes the writer may have
    meant; they are guesses for a human to confirm, never corrections. ``unchecked`` is
    true when the lookup could neither confirm nor reject the code (see ``describe``),
    so its ``not_found`` or ``terminated`` status proves nothing.
    """

    system: str
    code: str
    status: str
    description: str | None = None
    section: str | None = None
    billable: bool | None = None
    source: str | None = None
    notes: dict[str, list[str]] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    short_description: str | None = None
    seventh_characters: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    release_id: int | None = None
    unchecked: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def reported_status(status: str, unchecked: bool) -> str:
    """Return the status a lookup reports: ``NOT_CHECKED`` for an unchecked code, else *status*.

    A code that was not checked is never reported as ``not_found``, because its absence
    from the editions at hand proves nothing.
    """
    return NOT_CHECKED if unchecked else status


def source_name(release: CodeRelease) -> str:
    """Name a release for a reader, such as ``ICD-10-CM FY2026``."""
    name = SYSTEM_NAMES.get(release.system, release.system)
    return f"{name} {release.edition}"


def cached_release(
    session: Session, system: str, on: date | None
) -> tuple[CodeRelease | None, str | None]:
    """Return ``release_in_force`` for *system* and *on*, remembered for the session's life."""
    cache: dict[tuple[str, date | None], Any] = session.info.setdefault(RELEASE_CACHE_KEY, {})
    key = (system, on)
    if key not in cache:
        cache[key] = release_in_force(session, system, on)
    return cache[key]  # type: ignore[no-any-return]


def release_for(
    session: Session, system: str, on: date | None, info: CodeInfo
) -> CodeRelease | None:
    """Find the release in force for *info*, recording its name and any date warning."""
    release, warning = cached_release(session, system, on)
    if warning:
        info.messages.append(warning)
    if release is not None:
        info.source = source_name(release)
        info.release_id = release.id
    return release


def find_codes(
    session: Session, release: CodeRelease, system: str, codes: Iterable[str]
) -> dict[str, CodeRow]:
    """Return the rows of *codes* that exist in *release*, by code."""
    wanted = list(dict.fromkeys(codes))
    if not wanted:
        return {}
    parameters = {"system": system, "codes": wanted, "release_id": release.id}
    return {row.code: row for row in session.connection().execute(_FIND_CODES, parameters)}


_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def next_key(prefix: str) -> str:
    """Return the smallest code key after every code that starts with *prefix*.

    Codes use digits, capital letters and a dot, so the last such character is
    incremented instead of appending a high character, whose order depends on the
    database collation.
    """
    characters = list(prefix)
    for index in range(len(characters) - 1, -1, -1):
        position = _ALPHABET.find(characters[index])
        if position < 0:
            continue
        if position + 1 < len(_ALPHABET):
            characters[index] = _ALPHABET[position + 1]
            return "".join(characters[: index + 1])
        characters[index] = _ALPHABET[0]
    return prefix + "~"


def codes_under(
    session: Session, release: CodeRelease, system: str, prefix: str, *, limit: int
) -> list[CodeRow]:
    """Return the billable codes of *release* that start with *prefix*, in code order."""
    parameters = {
        "system": system,
        "low": prefix,
        "high": next_key(prefix),
        "release_id": release.id,
        "limit": limit,
    }
    return list(session.connection().execute(_CODES_UNDER, parameters))


def explain_absent(session: Session, release: CodeRelease, system: str, info: CodeInfo) -> None:
    """Say that *info*'s code is not in *release*, and which other editions have it.

    A code found only in earlier editions was deleted, so its status becomes
    ``terminated``; one found only in later editions is not yet in force.
    """
    info.messages.append(f"{info.code} is not in {info.source}")
    query = (
        select(CodeRelease)
        .join(Code, Code.release_id == CodeRelease.id)
        .where(Code.system == system, Code.code == info.code, CodeRelease.id != release.id)
        .order_by(CodeRelease.effective_from)
    )
    others = list(session.scalars(query))
    earlier = [other for other in others if other.effective_from < release.effective_from]
    later = [other for other in others if other.effective_from > release.effective_from]
    if earlier and not later:
        last = earlier[-1]
        info.status = "terminated"
        info.billable = False
        info.details["last_edition"] = source_name(last)
        info.messages.append(
            f"{info.code} was deleted: the last edition that has it is {source_name(last)} "
            f"(effective {last.effective_from.isoformat()})"
        )
    elif later:
        first = later[0]
        info.messages.append(
            f"{info.code} first appears in {source_name(first)}, "
            f"effective {first.effective_from.isoformat()}"
        )


def not_loaded(system: str, code: str, hint: str) -> CodeInfo:
    """Describe *code* of a *system* that has no loaded edition.

    *hint* names the command that loads an edition.
    """
    name = SYSTEM_NAMES.get(system, system)
    return CodeInfo(system, code, "not_found", messages=[f"no {name} edition is loaded; {hint}"],
                    unchecked=True)
