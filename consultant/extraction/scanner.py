"""One pass over a text: code-shaped tokens with their ranges, glued modifiers and units.

The scanner applies shapes, traps and tables. Which system an ambiguous token belongs to
is decided afterwards, in ``context``.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field

from consultant.extraction import modifiers as mods
from consultant.extraction.shapes import (
    LETTERED_PROCEDURE_CODES,
    RANGE_END,
    STRONG,
    TOKEN,
    Shape,
    classify,
)
from consultant.extraction.tables import Tables, aligned_units, find_tables, heading_above
from consultant.extraction.traps import Masks, find_keywords, find_traps, lower_case

Span = tuple[int, int]

# Ranges, glued modifiers and units stay on the line of their code: "[ \t]", not "\s".
# The exceptions are lines wrapped after "through" or "thru", which start no new item, and
# a count "x15" that starts the next line.
_RANGE = re.compile(
    r"[ \t]*(?P<sep>-|–|—|\.\.|\b(?i:to|through|thru)\b)(?:(?<=[hHuU])[ \t]*\n)?[ \t]*"
)
_UNITS_WRAPPED = re.compile(r"\n[ \t]*[xX×](?P<times>\d{1,3})(?![\d.,]?\d|\w)")
# The first run of spaces is possessive: each alternative starts with a character that
# is no space, or with its own run of spaces, so backtracking into it finds nothing new
# and took time quadratic in the length of the run.
_UNITS_AFTER = re.compile(
    # Clotting factors are billed per IU, in thousands: "J7192 x 36120", "x 36,120".
    r"[ \t]*+(?:[xX×*][ \t]*(?P<times>\d{1,3}(?:,\d{3})+|\d{1,5})(?:[ \t]*(?i:units?|u)\b)?"
    r"(?![\d.,]?\d|\w)"
    # "1 unit = 1 mg" defines the unit of a code, and counts none.
    r"|(?:[-–—:][ \t]*)?[(\[]?[ \t]*(?P<count>\d{1,3})[ \t]*(?i:units?|uos|u)\b[)\]]?"
    r"(?![ \t]*=)"
    r"|[-–:,(]?[ \t]*(?i:units?|qty|uos)[ \t]*[:=]?[ \t]*(?P<labelled>\d{1,3})(?!\d)"
    # A claim line lined up with spaces, with no header: the count between the code (or
    # its modifiers) and the charge that ends the line, "99285  25    1    2,145.00".
    r"|(?<=  )(?P<column>\d{1,3})(?=[ ]{2,}\$?\d[\d,]*\.\d{2}[ \t]*(?:\r?\n|\Z)))"
)
# A count written in digits or as a word: "3 units", "two units".
_COUNT_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}
_COUNT = rf"\d{{1,3}}|(?<![\w])(?i:{'|'.join(_COUNT_WORDS)})"
# A member in letters of a modifier family, written apart from other capitals and digits.
_FAMILY_LETTER = re.compile(
    "(?:{})(?![0-9A-Z])".format(
        "|".join(sorted(code for family in mods.FAMILIES for code in family if not code.isdigit()))
    )
)
# "two unit", "three unit" and so on: a count word before "unit".
_COUNT_WORDS_BEFORE_UNIT = tuple(f"{word} unit" for word in _COUNT_WORDS)
_UNITS_BEFORE = re.compile(
    rf"(?P<count>{_COUNT})[ \t]*(?i:units?|uos)[ \t]*(?i:of[ \t]+)?(?i:cpt[ \t]+)?\Z"
)
# "25 on the E/M": the modifier goes to the evaluation and management code.
# "25 on the E/M", "is a 25 needed on the E/M?": the modifier of the visit code.
_ON_EVALUATION = re.compile(
    r"\s+(?i:(?:needed|required|added|appended)\s+)?(?i:on|to|for)\s+(?i:the\s+|an?\s+)?"
    r"(?i:E/?M|E&M|E & M|office visit)\b"
)
# Characters after a code that end it: nothing glued, no range, no units after it.
_NOTHING_FOLLOWS = frozenset(",;?!)]\"'\n")
# Lower-case letters that start no range word, units word or "x" count after a code.
_PLAIN_WORD_STARTS = frozenset("abcdefghijklmnoprsvwyz")
# Sentences longer than this many characters either side are cut there.
_SENTENCE_REACH = 300
# "mod. 25" and "dx. I10" do not end a sentence.
_SENTENCE_END = re.compile(r"\n|[?!](?=\s)|(?<![Mm]od)(?<![Mm]ods)(?<![Dd]x)\.(?=\s)")
# A sentence end in text whose lines may be wrapped inside a sentence.
_SENTENCE_STOP = re.compile(r"[.?!]\s|\n[ \t]*\n")
# "switched from 0202U to 0241U": one code replaced by another, not a range.
_CHANGED_FROM = re.compile(
    r"(?i:switch|chang|mov|convert|went|goes|updat|replac|upgrad|downgrad|drop|bump|upcod"
    r"|downcod|down-cod|recod|correct|reduc|fell|fall)\w*"
    r"(?:[ \t]+[\w#]+){0,3}[ \t]+(?i:from)[ \t]+\Z"
    # "I'm fixing the O43.222 to O43.223": the code before "to" is the one replaced.
    r"|(?i:fix|chang|correct|updat|switch)\w*[ \t]+(?i:the[ \t]+|that[ \t]+|this[ \t]+)?\Z"
)
# A capital letter that starts a line or a sentence.
_SENTENCE_CAPITAL = re.compile(r"(?:^|[.?!][ \t]+)[A-Z]", re.MULTILINE)
# Known modifiers that are also words in lower-case mail ("97110 go", "99213 up").
_LOWER_CASE_WORDS = frozenset(
    {"ad", "ah", "aw", "ax", "ay", "bo", "da", "em", "fa", "go", "hm", "ka", "re", "sh", "uh"}
    | {"un", "up"}
)
# The separator between the modifiers of one list: "KX and CG", "25, 59".
_LIST_GLUE = re.compile(r"[ \t]*(?:,|/|&|\+|and|plus)?[ \t]*-?")
# A word that offers another way between a code and a modifier: "50, or ... RT".
_CHOICE_WORD = re.compile(r"(?<![\w])(?:or|vs\.?|versus)(?![\w])", re.IGNORECASE)
# Modifiers of drug amounts, given or discarded, which no CPT procedure code carries.
_DRUG_MODIFIERS = frozenset({"JW", "JZ", "JG", "TB"})
# A list of two-character items in brackets: "(GC, 59)".
_BRACKETED_LIST = re.compile(
    r"\((?P<list>[0-9A-Z]{2}(?:[ \t]*(?:,|/|&|and|or)[ \t]*[0-9A-Z]{2})+)\)"
)
# " with modifier " between a code and its modifier, searched up to the modifier.
_WITH_BEFORE = re.compile(
    r"[ \t]+with[ \t]+(?:(?:a|an|the)[ \t]+)?(?:mod(?:ifier)?s?\.?[ \t]+)?-?\Z", re.IGNORECASE
)
# "instead", but not "instead of 00812": a code put in place of another keeps its modifier.
_INSTEAD = re.compile(r"[ \t]+instead\b(?![ \t]+of[ \t]+(?:the[ \t]+)?\d{4}[0-9A-Z]\b)",
                      re.IGNORECASE)
_OR_CHOICE_AFTER = re.compile(
    r"[ \t]*,?[ \t]*(?i:or|vs\.?|versus)[ \t]+-?(?:\d{2}|[A-Z][A-Z0-9]|\d[A-Z])(?![\w])"
)
# "All with GP" at the start of a sentence, right before the modifier, in lower case.
_ALL_WITH_BEFORE = re.compile(
    r"(?:^|[.;!?][ \t]+)(?:all|each|both)(?:[ \t]+of[ \t]+them)?[ \t]+with[ \t]+-?\Z", re.M
)
# Modifiers that are also diagnosis pointers of a claim line, read only when set off by a
# dash or named.
_POINTER_PAIRS = frozenset({"AB"})
_ON_DRUG_LINE = re.compile(
    r"[ \t]+(?i:on)[ \t]+(?i:the|each|both|all)(?:[ \t]+(?i:the|of[ \t]+the))?[ \t]+(?i:drugs?)\b"
)
_CODE_NEXT = re.compile(r"[ \t]+(?:\d{4}[0-9FTU]|[A-Z]\d{4})(?!\w|\.\w)")
_ARTICLE = re.compile(r"(?:[Aa]n?|[Tt]he)\s")
# Nouns that a modifier is named with: "add a KX modifier", "a JW line for the waste".
_MODIFIER_NOUN = re.compile(r"[ \t]+(?:mods?|modifiers?|lines?|and|or)\b")
_PREPOSITION_AFTER = re.compile(r"[ \t]+(?:for|on|to|in|per|because|since|if|when|so)\b")
# An ICD-10-PCS code split after its first three characters, which name its table.
_PCS_SPLIT = re.compile(
    r"(?<![\w-])(?P<table>[0-9BCDFGHX][0-9A-HJ-NP-Z]{2}) (?P<row>[0-9A-HJ-NP-Z]{4})(?![\w-])"
)
_LETTERED_PROCEDURE_CODE = re.compile(
    rf"(?<![\w-])(?:{'|'.join(sorted(LETTERED_PROCEDURE_CODES))})(?![\w-])"
)
_DESCRIPTION_AFTER = re.compile(r"[ \t]+(?:\d|[a-z])")
# "on the outpatient claim with CA": a modifier put on a claim line, even one that is a state.
_LINE_BEFORE = re.compile(r"(?i:claim|claims|line|lines|charge)[ \t]+\Z")
_RULE_AFTER = re.compile(r"[ \t]+(?:threshold|limit|cap|rules?|requirements?|policy)\b", re.I)
# A code right before a verb, perhaps with its units: "G0103 gets GA", "A4259 x2, both
# with KS".
_CODE_BEFORE = re.compile(
    r"(?<![\w.-])(?:[A-Z]\d{4}|\d{4}[\dFTU])(?:-[0-9A-Z]{2})*(?:[ \t]*[xX][ \t]?\d{1,3})?"
    r"(?:,?[ \t]+(?:both|each|all))?[ \t]+\Z"
)
# Words without which ``mods.PREDICATE`` and ``mods.QUESTION_PREDICATE`` cannot match,
# found in one search of the lower-cased text before running either.
_PREDICATE_HINT = re.compile(
    r"fix|help|overrid|replac|bypass|unbundl|appl|go|belong|fit|need|requir|necess|allow"
    r"|appropriate"
    r"|correct|right|valid|payable|fine|ok[ \t?.,!]|okay"
)
# The words after a modifier that ``_before_each`` searches for.
_BOTH = re.compile(r"both\b")
_AS_VERB_END = re.compile(r"'d(?![\w])")
_DEFINITION_EQUALS = re.compile(r"=[ \t]*[A-Za-z]")
# Words without which ``mods.IT_IS_MODIFIER`` cannot match.
_IT_IS_WORDS = ("it's", "it’s", "it is", "think", "say")
# Word pairs without which ``mods.IS_IT_MODIFIER`` cannot match.
_IS_IT_PAIRS = tuple(
    f"{verb} {subject}" for verb in ("is", "was", "would") for subject in ("it", "that", "this")
)
# Words without which ``mods.EXPLAINED`` cannot match: the word "modifier", or one of
# these before " for".
_EXPLAINED_VERBS = ("is", "was", "are", "only")
# A word of which one comes between two modifiers offered as alternatives.
_CONNECTOR_HINT = re.compile(r"or|and|&|vs|versus|instead|rather|not")
# Characters that may not come right before a choice of modifiers.
_WORD_OR_DOT = re.compile(r"[\w./]")
# A character right after a code that joins it to a longer word: a letter, digit or slash.
_JOINED_AFTER = re.compile(r"[\w/]")
# "Atlanta, " before a state abbreviation that is also a modifier.
_PLACE_BEFORE = re.compile(r"[A-Z][a-z]+,[ \t]*\Z")
_UNITS_IN_CELL = re.compile(r"\d{1,3}")
# "x 3" standing apart from its code, not a size such as "x 2 cm".
_TIMES_APART = re.compile(
    r"[xX×](?<![\w.][xX×])[ \t]*(?P<count>\d{1,3})"
    # Nor sums: "15 units a day x 30 = 450".
    r"(?![\w]|[.,]\d|[ \t]*(?i:cm|mm|in|inch|inches|mg|mcg|ml)\b|[ \t]*=)"
)
# "1 unit" after a code's line entries, but not "3 units of 97110", which names its code,
# nor "J1642 is per 10 units", the size of the code's unit. ``_COUNT_APART_WORDS`` also
# reads "two units".
_COUNT_APART_WORDS = re.compile(
    rf"(?<![\w.$,])(?<!(?i:per) )(?P<count>{_COUNT})[ \t]*(?i:units?|uos)\b"
    r"(?![ \t]*(?:(?i:of|for)\b|=))"
)
_COUNT_APART = re.compile(
    r"(?<![\w.$,])(?<!(?i:per) )(?P<count>\d{1,3})[ \t]*(?i:units?|uos)\b"
    r"(?![ \t]*(?:(?i:of|for)\b|=))"
)
_UNITS_REACH = 40
_SIZE_BEFORE = re.compile(r"\d[ \t]*\Z")
# "units: 2" or "units = 2" in lower-cased text, and box 24G of a CMS-1500 line ("24g 1").
# "units 200" ends its claim line: "Rev 0636  J1756  iron sucrose 200 mg   units 200".
_UNITS_LABEL = re.compile(
    r"(?:units?[ \t]*[:=]|(?<![\w])24g"
    r"|(?<![\w])units?(?=[ \t]+\d{1,3}[ \t]*(?:\(|$)))[ \t]*(?P<count>\d{1,3})(?!\d)"
    # "units = 15 min increments" and "1 unit = 1 mg" define a unit, and count none.
    r"(?![ \t]*(?i:min|mins|minutes?|hrs?|hours?|mg|mcg|ml|gm?|iu)\b)",
    re.MULTILINE,
)
# A field of a claim line exported as JSON: "modifiers": ["95", "GT"], "units": 1.
_JSON_FIELD = re.compile(
    r'"(?P<key>(?i:modifiers?|mods?|units?|qty|quantity))"[ \t]*:[ \t]*'
    r'(?P<value>\[[^\]\n]*\]|"[^"\n]*"|\d{1,3}(?![\d.]))'
)
_JSON_STRING = re.compile(r'"(?P<value>[0-9A-Za-z]{2})"')
_AMBULANCE_CODE = re.compile(r"(?<![\w])A0[0-9]{3}(?![\w])")
# An answer key of numbered items, in lower-cased text: "key: 1) as  2) 82  3) 62".
_ANSWER_KEY = re.compile(
    r"(?<![\w])(?:answer[ \t]+key|key|answers)[ \t]*[:-][ \t]*"
    r"(?P<items>\d{1,2}[).:][ \t]*[0-9a-z]{2}(?:[ \t,;]+\d{1,2}[).:][ \t]*[0-9a-z]{2})+)(?![\w])"
)
# Three or more lettered choices on one line: "A. 24    B. 25    C. 57".
_LETTERED_CHOICES = re.compile(
    r"^[ \t>]*(?P<items>[A-Ja-j][.)][ \t]+[0-9A-Z]{2}(?:[ \t]+[A-J][.)][ \t]+[0-9A-Z]{2}){2,})"
    r"[ \t]*$",
    re.MULTILINE,
)
_QUIZ_ITEM = re.compile(r"(?:\d{1,2}|[A-Ja-j])[).:][ \t]*(?P<code>[0-9A-Za-z]{2})(?![\w])")
_PRICE_NEXT = re.compile(r"[ \t]+\$[ \t]?\d")
_BILLING_VERB_BEFORE = re.compile(r"\b(?:add|append|bill|billed|use)\b")
_QUANTITY_BEFORE = re.compile(
    r"\d[ \t]*(?:hours?|hrs?|days?|minutes?|mins?|weeks?|wks?|months?|units?|mg|ml|mcg)"
    r"[ \t]*,?[ \t]*(?:not|no)[ \t]+\Z"
)
# The heading of a column of counts in a space-aligned table.
_COUNT_HEADING = re.compile(r"(?i:units?|qty|uos|count)\b")
# A space-aligned line of a code, a description and modifiers at its end.
# Its count may come before the modifiers: "Q5121   infliximab-axxq 10 mg   50   JZ".
_LINE_END_MODIFIERS = re.compile(
    r"^[ \t>]*(?P<code>\d{4}[0-9FTU]|[A-Z]\d{4})(?:[ \t]+[xX][ \t]*\d{1,5})?[ \t]{2,}"
    r"(?=[^\n]*?[A-Za-z])[^\n]*?[ \t]{2,}"
    r"(?:(?P<count>\d{1,3})(?:[ \t]{2,}(?=[0-9A-Z]{2})|[ \t]*$))?"
    r"(?P<list>[0-9A-Z]{2}(?:[ \t]*[,/][ \t]*[0-9A-Z]{2})*)?[ \t]*$",
    re.MULTILINE,
)
# A table cell of modifiers alone: "80", "59, XU", "RT/LT".
_CELL_LIST = re.compile(r"[0-9A-Z]{2}(?:[ \t]*[,/&][ \t]*[0-9A-Z]{2})*")
# Ground, fixed wing and rotary wing ambulance mileage, billed per loaded mile.
_MILEAGE_CODES = frozenset({"A0425", "A0435", "A0436"})
# Whole miles a few words after a mileage code: "A0425 mileage, 7 mi each leg". Miles
# with a fraction ("12.4 loaded miles") are rounded by payer rules, so they give no units.
_MILES_AFTER = re.compile(
    r"[^\n\d]{0,24}?(?<![\d.])(?P<count>\d{1,3})(?![\d.])[ \t]*(?:loaded[ \t]+)?"
    r"(?i:mi|miles)\b"
)
# A claim line of a code, its modifiers and a count alone: "Q4101-JC       14".
_LINE_COUNT = re.compile(
    # One short field may come first: a revenue code or a weekday ("0636  Q9967   100").
    # Modifiers may follow the code after a space, and a note in brackets the count:
    # "A6578 LT  2   (sleeve, 2 daytime)".
    r"^[ \t>]*(?:[0-9A-Za-z/]{1,10}[ \t]{2,})?(?:\d{4}[0-9FTU]|[A-Z]\d{4})(?:[- ][0-9A-Z]{2})*"
    r"[ \t]{2,}(?P<count>\d{1,3})[ \t]*(?:\([^)\n]*\)[ \t]*)?$",
    re.MULTILINE,
)
_GLUED_TIMES = re.compile(r"[xX]\d{1,3}")
# ``mods.PREDICATE`` for lower-case mail, searched in the lower-cased text.
_PREDICATE_LOWER = re.compile(mods.PREDICATE.pattern.replace("[0-9A-Z]", "[0-9a-z]"))
# Modifiers that mean nothing else, written alone in lower-case mail: "should it be xu?".
# The pair comes first, so the engine skips to its letters; the look-behind then checks
# the character before it.
_DISTINCTIVE_LOWER = re.compile(
    rf"(?P<list>{'|'.join(sorted(mods.DISTINCTIVE)).lower()})(?<![\w-]..)(?![\w{{])"
)
_NEGATED_BEFORE = re.compile(r"(?<![\w])(?i:no|not|without|never)[ \t]+(?i:the[ \t]+)?\Z")
# "I get 27." and "I got 31 hours": the writer's own count, after "I get".
_COUNTED_BY = re.compile(r"(?<![\w])i[ \t]+(?:get|got)[ \t]+\Z")
_COUNTED = re.compile(r"(?<=\d)[ \t]*(?:[.!;,]|$)", re.MULTILINE)
# A second modifier offered after the codes a first one is put on: "59 on 96372 or XU?".
_OR_MODIFIER_AFTER = re.compile(
    r"[ \t]+or[ \t]+(?:(?i:modifier)[ \t]+)?(?P<code>[0-9A-Z]{2})(?![\w-])"
)
_WORD_BEFORE_PAIR = re.compile(r"(?<![\w])(?i:or|and|vs\.?|the|a|an|by|to|with)[ \t]+\Z")
# Distinctive modifiers that are also names or words in lower case ("ki", "nu"): taken in
# lower case only in mail written in lower case.
_DISTINCTIVE_NAMES = frozenset({"NU", "KI", "KH", "KJ"})
# "one with RT and one with LT", "on two lines with RT and LT": each line gets its own.
_SEPARATE_LINES_BEFORE = re.compile(
    r"(?<![\w])(?i:one|lines?|another)[ \t]+(?i:with)[ \t]+(?i:the[ \t]+)?-?\Z"
)
# "66821 lt eye": a side in lower case after a code and before the part of the body it
# names. ``_SIDE_GLUED`` finds the side after the code, ``_SIDE_PART_AFTER`` the part.
_SIDE_GLUED = re.compile(r" [lr]t\b")
_COMMA_MODIFIER = re.compile(r",(?:\d{2}|[A-Z][A-Z0-9])(?![\w]|[.:,]\d)")
_SIDE_PART_AFTER = re.compile(
    r"[ \t]+(?:eye|ear|side|knee|hip|shoulder|foot|hand|wrist|ankle|elbow|breast|leg|arm)s?\b"
)
# "or XS on the 45380": a modifier offered as a choice before it is put on a code.
_CHOICE_BEFORE_WORD = re.compile(r"(?<![\w])(?i:or|vs\.?|versus)[ \t]+-?\Z")
_WITHOUT_BEFORE = re.compile(
    r"(?<![\w/])(?i:without|w/o|not)[ \t]+(?i:the[ \t]+|an?[ \t]+)?-?\Z"
)
# "billed with 59 on another 36475": the modifier is for another line of the code.
_ON_ANOTHER = re.compile(r"[ \t]+on[ \t]+(?:another|a[ \t]+second|a[ \t]+separate)\b", re.I)
# A word in capitals right before or after a modifier that is also a word ("AS THE")
# shows prose written in capitals, where the pair is the word.
_CAPITAL_WORD_AFTER = re.compile(r"[ \t]+[A-Z]{2,}\b")
_CAPITAL_WORD_BEFORE = re.compile(r"\b[A-Z]{2,}[ \t]+\Z")
_TOKEN_WITH_TIMES = re.compile(r"(?P<code>[A-Za-z0-9]{3,6}?)[xX](?P<units>\d{1,3})")
# "20610RT": a CPT code with a letter modifier glued on, which is also shaped like a PCS code.
_CPT_WITH_MODIFIER = re.compile(r"(?P<code>\d{5})(?P<modifier>[A-Za-z]{2})")
# "99213.25": a CPT code and a two-digit modifier typed with a dot between them.
_CPT_DOT_MODIFIER = re.compile(r"(?P<code>\d{5})\.(?P<modifier>\d{2})")
# Words before an amount of money or a measure, which "12500.50" may be.
_AMOUNT_BEFORE = re.compile(
    r"(?:paid|allowed|amount|balance|total|charges?|charged|owed?|payment|cost|fee|price|usd"
    r"|value|level|result|count|weight|lab)\W{0,3}\Z"
)


@dataclass(slots=True)
class Mention:
    """One written code: where it is, what shapes it may have, and what came with it."""

    shape: Shape
    start: int
    end: int
    modifiers: list[tuple[str, int, int]] = field(default_factory=list)
    units: int | None = None
    range_shape: Shape | None = None
    range_span: Span | None = None
    system: str | None = None
    # The modifiers written with the code itself (glued on or in its table row), before
    # modifiers named elsewhere in the text are added to ``modifiers``.
    written: list[str] = field(default_factory=list)

    @property
    def takes_modifiers(self) -> bool:
        """Whether the token may be a CPT or HCPCS code, the codes modifiers apply to."""
        return self.shape.takes_modifiers


@dataclass(slots=True)
class ModifierMention:
    """A modifier written somewhere, and the mention it was attached to, if any."""

    code: str
    start: int
    end: int
    target: Mention | None = None


@dataclass
class Scan:
    """Everything the scanner found in one text."""

    text: str
    lower: str
    sentences: Sentences
    mentions: list[Mention]
    modifiers: list[ModifierMention]
    tables: Tables


def scan(text: str) -> Scan:
    """Find code-shaped tokens, their modifiers, units and ranges in *text*."""
    lower = lower_case(text)
    sentences = Sentences(text)
    tables = find_tables(text)
    masks = Masks(find_traps(text, lower) + tables.masked)
    mentions: list[Mention] = []
    consumed = 0
    # Mail whose sentences start in lower case writes its modifiers in lower case too.
    lower_only = _SENTENCE_CAPITAL.search(text) is None
    for match in TOKEN.finditer(text):
        start, end = match.span("token")
        if start < consumed or masks.covers(start, end):
            continue
        mention = _mention(match["token"], start, end)
        if mention is None:
            continue
        if mention.end < end and text[mention.end] == "." and _AMOUNT_BEFORE.search(
            lower, max(0, start - 12), start
        ):
            continue
        mentions.append(mention)
        consumed = _read_suffix(text, mention, masks, mentions, lower_only)
    if "pcs" in lower or "encoder" in lower or any(
        mention.shape.systems[0] == "icd10pcs" for mention in mentions
    ):
        # Split codes come from encoder pastes in mail about ICD-10-PCS, so other mail
        # skips the search.
        _split_procedure_codes(text, masks, mentions)
        _lettered_procedure_codes(text, masks, mentions)
    if "SV1*" in text or "SV2*" in text or "SVC*" in text:
        _read_service_segments(text, mentions)
    modifier_mentions = [
        ModifierMention(code, start, end, mention)
        for mention in mentions
        for code, start, end in mention.modifiers
    ]
    _apply_tables(text, tables, mentions, modifier_mentions)
    if tables.rows:
        _modifier_column(text, tables, mentions, modifier_mentions)
    if '":' in text or '" :' in text:
        _read_json_fields(text, mentions, modifier_mentions)
    for mention in mentions:
        if mention.modifiers:
            mention.written = list(dict.fromkeys(code for code, _, _ in mention.modifiers))
    _named_modifiers(text, lower, sentences, masks, mentions, modifier_mentions, lower_only)
    _alternatives(text, lower, masks, mentions, modifier_mentions)
    _labelled_units(text, lower, sentences, mentions)
    if " x" in lower or "\tx" in lower or "×" in text:
        _units_after_words(text, mentions, _TIMES_APART)
    if "unit" in lower:
        # The pattern with count words tries them at every letter, so it runs only where
        # one is written before "unit".
        words = any(written in lower for written in _COUNT_WORDS_BEFORE_UNIT)
        _units_after_words(text, mentions, _COUNT_APART_WORDS if words else _COUNT_APART)
    if "  " in text and ("unit" in lower or "qty" in lower or "uos" in lower):
        _aligned_units(text, mentions)
    if "  " in text:
        _line_counts(text, mentions)
        _line_end_modifiers(text, mentions, modifier_mentions)
    if " mi" in lower:
        _mileage_units(text, mentions)
    return Scan(text, lower, sentences, mentions, modifier_mentions, tables)


def _split_procedure_codes(text: str, masks: Masks, mentions: list[Mention]) -> None:
    """Add ICD-10-PCS codes pasted from an encoder with a space after the table: "0SP 908Z"."""
    for match in _PCS_SPLIT.finditer(text):
        start, end = match.span()
        table, row = match["table"], match["row"]
        # Each part has a digit, so words in capitals ("GFR TEST") are not read.
        if table.isdigit() or row.isdigit() or table.isalpha() or row.isalpha():
            continue
        if masks.covers(start, end):
            continue
        shape = classify(table + row)
        if shape is None or shape.systems != ("icd10pcs",) or shape.strength != STRONG:
            continue
        starts = [mention.start for mention in mentions]
        index = bisect_left(starts, start)
        if index < len(mentions) and mentions[index].start < end:
            continue
        if index and mentions[index - 1].end > start:
            continue
        mentions.insert(index, Mention(shape, start, end))


def _lettered_procedure_codes(text: str, masks: Masks, mentions: list[Mention]) -> None:
    """Add the ICD-10-PCS codes written in letters only: "GZHZZZZ  group"."""
    for match in _LETTERED_PROCEDURE_CODE.finditer(text):
        start, end = match.span()
        if masks.covers(start, end):
            continue
        shape = classify(match.group())
        if shape is None:
            continue
        starts = [mention.start for mention in mentions]
        mentions.insert(bisect_left(starts, start), Mention(shape, start, end))


def _mention(token: str, start: int, end: int) -> Mention | None:
    if token[0] == "x" and len(token) == 3 and token[1:].isdigit():
        # "dressing sets x15 per month": a count in lower case, not the category X15.
        return None
    if token[-1] == "s" and len(token) == 6:
        # "our 99285s", "the J1100s": a plural of a CPT or HCPCS code.
        shape = classify(token[:5])
        if shape is not None and shape.takes_modifiers and shape.systems[0] != "icd10cm":
            return Mention(shape, start, end - 1)
    times = _TOKEN_WITH_TIMES.fullmatch(token) if "x" in token or "X" in token else None
    if times is not None:
        # "97110x3": a code and its units written without a space.
        shape = classify(times["code"])
        if shape is not None and {"cpt", "hcpcs"} & set(shape.systems):
            return Mention(shape, start, start + len(times["code"]), units=int(times["units"]))
    dotted = _CPT_DOT_MODIFIER.fullmatch(token) if len(token) == 8 else None
    if dotted is not None and dotted["modifier"] in mods.KNOWN:
        modifier = (dotted["modifier"], start + 6, end)
        return Mention(classify(dotted["code"]), start, start + 5, modifiers=[modifier])
    glued = _CPT_WITH_MODIFIER.fullmatch(token) if len(token) == 7 else None
    if glued is not None and glued["modifier"].upper() in mods.KNOWN:
        shape = classify(glued["code"])
        if shape is not None and "cpt" in shape.systems:
            modifier = (glued["modifier"].upper(), start + 5, end)
            return Mention(shape, start, start + 5, modifiers=[modifier])
    shape = classify(token)
    return None if shape is None else Mention(shape, start, end)


def _read_suffix(
    text: str, mention: Mention, masks: Masks, mentions: list[Mention], lower_only: bool = False
) -> int:
    """Read a range end, glued modifiers and units after *mention*; return where it ends."""
    following = text[mention.end : mention.end + 2]
    # "99213,25?": a modifier typed after a comma with no space, which ``mods.GLUED`` reads.
    comma_modifier = following[:1] == "," and _COMMA_MODIFIER.match(text, mention.end)
    if not following or (following[0] in _NOTHING_FOLLOWS and not comma_modifier) or (
        not lower_only and _ends_code(following) and not _SIDE_GLUED.match(text, mention.end)
    ):
        # Punctuation right after the code: only "3 units of 97110" can still apply.
        if mention.takes_modifiers and mention.units is None:
            wrapped = _UNITS_WRAPPED.match(text, mention.end)
            if wrapped is not None:
                mention.units = int(wrapped["times"])
                return wrapped.end()
            _read_units_before(text, mention)
        return mention.end
    position = _read_range(text, mention, masks, mentions)
    if not mention.takes_modifiers:
        return position
    if mention.range_shape is None:
        position = _read_glued(text, mention, masks, position, lower_only)
    if mention.units is None:
        counted = _read_units(text, mention, position)
        if counted != position and mention.range_shape is None:
            # "Q5107 x40 JZ", "J0881 x200 -EA": modifiers may follow the units.
            counted = _read_glued(text, mention, masks, counted, lower_only)
        position = counted
    elif (glued_units := _GLUED_TIMES.match(text, position)) is not None:
        # The units of "97140x2" are part of the token, so a bracketed list follows them.
        position = glued_units.end()
    if mention.range_shape is None:
        position = _read_bracketed(text, mention, masks, position)
    return position


def _ends_code(following: str) -> bool:
    """Return whether the two characters after a code leave nothing to read after it.

    A dot not followed by another dot starts no range ("..") and nothing else. A space
    and a lower-case letter can only start "to", "through", units ("units", "qty", "x3")
    or a lower-case word, which is not taken as a glued modifier.
    """
    if following[0] == ".":
        return following[1:] != "."
    return following[0] == " " and following[1:] in _PLAIN_WORD_STARTS


def _read_bracketed(text: str, mention: Mention, masks: Masks, position: int) -> int:
    """Read modifiers in brackets after a code and its units: "97112 x1 (GP)"."""
    bracketed = mods.BRACKETED.match(text, position)
    if bracketed is None or masks.covers(*bracketed.span("list")):
        return position
    items = mods.list_items(text, *bracketed.span("list"))
    if not all(code in mods.KNOWN for code, _, _ in items):
        return position
    if all(code in mods.AMBIGUOUS for code, _, _ in items):
        return position
    mention.modifiers.extend(items)
    return bracketed.end()


def _read_range(text: str, mention: Mention, masks: Masks, mentions: list[Mention]) -> int:
    separator = _RANGE.match(text, mention.end)
    if separator is None:
        return mention.end
    far = RANGE_END.match(text, separator.end())
    if far is None or masks.covers(*far.span("token")):
        return mention.end
    far_shape = classify(far["token"])
    if far_shape is None:
        return mention.end
    if _is_range(mention.shape, far_shape) and not (
        separator["sep"].lower() == "to" and _CHANGED_FROM.search(text, max(0, mention.start - 40),
                                                          mention.start)
    ):
        mention.range_shape = far_shape
        mention.range_span = far.span("token")
        return far.end("token")
    if separator["sep"] == "-":
        # "99214-G2211": two codes joined by a dash, not a range.
        mentions.append(Mention(far_shape, *far.span("token")))
    return mention.end


def _is_range(first: Shape, last: Shape) -> bool:
    system = first.systems[0]
    if system != last.systems[0] or first.category_dash or last.category_dash:
        return False
    start, end = first.code_for(system), last.code_for(system)
    if system == "cpt":
        return len(start) == len(end) and start[-1].isdigit() == end[-1].isdigit() and start < end
    return start[0] <= end[0] and start < end


def _read_glued(
    text: str, mention: Mention, masks: Masks, position: int, lower_only: bool = False
) -> int:
    while True:
        glued = mods.GLUED.match(text, position)
        if glued is None:
            return position
        code = glued["modifier"]
        span = glued.span("modifier")
        if glued["sep"].startswith("  "):
            if code.isdigit() and mention.modifiers:
                # "97151   HO    24        once": after a modifier column, a column of counts.
                return position
            heading = heading_above(text, span[0])
            if heading is not None and code.isdigit() and _COUNT_HEADING.match(heading):
                # "J1745  50     JZ" under "Code   Units  Mod": the count, then modifiers.
                if mention.units is None:
                    mention.units = int(code)
                position = glued.end()
                continue

        ambulance = mention.shape.options[0][1].startswith("A0")
        if not _glued_modifier_ok(text, code, glued["sep"], span, masks, ambulance, lower_only):
            return position
        mention.modifiers.append((code.upper(), *span))
        position = glued.end()


def _glued_modifier_ok(
    text: str,
    code: str,
    separator: str,
    span: Span,
    masks: Masks,
    ambulance: bool = False,
    lower_only: bool = False,
) -> bool:
    """Return whether *code* after a code and *separator* is taken as its modifier.

    An ambulance origin and destination modifier ("A0427 RH") counts after an ambulance
    code with a space; after other codes, only with a dash. In mail whose sentences start
    in lower case (*lower_only*), "97110 gp cq" carries two modifiers, unless a pair
    reads as a word or a state.
    """
    if masks.covers(*span):
        return False
    dashed = any(dash in separator for dash in "-–—/")
    if code.upper() in _POINTER_PAIRS and not dashed:
        # "99213  25    AB  $140.00" on a claim line: diagnosis pointers A and B.
        return False
    # A dash set off by spaces on both sides; "QS- PT" is a chain wrapped after its dash.
    spaced_dash = dashed and separator[:1] in " \t" and separator[-1:] in " \t"
    if spaced_dash and _OR_CHOICE_AFTER.match(text, span[1]):
        # "97140 — XU or 59?": a dash set off by spaces, then a choice of modifiers.
        return False
    if spaced_dash and code in mods.AMBIGUOUS and _DESCRIPTION_AFTER.match(text, span[1]):
        # "96361 - NS 1 L over 70 min": a dash set off by spaces, then a description.
        return False
    if spaced_dash and code.islower() and _DESCRIPTION_AFTER.match(text, span[1]):
        # "99116 - pt temp was 35.4": a sentence that goes on in lower case.
        return False
    if ("|" in separator or "\t" in separator) and not mods.CELL_END.match(text, span[1]):
        return False
    if code in ("rt", "lt") and _SIDE_PART_AFTER.match(text, span[1]):
        return True
    if not dashed and (not code.isupper() and not code.isdigit()):
        upper = code.upper()
        if not lower_only or upper not in mods.KNOWN or upper in mods.AMBIGUOUS:
            return False
        if code in _LOWER_CASE_WORDS:
            return False
    if not dashed and code[0] in "xX" and code[1].isdigit():
        # "99292 X2" is two units; patient relationship modifiers X1 to X5 take a dash.
        return False
    if code.upper() not in mods.KNOWN:
        return (dashed or ambulance) and code in mods.ORIGIN_DESTINATION
    if code.isdigit():
        return not mods.QUANTITY_WORD.match(text, span[1])
    if not dashed and code in mods.AMBIGUOUS:
        # "CROSSWALKS G0202 TO 77067 AT $128.44": a word before a price.
        return not (mods.LOWER_WORD_NEXT.match(text, span[1]) or _PRICE_NEXT.match(text, span[1]))
    return True


def _read_units(text: str, mention: Mention, position: int) -> int:
    after = _UNITS_AFTER.match(text, position)
    if after is not None:
        written = after["times"] or after["count"] or after["labelled"] or after["column"]
        mention.units = int(written.replace(",", ""))
        return after.end()
    _read_units_before(text, mention)
    return position


def _read_units_before(text: str, mention: Mention) -> None:
    start = max(0, mention.start - 24)
    window = text[start : mention.start].lower()
    if "unit" not in window and "uos" not in window:
        return
    before = _UNITS_BEFORE.search(text, start, mention.start)
    if before is not None:
        mention.units = _count(before["count"])


def _unmodified_drugs(text: str, mentions: list[Mention], end: int) -> list[Mention]:
    """Return the drug codes without modifiers when the drug lines are named after *end*.

    "JZ on the drug line" or "JZ on all the drug lines" in a paragraph that names no
    code puts the modifier on the drug codes written without one.
    """
    if _ON_DRUG_LINE.match(text, end) is None:
        return []
    return [mention for mention in mentions if _is_drug(mention) and not mention.modifiers]


def _is_drug(mention: Mention) -> bool:
    """Return whether *mention* may be a HCPCS drug code, a J code."""
    return mention.shape.systems[0] == "hcpcs" and mention.shape.options[0][1].startswith("J")


def _count(written: str) -> int:
    """Return the number written in digits or as a word ("two")."""
    return int(written) if written.isdigit() else _COUNT_WORDS[written.lower()]


# A service line of an X12 claim (837P SV1, 837I SV2) or remittance (835 SVC) starts with
# the code and its modifiers joined by colons, then the charge. A claim gives the units
# after "UN", a remittance after the amount paid and the revenue code:
# "SV1*HC:97140:GP:59*45*UN*1", "SV2*0450*HC:99284:25*1250*UN*1", "SVC*HC:20610:RT*125*0**1".
_SERVICE_SEGMENT = re.compile(
    r"(?<![\w])(?:SV1\*|SV2\*\d{0,4}\*|SVC\*)(?:HC|HP|AD|ER|IV|NU|WK|N4)[:>]"
    r"(?P<code>[A-Z0-9]{5})(?P<modifiers>(?:[:>][A-Z0-9]{2}){0,4})(?:[:>][^*~\n]*)?"
    r"\*[\d.]*\*(?:(?:UN|MJ|DA|F2)\*(?P<units>\d+(?:\.\d+)?)"
    r"|[\d.]*\*[^*~\n]*\*(?P<paid_units>\d+(?:\.\d+)?)"
    # A remittance gives the units billed after the code billed, where they differ from
    # the units paid: "SVC*HC:97153:HM*640*384**12*HC:97153:HM*16~".
    r"(?:\*[^*~\n]*\*(?P<billed_units>\d+(?:\.\d+)?))?)?"
)
_SEGMENT_MODIFIER = re.compile(r"[A-Z0-9]{2}")


def _read_service_segments(text: str, mentions: list[Mention]) -> None:
    """Give each code of an X12 service line the modifiers and units of its elements.

    The charge after the code is no count of units, and the modifiers are the components
    after the code, however many there are. A remittance line gives the units billed.
    """
    by_start = {mention.start: mention for mention in mentions}
    for segment in _SERVICE_SEGMENT.finditer(text):
        mention = by_start.get(segment.start("code"))
        if mention is None or not mention.takes_modifiers:
            continue
        start, end = segment.span("modifiers")
        mention.modifiers = [(found.group(), *found.span())
                             for found in _SEGMENT_MODIFIER.finditer(text, start, end)]
        units = segment["units"] or segment["billed_units"] or segment["paid_units"]
        mention.units = int(float(units)) if units and float(units).is_integer() else None


def _apply_tables(
    text: str, tables: Tables, mentions: list[Mention], found: list[ModifierMention]
) -> None:
    """Give each code in a table row the modifiers and units written in that row."""
    if not tables.rows:
        return
    for mention in mentions:
        row = tables.row_at(mention.start)
        if row is None or not mention.takes_modifiers:
            continue
        if tables.diagnosis and tables.in_diagnosis_cell(mention.start):
            # "E1165" under "Dx1" is a diagnosis; the row's modifiers are its procedure's.
            continue
        _, modifier_cells, unit_cells = row
        counts = [modifier for modifier in mention.modifiers
                  if any(start <= modifier[1] < end for start, end in unit_cells)]
        if counts:
            # "| J9030 | 50 |" under "Units": the cell after the code is a count, not
            # modifier 50.
            mention.modifiers = [m for m in mention.modifiers if m not in counts]
            spans = {(start, end) for _, start, end in counts}
            found[:] = [m for m in found
                        if not (m.target is mention and (m.start, m.end) in spans)]
        for start, end in modifier_cells:
            for code, item_start, item_end in mods.list_items(text, start, end):
                if code in mods.KNOWN and code not in {m[0] for m in mention.modifiers}:
                    mention.modifiers.append((code, item_start, item_end))
                    found.append(ModifierMention(code, item_start, item_end, mention))
        for start, end in unit_cells:
            count = _UNITS_IN_CELL.search(text, start, end)
            if count is not None and mention.units is None:
                mention.units = int(count.group())


def _modifier_column(
    text: str, tables: Tables, mentions: list[Mention], found: list[ModifierMention]
) -> None:
    """Add the modifiers of a modifier column in rows without a code: "| 80 | assistant |"."""
    starts = [mention.start for mention in mentions]
    for (row_start, row_end), modifier_cells, _ in tables.rows:
        if not modifier_cells or bisect_left(starts, row_start) < bisect_left(starts, row_end):
            continue
        for start, end in modifier_cells:
            cell = text[start:end].strip()
            items = mods.list_items(text, start, end)
            # Only a cell that contains nothing but modifiers: "| 80 |", "| 59, XU |".
            if items and all(code in mods.KNOWN for code, _, _ in items) and (
                _CELL_LIST.fullmatch(cell)
            ):
                found.extend(ModifierMention(code, item_start, item_end)
                             for code, item_start, item_end in items)


class Sentences:
    """The sentence and line ends of a text, to find the sentence around a position."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._ends: list[int] | None = None
        self._length = len(text)

    def around(self, position: int) -> Span:
        """Return the span of the sentence or line around *position*."""
        if self._ends is None:
            # Found on first use: many texts need no sentence at all.
            self._ends = [match.start() for match in _SENTENCE_END.finditer(self._text)]
        index = bisect_left(self._ends, position)
        start = self._ends[index - 1] + 1 if index else 0
        end = self._ends[index] if index < len(self._ends) else self._length
        return max(start, position - _SENTENCE_REACH), min(end, position + _SENTENCE_REACH)


