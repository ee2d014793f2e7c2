"""Numbers and abbreviations in coder mail that look like codes but are not.

``find_traps`` returns the spans of addresses, phone numbers, dates, money, identifiers,
other code sets (ICD-9, NDC, revenue codes, CARC/RARC, DRG, POS, type of bill), clinical
values and spine levels. The scanner drops every candidate that overlaps one of them.
"""

from __future__ import annotations

import re
from bisect import bisect_right

Span = tuple[int, int]

_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|"
    "NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR|GU|VI"
)
_STATE_NAMES = (
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|"
    "Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|"
    "Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|"
    "New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|"
    "Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|"
    "West Virginia|Wisconsin|Wyoming"
)
# Capitalised words that start a sentence before a two-letter word, not a city name.
_NOT_CITIES = r"(?:Our|The|Bill|Billed|Billing|Use|Add|Code|Coded|By|With|And|For|See|Per|Can|Do|Is|Should|Please|If|My|Your|A|An|Dr|Seen|Our|Their|Each|Then|Also)"
# A spine level: C1-C8, T1-T12, L1-L5, S1-S5.
_LEVEL = r"(?:C[1-8]|T1[0-2]|T[1-9]|L[1-5]|S[1-5])(?!\d)"
_MONTHS = r"jan[a-z]*\.?|feb[a-z]*\.?|mar[a-z]*\.?|apr[a-z]*\.?|may|jun[a-z]*\.?|jul[a-z]*\.?|aug[a-z]*\.?|sep[a-z]*\.?|oct[a-z]*\.?|nov[a-z]*\.?|dec[a-z]*\.?"
_ID_MARK = r"(?:\s*(?i:no|num|number|id|#)\.?)?\s*[:#]?\s*"
_ID_VALUE = r"#?\s?(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{2,}"
# Identifier keywords that are followed by an id even without "#" or "number".
_ID_WORDS = (
    r"NPI|TIN|EIN|SSN|MRN|ICN|DCN|PCN|TCN|FIN|CSN|HAR|acct|account|invoice|inv|ref|"
    r"reference|ticket|auth|authorization|EFT|trace|batch|tracking|confirmation|conf|"
    r"medicare id|MBI|HICN|DEA|CLIA|PTAN|UPIN|license|lic|tax id|taxid|prior auth"
)
# Words that are followed by an id only when a "#", "no", "number", "id" or ":" says so.
_ID_WORDS_MARKED = (
    r"claim|case|order|member|subscriber|policy|group|grp|check|chk|control|encounter|visit|"
    r"patient|pt|account|record|document|doc|fax|req|requisition|accession|specimen|lot"
)
# Words followed by an id when a colon follows them ("Claim: 4471203").
_ID_WORDS_LABELLED = (
    r"claim|member|subscriber|policy|group|grp|check|chk|control|account|record|accession|"
    r"specimen|lot|requisition"
)
_CLINICAL_UNITS = (
    r"mg|mcg|µg|ug|g|gm|kg|mL|ml|cc|L|mEq|meq|mmol|mg/kg|mg/dL|mg/dl|/uL|/µL|/mm3|/mcL|cells|"
    r"copies|ng|pg|lbs?|oz|mmHg|bpm|mcg/kg|IU/L"
)

