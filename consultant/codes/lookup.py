"""Looking codes up in the loaded code sets."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.codes.models import Code


@dataclass
class CodeInfo:
    """What the knowledge base knows about one code."""

    system: str
    code: str
    status: str
    description: str | None = None
    section: str | None = None
    billable: bool | None = None
    source: str | None = None
    notes: dict[str, list[str]] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def describe(session: Session, system: str, code: str, date_of_service: date | None = None) -> CodeInfo:
    """Return what the loaded code sets say about *code*; never raises for an unknown code."""
    row = session.scalars(
        select(Code).where(Code.system == system, Code.code == code).order_by(Code.id.desc())
    ).first()
    if row is None:
        return CodeInfo(system, code, "not_found")
    return CodeInfo(
        system,
        code,
        "valid" if row.billable else "header",
        description=row.description,
        billable=row.billable,
    )