def _named_modifiers(
    text: str,
    lower: str,
    sentences: Sentences,
    masks: Masks,
    mentions: list[Mention],
    found: list[ModifierMention],
    lower_only: bool = False,
) -> None:
    """Add modifiers named as such ("modifier 59", "25 modifier", "XU") and attach them.

    In mail whose sentences start in lower case (*lower_only*), modifiers written in
    lower case are named too, unless they read as words.
    """
    seen = {(m.start, m.end) for m in found}
    starts = [mention.start for mention in mentions]
    previous: tuple[int, list[Mention | None]] | None = None
    for start, end, code, for_all in _named_candidates(text, lower, lower_only):
        if (start, end) in seen or masks.covers(start, end):
            continue
        if for_all:
            # "All four lines carry GP" follows the lines it speaks of, and so does
            # "All with GP" opening a sentence: the codes listed before it.
            # "JZ on all the drug lines" goes on the drug codes wherever they are.
            targets = _unmodified_drugs(text, mentions, end)
            if not targets and _ALL_WITH_BEFORE.search(lower, max(0, start - 20), start):
                targets = _codes_in_paragraph(text, mentions, starts, start)
            targets = (targets
                       or _codes_in_sentence(sentences, mentions, starts, start)
                       or _codes_in_paragraph(text, mentions, starts, start))
        elif previous is not None and _LIST_GLUE.fullmatch(text, previous[0], start):
            # "with KX and CG": the modifiers of one list go on the same code.
            targets = previous[1]
        else:
            targets = [_code_with(text, mentions, starts, start)
                       or _nearest_code(sentences, mentions, starts, start, end)]
            if targets[0] is None:
                targets = _unmodified_drugs(text, mentions, end) or targets
            if _ON_EVALUATION.match(text, end):
                targets = [_nearest_evaluation(mentions, starts, start) or targets[0]]
            if targets[0] is not None and (
                _offered_apart(text, targets[0], start, end)
                or _NEGATED_BEFORE.search(text, max(0, start - 12), start)
            ):
                # "and no EP on the 99213": the modifier is named, but kept off the code.
                targets = [None]
            elif code in _DRUG_MODIFIERS and targets[0] is not None and (
                targets[0].shape.systems[0] == "cpt"
            ):
                # "J3304 x 32, injected as 20610-LT, and JZ since nothing is left": a drug
                # modifier named near a procedure code is not put on it.
                targets = [None]
            elif (on_codes := mods.ON_CODES.match(text, end)) is not None:
                # "GA on 82607 and 84443": the modifier goes on each code named.
                named = [mention for mention in mentions
                         if on_codes.start() <= mention.start < on_codes.end()
                         and mention.takes_modifiers]
                targets = named or targets
                offered = _OR_MODIFIER_AFTER.match(text, on_codes.end())
                if offered is not None and offered["code"] in mods.KNOWN:
                    # "59 on 96372 or XU?" offers a choice of two, so neither goes on the code.
                    targets = [None]
        previous = (end, targets)
        for expanded in mods.expand(code):
            for target in targets:
                if target is not None and expanded not in {m[0] for m in target.modifiers}:
                    target.modifiers.append((expanded, start, end))
            found.append(ModifierMention(expanded, start, end, targets[0] if targets else None))
        seen.add((start, end))


