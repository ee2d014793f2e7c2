"""The written shapes of each code system and how a token is classified by shape alone.

A shape lists the systems a token could belong to and how much context it needs. Some
shapes are weak: a bare three-character ICD-10-CM category, an ICD-10-PCS code without a
Z, an undotted ICD-10-CM code that reads like an LCD id. ``context`` keeps those only
where a keyword or nearby codes support them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

# HCPCS Level II letters in use. D codes are dental (CDT) and are not extracted.
HCPCS_LETTERS = frozenset("ABCEGHJKLMPQRSTUV")

# Numeric ranges in use for HCPCS Level II letters that do not use all of 0000-9999.
# Outside them a letter and four digits is read as an undotted ICD-10-CM code.
# NOTE: the ranges are estimates rounded outwards, not read from the HCPCS file. A
# checker corrects a wrong guess, because it moves a token to the system that has it.
HCPCS_NUMBERS = {
    "B": (4000, 9999),
    "C": (1000, 9999),
    "E": (100, 8002),
    "H": (1, 2041),
    "K": (1, 1100),
    "M": (1, 1399),
    "P": (2028, 9615),
    "R": (70, 76),
    "T": (1000, 5999),
    "U": (1, 5),
    "V": (2020, 5364),
}

# ICD-10-PCS sections: the first character of every ICD-10-PCS code.
PCS_SECTIONS = frozenset("0123456789BCDFGHX")

# ICD-10-CM categories whose third character is a letter, as listed by the ICD-10-CM
# release in the simple-icd-10-cm 1.5.0 package.
ICD_LETTER_CATEGORIES = frozenset(
    {"C4A", "C7A", "C7B", "D3A", "I1A", "I5A", "J4A", "M1A", "O9A", "Z3A"}
)

# ICD-10-CM categories whose second and third characters are digits, per first letter,
# as ranges: "A": "00-09 15" stands for A00 to A09 and A15. Read off the ICD-10-CM FY2026
# release in the simple-icd-10-cm 1.5.0 package. A code written without its dot is read
# as ICD-10-CM only in one of these categories, so "Z0759" (no category Z07) is not.
# NOTE: a category added by a later release is read only when written with its dot.
_ICD_DIGIT_CATEGORY_RANGES = {
    "A": "00-09 15 17-28 30-44 46 48-60 63-71 74-75 77-96 98-99",
    "B": "00-10 15-20 25-27 30 33-60 64-83 85-92 94-97 99",
    "C": "00-26 30-34 37-41 43-58 60-86 88 90-96",
    "D": "00-07 09-53 55-78 80-84 86 89",
    "E": "00-11 13 15-16 20-32 34-36 40-46 50-56 58-61 63-68 70-80 83-89",
    "F": "01-07 09-25 28-34 39-45 48 50-55 59-60 63-66 68-73 78-82 84 88-91 93-95 98-99",
    "G": "00-14 20-21 23-26 30-32 35-37 40 43-47 50-65 70-73 80-83 89-99",
    "H": "00-02 04-05 10-11 15-18 20-22 25-28 30-36 40 42-44 46-47 "
         "49-55 57 59-62 65-75 80-83 90-95",
    "I": "00-02 05-13 15-16 20-28 30-52 60-63 65-83 85-89 95-97 99",
    "J": "00-06 09-18 20-22 30-45 47 60-70 80-82 84-86 90-96 98-99",
    "K": "00-06 08-09 11-14 20-23 25-31 35-38 40-46 50-52 55-68 70-77 80-83 85-87 90-92 94-95",
    "L": "00-05 08 10-14 20-30 40-45 49-60 62-68 70-76 80-95 97-99",
    "M": "00-02 04-08 10-27 30-36 40-43 45-51 53-54 60-63 65-67 70-72 75-77 79-81 83-97 99",
    "N": "00-08 10-23 25-37 39-53 60-65 70-77 80-99",
    "O": "00-04 07-16 20-26 28-36 40-48 60-77 80 82 85-92 94 98-99",
    "P": "00-05 07-15 19 22-29 35-39 50-61 70-72 74 76-78 80-81 83-84 90-96",
    "Q": "00-07 10-18 20-28 30-45 50-56 60-87 89-93 95-99",
    "R": "00-01 03-07 09-23 25-27 29-37 39-65 68-71 73-94 97 99",
    "S": "00-17 19-99",
    "T": "07 14-28 30-34 36-71 73-76 78-88",
    "U": "07 09",
    "V": "00-06 09-99",
    "W": "00-01 03-40 42 44-46 49-62 64-65 67 69 73-74 85-86 88-90 92-94 99",
    "X": "00-06 08 10-19 30-32 34-39 50 52 58 71-83 92-99",
    "Y": "00-04 07-09 21-33 35-38 62-66 69-84 90 92-93 95 99",
    "Z": "00-05 08-09 11-23 28-34 36-49 51-53 55-60 62-99",
}


def _expand_categories(ranges: dict[str, str]) -> frozenset[str]:
    categories = set()
    for letter, spans in ranges.items():
        for span in spans.split():
            first, _, last = span.partition("-")
            for number in range(int(first), int(last or first) + 1):
                categories.add(f"{letter}{number:02d}")
    return frozenset(categories)


ICD_DIGIT_CATEGORIES = _expand_categories(_ICD_DIGIT_CATEGORY_RANGES)

# The ICD-10-PCS codes of letters only, which ``TOKEN`` skips because it needs a digit.
# FY2026 has ten: four of plaque radiation (DHYBFZZ), four of mental health (GZHZZZZ,
# group psychotherapy) and two of new technology (XXEZXAB).
LETTERED_PROCEDURE_CODES = frozenset({
    "DHYBFZZ", "DHYCFZZ", "DPYBFZZ", "DPYCFZZ", "GZFZZZZ", "GZGZZZZ", "GZHZZZZ", "GZJZZZZ",
    "XXEZXAB", "XXEZXCB",
})

# A candidate token: 3 to 7 letters and digits with a digit among the first four. A dot
# with up to four more characters may follow, and so may a trailing dash, which marks an
# ICD-10-CM category written as "needs more characters" (M54.-, S72.00-), but not after
# five digits, where it is a modifier's hyphen wrapped to the next line. A token that
# ends in a digit may run into "and" or "or", as typed in a hurry ("99213and 20610").
TOKEN = re.compile(
    r"(?<![\w$%@&.\\])(?<!\w-)"
    r"(?=[A-Za-z]{0,3}\d)(?P<token>[A-Za-z0-9]{3,7}(?:\.[A-Za-z0-9]{1,4})?"
    r"(?:(?<!\d{5})\.?-(?![\w]))?)"
    r"(?!(?!(?<=\d)(?:and|or)\b)[\w@%]|\.\w)"
)
# The same token without the look-behind, for the far end of a range.
RANGE_END = re.compile(
    r"(?=[A-Za-z]{0,3}\d)(?P<token>[A-Za-z0-9]{3,7}(?:\.[A-Za-z0-9]{1,4})?)"
    r"(?![\w@%]|\.\w)"
)

_CPT = re.compile(r"\d{5}|\d{4}F|0\d{3}[TUM]")
_LETTER_FOUR = re.compile(r"[A-Z]\d{4}")
_ICD_DOTTED = re.compile(r"(?P<category>[A-Z]\d[0-9A-Z])\.(?P<rest>[0-9A-Z]{1,4})?")
_ICD_UNDOTTED = re.compile(r"(?P<category>[A-Z]\d[0-9A-Z])(?P<rest>[0-9X]{1,3}|[0-9X]{3}[0-9A-Z])?")
_PCS = re.compile(r"[0-9BCDFGHX][0-9A-HJ-NP-Z]{6}")
# The new technology section (XW033E5, XRGA0R7): the values each character takes in the
# FY2026 tables, among them the approach in the fifth place and the new technology
# group, 2 to B, in the seventh. A token of this form is seldom anything else.
_PCS_NEW_TECHNOLOGY = re.compile(
    r"X[02DFHKNRTWXY][012578ACEGHJKPRSUVZ][0-9A-HJ-NP-Z][03478X][0-9A-HJ-NP-Y][2-9AB]"
)
# LCD (L3xxxx) and article (A5xxxx) ids; no ICD-10-CM code is written this way.
_COVERAGE_ID = re.compile(r"L3\d{4}|A5\d{4}")

# Three-character ICD-10-CM codes so common in coder mail that they are taken without a
# diagnosis keyword: hypertension, the immunization encounter, the uncomplicated
# delivery, acute posthemorrhagic anemia, severe malnutrition, syncope, and multiple
# sclerosis (billable alone until FY2026, and still written alone).
_BILLABLE_CATEGORIES = frozenset({"I10", "Z23", "O80", "D62", "E43", "R55", "G35"})

STRONG = "strong"
WEAK = "weak"


@dataclass(frozen=True)
class Shape:
    """The readings of a token: systems in order of preference, with the code in each."""

    options: tuple[tuple[str, str], ...]
    strength: str
    category_dash: bool = False
    # Weak shapes that only a keyword can confirm, because nearby codes prove nothing.
    needs_keyword: bool = False
    systems: tuple[str, ...] = field(init=False)
    # Whether the token may be a CPT or HCPCS code, the codes that modifiers apply to.
    takes_modifiers: bool = field(init=False)

    def __post_init__(self) -> None:
        systems = tuple(system for system, _ in self.options)
        object.__setattr__(self, "systems", systems)
        object.__setattr__(self, "takes_modifiers", "cpt" in systems or "hcpcs" in systems)

    def code_for(self, system: str) -> str:
        """Return the normalised code of the token in *system*."""
        for option, code in self.options:
            if option == system:
                return code
        raise KeyError(system)


def dotted(category: str, rest: str) -> str:
    """Return an ICD-10-CM code in its normal written form, upper case with the dot."""
    return f"{category}.{rest}" if rest else category


@lru_cache(maxsize=4096)
def classify(token: str) -> Shape | None:
    """Return the shape of *token*, or ``None`` when it has the shape of no code."""
    upper = token.upper()
    category_dash = upper.endswith("-")
    if category_dash:
        upper = upper.rstrip("-").rstrip(".")
        return _icd_shape(upper, category_dash=True)

    if _CPT.fullmatch(upper):
        return Shape((("cpt", upper),), STRONG)

    if _LETTER_FOUR.fullmatch(upper):
        return _letter_four_shape(upper)

    icd = _icd_shape(upper)
    if icd is not None:
        return icd

    if _PCS.fullmatch(upper):
        if upper.isdigit():
            # "0210093" is a PCS code, but seven digits are more often an account number.
            return Shape((("icd10pcs", upper),), WEAK, needs_keyword=True)
        letters = sum(c.isalpha() for c in upper)
        # A digit first and a letter later (0DTJ4ZZ, 30233N1) reads as PCS; so do two
        # letters with a Z, the "no device" or "no qualifier" value.
        strong = (
            (upper[0].isdigit() and letters >= 1)
            or (letters >= 2 and "Z" in upper)
            or _PCS_NEW_TECHNOLOGY.fullmatch(upper) is not None
        )
        strength = STRONG if strong else WEAK
        return Shape((("icd10pcs", upper),), strength)
    return None


def _letter_four_shape(upper: str) -> Shape | None:
    """Shape of a letter and four digits: HCPCS Level II, or an undotted ICD-10-CM code."""
    icd = ("icd10cm", dotted(upper[:3], upper[3:]))
    low, high = HCPCS_NUMBERS.get(upper[0], (0, 9999))
    in_category = upper[:3] in ICD_DIGIT_CATEGORIES
    if upper[0] in HCPCS_LETTERS and low <= int(upper[1:]) <= high:
        return Shape((("hcpcs", upper), icd) if in_category else (("hcpcs", upper),), STRONG)
    if not in_category:
        return None
    if upper[0] == "D":
        # A dental (CDT) code, unless a diagnosis keyword comes before it.
        return Shape((icd,), WEAK, needs_keyword=True)
    return Shape((icd,), STRONG)


def _icd_shape(upper: str, category_dash: bool = False) -> Shape | None:
    """Shape of an ICD-10-CM code written with or without the dot."""
    match = _ICD_DOTTED.fullmatch(upper) or _ICD_UNDOTTED.fullmatch(upper)
    if match is None:
        return None
    category, rest = match["category"], match["rest"] or ""
    if category[2].isalpha() and category not in ICD_LETTER_CATEGORIES:
        return None
    if rest.endswith("X"):
        # "M99.0x", "G60xx": X is only a placeholder before a seventh character, so a
        # code that ends in it stands for a family of codes ("any M99.0 code").
        return None
    if "." not in upper and _COVERAGE_ID.fullmatch(upper):
        return None
    if "." not in upper and not category_dash and category[2].isdigit() and (
        category not in ICD_DIGIT_CATEGORIES
    ):
        return None

    code = dotted(category, rest)
    if category_dash:
        return Shape((("icd10cm", code),), STRONG, category_dash=True)
    strength = STRONG
    if not rest and category in _BILLABLE_CATEGORIES:
        # Complete codes of three characters that coders name on their own every day.
        return Shape((("icd10cm", code),), STRONG)
    if not rest or ("." not in upper and len(upper) == 6 and upper[0] in "LA"):
        # A bare category (I10, B12) or an undotted L/A code that may be a policy id.
        strength = WEAK
    return Shape((("icd10cm", code),), strength)
