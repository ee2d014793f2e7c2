"""Describe one code as the edition in force on a date of service describes it.

``describe`` is what the drafting step calls for every code of a question.  It never
raises for an unknown or malformed code. Its status and messages describe the problem.
"""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from consultant.codes import cpt, icd10cm_lookup, icd10pcs_lookup
from consultant.codes.icd10cm_lookup import describe_icd10cm
from consultant.codes.icd10pcs_lookup import describe_icd10pcs
from consultant.codes.info import (
    CodeInfo,
    cached_release,
    explain_absent,
    find_codes,
    not_loaded,
    release_for,
    source_name,
)
from consultant.codes.models import RvuValue
from consultant.codes.releases import ended_before, outdated_note
from consultant.extraction.shapes import ICD_DIGIT_CATEGORIES, ICD_LETTER_CATEGORIES, classify

__all__ = ["SYSTEMS", "CodeInfo", "describe", "describe_any", "edition_in_force",
           "ended_edition_note", "guess_systems", "is_shaped", "split_codes"]

SYSTEMS = ("cpt", "hcpcs", "icd10cm", "icd10pcs", "modifier")
SYSTEM_LABELS = {"cpt": "CPT", "hcpcs": "HCPCS Level II", "icd10cm": "ICD-10-CM",
                 "icd10pcs": "ICD-10-PCS", "modifier": "modifier"}

# Public section headings of HCPCS Level II, by the first letter of the code.
HCPCS_SECTIONS = {
    "A": "Transportation, medical and surgical supplies, miscellaneous",
    "B": "Enteral and parenteral therapy",
    "C": "Outpatient prospective payment system (temporary)",
    "E": "Durable medical equipment",
    "G": "Procedures and professional services (temporary)",
    "H": "Behavioral health and substance abuse treatment services",
    "J": "Drugs administered other than oral method, chemotherapy drugs",
    "K": "Durable medical equipment for DME MACs (temporary)",
    "L": "Orthotic and prosthetic procedures and devices",
    "M": "Medical services and quality measures",
    "P": "Pathology and laboratory services",
    "Q": "Miscellaneous services (temporary)",
    "R": "Diagnostic radiology services",
    "S": "Non-Medicare temporary national codes",
    "T": "National codes for state Medicaid agencies",
    "U": "Laboratory tests for coronavirus",
    "V": "Vision, hearing and speech-language pathology services",
}
# ACTION CD of the HCPCS file: what the latest update did to the code.
ACTIONS = {
    "A": "added",
    "B": "administrative data and long description changed",
    "C": "long description changed",
    "D": "discontinued",
    "F": "administrative data changed",
    "N": "no change",
    "P": "payment changed",
    "R": "reactivated",
    "S": "short description changed",
    "T": "miscellaneous change",
}
COVERAGE = {
    "C": "carrier judgment",
    "D": "special coverage instructions apply",
    "I": "not payable by Medicare",
    "M": "non-covered by Medicare",
    "S": "non-covered by Medicare statute",
}
# Modifiers have no edition of their own, because they are imported with HCPCS Level II.
RELEASE_SYSTEMS = {"modifier": "hcpcs"}
# Lookup statuses of a code that the edition used does not contain. A code found only in
# earlier editions is "terminated".
_MISSING_STATUSES = ("not_found", "terminated")
CPT_LICENCE_NOTE = (
    "CPT descriptors are licensed by the AMA and are not stored here; "
    "import a licensed CPT file to show them"
)
_FEE_SCHEDULE = select(
    RvuValue.modifier, RvuValue.status_code, RvuValue.global_days, RvuValue.values
).where(RvuValue.release_id == bindparam("release_id"), RvuValue.code == bindparam("code"))
_HCPCS = re.compile(r"[A-Z]\d{4}")
_PCS = re.compile(r"[0-9A-HJ-NP-Z]{7}")
_MODIFIER = re.compile(r"[0-9A-Z]{2}")
_UNDOTTED_ICD10CM = re.compile(r"[A-Z]\d[0-9A-Z]{1,5}")
# An ICD-10-CM category, a comma for the dot, and the rest of the code: "E11,40".
_DECIMAL_COMMA = re.compile(r"[A-Za-z]\d[0-9A-Za-z],(?P<rest>[0-9A-Za-z]{1,4})")
# CPT modifiers: two digits, and 1P to 8P for Category II performance measures.
_CPT_MODIFIER = re.compile(r"\d{2}|[1-8]P")