def _alternatives(
    text: str, lower: str, masks: Masks, mentions: list[Mention], found: list[ModifierMention]
) -> None:
    """Add modifiers offered as alternatives to a modifier already taken, or of its family.

    In "91 or 59" and "GA or KX" one of the two is a modifier taken elsewhere in the
    text, so the other is one too. "..., or LT only?" offers a modifier late in a
    sentence that already has one. A modifier offered that way is not taken when it
    also reads as a word or a state. ``mods.FAMILIES`` lists the modifiers that are
    named together, such as 26 and TC.
    """
    codes = {modifier.code for modifier in found}
    added = _family_members(text, codes) + _cued_modifiers(text, lower)
    added += _modifier_runs(text, lower) + _physical_status(text, lower, mentions)
    if "G" in text:
        added += _therapy_modifiers(text, lower, mentions)
    added += _digit_choices(text, mentions)
    if "RT" in text and "LT" in text:
        added += [(*match.span(side), match[side])
                  for match in mods.SIDE_PAIR.finditer(text) if match["first"] != match["second"]
                  for side in ("first", "second")]
    if (" or " in text or " vs" in text or "/" in text) and _FAMILY_LETTER.search(text):
        # A choice within a family has a member in letters, which most mail lacks.
        added += _family_choices(text)
    for both in _before_each(_BOTH, mods.BOTH_LIST, lower, text, 40) if "both" in lower else ():
        items = mods.list_items(text, *both.span("list"))
        # "TA + TV both done": transabdominal and transvaginal scans, words that are also
        # modifiers. One item must be more than a word or a state.
        if len(items) >= 2 and _offered_as_modifiers(items, text) and not all(
            code in mods.AMBIGUOUS for code, _, _ in items
        ):
            added += [(item_start, item_end, code) for code, item_start, item_end in items]
    last_choices = list(mods.LAST_CHOICE.finditer(text))
    if found:
        added += _offered_choices(text, found, codes, last_choices)
        if "(" in text:
            added += _bracketed_with_taken(text, codes)
    if last_choices:
        ambulance = any(mention.shape.options[0][1].startswith("A0") for mention in mentions)
        added += _letter_pairs(text, ambulance, last_choices)
    _add_unattached(text, masks, found, added)


