"""Numbers and abbreviations in coder mail that look like codes but are not.

``find_traps`` returns the spans of addresses, phone numbers, dates, money, identifiers,
other code sets (ICD-9, NDC, revenue codes, CARC/RARC, DRG, POS, type of bill), clinical
values and spine levels. The scanner drops every candidate that overlaps one of them.

The traps are four patterns, grouped by how a trap starts: with a digit, with a capital
letter, with a keyword, or with one of a few signs and fixed words ("$", "(", "v11.2",
"Payer IDs"). Each pattern starts with a literal or a character class, so the regular
expression engine skips quickly to the places where a trap can start. Keyword traps run
on a lower-cased copy of the text because case-insensitive matching of many keywords is
several times slower.
"""

from __future__ import annotations

import re
from bisect import bisect_right

Span = tuple[int, int]

_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|"
    "NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR|GU|VI"
)
# The first three digits of each state's ZIP codes, from the USPS assignment of ZIP
# prefixes: "Atlanta, GA 30318" is an address, and "UNDER GA, 00790" names no place in
# Georgia.
STATE_ZIP_PREFIXES: dict[str, tuple[range, ...]] = {
    "AL": (range(350, 370),), "AK": (range(995, 1000),), "AZ": (range(850, 866),),
    "AR": (range(716, 730),), "CA": (range(900, 962),), "CO": (range(800, 817),),
    "CT": (range(60, 70),), "DE": (range(197, 200),), "DC": (range(200, 206), range(569, 570)),
    "FL": (range(320, 350),), "GA": (range(300, 320), range(398, 400)),
    "HI": (range(967, 969),), "ID": (range(832, 839),), "IL": (range(600, 630),),
    "IN": (range(460, 480),), "IA": (range(500, 529),), "KS": (range(660, 680),),
    "KY": (range(400, 428),), "LA": (range(700, 715),), "ME": (range(39, 50),),
    "MD": (range(206, 220),), "MA": (range(10, 28), range(55, 56)),
    "MI": (range(480, 500),), "MN": (range(550, 568),), "MS": (range(386, 398),),
    "MO": (range(630, 659),), "MT": (range(590, 600),), "NE": (range(680, 694),),
    "NV": (range(889, 899),), "NH": (range(30, 39),), "NJ": (range(70, 90),),
    "NM": (range(870, 885),), "NY": (range(5, 6), range(100, 150)),
    "NC": (range(270, 290),), "ND": (range(580, 589),), "OH": (range(430, 460),),
    "OK": (range(730, 750),), "OR": (range(970, 980),), "PA": (range(150, 197),),
    "RI": (range(28, 30),), "SC": (range(290, 300),), "SD": (range(570, 578),),
    "TN": (range(370, 386),), "TX": (range(750, 800), range(885, 886)),
    "UT": (range(840, 848),), "VT": (range(50, 60),), "VA": (range(201, 202), range(220, 247)),
    "WA": (range(980, 995),), "WV": (range(247, 269),), "WI": (range(530, 550),),
    "WY": (range(820, 832),), "PR": (range(6, 10),), "GU": (range(969, 970),),
    "VI": (range(8, 9),),
}


def zip_in_state(state: str, zip_code: str) -> bool:
    """Return whether *zip_code* (five digits) is one of the ZIP codes of *state*."""
    prefix = int(zip_code[:3])
    return any(prefix in prefixes for prefixes in STATE_ZIP_PREFIXES.get(state, ()))


_STATE_NAMES = (
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|"
    "Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|"
    "Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|"
    "New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|"
    "Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|"
    "West Virginia|Wisconsin|Wyoming"
)
# Capitalised words that can stand before "PA 99213" without being a city.
_NOT_CITIES = frozenset(
    {"Our", "The", "Bill", "Billed", "Billing", "Use", "Add", "Code", "Coded", "By", "With"}
    | {"And", "For", "See", "Per", "Can", "Do", "Is", "Should", "Please", "If", "My", "Your"}
    | {"A", "An", "Dr", "Seen", "Their", "Each", "Then", "Also", "Attending", "Supervising"}
)
# A spine level: C1-C8, T1-T12, L1-L5, S1-S5.
_LEVEL = r"(?:C[1-8]|T1[0-2]|T[1-9]|L[1-5]|S[1-5])(?!\d)"
_LEVEL_LOWER = _LEVEL.lower()
_MONTHS = r"(?:jan|feb|mar|apr|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?|may"
_MONTH_WORDS = (
    "jan|january|feb|february|mar|march|apr|april|may|jun|june|jul|july|aug|august|sep|sept|"
    "september|oct|october|nov|november|dec|december"
)
_EXTENSION = r"(?:\s*(?:ext\.?|x|extension|#)\s*\d{1,6})?"

