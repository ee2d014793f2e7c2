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
            sentence += f"; the {limit.units} units written exceed it"
        by_code[limit.code].append(sentence)
    for add_on in result.lone_add_ons:
        by_code[add_on.code].append(add_on.message)
    return by_code


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
    # NOTE: a code written on lines with different units ("J9305 x 95", "J9305-JW x 5")
    # is checked against its MUE with the units of the first line, not their sum.
    procedures = [(reference.code.upper(), reference.units) for reference in references
                  if reference.system in PROCEDURE_SYSTEMS]
    if not procedures:
        return {}, None
    result = check_codes(session, procedures, date_of_service)
    note = UNCHECKED_NOTE if not result.sources and len(procedures) >= 2 else None
    return sentences_by_code(result), note