def _bracketed_with_taken(text: str, codes: set[str]) -> list[tuple[int, int, str]]:
    """Return the modifiers of a bracketed list that contains a modifier in letters of *codes*.

    In "informational ones (GC, 59)" GC is taken, so 59 is a modifier too.
    """
    found = []
    for bracketed in _BRACKETED_LIST.finditer(text):
        items = mods.list_items(text, *bracketed.span("list"))
        if len(items) < 2 or not _offered_as_modifiers(items, text):
            continue
        if any(code in codes and not code.isdigit() and code not in mods.AMBIGUOUS
               for code, _, _ in items):
            found += [(start, end, code) for code, start, end in items]
    return found


def _digit_choices(text: str, mentions: list[Mention]) -> list[tuple[int, int, str]]:
    """Return both modifiers of "58 or 78?" in mail that names a CPT or HCPCS code."""
    if "?" not in text or (" or " not in text and " vs" not in text):
        return []
    choices = list(mods.DIGIT_CHOICE.finditer(text))
    if not choices or not any(mention.takes_modifiers for mention in mentions):
        return []
    found = []
    for choice in choices:
        first, second = choice["first"], choice["second"]
        if first in mods.KNOWN and second in mods.KNOWN and first != second:
            found += [(*choice.span("first"), first), (*choice.span("second"), second)]
    return found