def describe(
    session: Session, system: str, code: str, date_of_service: date | None = None
) -> CodeInfo:
    """Describe *code* of *system* from the edition in force on *date_of_service*.

    Without a date, the newest edition is used.  Unknown codes and systems come back with
    status ``not_found`` and a message; this function raises only for database errors.
    ``unchecked`` is set when the code is missing from the edition used and that edition
    is not in force on the date of service (today without one), or no edition of the
    code's set is loaded. Drafts, ``codes lookup`` and the web lookup all read it.
    """
    system = system.lower().strip()
    describer = _DESCRIBERS.get(system)
    if describer is None:
        return CodeInfo(system, code, "not_found", messages=[f"unknown code system {system!r}"])
    info = describer(session, code.strip(), date_of_service)
    missing = info.description is None and info.status in _MISSING_STATUSES
    # A code of the wrong shape is not found whatever the editions: "HELLO" is no code.
    info.unchecked = missing and is_shaped(system, code.strip()) and not edition_in_force(
        session, system, date_of_service
    )
    return info


_SHAPE_CHECKS = {
    "cpt": lambda code: cpt.place(code.upper()) is not None,
    "icd10cm": icd10cm_lookup.is_shaped,
    "icd10pcs": icd10pcs_lookup.is_shaped,
}


def is_shaped(system: str, code: str) -> bool:
    """Return whether *code* is written the way codes of *system* are.

    Only CPT, ICD-10-CM and ICD-10-PCS have shape checks, so any HCPCS Level II code or
    modifier passes. An unknown or empty system has no codes, so nothing passes for it.
    """
    if system not in _DESCRIBERS:
        return False
    return _SHAPE_CHECKS.get(system, lambda _code: True)(code)


def edition_in_force(session: Session, system: str, on: date | None) -> bool:
    """Return whether a loaded edition of *system* is in force on the date of service *on*.

    Without a date of service, the newest loaded edition must still be in force today.
    """
    release, warning = cached_release(session, RELEASE_SYSTEMS.get(system, system), on)
    if release is None or warning is not None:
        return False
    return not ended_before(release, on or date.today())


def ended_edition_note(
    session: Session, system: str, on: date | None, code: str | None = None
) -> str | None:
    """Return a note for the reviewer when the edition used for *system* has ended, else None.

    An edition has ended when the date of service, or today without one, is after its
    last day in force. A lookup that fell back to an edition not in force on the date
    of service already carries the warning of ``release_in_force``, so it gets no note.
    A CPT modifier (*code* "25" or "1P") gets none either: modifiers are looked up in
    the HCPCS Level II file, which has no CPT modifiers.
    """
    if system == "modifier" and code is not None and _CPT_MODIFIER.fullmatch(code.upper()):
        return None
    release, warning = cached_release(session, RELEASE_SYSTEMS.get(system, system), on)
    if release is None or warning is not None:
        return None
    return outdated_note(release, on)


def guess_systems(code: str) -> list[str]:
    """Return the systems a code written like *code* may belong to, likeliest first.

    The list is empty when *code* is shaped like no code of any system.
    """
    text = re.sub(r"\s", "", code.upper())
    systems: list[str] = []
    if cpt.is_cpt_shape(text):
        systems.append("cpt")
    if _MODIFIER.fullmatch(text):
        systems.append("modifier")
    if _HCPCS.fullmatch(text):
        systems.append("hcpcs")
    if "." in text or "," in text or _is_undotted_icd10cm(text):
        systems.append("icd10cm")
    if _PCS.fullmatch(text):
        systems.append("icd10pcs")
    return systems


def _is_undotted_icd10cm(text: str) -> bool:
    """Return whether *text* is an undotted ICD-10-CM code of a known category.

    The extractor reads undotted codes the same way, so J1100 may be J11.00, but Z0759
    is not read as Z07.59 because Z07 is no category.
    """
    # NOTE: the category lists are those of the ICD-10-CM FY2026 release, so a category
    # added later is offered only when the code is written with its dot.
    if not _UNDOTTED_ICD10CM.fullmatch(text):
        return False
    return text[:3] in ICD_DIGIT_CATEGORIES or text[:3] in ICD_LETTER_CATEGORIES


