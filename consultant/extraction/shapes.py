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

# A candidate token: 3 to 7 letters and digits with a digit among the first four. A dot
# with up to four more characters may follow, and so may a trailing dash, which marks an
# ICD-10-CM category written as "needs more characters" (M54.-, S72.00-). A token that
# ends in a digit may run into "and" or "or", as typed in a hurry ("99213and 20610").
TOKEN = re.compile(
    r"(?<![\w$%@&.\\])(?<!\w-)"
    r"(?=[A-Za-z]{0,3}\d)(?P<token>[A-Za-z0-9]{3,7}(?:\.[A-Za-z0-9]{1,4})?(?:\.?-(?![\w]))?)"
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
# LCD (L3xxxx) and article (A5xxxx) ids; no ICD-10-CM code is written this way.
_COVERAGE_ID = re.compile(r"L3\d{4}|A5\d{4}")

# Three-character ICD-10-CM codes that are complete and billable, and so common in coder
# mail that they are taken without a diagnosis keyword: hypertension, the immunization
# encounter and the uncomplicated delivery.
_BILLABLE_CATEGORIES = frozenset({"I10", "Z23", "O80"})

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
        strong = (upper[0].isdigit() and letters >= 1) or (letters >= 2 and "Z" in upper)
        strength = STRONG if strong else WEAK
        return Shape((("icd10pcs", upper),), strength)
    return None


def _letter_four_shape(upper: str) -> Shape | None:
    """Shape of a letter and four digits: HCPCS Level II, or an undotted ICD-10-CM code."""
    icd = ("icd10cm", dotted(upper[:3], upper[3:]))
    low, high = HCPCS_NUMBERS.get(upper[0], (0, 9999))
    if upper[0] in HCPCS_LETTERS and low <= int(upper[1:]) <= high:
        return Shape((("hcpcs", upper), icd), STRONG)
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
    if "." in upper and rest.endswith("X"):
        # "M99.0x": X is only a placeholder before a seventh character, so a code that
        # ends in it stands for a family of codes ("any M99.0 code"), not one code.
        return None
    if "." not in upper and _COVERAGE_ID.fullmatch(upper):
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
