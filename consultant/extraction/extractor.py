"""Extract CPT, HCPCS Level II, ICD-10-CM, ICD-10-PCS codes and modifiers from text.

Each distinct code becomes one ``CodeReference`` carrying every position where it
was written, so a reviewer sees the code once however often the asker repeats it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

SYSTEMS = ("cpt", "hcpcs", "icd10cm", "icd10pcs", "modifier")

# CPT Category I is five digits; Category II, III and PLA are four digits and F, T or U.
_CPT = r"\d{5}|\d{4}[FTU]"
# HCPCS Level II: one letter A-V (not D, which is dental CDT, nor I, N or O) and four digits.
_HCPCS = r"[ABCEGHJKLMPQRSTUV]\d{4}"
# ICD-10-CM: a letter other than U, two characters, then up to four more after the dot.
_ICD10CM = r"[A-TV-Z]\d[0-9A-Z](?:\.[0-9A-Z]{1,4})?"

_CODE = re.compile(
    rf"(?<![\w.$/-])(?P<code>{_CPT}|{_HCPCS}|{_ICD10CM})"
    rf"(?:-(?P<modifier>[0-9A-Z]{{2}}))?(?![\w/])",
    re.IGNORECASE,
)
_MODIFIER_WORD = re.compile(r"\bmod(?:ifier)?s?\s*(?P<modifier>\d{2}|[A-Z][A-Z0-9])\b", re.IGNORECASE)


@dataclass
class CodeReference:
    """One distinct code found in a text, with where and how it was written."""

    system: str
    code: str
    positions: list[tuple[int, int]] = field(default_factory=list)
    modifiers: list[str] = field(default_factory=list)
    units: int | None = None
    range_end: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "code": self.code,
            "positions": [list(span) for span in self.positions],
            "modifiers": list(self.modifiers),
            "units": self.units,
            "range_end": self.range_end,
        }


def _classify(token: str) -> tuple[str, str] | None:
    token = token.upper()
    if re.fullmatch(_CPT, token):
        return "cpt", token
    if re.fullmatch(_HCPCS, token):
        return "hcpcs", token
    if re.fullmatch(_ICD10CM, token):
        if len(token) > 3 and "." not in token:
            return None
        return "icd10cm", token
    return None


def extract(text: str) -> list[CodeReference]:
    """Return the code references in *text*, in order of first appearance."""
    found: dict[tuple[str, str], CodeReference] = {}

    def add(system: str, code: str, span: tuple[int, int]) -> CodeReference:
        reference = found.get((system, code))
        if reference is None:
            reference = found[(system, code)] = CodeReference(system, code)
        reference.positions.append(span)
        return reference

    for match in _CODE.finditer(text):
        classified = _classify(match.group("code"))
        if classified is None:
            continue
        reference = add(*classified, match.span("code"))
        modifier = match.group("modifier")
        if modifier:
            modifier = modifier.upper()
            if modifier not in reference.modifiers:
                reference.modifiers.append(modifier)
            add("modifier", modifier, match.span("modifier"))

    for match in _MODIFIER_WORD.finditer(text):
        add("modifier", match.group("modifier").upper(), match.span("modifier"))

    return sorted(found.values(), key=lambda reference: reference.positions[0])