# Keyword traps, as (keywords, tail), matched on lower-cased text.
# A dotted ICD-10-CM code after the word is no id: "Dx for the batch: R51.9".
_ID_VALUE = r"#?[ \t]?(?![a-z]\d[0-9a-z]\.[0-9a-z])(?=[a-z0-9-]*\d)[a-z0-9][a-z0-9-]{2,}"
# "our client ID there is 40072": "is" may come before the id.
_ID_MARK = (
    r"(?:\s*(?:no|num|number|id|#)\.?)?(?:\s+(?:there|here))?(?:\s+(?:is|was))?\s*[:#]?\s*"
)
# Identifier keywords that are followed by an id even without "#" or "number". "For
# reference:" introduces what follows, not an id: "for reference: J2350 x 600".
_ID_WORDS = (
    "npi|tin|ein|ssn|mrn|icn|dcn|pcn|tcn|fin|csn|har|acct|account|invoice|inv|ref|"
    "reference(?<!for.reference)|chart id|"
    "ticket|auth|authorization|eft|trace|batch|tracking|medicare id|mbi|client id|"
    "hicn|dea|clia|ptan|upin|license|lic|tax id|taxid|prior auth|payer id|submitter id|"
    "receiver id|etin|provider id|medicaid id|medicare number|change request|cr|transmittal|"
    "mln matters|po|purchase order|specimen|accession|vfc pin|provider pin|serial|"
    "serial number|s/n|lot|cbsa|carrier|locality|policy|style|model|sku"
)
# Words that are followed by an id only when "#", "no", "number" or "id" comes between.
_ID_WORDS_MARKED = (
    "claim|case|order|member|subscriber|policy|group|grp|check|chk|control|encounter|visit|"
    "patient|pt|record|document|doc|fax|req|requisition|accession|specimen|lot|confirmation|conf"
)
# Words followed by an id when a colon follows them ("Claim: 4471203").
_ID_WORDS_LABELLED = (
    "member|subscriber|policy|group|grp|check|chk|control|record|accession|specimen|lot|"
    "requisition"
)
_CLINICAL_UNITS = (
    r"mg|mcg|µg|ug|g|gm|kg|ml|cc|l|meq|mmol|mg/kg|mg/dl|/ul|/µl|/mm3|/mcl|cells|copies|ng|pg|"
    r"lbs?|oz|mmhg|bpm|mcg/kg|iu/l"
)
_LIST_SEPARATOR = r"\s*(?:,|/|and|or|&)\s*"

