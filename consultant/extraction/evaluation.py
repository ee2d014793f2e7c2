"""Scoring the extractor against a labelled corpus of coder emails.

A corpus file contains emails one after another. Each starts with ``=== name``, may give a
``Subject:`` line, then the body, then ``--- expect`` and one line per system::

    === zip-after-city
    Subject: billing question
    Our office is at 410 Pine St, Spokane WA 99204 - can we bill 99214?
    --- expect
    cpt: 99214
    trap: 99204 | WA 99204

Expected items are codes as the extractor normalises them. ``99213/25/59`` also expects
those modifiers on the code, ``97110*3`` expects 3 units, and ``99202-99205`` is a range.
A ``trap:`` line lists strings, separated by `` | ``, where nothing may be extracted.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from consultant.extraction.extractor import extract_message
from consultant.extraction.reference import SYSTEMS, CodeReference

_ITEM = re.compile(r"(?P<label>[^/*\s]+)(?P<modifiers>(?:/[0-9A-Z]{2})*)(?:\*(?P<units>\d+))?")


class CorpusError(ValueError):
    """A corpus file is malformed; the message names the file, the email and the problem."""


@dataclass
class Expected:
    """One expected code, with the modifiers and units it must carry when given."""

    system: str
    label: str
    modifiers: list[str] | None = None
    units: int | None = None


@dataclass
class Email:
    """One labelled email of the corpus."""

    name: str
    subject: str
    body: str
    expected: list[Expected] = field(default_factory=list)
    traps: list[str] = field(default_factory=list)


@dataclass
class Score:
    """Counts per system, trap strings taken and detail errors over a corpus."""

    true_positives: Counter = field(default_factory=Counter)
    false_positives: Counter = field(default_factory=Counter)
    false_negatives: Counter = field(default_factory=Counter)
    traps: int = 0
    traps_taken: list[str] = field(default_factory=list)
    details_checked: int = 0
    detail_errors: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def precision(self, system: str) -> float:
        """Return the share of extracted *system* codes that were expected (1.0 if none)."""
        found = self.true_positives[system] + self.false_positives[system]
        return self.true_positives[system] / found if found else 1.0

    def recall(self, system: str) -> float:
        """Return the share of expected *system* codes that were extracted (1.0 if none)."""
        expected = self.true_positives[system] + self.false_negatives[system]
        return self.true_positives[system] / expected if expected else 1.0

    def f1(self, system: str) -> float:
        """Return the harmonic mean of precision and recall for *system*."""
        precision, recall = self.precision(system), self.recall(system)
        return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def load_corpus(folder: Path) -> list[Email]:
    """Read every ``*.txt`` corpus file in *folder*, in name order."""
    emails: list[Email] = []
    for path in sorted(folder.glob("*.txt")):
        emails.extend(parse_corpus(path.read_text(encoding="utf-8"), path.name))
    names = Counter(email.name for email in emails)
    duplicates = [name for name, count in names.items() if count > 1]
    if duplicates:
        raise CorpusError(f"duplicate email names: {', '.join(sorted(duplicates))}")
    return emails


def in_capitals(emails: list[Email]) -> list[Email]:
    """Return *emails* with every subject, body and trap string upper-cased, labels kept."""
    return [
        replace(email, subject=email.subject.upper(), body=email.body.upper(),
                traps=[trap.upper() for trap in email.traps])
        for email in emails
    ]


def parse_corpus(text: str, source: str = "<corpus>") -> list[Email]:
    """Parse the emails of one corpus file."""
    emails = []
    for block in re.split(r"^=== ", text, flags=re.MULTILINE)[1:]:
        name, _, rest = block.partition("\n")
        message, marker, labels = rest.partition("--- expect\n")
        if not marker:
            raise CorpusError(f"{source}: email {name!r} has no '--- expect' line")
        subject = ""
        if message.startswith("Subject:"):
            first, _, message = message.partition("\n")
            subject = first[len("Subject:") :].strip()
        email = Email(name.strip(), subject, message.rstrip("\n"))
        _parse_labels(email, labels, source)
        emails.append(email)
    return emails


def _parse_labels(email: Email, labels: str, source: str) -> None:
    for line in labels.strip().splitlines():
        key, colon, value = line.partition(":")
        key = key.strip()
        if not colon:
            raise CorpusError(
                f"{source}: email {email.name!r}: expected 'system: codes' in {line!r}"
            )
        if key == "trap":
            email.traps.extend(part.strip() for part in value.split(" | ") if part.strip())
            continue
        if key not in SYSTEMS:
            raise CorpusError(f"{source}: email {email.name!r}: unknown system {key!r}")
        for item in value.split():
            match = _ITEM.fullmatch(item)
            if match is None:
                raise CorpusError(f"{source}: email {email.name!r}: invalid item {item!r}")
            modifiers = match["modifiers"].split("/")[1:] if match["modifiers"] else None
            units = int(match["units"]) if match["units"] else None
            email.expected.append(Expected(key, match["label"], modifiers, units))
    for trap in email.traps:
        if trap not in email.subject and trap not in email.body:
            raise CorpusError(f"{source}: email {email.name!r}: trap {trap!r} is not in the text")


def score(emails: list[Email]) -> Score:
    """Run the extractor on every email and count hits, misses, traps and detail errors."""
    result = Score()
    for email in emails:
        references = extract_message(email.subject, email.body).references
        _score_codes(result, email, references)
        _score_traps(result, email, references)
    return result


def _score_codes(result: Score, email: Email, references: list[CodeReference]) -> None:
    found = {(reference.system, reference.label): reference for reference in references}
    expected = {(item.system, item.label): item for item in email.expected}
    for key in found.keys() | expected.keys():
        system = key[0]
        if key in found and key in expected:
            result.true_positives[system] += 1
            _score_details(result, email, expected[key], found[key])
        elif key in found:
            result.false_positives[system] += 1
            result.errors.append(f"{email.name}: extra {system} {key[1]}")
        else:
            result.false_negatives[system] += 1
            result.errors.append(f"{email.name}: missed {system} {key[1]}")


def _score_details(result: Score, email: Email, item: Expected, reference: CodeReference) -> None:
    if item.modifiers is not None:
        result.details_checked += 1
        if reference.modifiers != item.modifiers:
            result.detail_errors.append(
                f"{email.name}: {item.label} modifiers {reference.modifiers} != {item.modifiers}"
            )
    if item.units is not None:
        result.details_checked += 1
        if reference.units != item.units:
            result.detail_errors.append(
                f"{email.name}: {item.label} units {reference.units} != {item.units}"
            )


def _score_traps(result: Score, email: Email, references: list[CodeReference]) -> None:
    for trap in email.traps:
        result.traps += 1
        for text, part in ((email.subject, "subject"), (email.body, "body")):
            spans = [
                span
                for reference in references
                for span in (
                    reference.subject_positions if part == "subject" else reference.positions
                )
            ]
            if any(
                _overlaps(spans, start, start + len(trap)) for start in _occurrences(text, trap)
            ):
                result.traps_taken.append(f"{email.name}: {trap!r}")
                break


def _occurrences(text: str, needle: str) -> list[int]:
    return [match.start() for match in re.finditer(re.escape(needle), text)]


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(span_start < end and start < span_end for span_start, span_end in spans)