def _family_choices(text: str) -> list[tuple[int, int, str]]:
    """Return both modifiers of a choice within one family: "AS or 80", "26 vs TC", "RT/LT"."""
    found = []
    for choice in mods.FAMILY_CHOICE.finditer(text):
        first, second = choice["first"], choice["second"]
        if first == second or (first.isdigit() and second.isdigit()):
            continue
        if not any(first in family and second in family for family in mods.FAMILIES):
            continue
        items = [(*choice.span("first"), first), (*choice.span("second"), second)]
        if any(
            code in mods.AMBIGUOUS
            and (_after_place(text, start) or _among_capitals(text, start, end))
            for start, end, code in items
        ):
            continue
        found += items
    return found


def _modifier_runs(text: str, lower: str) -> list[tuple[int, int, str]]:
    """Return each modifier of a run: "P1-P6" in anesthesia mail, "E1-E4" in mail on eyelids."""
    found = []
    for run in mods.MODIFIER_RUN.finditer(text):
        letter, first, last = run["letter"], int(run["first"]), int(run["last"])
        if first >= last or (letter == "E" and last > 4):
            continue
        if letter == "E" and not mods.ANATOMY_WORDS["E"].search(lower):
            continue
        if letter == "P" and not mods.ANESTHESIA_WORDS.search(lower):
            continue
        found += [(*run.span(), f"{letter}{number}") for number in range(first, last + 1)]
    return found


def _physical_status(
    text: str, lower: str, mentions: list[Mention]
) -> list[tuple[int, int, str]]:
    """Return P1 to P6 written alone in mail about anesthesia.

    The mail is about anesthesia when it names it, a CRNA or the ASA, or has an
    anesthesia code (00100-01999).
    """
    found = [(*match.span(), match.group()) for match in mods.PHYSICAL_STATUS_ALONE.finditer(text)]
    if not found:
        return []
    anesthesia = mods.ANESTHESIA_WORDS.search(lower) is not None or any(
        mention.shape.systems[0] == "cpt" and "00100" <= mention.shape.options[0][1] <= "01999"
        for mention in mentions
    )
    return found if anesthesia else []


def _therapy_modifiers(
    text: str, lower: str, mentions: list[Mention]
) -> list[tuple[int, int, str]]:
    """Return GP, GO and GN written alone in mail about therapy.

    The mail is about therapy when it names a therapy or a therapist, or has a code of
    physical medicine (97010-97799) or of speech and swallowing (92507-92526).
    """
    found = [(*match.span(), match.group()) for match in mods.THERAPY_ALONE.finditer(text)]
    if not found:
        return []
    therapy = mods.THERAPY_WORDS.search(lower) is not None or any(
        mention.shape.systems[0] == "cpt"
        and ("97010" <= mention.shape.options[0][1] <= "97799"
             or "92507" <= mention.shape.options[0][1] <= "92526")
        for mention in mentions
    )
    return found if therapy else []


def _offered_choices(
    text: str, found: list[ModifierMention], codes: set[str], last_choices: list[re.Match[str]]
) -> list[tuple[int, int, str]]:
    """Return the modifiers offered beside a taken one ("91 or 59", "..., or LT only?").

    The choices are looked for around each taken modifier, and around each place where
    the code of one is written alone ("91 or 59" in a subject, when the 91 was taken
    from a table).
    """
    taken = {(modifier.start, modifier.end) for modifier in found}
    anchors = set(taken)
    for code in codes:
        anchors.update(_written_alone(text, code))
    added: list[tuple[int, int, str]] = []
    for start, end in sorted(anchors):
        after = mods.CHOICE_AFTER.match(text, end)
        before = _choice_before(text, start)
        for choice in (after, before):
            if choice is None:
                continue
            items = mods.list_items(text, *choice.span("list"))
            anchor = (text[start:end].upper(), start, end)
            if _offered_as_modifiers([*items, anchor], text):
                added += [(item_start, item_end, code) for code, item_start, item_end in items]
    for choice in last_choices:
        start, end = choice.span("list")
        code = choice["list"]
        if code not in mods.KNOWN or code in mods.AMBIGUOUS:
            continue
        if code.isdigit() and not mods.CLAUSE_END.match(text, end):
            continue
        sentence_start = _sentence_start(text, start)
        if not text[sentence_start : choice.start()].strip():
            # "Or 50?" as a sentence of its own continues the question before it.
            sentence_start = _sentence_start(text, max(0, sentence_start - 2))
        if any(sentence_start <= other[0] < start for other in taken):
            added.append((start, end, code))
    return added


def _letter_pairs(
    text: str, ambulance: bool, last_choices: list[re.Match[str]]
) -> list[tuple[int, int, str]]:
    """Return both modifiers of a choice between two letter modifiers: "QM or QN?".

    Neither may read as a word or a state. Ambulance origin and destination modifiers
    ("RJ or RG") count when the text has an ambulance code.
    """
    def letter_modifier(code: str) -> bool:
        if code.isdigit() or code in mods.AMBIGUOUS or not code.isupper():
            return False
        return code in mods.KNOWN or (ambulance and code in mods.ORIGIN_DESTINATION)

    pairs = []
    for choice in last_choices:
        second = choice["list"]
        first = mods.FIRST_CHOICE.search(text, max(0, choice.start() - 8), choice.start())
        if first is None or not (letter_modifier(first["list"]) and letter_modifier(second)):
            continue
        pairs += [(*first.span("list"), first["list"]), (*choice.span("list"), second)]
    return pairs


def _choice_before(text: str, position: int) -> re.Match[str] | None:
    """Return the choice offered right before *position* ("GA or " before "KX")."""
    window = max(0, position - 40)
    if _CONNECTOR_HINT.search(text, window, position) is None:
        return None
    choice = mods.CHOICE_BEFORE.search(text, window, position)
    while choice is not None and choice.start() and _WORD_OR_DOT.match(text, choice.start() - 1):
        choice = mods.CHOICE_BEFORE.search(text, choice.start() + 1, position)
    return choice