_KEYWORD_TRAPS: list[tuple[str, str]] = [
    # A fax's confirmation number: "Faxed the records, confirmation 11842."
    ("fax|faxed", r"[ \t,]+(?:\w+[ \t,]+){0,3}?(?:confirmation|conf\.?)[ \t]*(?:#|no\.?|number)?"
                  r"[ \t]*[:#]?[ \t]*\d{4,}(?![\w-])"),
    # A dental or medical plan's group number: "Dental PPO (group 88417)", "PPO, GROUP 71120".
    (
        "ppo|hmo|epo|plan|insurance|coverage",
        r",?[ \t]*\(?[ \t]*group[ \t]*(?:#|no\.?|number)?[ \t]*[:#]?[ \t]*\d{4,}(?![\w-])",
    ),
    # An FDA investigational device exemption: "IDE G230117".
    ("ide", r"[ \t]*(?:#|no\.?|number)?[ \t]*[:#]?[ \t]*g\d{6}(?![\w-])"),
    # A range of account or claim numbers, like a range of codes: "acct # range 88120-88150".
    (
        "acct|account|claim|invoice|ticket",
        r"s?[ \t]*(?:#|no\.?|numbers?)?[ \t]*range[ \t]*[:#]?[ \t]*\d{4,}[ \t]*[-–][ \t]*\d{4,}"
        r"(?![\w-])",
    ),
    # A claim number of two parts of five digits, like a range of codes: "Claim 26020-11873".
    ("claim", r"s?[ \t]*#?[ \t]*\d{5}-\d{5}(?![\w-])"),
    # A chart's number, written right after the word: "RECODE CHART 88213". After a colon
    # a code may follow ("chart: 99214 documented").
    ("chart", r"[ \t]+(?:#[ \t]*)?\d{5,}(?![\w-])"),
    # A Medicare Advantage contract: "contract H4410", "CONTRACT H7734-012".
    (
        "contract|contracts",
        r"[ \t]*(?:#|no\.?|id)?[ \t]*[:#]?[ \t]*[hers]\d{4}(?:-\d{3})?(?![\w-])",
    ),
    # Prior authorization, not the modifier PA: "Hymovis J7322 needs PA."
    ("need|needs|needed|require|requires|required", r"[ \t]+(?:a[ \t]+)?pa(?![\w-])"),
    # Square centimeters of a wound or a graft, in capitals too: "44 SQ CM".
    ("sq", r"\.?[ \t]*cm(?![\w-])"),
    # A payer's id after its name: "Payer BCBS ID 00460".
    ("payer", r"\s+(?:[a-z][\w&.-]*\s+){1,3}ids?\s*[:#]?\s*\d{5}(?!\d)"),
    # A plan's group number after the payer's name and a comma: "payer TriState Care,
    # group 88213". Without the comma, "group 90853" may name group psychotherapy.
    (
        "payer|insurer|carrier",
        r"(?:[ \t]+[a-z][\w&.'-]*){1,4},[ \t]*group[ \t]*(?:#|no\.?|number)?[ \t]*[:#]?[ \t]*"
        r"\d{4,}(?![\w-])",
    ),
    # "zip 57401", "pickup ZIP (41858)", "the scene ZIP we put on the claim is 57428", and
    # a second ZIP named after the first: "ZIP ... IS 57401, HOSPITAL IS 57108".
    (
        "zip|zips|zip code|zip codes|postal code",
        r"(?:\s+(?:on|in|for|of|the|claim|we|put|used|code|codes|is|was|are|were)(?!\w)){0,7}"
        r"\s*[:#(]?\s*\d{5}(?:-\d{4})?"
        r"(?:\)?(?:\s*(?:,|and|/)\s*|,?\s+(?:and\s+)?[a-z]+\s+(?:is|was)\s+)\(?\d{5}(?!\w))*",
    ),
    # A remark code after a rejection: "BCBS-TX rejected with N517", "denied with N428".
    (
        "rejected|rejecting|rejects|denied|deny|denies|denying|denial|rejection|came back|"
        "kicked back|got",
        r"\s+(?:(?:it|them|again|with|for|as|code)\s+)*(?:ma|m|n)\d{1,3}(?!\w|\.\d)",
    ),
    # Only an abbreviation takes a dot: in "in the room. 24640 plus 99213" the dot ends
    # a sentence.
    (
        r"suite|room|building|floor|po box|p\.o\. box|box|bin|mail stop",
        r"[ \t]*#?[ \t]*\d{1,6}[a-z]?\b",
    ),
    # "Unit 6" of an address, but not "1 unit" of a claim line and the code after it.
    ("unit", r"(?<!\d unit)(?<!\dunit)[ \t]*#?[ \t]*\d{1,6}[a-z]?\b"),
    (r"ste|rm|apt|bldg|fl", r"\.?\s*#?\s*\d{1,6}[a-z]?\b"),
    # "Suite C101", "Ste B200", "Room E114": a letter and a number name a room, not a code.
    (r"suite|room|building|floor", r"\s*#?\s*[a-z]\d{1,5}[a-z]?\b"),
    (r"ste|rm|apt|bldg", r"\.?\s*#?\s*[a-z]\d{1,5}[a-z]?\b"),
    (
        "ext|extension|x",
        r"\.?\s*#?\s*\d{3,6}(?![\w-])"
        r"(?=\s*(?:[,;)]|$|\n|\.\s|(?:or|and|if|to|for|anytime|between|until)\b))",
    ),
    ("ext|extension", r"\.?\s*#?\s*\d{1,6}"),
    ("phone|tel|telephone|fax|cell|mobile|pager|call", r"\s*[:#]?\s*\+?[\d() .-]{7,24}\d"),
    # "Oct 12", but not "OCT 92134", an optical coherence tomography code.
    (_MONTH_WORDS, r"\.?\s+\d{1,2}(?!\d)(?:st|nd|rd|th)?(?:,?\s+\d{4})?"),
    # "Billing the PIP carrier: 99204, 72040" lists codes after the word, not an id, but
    # "Ref # 40031, 40032" lists ids.
    (
        _ID_WORDS,
        r"\b(?![ \t]*:?[ \t]*\d{5}(?:,[ \t]*\d{5}\b|[ \t]+(?:and|plus|\+)[ \t]+\d{5}\b))"
        rf"\.?{_ID_MARK}{_ID_VALUE}",
    ),
    (_ID_WORDS_MARKED, rf"s?\b\.?\s*(?:no|num|number|id|#|nbr)\.?\s*[:#]?\s*{_ID_VALUE}"),
    # "Medicare claim: 45385-PT" names a code and its modifiers, and "on the claim: 3051F"
    # a Category II code, not a claim number. The id is on the label's line or the next:
    # after "listed below for members:" and a blank line, a list of codes follows.
    (
        _ID_WORDS_LABELLED,
        rf"s?[ \t]*:[ \t]*+(?:\r?\n[ \t]*+)?"
        rf"(?!\d{{5}}(?:-(?![01]\d)[a-z0-9]{{2}})+(?![a-z0-9-])|\d{{4}}[ftum]\b){_ID_VALUE}",
    ),
    # "Confirmation: 88123456" is an id, but "Lab confirmation: G0480" a drug test code.
    (
        "confirmation|conf",
        rf"[ \t]*:[ \t]*+(?!\d{{5}}(?![\w-])|[a-z]\d{{4}}(?![\w-])|\d{{4}}[ftum]\b){_ID_VALUE}",
    ),
    # After "claim:" a code can follow as well: "Claim: 99213 with G2211", "go on the claim:
    # Z79.01, Z79.4", "PCP claim: G0296, dx Z87.891", "ED facility claim: 99291, 96374",
    # "pro claim: 99460 day 1, 99462 day 2", "Medical claim: 21025 (excision of bone)", and
    # claim lines below the colon ("claim:" over "  96365   IV infusion, first hr   1").
    (
        "claim",
        r"s?[ \t]*:[ \t]*+(?:\r?\n[ \t]*+)?"
        r"(?!\d{5}(?:[ \t]+(?:with|w/|and|plus|\+)[ \t]|[^\n,;]{0,12},[ \t]*\d{5}\b"
        r"|[ \t]*\([a-z]|[ \t]{2,}[a-z])"
        r"|\d{5}(?:-(?![01]\d)[a-z0-9]{2})+(?![a-z0-9-])"
        r"|[a-z]\d{4}(?![\w-])"
        rf"|\d{{4}}[ftum]\b|[a-z]\d[0-9a-z]\.){_ID_VALUE}",
    ),
    # Stroke and bleeding risk scores, whose names have digits: "CHA2DS2-VASc 5".
    ("cha2ds2-vasc|cha2ds2vasc|cha2ds2|chads2|has-bled", r"(?:\s*(?:score|of|=|:|is|was))*\s*\d?"),
    # "Length of need: 99" on a DME order is a number of months (99 for lifetime).
    ("length of need|lon", r"\s*[:#=]?\s*\d{1,3}\b"),
    (
        "icd-9|icd9|icd-9-cm|icd9cm|icd-9cm",
        r"\b(?:\s*(?:codes?|dx|diagnosis|was|were|of|is|:))*+\s*"
        rf"[ev]?\d{{1,3}}(?:\.\d{{1,2}})?(?:{_LIST_SEPARATOR}[ev]?\d{{1,3}}(?:\.\d{{1,2}})?)*",
    ),
    ("ndc", r"\s*(?:#|code|number)?\s*[:#]?\s*[\d-]{10,13}"),
    (
        "rev|revenue|rev code|revenue code|rev codes|revenue codes|rc",
        # Each code is whole: in "rev 0981 and 99283" the CPT code is no revenue code.
        rf"\b\.?\s*[:#]?\s*\d{{3,4}}(?!\d)(?:{_LIST_SEPARATOR}\d{{3,4}}(?!\d))*",
    ),
    ("tob|type of bill|bill type", r"\b\s*[:#]?\s*\d{3,4}"),
    (
        "pos|place of service|pos code|place of service code",
        # "POS 11, not 24": each place named.
        r"s?\b\s*[:#]?\s*\d{1,2}(?!\d)(?:\s*(?:,|/|or|and|vs\.?|&|,?\s*not)\s*\d{1,2}(?!\d))*",
    ),
    ("ms-drg|apr-drg|ap-drg|drg", r"s?\b\s*[:#]?\s*\d{1,4}(?:\s*(?:,|/|and|or|-|–)\s*\d{1,4})*"),
    (
        "carc|rarc|adjustment reason|claim adjustment reason|reason code|remark|remark code|"
        "denial code|group code",
        # "RARC on the remit was N20": a few words may come between.
        r"s?\b(?:\s+(?:on|in|from|the|remit|remittance|era|eob|was|is|were|of))*+"
        rf"\s*[:#]?\s*[a-z]{{0,2}}\d{{1,4}}\b(?:{_LIST_SEPARATOR}[a-z]{{0,2}}\d{{1,4}}\b)*",
    ),

    # Medicare claim reason codes have five digits: "reason code 32402".
    ("reason code|reason codes|fiss reason code", r"s?\b\s*[:#]?\s*\d{5}\b"),
    (
        "lcd|lca|ncd|article|billing article",
        # A list continues only in the form of its first id, with or without the letters,
        # so the CPT codes in "article A58405, 64635 and 64636" stay codes.
        r"s?\b\s*[:#]?\s*(?:id\s*)?"
        rf"(?:(?:dl|da|l|a)\d{{3,6}}(?:\.\d+)?(?:{_LIST_SEPARATOR}(?:dl|da|l|a)\d{{3,6}})*"
        rf"|\d{{3,6}}(?:\.\d+)?(?:{_LIST_SEPARATOR}\d{{3,6}})*)",
    ),
    # Counts that run to five digits and more.
    (
        "wbc|white count|platelet|platelets|plt|plts|viral load|vl|hiv rna|ck|cpk",
        r"\b(?:[\s:=]|count|level|of|was|is|at)*+[<>~]?\s*\d[\d,]*+(?:\.\d+)?",
    ),
    # Other lab values: at most four digits before the decimal point, so that
    # "troponin 84484" stays a code.
    (
        "d-dimer|ferritin|bnp|nt-probnp|probnp|anc|cd4|glucose|troponin|bhcg|b-hcg|hcg|afp|"
        "psa|tsh|ldh|alt|ast|lipase|amylase|triglycerides|tg|ldl|hdl|a1c|hba1c|inr|hgb|hct|"
        "egfr|gfr|creatinine|bun",
        r"\b(?:[\s:=]|level|of|was|is|at)*+[<>~]?\s*\d{1,4}(?:\.\d+)?(?![\d,])",
    ),
    ("age|aged|ages|dob", r"\s*:?\s*\d{1,3}"),
    ("ga|ega", r"[ \t]*:?[ \t]*\d{1,2}(?!\d)"),  # gestational age, on its line
    ("bp|blood pressure", r"\s*:?\s*\d{2,3}/\d{2,3}"),
    ("level|levels|at|vertebra|vertebrae|vertebral|vertebral body", rf"\s+{_LEVEL_LOWER}"),
    ("vitamin|vit", r"\.?\s+[a-z]\d{1,2}"),
    # Vitamin B12 written on its own, in any case: "her monthly b12 shot".
    ("b12", r"(?![\w.])"),
    ("http|https|www", r"[:.]\S+"),
]

