"""Give lines written all in capital letters the case of ordinary prose, keeping offsets.

Some coders write every word in capitals, and notes pasted from practice-management
systems often are. In mixed-case mail a pair of capitals after a code is read as a
modifier ("81001 with GA or GZ"). In "SHOULD 81001 GO OUT WITH GA OR GZ?" the same pair
looks like every word around it. Before scanning, each line with no small
letter and enough words to be prose is rewritten as its writer would have typed it in
mixed case. Words go to small letters, and a sentence's first word and the words of a
place name are capitalised. Tokens that may be codes, modifiers, states or abbreviations
are kept as they are. Only ASCII letters change case, so the text keeps its length and
every position found in it is a position in the message as written.
"""

from __future__ import annotations

import re
import string

from consultant.extraction.modifiers import KNOWN
from consultant.extraction.shapes import LETTERED_PROCEDURE_CODES
from consultant.extraction.traps import _STATE_NAME_SET, _STATE_SET, zip_in_state

# A line with no small letter, and the tokens of a line.
_CAPITAL_LINE = re.compile(r"^[^a-z\n]*[A-Z][^a-z\n]*$", re.MULTILINE)
_TOKEN = re.compile(r"[A-Za-z0-9]+")
# A line in capitals is prose when it has this many words of three or more letters, so a
# table header ("CPT   MOD   UNITS") or a label ("URGENT:") keeps its capitals. A message
# written in capitals throughout is rewritten line by line, signature included.
MIN_PROSE_WORDS = 4
# The share of small letters at or under which a message is written in capitals.
MAX_SMALL_SHARE = 0.1
_WITHOUT_SMALL = str.maketrans("", "", string.ascii_lowercase)
_WITHOUT_CAPITALS = str.maketrans("", "", string.ascii_uppercase)

