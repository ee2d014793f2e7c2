"""ICD-10-CM lookups: notes inherited from the category, 7th characters and near misses."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy.orm import Session

from consultant.codes.icd10cm import PLACEHOLDER, apply_seventh, seventh_applies
from consultant.codes.info import (
    CodeInfo,
    CodeRow,
    codes_under,
    explain_absent,
    find_codes,
    not_loaded,
    release_for,
)
from consultant.codes.models import CodeRelease

SYSTEM = "icd10cm"
# Billable codes listed under a header; more are summarised by their count.
MAX_LISTED = 12
# A letter, a digit and a digit or letter, then maybe a dot and up to four characters.
_SHAPE = re.compile(r"[A-Z]\d[0-9A-Z](\.[0-9A-Z]{1,4})?")
# Characters a writer often types in place of another: letter O for zero, and so on.
_LOOKALIKES = {"O": "0", "0": "O", "I": "1", "1": "I", "L": "1", "S": "5", "5": "S", "Z": "2"}


def normalise(code: str) -> str:
    """Upper-case *code*, read a comma as the dot, and put the dot after the category."""
    bare = re.sub(r"[\s.,]", "", code.upper())
    return bare if len(bare) <= 3 else f"{bare[:3]}.{bare[3:]}"


def ancestors(code: str) -> list[str]:
    """Return the category and every subcategory above *code*, from the top down."""
    bare = code.replace(".", "")
    return [normalise(bare[:length]) for length in range(3, len(bare))]


def is_shaped(code: str) -> bool:
    """Return whether *code*, dotted or not, has the shape of an ICD-10-CM code."""
    return _SHAPE.fullmatch(normalise(code)) is not None


def describe_icd10cm(session: Session, code: str, on: date | None) -> CodeInfo:
    code = normalise(code)
    info = CodeInfo(SYSTEM, code, "not_found")
    shaped = _SHAPE.fullmatch(code) is not None
    if not shaped:
        # Said whether an edition is loaded or not, because no edition contains such a code.
        info.messages.append(f"{code} is not shaped like an ICD-10-CM code (such as E11.9)")
    release = release_for(session, SYSTEM, on, info)
    if release is None:
        return info if not shaped else not_loaded(SYSTEM, code, "run: caseconsultant codes load")
    if not shaped:
        _suggest(session, release, info)
        return info
    rows = find_codes(session, release, SYSTEM, [*ancestors(code), code])
    row = rows.get(code)
    if row is None:
        _explain_missing(session, release, info, rows)
        return info
    _fill(info, row, rows)
    if row.billable:
        info.status = "valid"
    else:
        _explain_header(session, release, info)
    return info


def _fill(info: CodeInfo, row: CodeRow, rows: dict[str, CodeRow]) -> None:
    info.description = row.description
    info.billable = row.billable
    lineage = [rows[name] for name in ancestors(info.code) if name in rows]
    category = lineage[0] if lineage else row
    path = [category.attributes.get("chapter"), category.attributes.get("block")]
    info.section = " > ".join(part for part in path if part) or None
    for label, notes in category.attributes.get("inherited_notes", []):
        for kind, texts in notes.items():
            info.notes.setdefault(kind, []).extend(f"{text} [at {label}]" for text in texts)
    for source in [*lineage, row]:
        for kind, texts in source.attributes.get("notes", {}).items():
            suffix = "" if source is row else f" [at {source.code}]"
            info.notes.setdefault(kind, []).extend(text + suffix for text in texts)
        if source.attributes.get("seventh_characters"):
            info.seventh_characters = dict(source.attributes["seventh_characters"])
    if "seventh_character" in row.attributes:
        info.details["seventh_character"] = row.attributes["seventh_character"]
        info.details["base"] = row.attributes["base"]


def _explain_header(session: Session, release: CodeRelease, info: CodeInfo) -> None:
    children = codes_under(session, release, SYSTEM, info.code, limit=MAX_LISTED + 1)
    info.details["billable_codes"] = [child.code for child in children[:MAX_LISTED]]
    info.details["more_billable_codes"] = len(children) > MAX_LISTED
    needs_seventh = bool(children) and all(
        child.attributes.get("base") == info.code for child in children
    )
    if needs_seventh:
        info.status = "incomplete"
        info.messages.append(_seventh_message(info.code, info.seventh_characters))
        return
    info.status = "header"
    listed = ", ".join(child.code for child in children[:MAX_LISTED])
    more = " and more" if len(children) > MAX_LISTED else ""
    info.messages.append(f"{info.code} is a header, not billable; use one of {listed}{more}")


def _seventh_message(code: str, characters: dict[str, str]) -> str:
    applicable = {
        char: meaning for char, meaning in characters.items() if seventh_applies(code, char)
    }
    choices = "; ".join(f"{char} {meaning}" for char, meaning in applicable.items())
    example = apply_seventh(code, next(iter(applicable), "A"))
    placeholder = ""
    if len(code.replace(".", "")) < 6:
        placeholder = f"; {PLACEHOLDER} fills the empty positions before it, as in {example}"
    return f"{code} needs a 7th character: {choices}{placeholder}"


def _inherited_seventh(rows: dict[str, CodeRow], code: str) -> dict[str, str]:
    seventh: dict[str, str] = {}
    for name in [*ancestors(code), code]:
        if name in rows and rows[name].attributes.get("seventh_characters"):
            seventh = rows[name].attributes["seventh_characters"]
    return seventh


def _explain_missing(
    session: Session, release: CodeRelease, info: CodeInfo, rows: dict[str, CodeRow]
) -> None:
    explain_absent(session, release, SYSTEM, info)
    bare = info.code.replace(".", "")
    full_length = len(bare) == 7
    stem = normalise((bare[:-1] if full_length else bare).rstrip(PLACEHOLDER))
    seventh = _inherited_seventh(rows, stem)
    if full_length and seventh and stem in rows:
        info.seventh_characters = dict(seventh)
        info.messages.append(
            f"{bare[-1]} is not a valid 7th character here; " + _seventh_message(stem, seventh)
        )
    elif stem != info.code and stem in rows:
        info.messages.append(
            f"{stem} exists; the placeholder {PLACEHOLDER} is used only before a 7th character"
        )
    _suggest(session, release, info)
    closest = [name for name in ancestors(info.code) if name in rows]
    if closest and not info.suggestions:
        info.messages.append(_closest_message(session, release, rows[closest[-1]]))


def _closest_message(session: Session, release: CodeRelease, row: CodeRow) -> str:
    """Return a message naming the closest existing code, and its billable codes if a header.

    A deleted E11.44 is closest to E11.4, which cannot be billed itself.
    """
    if row.billable:
        return f"the closest code that exists is {row.code}"
    children = codes_under(session, release, SYSTEM, row.code, limit=MAX_LISTED + 1)
    if not children:
        return f"the closest code that exists is {row.code}, a header that is not billable"
    listed = ", ".join(child.code for child in children[:MAX_LISTED])
    more = " and more" if len(children) > MAX_LISTED else ""
    return (f"the closest code that exists is {row.code}, a header that is not billable; "
            f"its billable codes include {listed}{more}")


def near_misses(code: str) -> list[str]:
    """Return codes the writer of *code* may have meant.

    Candidates swap lookalike characters (letter O for zero), drop characters past the
    seventh, and put back the placeholder X a writer left out before a 7th character.
    """
    bare = re.sub(r"[^0-9A-Z]", "", code.upper())
    candidates: list[str] = []
    for index, character in enumerate(bare):
        swap = _LOOKALIKES.get(character)
        if swap:
            candidates.append(bare[:index] + swap + bare[index + 1 :])
    candidates.append(bare[:1] + bare[1:].replace("O", "0").replace("I", "1"))
    if len(bare) > 7:
        candidates.append(bare[:7])
    if 4 <= len(bare) < 7 and bare[-1].isalpha():
        body, missing = bare[:-1], PLACEHOLDER * (7 - len(bare))
        for position in range(3, len(body) + 1):
            candidates.append(body[:position] + missing + body[position:] + bare[-1])
    normalised = [normalise(candidate) for candidate in candidates]
    return [candidate for candidate in dict.fromkeys(normalised) if candidate != normalise(code)]


def _suggest(session: Session, release: CodeRelease, info: CodeInfo) -> None:
    found = find_codes(session, release, SYSTEM, near_misses(info.code))
    for candidate, row in found.items():
        info.suggestions.append(candidate)
        state = "billable" if row.billable else "header"
        info.messages.append(f"suggestion: did you mean {candidate} ({state}, {row.description})?")