# Look-aheads that reach the first letter of a clinical unit or an age, so that most
# numbers fail on one character class instead of the alternation of every unit.
_UNIT_AHEAD = r"(?=(?:\d{0,3}(?:,\d{3})*|\d{5,})(?:\.\d+)?\s*(?i:[mµugkcl/npobi]))"
_AGE_AHEAD = r"(?=\d{0,2}\s*+-?\s*+(?i:[ymd]))"

# Traps that start with a digit, written without that first digit: the combined pattern
# consumes it, then checks that it starts a word.
_AFTER_FIRST_DIGIT = [
    r"\d{4}-\d{4}(?!\d)",  # ZIP+4
    # A street address ("15100 W 119th St", "16050 SW Langer Dr"), with the ZIP code written
    # right after it and no state ("2701 Vine St, 67601", "4475 Barnes Rd, Suite 110, 80917"),
    # or after the city alone ("1125 W Main St, ft Wayne 46802", as capitals are read).
    r"\d{0,5}\s+(?:(?:[NS][EW]|[NSEW])\.?\s+)?(?:(?:[A-Z][a-z]+|\d{1,3}(?:st|nd|rd|th))\.?\s+){1,3}"
    r"(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Dr|Drive|Ln|Lane|Way|Ct|Court|Pkwy|"
    r"Parkway|Hwy|Highway|Pl|Place|Cir|Circle|Ter|Terrace|Loop|Trl|Trail|Sq|Square)\b\.?"
    r"(?:,?[ \t]+(?:(?:Suite|Ste|Unit|Bldg|#)\.?[ \t]*#?\w{1,6},?[ \t]+)?"
    r"(?:(?<=,[ \t])(?:[A-Za-z]+\.?[ \t]+){0,2}[A-Z][a-z]+,?[ \t]+)?\d{5}(?:-\d{4})?(?!\d))?",
    rf"\d{{2}}[-.\s]\s?\d{{3}}[-.\s]\d{{4}}(?!\d){_EXTENSION}",  # 509-555-0142
    rf"(?<=1)[-.\s]?\d{{3}}[-.\s]\s?\d{{3}}[-.\s]\d{{4}}(?!\d){_EXTENSION}",  # 1-800-555-0199
    r"\d?[/.-]\d{1,2}[/.-]\d{2,4}(?!\d)",  # 11/25/2025, 03-25-2025
    r"\d{3}[-/.]\d{1,2}[-/.]\d{1,2}(?!\d)",  # 2025-03-25
    rf"\d?(?:st|nd|rd|th)?\s+(?i:{_MONTHS}),?\s+\d{{4}}",  # 3 Oct 2025
    r"\d?:\d{2}(?::\d{2})?(?:\s*(?i:[ap]\.?m\.?))?",  # 10:25, 2:15 PM
    r"\d?\s*(?i:[ap]\.m\.|[ap]m)\b",  # 5 pm
    # Possessive runs: "1,1,1,..." must not make every start backtrack to the end.
    r"(?:\d{0,2}(?:,\d{3})++|\d*+)(?:\.\d+)?\s*+(?:%|(?i:usd|dollars|cents|percent|pct)\b)",
    r"\d-\d{7}(?!\d)",  # tax id 12-3456789
    r"\d{4}-[A-Za-z](?![\w-])",  # an id with a letter suffix: 55012-B
    # A suffix no modifier has (numeric modifiers run from 22 to 99): "claim 88213-07".
    r"\d{4}-[01]\d(?![\w-])",
    # Nor does a suffix of three, four or six and more digits: "claim 26288-004519". A
    # suffix of five digits ends a range.
    r"\d{4}-(?:\d{3,4}|\d{6,})(?![\w-])",
    r"\d{2}-\d{2}-\d{4}(?!\d)",  # social security number
    r"\d{3,4}-\d{3,4}-\d{1,2}(?!\d)",  # NDC in 4-4-2, 5-3-2, 5-4-1 and 5-4-2 form
    rf"{_UNIT_AHEAD}(?:\d{{0,3}}(?:,\d{{3}})*|\d{{5,}})(?:\.\d+)?\s*(?i:{_CLINICAL_UNITS})(?![\w])",
    r"(?:\d{0,2}(?:,\d{3})+|\d*00)\s*(?i:units?|iu|u)\b",  # round doses: 10000 units
    rf"{_AGE_AHEAD}\d{{0,2}}\s*+-?\s*+(?i:y/?o|yo|yrs?|years?|yr|months?|mos?|days?)\b"
    r"(?:[\s-](?i:old))?",
    r"\d?(?:\s*\+\s*\d|\s+\d/7)?\s*(?i:wks?|weeks?|w(?!/))\b",  # weeks of gestation
]