# Two-letter words that are also modifiers or states, or that the scanner reads next to
# a code ("AT THE", "DX M54.50"). Written in small letters, they read as words.
_SMALL_WORDS = frozenset({
    "AM", "AN", "AS", "AT", "BE", "BY", "DO", "DX", "FX", "GO", "HE", "HI", "IF", "IN", "IS",
    "IT", "ME", "MY", "NO", "OF", "OH", "ON", "OR", "PT", "SO", "TO", "UP", "US", "WE",
})
# Of those, the modifiers that coders also name alone: "USE AS OR 80?", "OT USES GO.",
# "97530 GO CO X3". They stay modifiers before an end mark, before another modifier, or
# before a word that names or weighs modifiers. "PT" is a patient unless a question or
# such a word follows it.
_ALSO_MODIFIERS = frozenset({"AS", "AT", "GO", "PT"})
_MODIFIER_WORDS = r"[ \t]+(?:OR|AND|VS|MODS?|MODIFIERS?|INSTEAD|ONLY|TOO)\b"
_MODIFIER_FOLLOWS = re.compile(rf"[ \t]*(?:[.,;:?!)/]|$)|{_MODIFIER_WORDS}", re.MULTILINE)
_PATIENT_MODIFIER_FOLLOWS = re.compile(rf"[ \t]*\?|{_MODIFIER_WORDS}")
_NEXT_PAIR = re.compile(r"[ \t]+([A-Z][A-Z0-9]|[0-9][A-Z])\b")
# A small word that is a modifier stays one before "MODIFIER" ("THE HI MODIFIER", but "NO
# MODIFIER"), and after "MODIFIERS:", "MODIFIER IS" or "MODIFIERS WOULD BE".
_MODIFIER_WORD_AFTER = re.compile(r"[ \t]+MOD(?:IFIER)?\b")
_MODIFIER_WORD_BEFORE = re.compile(
    r"\bMOD(?:IFIER)?S?(?:[ \t]+(?:IS|ARE|WAS|WERE|(?:WOULD|SHOULD|WILL|COULD|MUST)[ \t]+BE)"
    r"|[ \t]*[:=])[ \t]*(?:[A-Z0-9]{2}[ \t]*(?:,|AND|OR|/)[ \t]*)*\Z"
)
# "HE" and "HI", modifiers of mental health programs, stay modifiers after a code.
_AFTER_CODE_MODIFIERS = frozenset({"HE", "HI"})
_CODE_BEFORE = re.compile(r"(?<![\w-])(?:\d{4}[0-9FTU]|[A-Z]\d{4})[ \t]+\Z")
# Abbreviations that mixed-case mail writes in capitals too.
_ABBREVIATIONS = frozenset({
    "ABN", "ASC", "CARC", "CLIA", "CMS", "CPT", "DME", "DOB", "DOS", "DRG", "EIN", "EOB", "ERA",
    "FQHC", "HCPCS", "ICD", "LCD", "MAC", "MUE", "NCCI", "NCD", "NDC", "NPI", "PCS", "POS",
    "PTAN", "RARC", "RHC", "SNF", "TIN", "TOB", "UPIN",
})
# A sentence starts at a line start or after its end mark.
_SENTENCE_START = re.compile(r"(?:^|(?<=[.!?:] ))[ \t>]*([A-Z]{3,})", re.MULTILINE)
# A place before a ZIP code, after a state ("SPOKANE WA 99204") or named as one ("NEW YORK
# 14608"), and a street between a house number and its suffix ("14580 RIDGE RD"): each
# word is capitalised, as it is written in mixed case.
_PLACE = re.compile(
    r"\b(?:[A-Z]{3,} ){0,2}[A-Z]{3,}"
    r"(?=,? (?:(?P<state>[A-Z]{2}),? )?(?P<zip>\d{5})(?:-\d{4})?\b(?P<after>[ \t]*[A-Z]{3,})?)"
)
_STREET = re.compile(
    r"(?<=\d )(?:[NSEW] )?(?:[A-Z0-9]{2,} ){0,2}[A-Z0-9]*[A-Z]{2,} "
    r"(?:ST|STREET|RD|ROAD|AVE?|AVENUE|DR|DRIVE|LN|LANE|BLVD|BOULEVARD|CT|COURT|PL|PLACE|WAY"
    r"|PKWY|PARKWAY|HWY|HIGHWAY)\b"
)
_SHORT_WORD_END = re.compile(r" [A-Z]{1,2}\.?\Z")
_COUNT_AFTER = re.compile(r" ?\d")
# Ordinals, and "x" before a count or an extension: "119TH", "X2", "X310".
_SMALL_SUFFIX = re.compile(r"\d+(?:ST|ND|RD|TH)|X\d{1,4}")
# A segment of an X12 claim or remittance, always in capitals: "SVC*HC:20610:RT*125*0**1~".
_X12_SEGMENT = re.compile(r"[ \t>]*[A-Z][A-Z0-9]{1,2}\*")
# A code in the plural: "90834S", "J1100S".
_PLURAL_CODE = re.compile(r"(?:\d{5}|[A-Z]\d{4})S")
# Names written with a number that start with a modifier: the proliferation marker
# Ki-67 and the tracer technetium-99m, "KI-67 20%" and "TC-99M" in capitals.
_NAMES_BEFORE_NUMBER = {"KI": ("-67", "Ki"), "TC": ("-99M", "Tc")}
# A unit after a number that is also a modifier: "70 GY" and "1.8 GY" are radiation
# doses in grays, but "77014 GY" is a code and its modifier.
_UNITS = {"GY": "Gy"}
_NUMBER_BEFORE = re.compile(r"(?<![\w.])\d{1,4}(?:\.\d+)?[ \t]?\Z")


def restore_case(text: str) -> str:
    """Return *text* with each line in capitals rewritten in mixed case, offsets kept."""
    if _CAPITAL_LINE.search(text) is None:
        return text
    small = len(text) - len(text.translate(_WITHOUT_SMALL))
    capitals = len(text) - len(text.translate(_WITHOUT_CAPITALS))
    min_words = 0 if small <= MAX_SMALL_SHARE * (small + capitals) else MIN_PROSE_WORDS
    characters: list[str] | None = None
    for line in _CAPITAL_LINE.finditer(text):
        start, end = line.span()
        rewritten = _rewrite(text[start:end], min_words)
        if rewritten is None:
            continue
        if characters is None:
            characters = list(text)
        characters[start:end] = rewritten
    return text if characters is None else "".join(characters)