def split_codes(text: str) -> list[str]:
    """Split *text* into the codes written in it, separated by white space or commas.

    A comma inside a word after an ICD-10-CM category is read as the dot ("E11,9" is
    E11.9), unless the text after it is shaped like a code itself ("E11,I10").
    """
    codes: list[str] = []
    for word in text.split():
        decimal = _DECIMAL_COMMA.fullmatch(word)
        if decimal is not None and classify(decimal["rest"]) is None:
            codes.append(word)
        else:
            codes.extend(part for part in word.split(",") if part)
    return codes


def describe_any(session: Session, code: str, date_of_service: date | None = None) -> CodeInfo:
    """Describe *code* in the first system that has it, trying likely systems in turn.

    When no system has it, the first reading that could not be checked is described (a
    system without a loaded edition, or one whose edition is not in force), so that the
    code is reported as unchecked rather than as missing from every code set. A code
    shaped like no code of any system is returned as written, with the system "".
    """
    systems = guess_systems(code)
    if not systems:
        written = code.strip()
        return CodeInfo("", written, "not_found", messages=[
            f"{written} is not shaped like a CPT, HCPCS Level II, ICD-10-CM or ICD-10-PCS "
            "code, or a modifier"
        ])
    answers = [describe(session, system, code, date_of_service) for system in systems]
    for answer in answers:
        if answer.status != "not_found":
            _mention_unchecked(answer, answers)
            return answer
    unchecked = [answer for answer in answers if answer.unchecked]
    if not unchecked:
        return answers[0]
    for other in answers:
        label = SYSTEM_LABELS[other.system]
        if not other.unchecked:
            message = f"{other.code} was not found as a code of {label}"
            if other.source:
                message += f" in {other.source}"
            unchecked[0].messages.append(message)
        elif other is not unchecked[0] and other.release_id is not None:
            when = f"on {date_of_service.isoformat()}" if date_of_service else "today"
            unchecked[0].messages.append(
                f"{other.code} was not checked as a code of {label}: it is not in "
                f"{other.source}, which is not in force {when}"
            )
    return unchecked[0]


def _mention_unchecked(answer: CodeInfo, answers: list[CodeInfo]) -> None:
    """Say which other readings of the code could not be checked for lack of an edition."""
    for other in answers:
        if other is answer or other.status != "not_found":
            continue
        unloaded = [message for message in other.messages if " edition is loaded" in message]
        if unloaded:
            answer.messages.insert(0, f"{other.code} was not checked as a code of "
                                      f"{SYSTEM_LABELS[other.system]}: {unloaded[0]}")


def _attach_fee_schedule(session: Session, info: CodeInfo, on: date | None) -> None:
    """Add the fee-schedule indicators of *info*'s code, when an RVU file has been imported."""
    release, _ = cached_release(session, "rvu", on)
    if release is None:
        return
    parameters = {"release_id": release.id, "code": info.code}
    rows = {row.modifier: row for row in session.connection().execute(_FEE_SCHEDULE, parameters)}
    row = rows.get(None) or next(iter(rows.values()), None)
    if row is None:
        return
    info.details["fee_schedule"] = {
        "source": source_name(release),
        "status_code": row.status_code,
        "global_days": row.global_days,
        **row.values,
        "modifiers": sorted(modifier for modifier in rows if modifier),
    }