# Traps that start with a capital letter, written case-sensitively and without that
# letter. The combined pattern consumes the letter, and a look-behind checks which it was.
_LEVEL_AFTER_LETTER = r"(?:(?<=C)[1-8]|(?<=T)(?:1[0-2]|[1-9])|(?<=L)[1-5]|(?<=S)[1-5])(?!\d)"
_AFTER_CAPITAL = [
    # "Spokane WA 99204", "New York 10001": checked against the state lists afterwards.
    r"(?P<place>[A-Za-z]+(?: [A-Z][a-z]+)?)\.?,?\s+\d{5}(?:-\d{4})?(?!\d)",
    # Remittance group code and reason ("CO-59", "PR 1"), with the remark codes listed
    # after it ("CO-97, N390", "CO-50 N115", "CO-236 with M80"): checked afterwards.
    r"(?P<group>[A-Z])\s?-?\s?\d{1,3}(?!\d)"
    r"(?:(?:\s*[,/&]\s*|\s+(?:and\s+|with\s+)?)(?:MA|[MN])\d{1,3}(?!\w))*",
    r"(?<=G)\d{1,2}\s?P\d{1,4}(?:-?\d){0,3}",  # gravida and para: G2P1
    # "C5-C6", "L4 to L5", and the levels listed after a range: "C5-C6, T10, L3".
    rf"{_LEVEL_AFTER_LETTER}\s*(?:-|–|/|to|through)\s*(?:{_LEVEL}|1[0-2](?!\d)|[1-9](?!\d))"
    rf"(?:\s*(?:,|and|&)\s*{_LEVEL}(?:\s*(?:-|–|/)\s*{_LEVEL})?)*",
    rf"{_LEVEL_AFTER_LETTER}\s+(?i:vertebra\w*|levels?|disc|nerve|root|body|pedicle|fracture|"
    r"compression|radiculopathy|burst|laminectomy|fusion)",
    r"(?<=B)12\b",  # vitamin B12
    # Questions numbered at the start of a line, quoted or not: "Q1 - does the facility
    # add Z41.2?", "> Q10 -- the co-surgery one".
    r"(?<=Q)(?:(?<![^\n]Q)|(?<=> Q)(?<![^\n]> Q)|(?<=>> Q)(?<![^\n]>> Q))"
    r"\d{1,2}(?=[ \t]*(?:--?|[:.)])[ \t]+[A-Za-z])",
    r"(?<=N)95\b(?!\.\d)",  # N95 respirator, but not N95.0
    r"(?<=X)12\b(?:\s+\d{3}[PI]?)?",  # the X12 837P claim format
    r"(?<=N)4\d{11}",  # NDC qualifier N4
    # A lab value written after its name as a percentage: "T90 14.3%" in a sleep study.
    r"\d{2}\s+\d{1,3}(?:\.\d+)?\s?%",
    # An ISBT 128 blood unit number: "W0417 25 118842".
    r"\d{4}\s\d{2}\s\d{6}(?!\d)",
    # An ICD-9 V code with its decimals ("V76.51"). ICD-10-CM V codes take a seventh
    # character, so this shape is never a complete ICD-10-CM code.
    r"(?<=V)\d{2}\.\d{1,2}(?!\w|\.\w)",
    # A specimen or accession number of a year: "H24-08305", "S24-01140".
    r"(?:[A-Z]{0,2})\d{2}-\d{4,7}(?![\w-])",
    # A lab or order number shaped like a code with a suffix of digits: "L2710-0084". No
    # modifier has three or more digits.
    r"\d{4}-\d{3,}(?![\w-])",
]
_STATE_SET = frozenset(_STATES.split("|"))
_STATE_NAME_SET = frozenset(_STATE_NAMES.split("|"))
_GROUP_CODES = frozenset({"CO", "PR", "OA", "PI", "CR"})

