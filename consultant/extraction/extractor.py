"""Extract CPT, HCPCS Level II, ICD-10-CM, ICD-10-PCS codes and modifiers from text.

Each distinct code becomes one ``CodeReference`` carrying every position where it
was written, so a reviewer sees the code once however often the asker repeats it.
With a ``CodeChecker`` each distinct code is looked up once; a code that no loaded set
contains is kept and marked "unrecognised" so the reviewer sees it apart from the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from consultant.extraction import context
from consultant.extraction.reference import (
    UNKNOWN,
    UNRECOGNISED,
    CodeChecker,
    CodeReference,
)
from consultant.extraction.scanner import Mention, Scan, scan

_DASH_NOTE = "written with a trailing dash: more characters are required"

BODY = "body"
SUBJECT = "subject"


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
    return _extract_parts([(BODY, text)], checker)


def extract_message(
    subject: str, body: str, checker: CodeChecker | None = None
) -> MessageExtraction:
    """Return the codes of a message; positions are kept per part (subject, body)."""
    return MessageExtraction(_extract_parts([(SUBJECT, subject), (BODY, body)], checker))


def _extract_parts(parts: list[tuple[str, str]], checker: CodeChecker | None) -> list[CodeReference]:
    scans = [(part, scan(text)) for part, text in parts if text]
    kept = [(part, scanned, context.resolve(scanned)) for part, scanned in scans]
    if checker is not None:
        _recheck_systems([mention for _, _, mentions in kept for mention in mentions], checker)

    found: dict[tuple[str, str, str | None], CodeReference] = {}
    for part, scanned, mentions in kept:
        for mention in mentions:
            _add_mention(found, part, mention)
        _add_modifiers(found, part, scanned, mentions)
    references = sorted(found.values(), key=CodeReference.first_position)
    if checker is not None:
        _validate(references, checker)
    return references


def _recheck_systems(mentions: list[Mention], checker: CodeChecker) -> None:
    """Move an ambiguous token to the other system when only that one contains it."""
    cache: dict[tuple[str, str], str] = {}
    for mention in mentions:
        if len(mention.shape.options) < 2 or mention.system is None:
            continue
        statuses = {}
        for system, code in mention.shape.options:
            if (system, code) not in cache:
                cache[(system, code)] = checker.status(system, code)
            statuses[system] = cache[(system, code)]
        known = [system for system, status in statuses.items() if status != UNKNOWN]
        if len(known) == 1:
            mention.system = known[0]


def _reference(found: dict, system: str, code: str, range_end: str | None) -> CodeReference:
    key = (system, code, range_end)
    reference = found.get(key)
    if reference is None:
        reference = found[key] = CodeReference(system, code, range_end=range_end)
    return reference


def _add_mention(found: dict, part: str, mention: Mention) -> None:
    system = mention.system or mention.shape.systems[0]
    code = mention.shape.code_for(system)
    range_end = None
    if mention.range_shape is not None:
        range_system = system if system in mention.range_shape.systems else None
        if range_system is not None:
            range_end = mention.range_shape.code_for(range_system)
    reference = _reference(found, system, code, range_end)
    _positions(reference, part).append((mention.start, mention.end))
    for modifier, _, _ in mention.modifiers:
        if modifier not in reference.modifiers:
            reference.modifiers.append(modifier)
    if mention.units is not None and reference.units is None:
        reference.units = mention.units
    if mention.shape.category_dash and _DASH_NOTE not in reference.notes:
        reference.notes.append(_DASH_NOTE)


def _add_modifiers(found: dict, part: str, scanned: Scan, kept: list[Mention]) -> None:
    """Add modifier references, except those glued to a token that turned out no code."""
    kept_ids = {id(mention) for mention in kept}
    for modifier in scanned.modifiers:
        if modifier.target is not None and id(modifier.target) not in kept_ids:
            continue
        reference = _reference(found, "modifier", modifier.code, None)
        spans = _positions(reference, part)
        if (modifier.start, modifier.end) not in spans:
            spans.append((modifier.start, modifier.end))


def _positions(reference: CodeReference, part: str) -> list[tuple[int, int]]:
    return reference.subject_positions if part == SUBJECT else reference.positions


def _validate(references: list[CodeReference], checker: CodeChecker) -> None:
    """Set each reference's validity from one checker call per distinct code."""
    for reference in references:
        status = checker.status(reference.system, reference.code)
        if reference.range_end is not None and status != UNKNOWN:
            status = checker.status(reference.system, reference.range_end)
        reference.validity = UNRECOGNISED if status == UNKNOWN else status
