"""NCCI verdicts on the procedure codes of a question, as sentences for the reply."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from sqlalchemy.orm import Session

from consultant.codes.check import CheckResult, PairEdit, check_codes
from consultant.extraction import CodeReference

PROCEDURE_SYSTEMS = ("cpt", "hcpcs")


def _pair_sentence(edit: PairEdit) -> str:
    return (f"NCCI pair edit: {edit.column2} is column 2 to {edit.column1}; modifier "
            f"indicator {edit.modifier_indicator} ({edit.meaning})")


def sentences_by_code(result: CheckResult) -> dict[str, list[str]]:
    """Return each code's verdicts as sentences, keyed by the code they concern."""
    by_code: dict[str, list[str]] = defaultdict(list)
    for edit in result.pair_edits:
        sentence = _pair_sentence(edit)
        by_code[edit.column1].append(sentence)
        by_code[edit.column2].append(sentence)
    for limit in result.unit_limits:
        sentence = f"MUE: at most {limit.limit} units per day ({limit.meaning})"
        if limit.exceeded:
            sentence += f"; the {limit.units} units written{limit.lines_phrase()} exceed it"
        by_code[limit.code].append(sentence)
    for add_on in result.lone_add_ons:
        by_code[add_on.code].append(add_on.message)
    return by_code


def claim_lines(reference: CodeReference) -> list[int | None]:
    """Return the units of each claim line that a question writes for *reference*.

    Units written with different modifiers are separate lines ("J9305 x 95" and
    "J9305-JW x 5"). Units written twice with the same modifiers are one line asked
    about two ways ("J9305 x 95, or should it be x 100?"), so the larger one counts.
    """
    lines: dict[frozenset[str], int] = {}
    for written, units in reference.unit_lines:
        key = frozenset(written)
        lines[key] = max(units, lines.get(key, units))
    return list(lines.values()) or [reference.units]


# The reviewer's note on a question with two or more procedure codes and no edit file.
UNCHECKED_NOTE = ("NCCI edits were not checked: no NCCI edit file is loaded for this date of "
                  "service; import the CMS files with caseconsultant codes import ncci-ptp")


def ncci_verdicts(
    session: Session, references: Iterable[CodeReference], date_of_service: date | None
) -> tuple[dict[str, list[str]], str | None]:
    """Check the question's procedure codes together; return the sentences per code.

    Nothing is returned while no NCCI edition is loaded, so a draft never claims that
    codes passed edits that were not checked. The second value is then a note for the
    reviewer, when the question names two or more procedure codes.
    """
    procedures = [
        (reference.code.upper(), units)
        for reference in references
        if reference.system in PROCEDURE_SYSTEMS
        for units in claim_lines(reference)
    ]
    if not procedures:
        return {}, None
    result = check_codes(session, procedures, date_of_service)
    note = UNCHECKED_NOTE if not result.sources and len(result.codes) >= 2 else None
    return sentences_by_code(result), note