def _written_alone(text: str, code: str) -> list[Span]:
    """Return the spans where *code* is written as a word of its own."""
    spans = []
    position = text.find(code)
    while position >= 0:
        end = position + len(code)
        before = text[position - 1] if position else " "
        if not (before.isalnum() or before in "./") and not _JOINED_AFTER.match(text, end):
            spans.append((position, end))
        position = text.find(code, end)
    return spans


def _offered_as_modifiers(items: list[tuple[str, int, int]], text: str) -> bool:
    """Return whether every item of a choice reads as a modifier, not a number or word."""
    # "between 22 and 25 years": numbers, not modifiers.
    return all(
        code in mods.KNOWN and not (code.isdigit() and mods.QUANTITY_WORD.match(text, end))
        for code, _, end in items
    )


def _sentence_start(text: str, position: int) -> int:
    """Return where the sentence around *position* starts, across wrapped lines."""
    # Mail clients wrap lines inside a sentence, so only a stop or a blank line ends it.
    begin = max(0, position - _SENTENCE_REACH)
    for stop in _SENTENCE_STOP.finditer(text, begin, position):
        begin = stop.end()
    return begin


def _family_members(text: str, codes: set[str]) -> list[tuple[int, int, str]]:
    """Return letter modifiers written alone whose family has a modifier in *codes*."""
    wanted = {
        member
        for family in mods.FAMILIES
        if family & codes
        for member in family
        if member not in codes and not member.isdigit()
    }
    return [found for code in wanted for found in _modifier_alone(text, code)]


def _cued_modifiers(text: str, lower: str) -> list[tuple[int, int, str]]:
    """Return the modifiers written alone in a text that names what they mean."""
    return [
        found
        for code, cue in mods.CONTEXT_CUES.items()
        if code in text and cue.search(lower) is not None
        for found in _modifier_alone(text, code)
    ]


def _modifier_alone(text: str, code: str) -> list[tuple[int, int, str]]:
    """Return where letter modifier *code* is written alone, not glued on and not a state.

    A pair of modifiers joined by a slash ("the PO/PN rule") counts as written alone.
    """
    found = []
    spans = [(span, False) for span in _written_alone(text, code)]
    spans += [(span, True) for span in _in_modifier_pair(text, code)]
    for (start, end), paired in spans:
        if text.startswith("-", start - 1):
            continue
        if not paired and mods.NOT_ALONE_AFTER.match(text, end):
            continue
        if code in mods.AMBIGUOUS and (
            _after_place(text, start) or _among_capitals(text, start, end)
        ):
            continue
        found.append((start, end, code))
    return found


def _in_modifier_pair(text: str, code: str) -> list[Span]:
    """Return the spans where *code* is one of two modifiers joined by a slash ("PO/PN")."""
    spans: list[Span] = []
    if "/" not in text:
        return spans
    position = text.find(code)
    while position >= 0:
        end = position + len(code)
        before = text[max(0, position - 3) : position]
        after = text[end : end + 3]
        if (len(before) == 3 and before[2] == "/" and before[:2] in mods.KNOWN
                and not _word_before(text, position - 3)
                and not _JOINED_AFTER.match(text, end)) or (
            after[:1] == "/" and after[1:] in mods.KNOWN
            and not _JOINED_AFTER.match(text, end + 3)
            and not (position and (text[position - 1].isalnum() or text[position - 1] in "./"))
        ):
            spans.append((position, end))
        position = text.find(code, end)
    return spans


def _among_capitals(text: str, start: int, end: int) -> bool:
    """Return whether a word in capitals comes right before or after *start*..*end*."""
    return (_CAPITAL_WORD_AFTER.match(text, end) is not None
            or _CAPITAL_WORD_BEFORE.search(text, max(0, start - 30), start) is not None)


def _after_place(text: str, position: int) -> bool:
    """Return whether a capitalised word and a comma come right before *position*."""
    return _PLACE_BEFORE.search(text, max(0, position - 40), position) is not None


def _add_unattached(
    text: str, masks: Masks, found: list[ModifierMention], added: list[tuple[int, int, str]]
) -> None:
    """Add each modifier in *added* to *found*, attached to no code.

    These modifiers are offered as choices or named apart, so they are not put on the
    nearest code as if it carried them.
    """
    # Keyed by code as well, because every modifier of a run ("P1-P6") has its span.
    taken = {(modifier.start, modifier.end, modifier.code) for modifier in found}
    for start, end, code in sorted(set(added)):
        if (start, end, code) in taken or masks.covers(start, end):
            continue
        if code.isdigit() and mods.QUANTITY_WORD.match(text, end):
            continue
        found.append(ModifierMention(code, start, end))
        taken.add((start, end, code))


def _offered_apart(text: str, target: Mention, start: int, end: int) -> bool:
    """Return whether a modifier near *target* is offered as another way, not put on it.

    In "67028-50, or two lines with RT and LT" an "or" comes between the code and the
    modifier, and in "45385-PT; for the commercial plan we'd use 33 instead" the
    modifier is followed by "instead". In "should it be 59 or XU?" both are choices, and
    "the KX threshold" speaks of a modifier's rule.
    """
    between = text[target.end : start] if target.start < start else text[end : target.start]
    if _CHOICE_WORD.search(between) is not None or _INSTEAD.match(text, end) is not None:
        return True
    if target.start > end and (
        _INSTEAD.match(text, target.end) is not None
        or _CHOICE_BEFORE_WORD.search(text, max(0, start - 12), start) is not None
    ):
        # "OR XS ON THE 45380 INSTEAD OF 59?": offered for the code, not put on it.
        return True
    if _ON_ANOTHER.match(text, end) is not None:
        return True
    if _SEPARATE_LINES_BEFORE.search(text, max(0, start - 20), start) is not None:
        return True
    if _WITHOUT_BEFORE.search(text, max(0, start - 16), start) is not None:
        # "98940-GA without the AT", "20610-LT not -RT": the modifier is left off the code.
        return True
    if _OR_CHOICE_AFTER.match(text, end) is not None:
        # "should it be 59 or XU?": the first of two choices is not put on the code either.
        return True
    # "over the KX threshold" names the rule the modifier belongs to.
    return _RULE_AFTER.match(text, end) is not None


def _codes_in_paragraph(
    text: str, mentions: list[Mention], starts: list[int], position: int
) -> list[Mention]:
    """Return the CPT and HCPCS mentions between the last blank line and *position*."""
    blank = text.rfind("\n\n", 0, position)
    low, high = bisect_left(starts, blank + 1), bisect_left(starts, position)
    return [mention for mention in mentions[low:high] if mention.takes_modifiers]


def _codes_in_sentence(
    sentences: Sentences, mentions: list[Mention], starts: list[int], position: int
) -> list[Mention]:
    """Return the CPT and HCPCS mentions in the sentence around *position*."""
    sentence_start, sentence_end = sentences.around(position)
    low, high = bisect_left(starts, sentence_start), bisect_right(starts, sentence_end)
    return [mention for mention in mentions[low:high] if mention.takes_modifiers]


def _labelled_units(text: str, lower: str, sentences: Sentences, mentions: list[Mention]) -> None:
    """Give "units: 2" written apart from a code to the nearest code in its sentence."""
    if "unit" not in lower and "24g" not in lower:
        return
    starts = [mention.start for mention in mentions]
    for label in _UNITS_LABEL.finditer(lower):
        target = _nearest_code(sentences, mentions, starts, label.start())
        if target is not None and target.units is None:
            target.units = int(label["count"])


def _line_counts(text: str, mentions: list[Mention]) -> None:
    """Give the count at the end of a line to the code that starts it ("Q4101-JC    14")."""
    starts = [mention.start for mention in mentions]
    for line in _LINE_COUNT.finditer(text):
        index = bisect_left(starts, line.start())
        if index < len(mentions) and mentions[index].start < line.start("count"):
            mention = mentions[index]
            if mention.takes_modifiers and mention.units is None:
                mention.units = int(line["count"])


def _read_json_fields(
    text: str, mentions: list[Mention], found: list[ModifierMention]
) -> None:
    """Give each code in a JSON export the modifiers and units written beside it.

    In ``{"cpt": "99203", "modifiers": ["95"], "units": 1}`` the fields follow the code
    in its object, so each field goes to the last code before it in the same braces.
    """
    starts = [mention.start for mention in mentions]
    for written_field in _JSON_FIELD.finditer(text):
        index = bisect_left(starts, written_field.start()) - 1
        if index < 0:
            continue
        mention = mentions[index]
        between = text[mention.end : written_field.start()]
        if not mention.takes_modifiers or "{" in between or "}" in between:
            continue
        value_start, value_end = written_field.span("value")
        if written_field["key"].lower().startswith(("unit", "qty", "quantity")):
            count = text[value_start:value_end].strip('"')
            if count.isdigit() and mention.units is None:
                mention.units = int(count)
            continue
        written = {code for code, _, _ in mention.modifiers}
        for item in _JSON_STRING.finditer(text, value_start, value_end):
            code = item["value"].upper()
            if code in mods.KNOWN and code not in written:
                written.add(code)
                mention.modifiers.append((code, *item.span("value")))
                found.append(ModifierMention(code, *item.span("value"), mention))


def _line_end_modifiers(
    text: str, mentions: list[Mention], found: list[ModifierMention]
) -> None:
    """Give a code that starts a space-aligned line the count and modifiers ending the line.

    In "96413          1st hr chemo (paclitaxel)     Q1" a description comes between the
    code and its modifier column, and "96365   IV infusion, first hr   1" ends in its
    count. Pairs of digits are not taken as modifiers, because counts and charges end such
    lines too, and neither are pairs that also read as words. A count alone that is also
    a modifier ("25") is not taken either.
    """
    starts = [mention.start for mention in mentions]
    for line in _LINE_END_MODIFIERS.finditer(text):
        index = bisect_left(starts, line.start("code"))
        if index == len(mentions) or starts[index] != line.start("code"):
            continue
        mention = mentions[index]
        if not mention.takes_modifiers:
            continue
        count = line["count"]
        if count is not None and mention.units is None and (
            line["list"] is not None or count not in mods.KNOWN
        ):
            mention.units = int(count)
        if line["list"] is None:
            continue
        items = mods.list_items(text, *line.span("list"))
        if not all(
            code in mods.KNOWN and code not in mods.AMBIGUOUS and not code.isdigit()
            for code, _, _ in items
        ):
            continue
        written = {code for code, _, _ in mention.modifiers}
        for code, start, end in items:
            if code not in written:
                mention.modifiers.append((code, start, end))
                found.append(ModifierMention(code, start, end, mention))
        if mention.modifiers:
            mention.written = list(dict.fromkeys(code for code, _, _ in mention.modifiers))


def _mileage_units(text: str, mentions: list[Mention]) -> None:
    """Give an ambulance mileage code the whole miles written after it ("A0425, 7 mi")."""
    for mention in mentions:
        code = mention.shape.options[0][1]
        if code in _MILEAGE_CODES and mention.units is None:
            miles = _MILES_AFTER.match(text, mention.end)
            if miles is not None:
                mention.units = int(miles["count"])


def _aligned_units(text: str, mentions: list[Mention]) -> None:
    """Give each code on a space-aligned claim line the count in its units column."""
    starts = [mention.start for mention in mentions]
    for line_start, line_end, count in aligned_units(text):
        low, high = bisect_left(starts, line_start), bisect_left(starts, line_end)
        for mention in mentions[low:high]:
            if mention.takes_modifiers:
                if mention.units is None:
                    mention.units = count
                break


