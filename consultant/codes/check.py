"""NCCI verdicts for the codes of one question: pair edits, unit limits, lone add-on codes."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from consultant.codes.info import source_name
from consultant.codes.models import AddOnCode, CodeRelease, MueLimit, PtpEdit
from consultant.codes.ncci import MODIFIER_INDICATORS, MUE_ADJUDICATION
from consultant.codes.releases import SYSTEM_NAMES, release_in_force

_ITEM = re.compile(r"(?P<code>[0-9A-Za-z]{5})(?:[:*](?P<units>\d+))?")


@dataclass
class PairEdit:
    """A PTP edit between two codes of the question."""

    column1: str
    column2: str
    modifier_indicator: str
    meaning: str
    effective_from: str
    deleted_on: str | None
    rationale: str | None


@dataclass
class UnitLimit:
    """The MUE of one code and whether the units of the question exceed it.

    ``lines`` are the units of each claim line of the code. ``units`` is the figure
    checked against the limit: the largest line for a line edit (indicator 1), the
    lines added up for a date of service edit (indicators 2 and 3).
    """

    code: str
    limit: int
    units: int | None
    exceeded: bool | None
    adjudication_indicator: str
    meaning: str
    rationale: str | None
    lines: list[int] = field(default_factory=list)

    def lines_phrase(self) -> str:
        """Return where the checked units come from, when the code is on several lines.

        The phrase follows the units: "100 units on 2 lines (95 + 5)", "95 units on the
        largest of 2 lines". It is empty for a code on one line.
        """
        if len(self.lines) < 2:
            return ""
        if self.adjudication_indicator == "1":
            return f" on the largest of {len(self.lines)} lines"
        return f" on {len(self.lines)} lines ({' + '.join(str(units) for units in self.lines)})"


@dataclass
class LoneAddOn:
    """An add-on code reported without any of its primary codes."""

    code: str
    edit_type: int
    primary_codes: list[str]
    message: str


@dataclass
class CheckResult:
    """Every NCCI verdict that applies to the codes of one question on one date."""

    codes: list[str]
    date_of_service: str | None
    setting: str
    pair_edits: list[PairEdit] = field(default_factory=list)
    unit_limits: list[UnitLimit] = field(default_factory=list)
    lone_add_ons: list[LoneAddOn] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    # Edit files (such as "aoc") with no edition loaded, or none in force on the date of
    # service, so the edits they would hold were not checked.
    unchecked: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_items(items: list[str]) -> list[tuple[str, int | None]]:
    """Read CODE or CODE:UNITS (also CODE*UNITS) arguments into codes and units."""
    parsed: list[tuple[str, int | None]] = []
    for item in items:
        match = _ITEM.fullmatch(item.strip())
        if match is None:
            raise ValueError(f"{item!r} is not a code, or a code and units such as 97110:4")
        units = match["units"]
        parsed.append((match["code"].upper(), int(units) if units else None))
    return parsed


# The ``codes import`` command for each kind of edit file.
_IMPORT_COMMANDS = {"ptp": "ncci-ptp", "mue": "mue", "aoc": "aoc"}


def _in_force(column_from: Any, column_to: Any, on: date) -> ColumnElement[bool]:
    starts = or_(column_from.is_(None), column_from <= on)
    return and_(starts, or_(column_to.is_(None), column_to >= on))


def _release(
    session: Session, system: str, on: date | None, result: CheckResult, *, applies: bool = True
) -> CodeRelease | None:
    """Find the edition of *system* for *on*, noting in *result* when its edits go unchecked.

    *applies* is false when the codes cannot meet any edit of *system*, such as a pair
    edit with one code, so a missing edition leaves nothing unchecked.
    """
    release, warning = release_in_force(session, system, on)
    if release is None:
        command = _IMPORT_COMMANDS[system.split("_")[0]]
        result.messages.append(
            f"no {SYSTEM_NAMES.get(system, system)} edition is loaded; import the CMS file "
            f"with: caseconsultant codes import {command}"
        )
        if applies:
            result.unchecked.append(system)
        return None
    result.sources.append(source_name(release))
    if warning:
        result.messages.append(warning)
        if applies:
            result.unchecked.append(system)
    return release


def check_codes(
    session: Session,
    items: list[tuple[str, int | None]],
    date_of_service: date | None = None,
    *,
    setting: str = "practitioner",
) -> CheckResult:
    """Return the PTP pair edits, MUE limits and lone add-on codes that apply to *items*.

    Each item is one claim line: a code given twice with units is checked against its
    MUE as two lines. The deletion date of an edit is read as its last day in force.
    Without a date of service, edits are taken as of the first day of the newest edition.
    """
    codes = list(dict.fromkeys(code for code, _ in items))
    result = CheckResult(codes, date_of_service.isoformat() if date_of_service else None, setting)
    units: dict[str, list[int]] = {}
    for code, count in items:
        if count is not None:
            units.setdefault(code, []).append(count)
    _pair_edits(session, codes, date_of_service, result)
    _unit_limits(session, codes, units, date_of_service, result)
    _lone_add_ons(session, codes, date_of_service, result)
    return result


def _pair_edits(session: Session, codes: list[str], on: date | None, result: CheckResult) -> None:
    release = _release(session, f"ptp_{result.setting}", on, result, applies=len(codes) >= 2)
    if release is None or len(codes) < 2:
        return
    query = select(PtpEdit).where(
        PtpEdit.release_id == release.id,
        PtpEdit.column1.in_(codes),
        PtpEdit.column2.in_(codes),
        PtpEdit.column1 != PtpEdit.column2,
        PtpEdit.modifier_indicator != "9",
        _in_force(PtpEdit.effective_from, PtpEdit.deleted_on, on or release.effective_from),
    )
    for edit in session.scalars(query.order_by(PtpEdit.column1, PtpEdit.column2)):
        result.pair_edits.append(
            PairEdit(
                edit.column1,
                edit.column2,
                edit.modifier_indicator,
                MODIFIER_INDICATORS[edit.modifier_indicator],
                edit.effective_from.isoformat(),
                edit.deleted_on.isoformat() if edit.deleted_on else None,
                edit.rationale,
            )
        )


def _unit_limits(
    session: Session,
    codes: list[str],
    units: dict[str, list[int]],
    on: date | None,
    result: CheckResult,
) -> None:
    setting = "hospital" if result.setting == "hospital" else "practitioner"
    release = _release(session, f"mue_{setting}", on, result)
    if release is None:
        return
    query = select(MueLimit).where(MueLimit.release_id == release.id, MueLimit.code.in_(codes))
    for limit in session.scalars(query.order_by(MueLimit.code)):
        lines = units.get(limit.code, [])
        reported = _checked_units(limit.adjudication_indicator, lines)
        result.unit_limits.append(
            UnitLimit(
                limit.code,
                limit.value,
                reported,
                None if reported is None else reported > limit.value,
                limit.adjudication_indicator,
                MUE_ADJUDICATION[limit.adjudication_indicator],
                limit.rationale,
                lines,
            )
        )


def _checked_units(indicator: str, lines: list[int]) -> int | None:
    """Return the units that an MUE with adjudication *indicator* compares with its limit."""
    if not lines:
        return None
    # A line edit checks each claim line alone. A date of service edit adds them up.
    return max(lines) if indicator == "1" else sum(lines)


def _lone_add_ons(session: Session, codes: list[str], on: date | None, result: CheckResult) -> None:
    release = _release(session, "aoc", on, result)
    if release is None:
        return
    query = select(AddOnCode).where(
        AddOnCode.release_id == release.id,
        AddOnCode.addon_code.in_(codes),
        _in_force(AddOnCode.effective_from, AddOnCode.deleted_on, on or release.effective_from),
    )
    rows: dict[str, list[AddOnCode]] = {}
    for row in session.scalars(query):
        rows.setdefault(row.addon_code, []).append(row)
    others = [code for code in codes if code not in rows]
    for code, entries in rows.items():
        primaries = sorted({entry.primary_code for entry in entries if entry.primary_code})
        edit_type = entries[0].edit_type
        if set(primaries) & set(codes):
            continue
        if edit_type == 2 and others:
            continue
        result.lone_add_ons.append(
            LoneAddOn(code, edit_type, primaries, _lone_message(code, edit_type, primaries))
        )


def _lone_message(code: str, edit_type: int, primaries: list[str]) -> str:
    listed = ", ".join(primaries[:10]) + (" and more" if len(primaries) > 10 else "")
    if edit_type == 1:
        return f"add-on code {code} needs one of its primary codes: {listed}"
    if edit_type == 3:
        return (
            f"add-on code {code} has none of its listed primary codes ({listed}); "
            "the contractor may accept another primary"
        )
    return f"add-on code {code} is reported without any primary procedure"
