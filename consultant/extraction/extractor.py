"""Extract CPT, HCPCS Level II, ICD-10-CM, ICD-10-PCS codes and modifiers from text.

Each distinct code becomes one ``CodeReference`` carrying every position where it
was written, so a reviewer sees the code once however often the asker repeats it.
With a ``CodeChecker`` each distinct code is looked up once; a code that no loaded set
contains is kept and marked "unrecognised" so the reviewer sees it apart from the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from consultant.extraction import context
from consultant.extraction.capitals import restore_case
from consultant.extraction.reference import (
    UNCHECKED,
    UNKNOWN,
    UNRECOGNISED,
    CodeChecker,
    CodeReference,
)
from consultant.extraction.scanner import Mention, Scan, scan
from consultant.extraction.wrapping import join_wrapped_lines

_DASH_NOTE = "written with a trailing dash: more characters are required"
# Characters that mail clients and word processors put in place of plain ones: no-break
# spaces, curly quotes ("59’d", “GY”), and the full-width forms and ideographic space
# that East Asian input methods type ("８１００２"). Each maps to one character.
_PLAIN_CHARACTERS = str.maketrans({
    "\xa0": " ", "\u202f": " ", "\u3000": " ",
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    **{chr(wide): chr(wide - 0xFEE0) for wide in range(0xFF01, 0xFF5F)},
})
_PLAIN_CHARACTERS_FOUND = re.compile("[\xa0\u202f\u3000\u2018\u2019\u201c\u201d\uff01-\uff5e]")
# Words of five letters or more: those a writer's wording and a description can share.
_WORD = re.compile(r"[a-z]{5,}")
# Words of descriptions too common to tell one reading of a code from the other.
_COMMON_WORDS = frozenset({
    "other", "unspecified", "specified", "without", "initial", "subsequent", "encounter",
    "classified", "elsewhere", "right", "left", "bilateral", "mellitus", "disease",
    "disorder", "chronic", "acute", "patient", "injection", "supply", "each",
})


@dataclass
class MessageExtraction:
    """The codes of one message, subject and body together."""

    references: list[CodeReference] = field(default_factory=list)

    @property
    def recognised(self) -> list[CodeReference]:
        """References that no checker rejected."""
        return [reference for reference in self.references if not reference.unrecognised]

    @property
    def unrecognised(self) -> list[CodeReference]:
        """References with a code shape that no loaded code set contains."""
        return [reference for reference in self.references if reference.unrecognised]

    def to_dict(self) -> dict[str, Any]:
        """Return the extraction as JSON-ready data, unrecognised codes listed apart."""
        return {
            "references": [reference.to_dict() for reference in self.recognised],
            "unrecognised": [reference.to_dict() for reference in self.unrecognised],
        }


def extract(text: str, checker: CodeChecker | None = None) -> list[CodeReference]:
    """Return the code references in *text*, in order of first appearance."""
    return _extract(text, None, checker)


def extract_message(
    subject: str, body: str, checker: CodeChecker | None = None
) -> MessageExtraction:
    """Return the codes of a message; positions are kept per part (subject, body)."""
    if not subject:
        return MessageExtraction(_extract(body, None, checker))
    # One scan over both parts; the blank line keeps sentences, lines and tables apart.
    return MessageExtraction(_extract(f"{subject}\n\n{body}", len(subject), checker))


def _extract(
    text: str, subject_length: int | None, checker: CodeChecker | None
) -> list[CodeReference]:
    """Extract from *text*, whose first *subject_length* characters are the subject."""
    # Mail converted from HTML carries no-break spaces between a code and its units or
    # modifier ("G0378\xa0x\xa019"), and phones type curly apostrophes. Each becomes its
    # plain character, so every offset stays the same.
    if _PLAIN_CHARACTERS_FOUND.search(text) is not None:
        text = text.translate(_PLAIN_CHARACTERS)
    # Lines in capitals are read in mixed case, and wrapped paragraphs as one line.
    scanned = scan(join_wrapped_lines(restore_case(text)))
    mentions = context.resolve(scanned)
    if checker is not None:
        checker = _OncePerCode(checker)
        _recheck_systems(scanned, mentions, checker)

    locate = _Locator(subject_length)
    found: dict[tuple[str, str, str | None], CodeReference] = {}
    # The body goes first, so a code's modifiers are in the order the body writes them
    # ("L1833-RT-KX"), even where the subject names one of them ("L1833 claim - KX").
    # The references are sorted by first position afterwards.
    in_subject = [mention for mention in mentions if locate.in_subject(mention.start)]
    for mention in [mention for mention in mentions if not locate.in_subject(mention.start)]:
        _add_mention(found, locate, mention)
    for mention in in_subject:
        _add_mention(found, locate, mention)
    _add_modifiers(found, locate, scanned, mentions)
    references = sorted(found.values(), key=CodeReference.first_position)
    if checker is not None:
        _validate(references, checker)
    return references


class _Locator:
    """Maps a span of the scanned text to the subject or the body and its offsets there."""

    def __init__(self, subject_length: int | None) -> None:
        self._subject_length = -1 if subject_length is None else subject_length
        self._body_offset = 0 if subject_length is None else subject_length + 2

    def in_subject(self, position: int) -> bool:
        """Return whether *position* of the scanned text lies in the subject."""
        return position < self._subject_length

    def add(self, reference: CodeReference, start: int, end: int) -> None:
        """Add the span to the subject or body positions of *reference*, relative to its part."""
        if start < self._subject_length:
            reference.subject_positions.append((start, end))
        else:
            reference.positions.append((start - self._body_offset, end - self._body_offset))


class _OncePerCode:
    """Wraps a checker so that each (system, code) is looked up once per extraction."""

    def __init__(self, checker: CodeChecker) -> None:
        self._checker = checker
        self._statuses: dict[tuple[str, str], str] = {}

    def status(self, system: str, code: str) -> str:
        """Return the wrapped checker's status, asking it only the first time."""
        key = (system, code)
        if key not in self._statuses:
            self._statuses[key] = self._checker.status(system, code)
        return self._statuses[key]

    def description(self, system: str, code: str) -> str | None:
        """Return the wrapped checker's description of the code."""
        return self._checker.description(system, code)