def _units_after_words(text: str, mentions: list[Mention], pattern: re.Pattern[str]) -> None:
    """Give a count written after a few words to the code before them.

    *pattern* finds the count: "A7031 cushions x 3" (``_TIMES_APART``), or the units
    column of a claim line, "99213  25  AB  $140.00  1 unit" (``_COUNT_APART``). The
    code must be the last one before the count, on the same line and at most
    ``_UNITS_REACH`` characters back, and must have no units yet.
    """
    starts = [mention.start for mention in mentions]
    for count in pattern.finditer(text):
        if pattern is _TIMES_APART and _SIZE_BEFORE.search(
            text, max(0, count.start() - 8), count.start()
        ):
            # "2 x 2 cm" is a size.
            continue
        index = bisect_left(starts, count.start()) - 1
        if index < 0:
            continue
        mention = mentions[index]
        between = text[mention.end : count.start()]
        if (mention.units is None and mention.takes_modifiers and "\n" not in between
                and len(between) <= _UNITS_REACH):
            mention.units = _count(count["count"])


def _nearest_evaluation(
    mentions: list[Mention], starts: list[int], position: int
) -> Mention | None:
    """Return the E/M code (99202-99499) nearest to *position*, for "25 on the E/M"."""
    low = bisect_left(starts, position - _SENTENCE_REACH)
    high = bisect_right(starts, position + _SENTENCE_REACH)
    visits = [
        mention
        for mention in mentions[low:high]
        if mention.shape.systems[0] == "cpt" and "99202" <= mention.shape.options[0][1] <= "99499"
    ]
    return min(visits, key=lambda mention: abs(mention.start - position), default=None)


def _named_candidates(
    text: str, lower: str, lower_only: bool = False
) -> list[tuple[int, int, str, bool]]:
    """Return (start, end, modifier, applies to every code of the sentence) candidates."""
    candidates = [
        (start, end, code, False)
        for start, end, code in _named_by_word_or_verb(text, lower, lower_only)
    ]
    for phrase in mods.ON_ALL.finditer(lower) if _has_on_all(lower) else ():
        before = mods.NAMED_BEFORE.search(text, max(0, phrase.start() - 40), phrase.start())
        if before is None:
            continue
        items = mods.list_items(text, *before.span("list"))
        if _known_list(items, lines_after=mods.LINES_AFTER.match(lower, phrase.end()) is not None):
            candidates.extend((start, end, code, True) for code, start, end in items)
    for phrase in mods.BOTH_THEN.finditer(text) if "both" in lower else ():
        items = mods.list_items(text, *phrase.span("list"))
        # "A4253 x3, A4259 x2, both with KS": after a verb, a pair that is also a state
        # is a modifier.
        if _known_list(items, lines_after=phrase["verb"] is not None):
            candidates.extend((start, end, code, True) for code, start, end in items)
    for phrase in mods.ALL_LINES.finditer(lower):
        listed = mods.LIST_AT.match(text, phrase.end())
        if _word_before(lower, phrase.start()) or listed is None:
            continue
        if text.startswith(":", listed.end()):
            # "VFC vaccines, all with SL:" introduces the lines below, which carry it.
            continue
        items = mods.list_items(text, *listed.span("list"))
        if all(code in mods.KNOWN for code, _, _ in items):
            candidates.extend((start, end, code, True) for code, start, end in items)
    # A modifier found both ways applies to every code.
    for_all = {(start, end) for start, end, _, every in candidates if every}
    return sorted({
        (start, end, code, every or (start, end) in for_all)
        for start, end, code, every in candidates
    })


def _quiz_items(text: str, lower: str) -> list[tuple[int, int, str]]:
    """Return the modifiers of a quiz: its answer key and its lettered choices.

    "KEY: 1) AS  2) 82  3) 62" answers numbered questions, and "A. 24    B. 25    C. 57"
    offers choices, in mail that names modifiers. Every item must be a known modifier.
    """
    found = []
    lines = list(_ANSWER_KEY.finditer(lower)) if "key" in lower or "answer" in lower else []
    if "modifier" in lower:
        lines += _LETTERED_CHOICES.finditer(text)
    for line in lines:
        start, end = line.span("items")
        # Upper-cased, because mail in capitals is read with "1) as" in lower case.
        items = [(*item.span("code"), item["code"].upper())
                 for item in _QUIZ_ITEM.finditer(text, start, end)]
        if len(items) >= 2 and all(code in mods.KNOWN for _, _, code in items):
            found += items
    return found


def _known_list(items: list[tuple[str, int, int]], lines_after: bool = False) -> bool:
    """Return whether a list of modifiers for every code reads as modifiers.

    Each item must be a known modifier, and one must be more than a word or a state,
    unless claim lines follow ("GA on both lines").
    """
    return all(code in mods.KNOWN for code, _, _ in items) and (
        lines_after or not all(code in mods.AMBIGUOUS for code, _, _ in items)
    )


def _has_on_all(lower: str) -> bool:
    """Return whether *lower* may contain ``mods.ON_ALL``, a cheaper test than searching."""
    return "on all" in lower or "on each" in lower or "on both" in lower or "on every" in lower


def _named_by_word_or_verb(
    text: str, lower: str, lower_only: bool = False
) -> list[tuple[int, int, str]]:
    # The substring tests skip searches that cannot match, which is most of them.
    candidates = _named_by_word(text, lower) if "mod" in lower else []
    for verb_start, verb_end in find_keywords(mods.VERB, lower):
        listed = mods.VERB_LIST.match(text, verb_end)
        if listed is not None and _COUNTED.match(text, listed.end()) and _COUNTED_BY.search(
            lower, max(0, verb_start - 4), verb_end
        ):
            # "minus 2 hours for recovery; I get 27.": a result counted, not a modifier.
            continue
        if listed is not None:
            after_code = _CODE_BEFORE.search(
                text, max(0, verb_start - 20), verb_start
            ) or _LINE_BEFORE.search(text, max(0, verb_start - 12), verb_start)
            # "do we drop KX and add GA?", "bill it with GA?": a pair asked about for a bill.
            billing_question = text.startswith("?", listed.end()) and _BILLING_VERB_BEFORE.search(
                lower, max(0, verb_start - 12), verb_end
            ) is not None
            listed_modifiers = _verb_list(
                text, listed, after_code is not None or billing_question
            )
            candidates.extend(listed_modifiers)
            parallel = mods.PARALLEL_AFTER.match(text, listed.end()) if listed_modifiers else None
            if parallel is not None:
                code, (start, end) = parallel["list"], parallel.span("list")
                if code not in mods.AMBIGUOUS and _offered_as_modifiers([(code, start, end)], text):
                    candidates.append((start, end, code))
        elif (lowered := mods.VERB_LOWER.match(lower, verb_end)) is not None:
            candidates.append((*lowered.span("list"), lowered["list"].upper()))
    for match in mods.DISTINCTIVE_ALONE.finditer(text):
        candidates.append((match.start(), match.end(), match.group()))
    if "? " in text:
        for match in mods.BARE_QUESTION.finditer(text):
            code = match["list"]
            before = mods.BARE_QUESTION_BEFORE.search(
                text, max(0, match.start() - 20), match.start()
            )
            if before is not None and code in mods.KNOWN and code not in mods.AMBIGUOUS:
                candidates.append((*match.span("list"), code))
    if " only" in lower:
        candidates += [(*match.span("list"), match["list"])
                       for match in mods.ONLY_QUESTION.finditer(text)
                       if match["list"] in mods.KNOWN and match["list"] not in mods.AMBIGUOUS]
    for match in mods.DASHED_CHAIN.finditer(text):
        items = mods.list_items(text, match.start() - 2, match.end())
        # One of them must be a modifier that means nothing else, so "T4-T5" stays a
        # spine level and "TX-CA" a pair of states.
        if all(code in mods.KNOWN for code, _, _ in items) and any(
            code in mods.DISTINCTIVE for code, _, _ in items
        ):
            candidates += [(start, end, code) for code, start, end in items]
    for match in mods.DASHED.finditer(text):
        code = match["list"]
        if code in mods.KNOWN and not (
            code.isdigit() and mods.QUANTITY_WORD.match(text, match.end())
        ):
            candidates.append((*match.span("list"), code))
    if _PREDICATE_HINT.search(lower) is not None:
        for match in mods.PREDICATE.finditer(text):
            if match["list"] in mods.KNOWN:
                candidates.append((*match.span("list"), match["list"]))
        if lower_only:
            candidates += _lower_case_found(_PREDICATE_LOWER, text, lower, lower_only)
        candidates += _lower_case_found(mods.QUESTION_PREDICATE, text, lower, lower_only)
    candidates += _anatomy_modifiers(text, lower)
    candidates += _lower_case_found(mods.BE_MODIFIER, text, lower, lower_only)
    if " as " in lower:
        candidates += _lower_case_found(mods.AS_MODIFIER, text, lower, lower_only)
    if any(pair in lower for pair in _IS_IT_PAIRS):
        candidates += _lower_case_found(mods.IS_IT_MODIFIER, text, lower, lower_only)
    if "is " in lower and " the " in lower:
        candidates += _lower_case_found(mods.IS_THE_ANSWER, text, lower, lower_only)
    if "modifier" in lower or any(f"{verb} for" in lower for verb in _EXPLAINED_VERBS):
        explained = _before_each(mods.EXPLAINED, mods.EXPLAINED_BEFORE, lower, lower, 8)
        candidates += _accepted_in_lower_case(explained, text, lower, lower_only)
    if "no " in lower or "not " in lower:
        candidates += [
            (start, end, code)
            for start, end, code in _lower_case_found(mods.NO_MODIFIER, text, lower, lower_only)
            # "approximately 40 hours, not 24": a quantity corrected, not a modifier.
            if not _QUANTITY_BEFORE.search(lower, max(0, start - 30), start)
        ]
        for pair in mods.NO_MODIFIER_PAIR.finditer(lower):
            if _word_before(lower, pair.start()) or _QUANTITY_BEFORE.search(
                lower, max(0, pair.start() - 30), pair.start()
            ):
                continue
            if pair["first"] in mods.KNOWN and pair["second"] in mods.KNOWN:
                candidates += [(*pair.span(name), pair[name]) for name in ("first", "second")]
    if "situation" in lower or "scenario" in lower or "issue" in lower or "problem" in lower:
        candidates += _lower_case_found(mods.SITUATION, text, lower, lower_only)
    if "seen " in lower or "saw " in lower or "see " in lower:
        candidates += _lower_case_found(mods.SEEN_IN_USE, text, lower, lower_only)
    if "?" in text:
        candidates += _lower_case_found(mods.HAVE_MODIFIER, text, lower, lower_only)
    candidates += [
        (start, end, code)
        for start, end, code in _lower_case_found(_DISTINCTIVE_LOWER, text, lower, True)
        if lower_only or code not in _DISTINCTIVE_NAMES
    ]
    if "'d" in text:
        candidates += [(*match.span("list"), match["list"])
                       for match in _before_each(_AS_VERB_END, mods.AS_VERB, text, text, 3)
                       if match["list"] in mods.KNOWN]
    if any(word in lower for word in _IT_IS_WORDS):
        candidates += _lower_case_found(mods.IT_IS_MODIFIER, text, lower, lower_only)
    candidates += _defined_modifiers(text, lower_only)
    if "ASA" in text:
        candidates += [
            (*match.span("list"), match["list"]) for match in mods.ASA_STATUS.finditer(text)
        ]
    for match in mods.STATUS_PAIR.finditer(text):
        items = mods.list_items(text, *match.span())
        candidates += [(start, end, code) for code, start, end in items]
    for match in mods.ON_TARGET.finditer(text) if " on " in lower else ():
        code = match["list"]
        if match["pronoun"] is not None:
            # "had KS on them": only a modifier is put on lines, even one that is a state.
            if code in mods.KNOWN and not code.isdigit():
                candidates.append((*match.span("list"), code))
            continue
        if code not in mods.KNOWN:
            continue
        if code in mods.AMBIGUOUS and (
            match["code"] is None
            or _WORD_BEFORE_PAIR.search(text, max(0, match.start() - 8), match.start())
        ):
            # "GA on 82607" puts a modifier on a code, but in "the NP or PA on 99213" the
            # pair is a person.
            continue
        if match["code"] is None and not mods.ON_TARGET_WORD.match(match["target"]):
            continue
        candidates.append((*match.span("list"), code))
        listed = mods.LIST_BEFORE.search(text, max(0, match.start() - 8), match.start())
        if listed is not None and listed["list"] in mods.KNOWN:
            candidates.append((*listed.span("list"), listed["list"]))
    if "(" in text and any(word in lower for word in mods.MEANINGS):
        candidates += _meaning_bracketed(lower)
    if "key" in lower or "answer" in lower or "modifier" in lower:
        candidates += _quiz_items(text, lower)
    if "origin" in lower or "o/d" in lower:
        candidates += [(*match.span("list"), match["list"])
                       for match in mods.ORIGIN_LABEL.finditer(text)]
    if "right" in lower or "left" in lower:
        for word in mods.SIDE_WORD.finditer(lower):
            side = mods.SIDE_MODIFIER.match(text, word.end())
            if side is not None:
                candidates.append((*side.span("list"), side["list"]))
    return candidates