# Traps that start with a keyword, as (keywords, tail). Keywords match in any case and
# each starts with a letter, so the combined pattern can dispatch on the first letter.
_KEYWORD_TRAPS: list[tuple[str, str]] = [
    ("zip|zip code|postal code", r"\s*[:#]?\s*\d{5}(?:-\d{4})?"),
    (
        r"suite|ste|room|rm|apt|unit|bldg|building|floor|fl|po box|p\.o\. box|box|bin|mail stop",
        r"\.?\s*#?\s*\d{1,6}[A-Z]?\b",
    ),
    ("ext|extension|x", r"\.?\s*#?\s*\d{3,6}(?![\w-])(?=\s*(?:[,;)]|$|\n|\.\s|or\b|and\b))"),
    ("ext|extension", r"\.?\s*#?\s*\d{1,6}"),
    ("phone|tel|telephone|fax|cell|mobile|pager|call", r"\s*[:#]?\s*\+?[\d() .-]{7,}\d"),
    (_MONTHS, r"\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?"),
    (_ID_WORDS, rf"\b\.?{_ID_MARK}{_ID_VALUE}"),
    (_ID_WORDS_MARKED, rf"s?\b\.?\s*(?i:no|num|number|id|#|nbr)\.?\s*[:#]?\s*{_ID_VALUE}"),
    (_ID_WORDS_LABELLED, rf"s?\s*:\s*{_ID_VALUE}"),
    (
        "icd-9|icd9|icd-9-cm|icd9cm|icd-9cm",
        r"\b(?:\s*(?i:codes?|dx|diagnosis|was|were|of|is|:))*\s*"
        r"[EVev]?\d{1,3}(?:\.\d{1,2})?(?:\s*(?:,|/|and|or|&)\s*[EVev]?\d{1,3}(?:\.\d{1,2})?)*",
    ),
    ("ndc", r"\s*(?i:#|code|number)?\s*[:#]?\s*[\d-]{10,13}"),
    (
        "rev|revenue|rev code|revenue code|rev codes|revenue codes|rc",
        r"\b\.?\s*[:#]?\s*\d{3,4}(?:\s*(?:,|/|and|or|&)\s*\d{3,4})*",
    ),
    ("tob|type of bill|bill type", r"\b\s*[:#]?\s*\d{3,4}"),
    (
        "pos|place of service|pos code|place of service code",
        r"s?\b\s*[:#]?\s*\d{1,2}(?:\s*(?:,|/|or|and|vs\.?|&)\s*\d{1,2}(?!\d))*",
    ),
    ("ms-drg|apr-drg|ap-drg|drg", r"s?\b\s*[:#]?\s*\d{1,4}(?:\s*(?:,|/|and|or|-|–)\s*\d{1,4})*"),
    (
        "carc|rarc|adjustment reason|claim adjustment reason|reason code|remark|remark code|"
        "denial code|group code",
        r"s?\b\s*[:#]?\s*[A-Z]{0,2}\d{1,4}\b(?:\s*(?:,|/|and|or|&)\s*[A-Z]{0,2}\d{1,4}\b)*",
    ),
    (
        "lcd|lca|ncd|article|billing article",
        r"s?\b\s*[:#]?\s*(?:(?i:id)\s*)?(?i:(?:DL|DA|L|A)?\d{3,6}(?:\.\d+)?)"
        r"(?:\s*(?:,|/|and|or|&)\s*(?i:(?:DL|DA|L|A)?\d{3,6}))*",
    ),
    (
        "wbc|white count|platelet|platelets|plt|plts|viral load|vl|hiv rna|ck|cpk|d-dimer|"
        "ferritin|bnp|nt-probnp|probnp|anc|cd4|glucose|troponin|bhcg|b-hcg|hcg|afp|psa|tsh|ldh|"
        "alt|ast|lipase|amylase|triglycerides|tg|ldl|hdl|a1c|hba1c|inr|hgb|hct|egfr|gfr|"
        "creatinine|bun",
        r"\b\s*(?:count|level|of|was|is|=|:|at|\s)*[<>~]?\s*\d[\d,]*(?:\.\d+)?",
    ),
    ("age|aged|ages|dob", r"\s*:?\s*\d{1,3}"),
    ("ga|ega", r"\s*:?\s*\d{1,2}(?!\d)"),
    ("bp|blood pressure", r"\s*:?\s*\d{2,3}/\d{2,3}"),
    ("level|levels|at|vertebra|vertebrae|vertebral|vertebral body", rf"\s+{_LEVEL}"),
    ("vitamin|vit", r"\.?\s+[A-Z]\d{1,2}"),
    ("http|https|www", r"[:.]\S+"),
]

# Traps that start with a digit.
_NUMBER_TRAPS = [
    r"\d{5}-\d{4}(?!\d)",
    r"\d{1,6}\s+(?:[NSEW]\.?\s+)?(?:[A-Z][a-z]+\.?\s+){1,3}"
    r"(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Dr|Drive|Ln|Lane|Way|Ct|Court|Pkwy|"
    r"Parkway|Hwy|Highway|Pl|Place|Cir|Circle|Ter|Terrace|Loop|Trl|Trail|Sq|Square)\b\.?",
    r"(?:1[-.\s]?)?\d{3}[-.\s]\s?\d{3}[-.\s]\d{4}(?!\d)(?:\s*(?i:ext\.?|x|extension|#)\s*\d{1,6})?",
    r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}(?!\d)",
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?!\d)",
    rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?i:{_MONTHS}),?\s+\d{{4}}",
    r"\d{1,2}:\d{2}(?::\d{2})?(?:\s*(?i:[ap]\.?m\.?))?",
    r"\d{1,2}\s*(?i:[ap]\.m\.|[ap]m)\b",
    r"\d[\d,]*(?:\.\d+)?\s*(?:%|(?i:usd|dollars|cents|percent|pct)\b)",
    r"\d{2}-\d{7}(?!\d)",
    r"\d{3}-\d{2}-\d{4}(?!\d)",
    r"\d{4,5}-\d{3,4}-\d{1,2}(?!\d)",
    rf"(?:\d{{1,4}}(?:,\d{{3}})*|\d{{6,}})(?:\.\d+)?\s*(?:{_CLINICAL_UNITS})(?![\w])",
    r"(?:\d{1,3}(?:,\d{3})+|\d+00)\s*(?i:units?|iu|u)\b",
    r"\d{1,3}\s*-?\s*(?i:y/?o|yo|yrs?|years?|yr|months?|mos?|days?)\b(?:[\s-](?i:old))?",
    r"\d{1,2}(?:\s*\+\s*\d|\s+\d/7)?\s*(?i:wks?|weeks?|w(?!/))\b",
]