def _recheck_systems(scanned: Scan, mentions: list[Mention], checker: CodeChecker) -> None:
    """Move an ambiguous token to the other system when only that one contains it."""
    for mention in mentions:
        if len(mention.shape.options) < 2 or mention.system is None:
            continue
        statuses = {system: checker.status(system, code) for system, code in mention.shape.options}
        if UNCHECKED in statuses.values():
            # One reading cannot be checked, so its absence proves nothing: keep the context's
            # choice, unless the sentence speaks of what the checked reading describes.
            mention.system = _described_reading(scanned, mention, statuses, checker)
            continue
        known = [system for system, status in statuses.items() if status != UNKNOWN]
        if len(known) == 1:
            mention.system = known[0]


def _described_reading(
    scanned: Scan, mention: Mention, statuses: dict[str, str], checker: CodeChecker
) -> str | None:
    """Return the system of the one checked reading whose description the sentence shares.

    With no HCPCS Level II file loaded, "(e1165)" after "type 2 diabetes with
    hyperglycemia" is E11.65, whose description shares "hyperglycemia". "J1100
    dexamethasone" stays HCPCS: J11.00 is an influenza code, and no word is shared.
    """
    checked = [system for system, status in statuses.items() if status not in (UNCHECKED, UNKNOWN)]
    if len(checked) != 1 or mention.system == checked[0]:
        return mention.system
    system = checked[0]
    description = checker.description(system, mention.shape.code_for(system))
    if not description:
        return mention.system
    start, end = scanned.sentences.around(mention.start)
    written = set(_WORD.findall(scanned.lower, start, end)) - _COMMON_WORDS
    if written & set(_WORD.findall(description.lower())):
        return system
    return mention.system


def _reference(found: dict, system: str, code: str, range_end: str | None) -> CodeReference:
    key = (system, code, range_end)
    reference = found.get(key)
    if reference is None:
        reference = found[key] = CodeReference(system, code, range_end=range_end)
    return reference


def _add_mention(found: dict, locate: _Locator, mention: Mention) -> None:
    shape = mention.shape
    system = mention.system or shape.systems[0]
    code = shape.options[0][1] if system == shape.systems[0] else shape.code_for(system)
    range_end = None
    if mention.range_shape is not None:
        range_system = system if system in mention.range_shape.systems else None
        if range_system is not None:
            range_end = mention.range_shape.code_for(range_system)
    reference = found.get((system, code, range_end))
    if reference is None:
        reference = CodeReference(system, code, range_end=range_end)
        found[system, code, range_end] = reference
    locate.add(reference, mention.start, mention.end)
    for modifier, _, _ in mention.modifiers:
        if modifier not in reference.modifiers:
            reference.modifiers.append(modifier)
    if mention.written:
        reference.add_modifier_set(mention.written)
    if mention.units is not None:
        reference.add_unit_line(mention.written or [], mention.units)
    if mention.shape.category_dash and _DASH_NOTE not in reference.notes:
        reference.notes.append(_DASH_NOTE)


def _add_modifiers(found: dict, locate: _Locator, scanned: Scan, resolved: list[Mention]) -> None:
    """Add modifier references, except those glued to a token that turned out no code."""
    resolved_ids = {id(mention) for mention in resolved}
    # The same modifier can be found twice (glued and named), so drop repeated spans.
    seen: set[tuple[str, int]] = set()
    for modifier in scanned.modifiers:
        if modifier.target is not None and id(modifier.target) not in resolved_ids:
            continue
        if (modifier.code, modifier.start) in seen:
            continue
        seen.add((modifier.code, modifier.start))
        reference = _reference(found, "modifier", modifier.code, None)
        locate.add(reference, modifier.start, modifier.end)
    for (system, _, _), reference in found.items():
        if system == "modifier":
            # Glued, table and named modifiers are found in separate passes.
            reference.positions.sort()
            reference.subject_positions.sort()


def _validate(references: list[CodeReference], checker: CodeChecker) -> None:
    """Set each reference's validity from one checker call per distinct code."""
    for reference in references:
        status = checker.status(reference.system, reference.code)
        if reference.range_end is not None and status != UNKNOWN:
            status = checker.status(reference.system, reference.range_end)
        if status == UNCHECKED:
            reference.validity = None
        else:
            reference.validity = UNRECOGNISED if status == UNKNOWN else status