def _rewrite(line: str, min_words: int) -> str | None:
    """Return *line* in mixed case, or None when it has fewer than *min_words* words."""
    if _X12_SEGMENT.match(line):
        return None
    words = [token for token in _TOKEN.findall(line) if len(token) >= 3 and token.isalpha()]
    if len(words) < min_words:
        return None

    capitalised = {match.start(1) for match in _SENTENCE_START.finditer(line)}
    states = set()
    street_ends = {match.end() for match in _STREET.finditer(line)}
    for match in _PLACE.finditer(line):
        if match["state"] == "OR" and match["after"] and match["after"][:2].strip():
            # "LIKE THE FIRST TIME, OR 97110 SINCE": "OR" before five digits is Oregon only
            # where they end the address ("PORTLAND, OR 97201" at the end of a line or of
            # a column).
            continue
        if match["state"] is not None and not zip_in_state(match["state"], match["zip"]):
            # "THAT LANDS IN 11604" names no place in Indiana.
            continue
        if match["state"] in _STATE_SET:
            # "DAYTON OH 45402": the state stays in capitals.
            states.add(match.start("state"))
        elif match["state"] is not None or not (
            _names_state(match.group()) or _after_street(line, match.start(), street_ends)
        ):
            continue
        capitalised.update(match.start() + token.start() for token in _TOKEN.finditer(match[0]))
    for match in _STREET.finditer(line):
        capitalised.update(match.start() + token.start() for token in _TOKEN.finditer(match[0]))

    parts = []
    position = 0
    for token in _TOKEN.finditer(line):
        parts.append(line[position : token.start()])
        if token.start() in states:
            parts.append(token.group())
        else:
            parts.append(_token_case(line, token, token.start() in capitalised))
        position = token.end()
    parts.append(line[position:])
    return "".join(parts)


def _names_modifier(line: str, end: int, word: str) -> bool:
    """Return whether what follows *word*, ending at *end*, makes it a modifier."""
    if word == "PT":
        return _PATIENT_MODIFIER_FOLLOWS.match(line, end) is not None
    if _MODIFIER_FOLLOWS.match(line, end) is not None:
        return True
    pair = _NEXT_PAIR.match(line, end)
    return pair is not None and pair[1] not in _SMALL_WORDS


def _after_street(line: str, start: int, street_ends: set[int]) -> bool:
    """Return whether a city at *start* follows a street: "1125 W MAIN ST, FT WAYNE 46802"."""
    # A short word may start the city, as "FT" of "FT WAYNE" or "ST" of "ST LOUIS".
    before = _SHORT_WORD_END.sub("", line[:start].rstrip(" "))
    if not before.endswith(","):
        return False
    return len(before[:-1].rstrip(" ")) in street_ends


def _names_state(words: str) -> bool:
    """Return whether the last one or two of *words* name a state ("NEW YORK")."""
    names = words.title().split()
    return names[-1] in _STATE_NAME_SET or " ".join(names[-2:]) in _STATE_NAME_SET


def _token_case(line: str, token: re.Match[str], capitalised: bool) -> str:
    word = token.group()
    if line[token.start() - 1 : token.start()] == "'":
        # The end of a contraction or a possessive: "DON'T", "SURGEON'S".
        return word.lower()
    if not word.isalpha():
        if _SMALL_SUFFIX.fullmatch(word):
            return word.lower()
        if _PLURAL_CODE.fullmatch(word):
            return word[:-1] + "s"
        return word
    if word in _ABBREVIATIONS or word in LETTERED_PROCEDURE_CODES:
        return word
    if capitalised:
        return word.capitalize()
    if (len(word) == 2 and line[token.start() - 1 : token.start()] == "-") or (
        line[token.start() - 1 : token.start()] in ("{", "*") or line.startswith("*", token.end())
    ):
        # A modifier glued to its code ("97110-GO"), the letters of "X{EPSU}", or an
        # element of an X12 segment pasted from a remittance ("LQ*HE*N115").
        return word
    named = _NAMES_BEFORE_NUMBER.get(word)
    if named is not None and line.startswith(named[0], token.end()):
        return named[1]
    if word in _UNITS and _NUMBER_BEFORE.search(line, max(0, token.start() - 12), token.start()):
        return _UNITS[word]
    if len(word) == 2:
        if (
            word not in _SMALL_WORDS
            or (word in KNOWN and _MODIFIER_WORD_BEFORE.search(line, 0, token.start()))
            or (word in _ALSO_MODIFIERS and _names_modifier(line, token.end(), word))
            or (word in KNOWN and _MODIFIER_WORD_AFTER.match(line, token.end()))
            or (word in _AFTER_CODE_MODIFIERS
                and _CODE_BEFORE.search(line, max(0, token.start() - 8), token.start()))
        ):
            return word
        return word.lower()
    if len(word) == 7:
        # Seven letters may be an ICD-10-PCS code.
        return word
    if len(word) == 1:
        # "A" is a word, and "X" before a number counts units ("97110 X 3"). Any other
        # letter may label a list item or be part of a code.
        if word == "A" or (word == "X" and _COUNT_AFTER.match(line, token.end())):
            return word.lower()
        return word
    return word.lower()