# Traps that start with an upper-case letter, written case-sensitively.
_CAPITAL_TRAPS = [
    rf"(?!{_NOT_CITIES}\b)[A-Z][A-Za-z.'-]*,?\s+(?:{_STATES})\.?,?\s+\d{{5}}(?:-\d{{4}})?(?!\d)",
    rf"(?:{_STATE_NAMES}),?\s+\d{{5}}(?:-\d{{4}})?(?!\d)",
    r"(?:CO|PR|OA|PI|CR)\s?-?\s?\d{1,3}(?!\d)",
    r"G\d{1,2}\s?P\d{1,4}(?:-?\d){0,3}",
    rf"{_LEVEL}\s*(?:-|–|/|to|through)\s*(?:{_LEVEL}|1[0-2](?!\d)|[1-9](?!\d))",
    rf"{_LEVEL}\s+(?i:vertebra\w*|levels?|disc|nerve|root|body|pedicle|fracture|"
    r"compression|radiculopathy|burst|laminectomy|fusion)",
    r"B12\b",
    r"X12\b(?:\s+\d{3}[PI]?)?",
    r"N4\d{11}",
]

# Traps that start with a sign: money and phone numbers in brackets.
_SIGN_TRAPS = [
    r"\$\s?\d[\d,]*(?:\.\d+)?",
    r"\+?1?\s?\(\d{3}\)\s?\d{3}[-.\s]\d{4}(?!\d)(?:\s*(?i:ext\.?|x|extension|#)\s*\d{1,6})?",
]


def _keyword_branches() -> str:
    """Group the keyword traps by first letter so each position tries only a few."""
    by_letter: dict[str, list[str]] = {}
    for keywords, tail in _KEYWORD_TRAPS:
        for keyword in keywords.split("|"):
            pattern = keyword.replace(" ", r"\s+")
            by_letter.setdefault(keyword[0].lower(), []).append(f"(?i:{pattern}){tail}")
    groups = []
    for letter, branches in sorted(by_letter.items()):
        # Longer keywords first, so "revenue code" is tried before "rev".
        branches.sort(key=len, reverse=True)
        groups.append(f"(?=[{letter}{letter.upper()}])(?:{'|'.join(branches)})")
    return "|".join(groups)


# Every trap starts at a word boundary, so positions inside a word fail at once.
TRAPS = re.compile(
    r"(?<![\w.])(?:"
    + r"(?=\d)(?:" + "|".join(_NUMBER_TRAPS) + ")"
    + r"|(?=[A-Z])(?:" + "|".join(_CAPITAL_TRAPS) + ")"
    + r"|(?=[$+(])(?:" + "|".join(_SIGN_TRAPS) + ")"
    + "|" + _keyword_branches()
    + ")"
)


class Masks:
    """Sorted, non-overlapping spans with a fast overlap test."""

    def __init__(self, spans: list[Span]) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        for start, end in sorted(spans):
            if self._ends and start < self._ends[-1]:
                self._ends[-1] = max(self._ends[-1], end)
                continue
            self._starts.append(start)
            self._ends.append(end)

    def covers(self, start: int, end: int) -> bool:
        """Whether any mask overlaps the span from *start* to *end*."""
        index = bisect_right(self._starts, end - 1) - 1
        return index >= 0 and self._ends[index] > start

    def spans(self) -> list[Span]:
        """Return the merged spans in order."""
        return list(zip(self._starts, self._ends, strict=True))


def find_traps(text: str) -> list[Span]:
    """Return the spans of look-alike numbers and abbreviations in *text*."""
    return [match.span() for match in TRAPS.finditer(text)]
