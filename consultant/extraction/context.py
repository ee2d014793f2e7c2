"""Deciding the system of ambiguous tokens and keeping weak ones only where text supports them.

A letter and four digits is HCPCS Level II (J1100) or an undotted ICD-10-CM code (M5450).
A bare category such as I10 counts as a diagnosis only near other diagnoses or a word such
as "dx". The nearest keyword before a token decides, then the codes in the same sentence.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

from consultant.extraction.scanner import Mention, Scan
from consultant.extraction.shapes import STRONG
from consultant.extraction.tables import heading_above

# Keywords before a token, matched on lower-cased text.
_HINT = re.compile(
    r"\b(?:(?P<pcs>icd-?10-?pcs|pcs|root\s+operation)"
    r"|(?P<dx>[psa]?dx\d?|dxs|diag|diagnos[ie]s|icd-?10(?:-?cm)?|icd|code\s+first|use\s+additional|"
    # "primary M54.5", but not "Medicare is secondary for this patient".
    r"z-?codes?|(?:primary|secondary)(?!\s+(?:for|payer|insurance|ins|coverage|plan|to)\b)|"
    r"principal|pointers?|related\s+to|due\s+to|for\s+dx|"
    # "pt has E11.9", but not "pt has been on the E0601" (a device).
    r"(?:pt|patient)\s+has(?!\s+been\s+(?:on|using)\b)|hx\s+of|history\s+of)"
    r"|(?P<proc>cpt|hcpcs|procedures?|proc\d?|j-?codes?|g-?codes?|drugs?|injections?|supply|"
    r"supplies|dme|bills?|billed|billing|charged?|charges|e/m|append|appended|units?|"
    r"admin|administration))\b"
)
# "Z23 as the dx", "I10 (primary)", "0DTJ4ZZ for PCS": a keyword right after the code.
# The keyword must not start the next list item: in "J7300, dx Z30.430" it is Z30.430's,
# and a keyword on the next line ("G0008" above "Dx on the vaccine lines") is the line's.
# The runs of spaces are possessive, because the items between them are optional and
# contain no space: splitting one long run of spaces among them took time growing with
# the fourth power of its length, and finds no other match.
_HINT_AFTER = re.compile(
    r"[ \t]*+[(,]?[ \t]*+(?:as|for|is|was)?[ \t]*+(?:the|a|an|my|our)?[ \t]*+"
    r"(?:(?P<pcs>pcs|icd-?10-?pcs)\b|(?P<dx>dx|diagnosis|diag|icd|primary|secondary)\b)"
    r"(?!\s*+(?:codes?|is|was|of)?\s*+[:=]?\s*+[a-z]?\d)"
)
# "Pt with C61 (Gleason 7)": a condition the patient has, right before a bare category.
_PATIENT_WITH = re.compile(r"\b(?:pt|patient)\s+with\s+\Z")
# "Is R69 billable?": the question asked of diagnosis codes.
_BILLABLE_QUESTION = re.compile(
    r"[ \t]+(?:is[ \t]+|a[ \t]+)?(?:billable|valid|payable|reportable)\b"
)
_HINT_WINDOW = 80
# A column heading of diagnoses in a space-aligned table.
_DIAGNOSIS_HEADING = re.compile(r"(?i:dx|diag|icd)")
# Shapes that only a keyword confirms need it close: "dx D6959", "PCS 0210093".
_KEYWORD_WINDOW = 16
_NEIGHBOUR_WINDOW = 150


def resolve(scan: Scan) -> list[Mention]:
    """Set the system of every mention the context supports and return those mentions."""
    strong = _strong_systems(scan.text, scan.mentions)
    supported = []
    for mention in scan.mentions:
        system = _decide(scan, mention, strong)
        if system is not None:
            mention.system = system
            supported.append(mention)
    return supported


def _strong_systems(text: str, mentions: list[Mention]) -> list[tuple[int, str, bool]]:
    """Return (position, system, written with a dot) of mentions with one strong reading."""
    # A category of three characters ("Z23") has no dot to drop, so it counts as dotted.
    return [
        (
            mention.start,
            mention.shape.systems[0],
            "." in text[mention.start : mention.end] or mention.end - mention.start == 3,
        )
        for mention in mentions
        if mention.shape.strength == STRONG and len(mention.shape.options) == 1
    ]


def _decide(scan: Scan, mention: Mention, strong: list[tuple[int, str, bool]]) -> str | None:
    shape = mention.shape
    if len(shape.options) > 1:
        return _letter_four_system(scan, mention, strong)
    system = shape.systems[0]
    if shape.strength == STRONG:
        return system
    hint = _hint(scan, mention, _KEYWORD_WINDOW if shape.needs_keyword else _HINT_WINDOW)
    expected_hint = "pcs" if system == "icd10pcs" else "dx"
    if hint == expected_hint:
        return system
    if system == "icd10pcs" and _shares_pcs_stem(scan.mentions, mention):
        return system
    if not shape.needs_keyword and _has_neighbour(strong, mention.start, system):
        return system
    if system == "icd10cm" and not shape.needs_keyword and _has_neighbour(strong, mention.start):
        # A bare category among other codes ("90471 ... Z23") is taken as a diagnosis.
        return system
    if system == "icd10cm" and not shape.needs_keyword and _BILLABLE_QUESTION.match(
        scan.lower, mention.end
    ):
        return system
    if system == "icd10cm" and not shape.needs_keyword and _PATIENT_WITH.search(
        scan.lower, max(0, mention.start - 12), mention.start
    ):
        return system
    return None


def _letter_four_system(scan: Scan, mention: Mention, strong: list[tuple[int, str, bool]]) -> str:
    """Choose between HCPCS Level II and an undotted ICD-10-CM code."""
    hint = _hint(scan, mention)
    if hint == "dx":
        return "icd10cm"
    if hint == "proc" or mention.modifiers or mention.units is not None:
        return "hcpcs"
    heading = heading_above(scan.text, mention.start)
    if heading is not None and _DIAGNOSIS_HEADING.match(heading):
        # "DOS  CPT    DX1" above "11/04/25  99214  E1142" in a space-aligned report.
        return "icd10cm"
    # An undotted diagnosis next to it ("E1140, Z794 and M5450 on 99214") shows the writer
    # drops the dots. A dotted one does not, because HCPCS codes are never written with a
    # dot. The nearest undotted code of the sentence decides.
    sentence_start, sentence_end = scan.sentences.around(mention.start)
    low = bisect_left(strong, (sentence_start, ""))
    high = bisect_left(strong, (sentence_end, ""))
    nearby = [(abs(start - mention.start), system)
              for start, system, dotted in strong[low:high] if not dotted]
    if nearby and min(nearby)[1] == "icd10cm":
        return "icd10cm"
    return "hcpcs"


def _hint(scan: Scan, mention: Mention, window: int = 0) -> str | None:
    """Return the kind of the nearest keyword before *mention*: "dx", "proc" or "pcs".

    The keyword is looked for up to *window* characters back (by default the hint
    window) within the sentence, or right after the code.
    """
    window = window or _HINT_WINDOW
    if scan.tables.diagnosis and scan.tables.in_diagnosis_cell(mention.start):
        return "dx"
    sentence_start, _ = scan.sentences.around(mention.start)
    window_start = max(sentence_start, mention.start - window)
    hints = list(_HINT.finditer(scan.lower, window_start, mention.start))
    if hints:
        return hints[-1].lastgroup
    end = mention.range_span[1] if mention.range_span else mention.end
    after = _HINT_AFTER.match(scan.lower, end)
    return None if after is None else after.lastgroup


def _shares_pcs_stem(mentions: list[Mention], mention: Mention) -> bool:
    """Return whether a strong ICD-10-PCS code in the text starts with the same four characters.

    "027035Z ... Not 0270356": a seven-digit number that begins like a procedure code
    named in the same message is an ICD-10-PCS code too.
    """
    stem = mention.shape.options[0][1][:4]
    return any(
        other is not mention
        and other.shape.strength == STRONG
        and other.shape.systems[0] == "icd10pcs"
        and other.shape.options[0][1].startswith(stem)
        for other in mentions
    )


def _has_neighbour(
    strong: list[tuple[int, str, bool]], position: int, system: str | None = None
) -> bool:
    """Return whether a strong code (of *system*, if given) is written near *position*."""
    low = bisect_left(strong, (position - _NEIGHBOUR_WINDOW, ""))
    high = bisect_right(strong, (position + _NEIGHBOUR_WINDOW, "~"))
    return any(
        start != position and (system is None or other == system)
        for start, other, _ in strong[low:high]
    )