# Traps that start with a sign, with a lower-case "v" for a version ("v11.2"), or with
# "payer" for a list of payer ids. Each alternative starts with a literal.
_PAYER_LIST = r"\s+IDs?\s*[:#]?\s*(?:(?:[A-Z][\w&.-]*\s+){0,3}\d{5}(?!\d)\s*(?:[,;/]|and)?\s*)++"
_SIGN_TRAPS = [
    r"\$\s?\d[\d,]*(?:\.\d+)?",
    # "Payer IDs: Aetna 60054, Cigna 62308": payer names with their five-digit ids.
    rf"Payer{_PAYER_LIST}",
    rf"payer{_PAYER_LIST}",
    r"v(?<![\w.]v)\d{1,3}(?:\.\d+){1,3}(?![\w.])",
    rf"\(\d{{3}}\)\s?\d{{3}}[-.\s]\d{{4}}(?!\d){_EXTENSION}",
    # The remark code of an 835 remittance: "LQ*HE*N115".
    r"LQ\*HE\*(?:MA|M|N)\d{1,3}",
]


def keyword_pattern(entries: list[tuple[str, str]]) -> str:
    """Build one pattern from (keywords, tail) pairs for lower-cased text.

    The pattern starts with the character before the keyword, which must not be a word
    character or a dot, so the regular expression engine tries it only after such a
    character instead of at every letter. Search it with ``find_keywords``, which
    handles a keyword at the start of the text and returns spans without that character.
    """
    by_letter: dict[str, list[str]] = {}
    for keywords, tail in entries:
        for keyword in keywords.split("|"):
            rest = keyword[1:].replace(" ", r"\s+")
            by_letter.setdefault(keyword[0], []).append(rest + tail)
    groups = []
    for letter, branches in sorted(by_letter.items()):
        # Longer keywords first, so "revenue code" is tried before "rev".
        branches.sort(key=len, reverse=True)
        groups.append(f"{letter}(?:{'|'.join(branches)})")
    return f"[^\\w.](?:{'|'.join(groups)})"


def find_keywords(pattern: re.Pattern[str], lower: str) -> list[Span]:
    """Return the spans of the matches of *pattern* in *lower*, from keyword to tail end.

    *pattern* is compiled from ``keyword_pattern``. Its matches start one character
    before the keyword, so the text is searched with a space in front of it. Each search
    starts at the last character of the previous match, because a keyword may start
    right where the previous match ends. The spans are those that a pattern with a
    look-behind in place of that character would give with ``finditer``.
    """
    padded = " " + lower
    spans = []
    position = 0
    search = pattern.search
    while (match := search(padded, position)) is not None:
        # Offsets in the padded text are one more than in *lower*.
        end = match.end() - 1
        spans.append((match.start(), end))
        position = end
    return spans


# No alternative matches a five-digit number followed by ", " or by spaces and then a
# digit or a lower-case word that starts no unit ("units", "iu", "usd", "dollars",
# "cents", "percent", "pct"). That is how most CPT codes are written.
_FIVE_DIGITS_ALONE = (
    r"(?!\d{4}(?:\s+(?:[abefghjklmnoqrstvwxyz0-9]|p[^ecEC]|i[^uU]|d[^oO]|c[^eE])|,\s))"
)
# Every number trap continues the digit run with a separator, a letter, "%" or a space.
# The look-aheads reject other numbers, and lone five-digit codes, before any
# alternative is tried.
_NUMBER_PATTERN = re.compile(
    r"\d(?<![\w.]\d)(?=\d*+(?:[-/.:,%+]|\s*+[A-Za-z%]|\s\d))"
    + _FIVE_DIGITS_ALONE
    + "(?:"
    + "|".join(_AFTER_FIRST_DIGIT)
    + ")"
)
# Every capital-letter trap has a digit after at most two words, so the look-ahead
# rejects most capitals before any alternative is tried.
_CAPITAL_PATTERN = re.compile(
    r"[A-Z](?<![\w.][A-Z])(?=[A-Za-z]*+(?: [A-Z][a-z]*+)?[.,\s-]*+\d)(?:"
    + "|".join(_AFTER_CAPITAL)
    + ")"
)
_SIGN_PATTERN = re.compile("|".join(_SIGN_TRAPS))
_KEYWORD_PATTERN = re.compile(keyword_pattern(_KEYWORD_TRAPS))
_CITY_BEFORE = re.compile(r"(?<![\w.])([A-Z][A-Za-z.'-]*),?\s+\Z")


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
        """Return whether any mask overlaps the span from *start* to *end*."""
        index = bisect_right(self._starts, end - 1) - 1
        return index >= 0 and self._ends[index] > start

    def spans(self) -> list[Span]:
        """Return the merged spans in order."""
        return list(zip(self._starts, self._ends, strict=True))


# An ICD-9 code named as such after it is written: "V76.12 isn't valid. That's the ICD-9
# code". Only ICD-9 shapes are masked this way: V codes, E codes of three digits, and
# three digits with decimals.
_ICD9_WORD = re.compile(r"icd-?9")
_ICD9_SHAPE = re.compile(
    r"(?<![\w.])(?:[Vv]\d{2}(?:\.\d{1,2})?|[Ee]\d{3}(?:\.\d)?|\d{3}\.\d{1,2})(?![\w.])"
)
_ICD9_REACH = 80


def _named_icd9_before(text: str, lower: str) -> list[Span]:
    spans = []
    for word in _ICD9_WORD.finditer(lower):
        start = max(0, word.start() - _ICD9_REACH)
        spans += [match.span() for match in _ICD9_SHAPE.finditer(text, start, word.start())]
    return spans