def _meaning_bracketed(lower: str) -> list[tuple[int, int, str]]:
    """Return the modifiers next to the words for what they mean, one of them in brackets.

    The words come first in "bilateral (50)", and the modifier in "58 (staged)".
    """
    found = []
    for match in mods.BRACKETED_PAIR.finditer(lower):
        before = mods.MEANING_BEFORE.search(lower, max(0, match.start() - 40), match.start())
        code = match["list"].upper()
        if before is not None and code in mods.MEANINGS[before["word"]]:
            found.append((*match.span("list"), code))
    for match in mods.MEANING_AFTER.finditer(lower):
        code = match["list"].upper()
        if code in mods.MEANINGS[match["word"]]:
            found.append((*match.span("list"), code))
    return found


def _named_by_word(text: str, lower: str) -> list[tuple[int, int, str]]:
    """Return the modifiers listed after or before "modifier", "mod" or "mods"."""
    candidates = []
    for word in mods.MODIFIER_WORD.finditer(lower):
        start = word.start()
        if start and (lower[start - 1].isalnum() or lower[start - 1] == "_"):
            continue
        if text.startswith("\t", word.end()) and _is_heading_row(text, start):
            # "CPT<tab>Mod<tab>PS<tab>Start": the next cell heads another column.
            after = None
        else:
            after = mods.NAMED_AFTER.match(text, word.end())
            if after is None:
                after = mods.NAMED_LABEL.match(text, word.end())
            if after is None:
                after = mods.NAMED_CHOICE.match(text, word.end())
        before = mods.NAMED_BEFORE.search(text, max(0, start - 40), start)
        for match in (after, before):
            if match is None:
                continue
            for code, item_start, item_end in mods.list_items(text, *match.span("list")):
                if code.isdigit() and mods.QUANTITY_WORD.match(text, item_end):
                    continue
                if code in mods.KNOWN or code.isdigit() or code in mods.ORIGIN_DESTINATION:
                    candidates.append((item_start, item_end, code))
    return candidates


def _is_heading_row(text: str, position: int) -> bool:
    """Return whether the line at *position* is a row of tab-separated headings: at least
    three cells and no digit."""
    line_start = text.rfind("\n", 0, position) + 1
    line_end = text.find("\n", position)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    return line.count("\t") >= 2 and not any(character.isdigit() for character in line)


def _before_each(
    anchor: re.Pattern[str], before: re.Pattern[str], anchor_text: str, text: str, reach: int
) -> list[re.Match[str]]:
    """Return the matches of *before* that end where a match of *anchor* starts.

    *anchor* is searched in *anchor_text*, and *before*, which ends with an end-of-text
    anchor, in the *reach* characters of *text* before each match. The anchor starts with
    a literal, so the engine skips quickly to where it can match, which a pattern that
    starts with the modifier cannot do.
    """
    found = []
    for match in anchor.finditer(anchor_text):
        start = match.start()
        if (preceding := before.search(text, max(0, start - reach), start)) is not None:
            found.append(preceding)
    return found


def _lower_case_found(
    pattern: re.Pattern[str], text: str, lower: str, lower_only: bool = False
) -> list[tuple[int, int, str]]:
    """Return the modifiers *pattern* finds in *lower*, as written in *text*."""
    return _accepted_in_lower_case(pattern.finditer(lower), text, lower, lower_only)


def _accepted_in_lower_case(
    matches: Iterable[re.Match[str]], text: str, lower: str, lower_only: bool = False
) -> list[tuple[int, int, str]]:
    """Return the modifiers of *matches*, found in *lower*, as written in *text*.

    A modifier must have the shape of one as written and must not read as a word or a
    state. No word character may come right before the match. In mail written in lower
    case (*lower_only*), a modifier may be written in lower case too.
    """
    found = []
    for match in matches:
        start, end = match.span("list")
        code = text[start:end]
        if _word_before(lower, match.start()):
            continue
        if lower_only and code.islower() and code not in _LOWER_CASE_WORDS:
            code = code.upper()
        if not mods.MODIFIER_SHAPE.fullmatch(code):
            continue
        if code in mods.KNOWN and code not in mods.AMBIGUOUS:
            found.append((start, end, code))
    return found


def _defined_modifiers(text: str, lower_only: bool) -> list[tuple[int, int, str]]:
    """Return modifiers defined in a list ("25 - separate e/m") or a note ("24 = ...")."""
    found: list[tuple[int, int, str]] = []
    # The substring tests skip searches that cannot match, which is most of them.
    lines = list(mods.DEFINED_LINE.finditer(text)) if "- " in text or "– " in text else []
    if ": " in text and ("- " in text or "* " in text or "• " in text):
        lines += mods.DEFINED_BULLET.finditer(text)
    matches = lines if len(lines) >= 2 else []
    if "=" in text:
        matches += _before_each(_DEFINITION_EQUALS, mods.DEFINED_EQUALS, text, text, 8)
    for match in matches:
        items = mods.list_items_any_case(text, *match.span("list"))
        codes = [code if code.isupper() or code.isdigit() or not lower_only else code.upper()
                 for code, _, _ in items]
        if not all(code in mods.KNOWN and code not in mods.AMBIGUOUS for code in codes):
            continue
        # In a slash list, a pair that reads as a word ("gp/go/gn") counts beside the others.
        if all(written in _LOWER_CASE_WORDS for written, _, _ in items):
            continue
        found += [(start, end, code) for code, (_, start, end) in zip(codes, items, strict=True)]
    return found


def _word_before(lower: str, position: int) -> bool:
    """Return whether a letter, digit or underscore comes right before *position*."""
    return position > 0 and (lower[position - 1].isalnum() or lower[position - 1] == "_")


def _anatomy_modifiers(text: str, lower: str) -> list[tuple[int, int, str]]:
    """Return finger, toe, eyelid and foot care class modifiers written near their words."""
    found = []
    for match in mods.ANATOMY_MODIFIER.finditer(text):
        start, end = match.span()
        letter = match["list"][0]
        reach = mods.ANATOMY_REACH[letter]
        if mods.ANATOMY_WORDS[letter].search(lower, max(0, start - reach), end + reach):
            found.append((start, end, match["list"]))
    return found


def _verb_list(
    text: str, match: re.Match[str], after_code: bool = False
) -> list[tuple[int, int, str]]:
    """Modifiers listed after a verb such as "with" or "append", when they read as such.

    A modifier that also reads as a word or a state ("GA", "PA") counts after a verb
    only when a code or a claim line is the verb's subject ("G0103 gets GA", "the claim
    with CA") and no lower-case word other than a preposition follows it.
    """
    listed = mods.list_items(text, *match.span("list"))
    # "bill Part B directly with NJ / JN?": origin and destination pairs in ambulance mail.
    places = all(code in mods.ORIGIN_DESTINATION for code, _, _ in listed) and (
        _AMBULANCE_CODE.search(text) is not None
    )
    items = [
        (start, end, code)
        for code, start, end in listed
        if (code in mods.KNOWN or places)
        and not (code.isdigit() and mods.QUANTITY_WORD.match(text, end))
    ]
    letters = [code for _, _, code in items if not code.isdigit()]
    only_ambiguous = bool(letters) and all(code in mods.AMBIGUOUS for code in letters)
    # "with CT contrast", "use PA Smith": a word or a name, not a modifier.
    # "with CO-B15" after a code is a remittance code, not a modifier.
    after_code = after_code and not text.startswith("-", match.end())
    put_on = mods.ON_SOMETHING.match(text, match.end())
    lower_word_next = None if put_on else mods.LOWER_WORD_NEXT.match(text, match.end())
    if lower_word_next and after_code and _PREPOSITION_AFTER.match(text, match.end()):
        # "H0005 with HF for group counseling": the pair ends the phrase about the code.
        lower_word_next = None
    if lower_word_next and _ARTICLE.match(text, match.start()) and not (
        _PREPOSITION_AFTER.match(text, match.end()) or _MODIFIER_NOUN.match(text, match.end())
    ):
        # "added a CS lead": a pair between an article and a noun is part of a name.
        return [item for item in items if item[2].isdigit()]
    if only_ambiguous and (
        lower_word_next
        or (len(items) == len(letters) and not after_code and not put_on)
        # "36556 with US 76937": a pair written before a code names what the code is for.
        or _CODE_NEXT.match(text, match.end())
    ):
        items = [item for item in items if item[2].isdigit()]
    return items


def _code_with(
    text: str, mentions: list[Mention], starts: list[int], start: int
) -> Mention | None:
    """Return the code written right before " with modifier " and the modifier at *start*.

    In "00811 with modifier PT instead of 00812" the modifier goes on 00811 although
    00812 is nearer.
    """
    with_before = _WITH_BEFORE.search(text, max(0, start - 24), start)
    if with_before is None:
        return None
    index = bisect_left(starts, with_before.start()) - 1
    if index < 0 or mentions[index].end != with_before.start():
        return None
    mention = mentions[index]
    return mention if mention.takes_modifiers else None


def _nearest_code(
    sentences: Sentences, mentions: list[Mention], starts: list[int], position: int,
    end: int | None = None,
) -> Mention | None:
    """Return the CPT or HCPCS mention nearest to the span *position* to *end*, in its sentence.

    The gap between the span and each code is measured, so in "H0031 with HO, not 90791"
    the codes are as near, and the first one is taken.
    """
    end = position if end is None else end
    line_start, line_end = sentences.around(position)
    best: Mention | None = None
    best_distance = 0
    for index in range(bisect_left(starts, line_start), bisect_right(starts, line_end)):
        mention = mentions[index]
        if not mention.takes_modifiers:
            continue
        distance = position - mention.end if mention.end <= position else mention.start - end
        if best is None or distance < best_distance:
            best, best_distance = mention, distance
    return best
