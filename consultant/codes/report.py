"""The lookups and NCCI verdicts for the codes of one question, stored with a draft.

The drafting step passes the references found in a question (anything with ``system``,
``code`` and ``units`` attributes, such as ``extraction.CodeReference``) and stores
``CodeReport.to_dict()`` with the draft, so a reviewer sees what the reply relied on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from sqlalchemy.orm import Session

from consultant.codes.check import CheckResult, check_codes
from consultant.codes.info import CodeInfo
from consultant.codes.lookup import describe

# Systems whose codes NCCI edits cover.
PROCEDURE_SYSTEMS = ("cpt", "hcpcs")


class Reference(Protocol):
    """A code written in a question: its system, the code and any units."""

    system: str
    code: str
    units: int | None


@dataclass
class CodeReport:
    """The lookup of every code of a question and the NCCI verdicts on its procedures."""

    codes: list[CodeInfo] = field(default_factory=list)
    ncci: CheckResult | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "codes": [info.to_dict() for info in self.codes],
            "ncci": self.ncci.to_dict() if self.ncci else None,
        }


def report(
    session: Session, references: Iterable[Reference], date_of_service: date | None = None
) -> CodeReport:
    """Describe each reference and check the procedure codes against NCCI edits."""
    result = CodeReport()
    procedures: list[tuple[str, int | None]] = []
    for reference in references:
        result.codes.append(describe(session, reference.system, reference.code, date_of_service))
        if reference.system in PROCEDURE_SYSTEMS:
            procedures.append((reference.code.upper(), reference.units))
    if procedures:
        result.ncci = check_codes(session, procedures, date_of_service)
    return result