def find_traps(text: str, lower: str | None = None) -> list[Span]:
    """Return the spans of look-alike numbers and abbreviations in *text*.

    *lower* is ``text`` lower-cased with the same length, when the caller has one.
    """
    if lower is None:
        lower = lower_case(text)
    spans = [match.span() for match in _NUMBER_PATTERN.finditer(text)]
    spans += [match.span() for match in _SIGN_PATTERN.finditer(text)]
    spans += find_keywords(_KEYWORD_PATTERN, lower)
    spans += [match.span() for match in _CAPITAL_PATTERN.finditer(text) if _capital_trap(match)]
    if "zip" in lower:
        spans += _zip_codes(text, lower)
    if "cmg" in lower or "hipps" in lower:
        # An IRF case-mix group with its tier letter: "B0803", "C0803".
        spans += [match.span() for match in _TIERED_CMG.finditer(text)]
    if " codes" in lower:
        spans += [match.span() for match in _CODE_FAMILY.finditer(text)]
    if "mdm" in lower:
        # "SF" for straightforward medical decision making, in an E/M audit.
        spans += [match.span() for match in _STRAIGHTFORWARD.finditer(text)]
    if "hcc" in lower or "raf" in lower or "risk adj" in lower or "model" in lower:
        spans += [match.span() for match in _HCC_MODEL.finditer(text)]
    if "test" in lower or "orderable" in lower:
        spans += _test_numbers(text, lower)
    if "icd" in lower:
        spans += _named_icd9_before(text, lower)
    if "loinc" in lower:
        spans += [match.span() for match in _LOINC.finditer(text)]
    if "code" in lower:
        spans += _claim_level_codes(text, lower)
    if "status indicator" in lower:
        spans += [match.span() for match in _STATUS_INDICATOR.finditer(text)]
    if "board" in lower:
        spans += [match.span() for match in _CREW_ON_BOARD.finditer(text)]
    if "oasis" in lower:
        spans += [match.span() for match in _OASIS_ITEM.finditer(text)]
    if any(word in lower for word in _DENIAL_WORDS):
        spans += [match.span("code") for match in _REMARK_AFTER_DENIAL.finditer(lower)]
    if "reason" in lower:
        spans += _reason_codes(lower)
    if "asc" in lower and ("payment indicator" in lower or _PI_WORD.search(text)):
        spans += [match.span() for match in _ASC_PAYMENT_INDICATOR.finditer(text)]
    return spans + _masked_again(text, spans)


# In mail about ZIP codes, as an ambulance's pickup ZIP decides its rural rate: a place
# with its ZIP in brackets ("in Glasgow (59230)"), and a ZIP described as rural or urban.
# The place may be in lower case or in capitals, as mail in capitals is read.
_PLACE_ZIP = re.compile(
    r"(?<![\w])in\s+[A-Za-z][A-Za-z]+(?:\s+[A-Za-z][A-Za-z]+)?\s+\((?P<zip>\d{5})\)"
)
_RURAL_ZIP = re.compile(
    r"(?<![\w-])(?P<zip>\d{5})(?=\s+(?:is|was|are)\s+(?:on\s+the\s+|a\s+|not\s+)?"
    r"(?:super[- ]?)?(?:rural|urban))"
)


def _zip_codes(text: str, lower: str) -> list[Span]:
    """Return the ZIP codes in brackets after a place and those described as rural or urban."""
    spans = [match.span("zip") for match in _PLACE_ZIP.finditer(text)]
    return spans + [match.span("zip") for match in _RURAL_ZIP.finditer(lower)]


_STRAIGHTFORWARD = re.compile(r"(?<![\w-])SF(?![\w-])")
# An inpatient rehabilitation case-mix group, tier letter first: "B0803", "D5104".
_TIERED_CMG = re.compile(r"(?<![\w-])[A-D](?:0[1-9]|1\d|2[01]|50)\d{2}(?!\w|[.-]\w)")
# A family of codes named by its first characters: "GZ codes", "the J codes".
_CODE_FAMILY = re.compile(r"(?<![\w-])[A-Z0-9]{1,2}(?=[ \t]+codes\b)")
# A version of the CMS-HCC risk adjustment model: "V24", "the V28 model", "HCC-V28". The
# ICD-10-CM categories of the same name need four more characters.
_HCC_MODEL = re.compile(r"(?<![\w.])[Vv]2[0-9](?![\w.])")


# A lab's own test numbers, five digits like CPT codes: "the lab test numbers 40213 /
# 40261 are our internal orderables", and the first number of each row under a
# "TEST# / CPT" heading ("40213 / 81445").
_TEST_NUMBERS = re.compile(
    r"(?<![\w])(?:test[ \t]*(?:#|numbers?|nos?\.?)|orderables?|order[ \t]+codes?)"
    r"[ \t]*[:#]?[ \t]*(?P<list>\d{5}(?:[ \t]*(?:/|,|and)[ \t]*\d{5})*)(?![\w-])"
)
_TEST_HEADING = re.compile(r"test[ \t]*(?:#|no\.?|number|code)[ \t]*/[ \t]*\W?(?:cpt|code)")
_TEST_ROW = re.compile(r"^[ \t>]*(?P<number>\d{5})[ \t]*/[ \t]*\S", re.MULTILINE)
_NUMBER = re.compile(r"\d{5}")


def _test_numbers(text: str, lower: str) -> list[Span]:
    """Return the spans of a lab's own test numbers, listed after their name or in a column."""
    spans = []
    for match in _TEST_NUMBERS.finditer(lower):
        start, end = match.span("list")
        spans += [number.span() for number in _NUMBER.finditer(text, start, end)]
    for heading in _TEST_HEADING.finditer(lower):
        rows_end = lower.find("\n\n", heading.end())
        rows_end = len(lower) if rows_end < 0 else rows_end
        spans += [row.span("number") for row in _TEST_ROW.finditer(text, heading.end(), rows_end)]
    return spans


# ASC payment indicators that are also modifiers, in mail on an ASC's payment indicators
# ("PI"): "K2 vs N1", a drug paid separately or packaged.
_PI_WORD = re.compile(r"(?<![\w-])PIs?(?![\w-])")
_ASC_PAYMENT_INDICATOR = re.compile(
    r"(?<![\w-])(?:A2|D5|F4|G2|H2|H7|J7|J8|K2|K7|L1|L6|N1|P2|P3|R2|Z2|Z3)(?![\w-])"
)


# A reason code of a Medicare claim returned to the provider, five digits like a CPT
# code: "RTP REASON 34538", "reason code 32402".
_REASON_CODE = re.compile(
    r"(?<![\w])(?:rtp\s+reason|reason\s+code)\s*[:#]?\s*(?P<code>\d{5})(?!\w)"
)