def _describe_hcpcs(session: Session, code: str, on: date | None) -> CodeInfo:
    code = code.upper()
    info = CodeInfo("hcpcs", code, "not_found", section=HCPCS_SECTIONS.get(code[:1]))
    release = release_for(session, "hcpcs", on, info)
    if release is None:
        return not_loaded("hcpcs", code, "run: caseconsultant codes import hcpcs PATH")
    row = find_codes(session, release, "hcpcs", [code]).get(code)
    if row is None:
        explain_absent(session, release, "hcpcs", info)
        # Letter O for zero and letter I for one are the usual slips after the first letter.
        candidate = code[:1] + code[1:].replace("O", "0").replace("I", "1")
        found = find_codes(session, release, "hcpcs", [candidate]).get(candidate)
        if candidate != code and found is not None:
            info.suggestions.append(candidate)
            info.messages.append(f"suggestion: did you mean {candidate} ({found.description})?")
        return info
    info.description = row.description
    info.short_description = row.short_description
    info.details = dict(row.attributes)
    info.billable = True
    info.status = "valid"
    terminated = row.attributes.get("terminated")
    if terminated and (on or date.today()).isoformat() > terminated:
        info.status = "terminated"
        info.billable = False
        info.messages.append(f"{code} was terminated; its last date of service was {terminated}")
    coverage = row.attributes.get("coverage")
    if coverage in COVERAGE:
        info.notes["coverage"] = [f"Medicare coverage code {coverage}: {COVERAGE[coverage]}"]
    action = row.attributes.get("action_code")
    if action in ACTIONS and action != "N":
        effective = row.attributes.get("action_effective") or "an unknown date"
        info.notes["action"] = [f"action code {action}: {ACTIONS[action]}, effective {effective}"]
    _attach_fee_schedule(session, info, on)
    return info


def _describe_modifier(session: Session, code: str, on: date | None) -> CodeInfo:
    code = code.upper()
    info = CodeInfo("modifier", code, "not_found")
    release = release_for(session, "hcpcs", on, info)
    row = find_codes(session, release, "modifier", [code]).get(code) if release else None
    if row is not None:
        info.status = "valid"
        info.description = row.description
        info.short_description = row.short_description
        info.section = "HCPCS Level II modifier"
        info.details = dict(row.attributes)
        return info
    if _CPT_MODIFIER.fullmatch(code):
        info.status = "section_only"
        info.section = "CPT modifier"
        if code.endswith("P"):
            info.section = "CPT Category II modifier"
        info.source = "CPT modifier numbering (public)"
        info.messages.append(CPT_LICENCE_NOTE)
        return info
    if release is None:
        info.unchecked = True
        info.messages.append(
            "no HCPCS Level II edition is loaded, so its modifiers are unknown; the CMS "
            "HCPCS Level II file contains them, so import it with: caseconsultant codes "
            "import hcpcs PATH (for example HCPC2025_OCT_ANWEB.xlsx)"
        )
    else:
        info.messages.append(f"{code} is not a modifier in {info.source}")
    return info


def _describe_cpt(session: Session, code: str, on: date | None) -> CodeInfo:
    code = code.upper()
    info = CodeInfo("cpt", code, "not_found")
    placement = cpt.place(code)
    if placement is None:
        info.messages.append(
            f"{code} is not shaped like a CPT code: five digits, or four and F, T or U"
        )
        return info
    info.section = placement.section
    info.details["category"] = placement.category
    _attach_fee_schedule(session, info, on)

    release = release_for(session, "cpt", on, info)
    row = find_codes(session, release, "cpt", [code]).get(code) if release else None
    if row is not None:
        info.status = "valid"
        info.billable = True
        info.description = row.description
        info.short_description = row.short_description
        info.details.update(row.attributes)
        return info
    if release is not None:
        explain_absent(session, release, "cpt", info)
        return info

    if not placement.recognised:
        # The public ranges cannot prove a code absent, because new codes can fall outside them.
        info.messages.append(f"{code} falls outside every CPT section range")
        info.messages.append(CPT_LICENCE_NOTE)
        return info
    info.status = "section_only"
    info.source = "CPT section ranges (public)"
    info.messages.append(CPT_LICENCE_NOTE)
    return info


def _describe_icd10cm(session: Session, code: str, on: date | None) -> CodeInfo:
    info = describe_icd10cm(session, code, on)
    written = re.sub(r"\s", "", code.upper())
    if info.status != "not_found" and written != info.code:
        # The writer left out the dot or typed a comma, so the message shows how it was read.
        info.suggestions.insert(0, info.code)
        info.messages.insert(0, f"suggestion: {written} read as {info.code}")
    return info


_DESCRIBERS = {
    "cpt": _describe_cpt,
    "hcpcs": _describe_hcpcs,
    "icd10cm": _describe_icd10cm,
    "icd10pcs": describe_icd10pcs,
    "modifier": _describe_modifier,
}