def _reason_codes(lower: str) -> list[Span]:
    """Return the reason codes named in *lower*, wherever the text has them.

    "I've never seen 34538" above a forwarded "RTP REASON 34538" names the reason code.
    """
    spans = []
    for code in {match["code"] for match in _REASON_CODE.finditer(lower)}:
        spans += [match.span() for match in re.finditer(rf"(?<![\w.-]){code}(?![\w-])", lower)]
    return spans


# A remark code later in the sentence of a denial, in brackets or after "with": "94760
# keeps getting bundled (N20)", "denied 36416 last month with N20". The words between
# may name codes, so only the remark code is masked.
_DENIAL_WORDS = ("denied", "denial", "bundled", "pended", "reject", "flagged")
_REMARK_AFTER_DENIAL = re.compile(
    # The sentence may go on in the next quoted line, as a reply wraps it.
    r"(?<![\w])(?:denied|denial|bundled|pended|reject(?:ed|ing|s)?|flagged)\b"
    r"(?:[^.?!\n]|\n(?=>))(?:[^.?!\n]|\n(?=>)){0,59}?"
    r"(?:\([ \t]*|\bwith[ \t]+|\bw/[ \t]*)(?P<code>(?:ma|m|n)\d{1,3})(?![\w]|\.\d)"
)


# Crew on an ambulance, not modifiers: "no RN or RT on board".
_CREW_ON_BOARD = re.compile(
    r"(?<![\w-])(?:RN|RT|EMT|LPN)s?(?:\s+(?:or|and|/)\s+(?:RN|RT|EMT|LPN)s?)*"
    r"(?=\s+(?:on\s+board|onboard|aboard)\b)"
)
# An OASIS item of a home health assessment ("Primary in M1021"), in mail naming OASIS.
# Its letter and four digits read as HCPCS Level II or as an undotted ICD-10-CM code.
_OASIS_ITEM = re.compile(r"(?<![\w.])M[0-2]\d{3}(?![\w.])")
# A LOINC code, five digits or fewer with a check digit ("59673-3"), in mail naming LOINC.
_LOINC = re.compile(r"(?<![\w.-])\d{1,5}-\d(?![\w-])")
# UB-04 condition, occurrence and value codes: "condition code G0", "cond codes 44, 30".
_CLAIM_LEVEL_CODES = re.compile(
    r"(?<![\w])(?:condition|cond|occurrence|occurrence span|value)\s+codes?\s*[:#]?\s*"
    rf"(?P<list>[a-z0-9]{{2}}\b(?:{_LIST_SEPARATOR}[a-z0-9]{{2}}\b)*)"
)
_TWO_CHARACTERS = re.compile(r"[a-z0-9]{2}")


def _claim_level_codes(text: str, lower: str) -> list[Span]:
    """Return the condition, occurrence and value codes named in *text*, wherever written.

    "Do I need 27 and condition code G0? ... and G0 at the claim level": the second G0 is
    the same condition code, not a modifier.
    """
    codes = {
        code.group()
        for found in _CLAIM_LEVEL_CODES.finditer(lower)
        for code in _TWO_CHARACTERS.finditer(lower, *found.span("list"))
    }
    spans = []
    for code in codes:
        spans += [match.span() for match in re.finditer(rf"(?<![\w-]){code}(?![\w-])", lower)]
    return spans


# OPPS status indicators that are also modifiers, in mail that speaks of status indicators:
# "the labs showing status indicator Q4 and the CT with Q3".
_STATUS_INDICATOR = re.compile(r"(?<![\w-])(?:Q[1-4]|J[12])(?![\w-])")
# Remark codes and spine levels: once masked somewhere, masked wherever the text has them.
_MASKED_AGAIN = re.compile(
    rf"(?<![\w-])(?:(?:MA|M|N)\d{{1,3}}|{_LEVEL})(?!\w|\.\d)"
)


def _masked_again(text: str, spans: list[Span]) -> list[Span]:
    """Return the other places where a remark code or spine level masked in *spans* is written.

    "LQ*HE*N115 ... Any idea what N115 is pointing at?": once N115 reads as a remark
    code, it is one wherever the message names it. So is "T12" in a subject when the
    body has "T12 compression fx".
    """
    masked = {
        found.group()
        for start, end in spans
        for found in _MASKED_AGAIN.finditer(text, start, end)
    }
    if not masked:
        return []
    return [match.span() for match in _MASKED_AGAIN.finditer(text) if match.group() in masked]


def _capital_trap(match: re.Match[str]) -> bool:
    """Check the traps that the capital-letter pattern cannot check by itself."""
    if match["place"] is not None:
        place = match.group()[0] + match["place"]
        if place in _STATE_NAME_SET:
            return True
        if place not in _STATE_SET or not _after_city(match.string, match.start()):
            return False
        if match.string.startswith(".", match.start() + 2):
            # "W/O OK. 73721 MRI KNEE": no address puts a period after the state.
            return False
        return zip_in_state(place, _FIVE_DIGITS.search(match.group())[0])
    if match["group"] is not None:
        return match.group()[0] + match["group"] in _GROUP_CODES
    return True


def _after_city(text: str, state_start: int) -> bool:
    """Return whether a state abbreviation follows a city ("Spokane WA", "Atlanta, GA")."""
    city = _CITY_BEFORE.search(text, max(0, state_start - 40), state_start)
    return city is not None and city.group(1) not in _NOT_CITIES


_FIVE_DIGITS = re.compile(r"\d{5}")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def lower_case(text: str) -> str:
    """Return *text* lower-cased, with every character at the same offset."""
    lower = text.lower()
    if len(lower) != len(text):
        # A few characters (such as "İ") grow when lower-cased, so change ASCII only.
        lower = text.translate(_ASCII_LOWER)
    return lower
