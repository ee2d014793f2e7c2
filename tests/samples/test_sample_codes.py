"""The codes drafting reads from each sample question match what a coder reads there."""

from __future__ import annotations

import pytest

from consultant.extraction import extract_message
from consultant.parsing import parse_message
from consultant.samples import load_expected, sample_paths

SYSTEMS = ("cpt", "hcpcs", "icd10cm", "icd10pcs", "modifier")

# Samples whose codes the extractor still reads differently, with what differs. Each is
# a strict expected failure, so a fix shows up as a test to move out of this table.
KNOWN_MISSES = {
    "05-outlook-html-only-cp1252.eml": "modifier 59 named in a question sentence is missed",
    "11-interleaved-inline-reply.eml": "answers written between quoted lines are trimmed",
    "12-gmail-forwarded-question.eml": "modifiers 79 and LT named in prose are missed",
    "13-outlook-forwarded-supplies.eml": "modifier GA offered as an alternative is missed",
    "15-lowercase-codes.eml": "'b12' is read as a code and modifier XU is missed",
}


def _found(path) -> dict[str, set[str]]:  # noqa: ANN001
    parsed = parse_message(path.read_bytes())
    found: dict[str, set[str]] = {system: set() for system in SYSTEMS}
    for reference in extract_message(parsed.subject, parsed.question).references:
        found[reference.system].add(reference.code)
        if reference.range_end and reference.code.isdigit() and reference.range_end.isdigit():
            for number in range(int(reference.code), int(reference.range_end) + 1):
                found[reference.system].add(f"{number:05d}")
    return found


def _cases() -> list:  # noqa: ANN401
    cases = []
    for path in sample_paths():
        reason = KNOWN_MISSES.get(path.name)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        cases.append(pytest.param(path, id=path.name, marks=marks))
    return cases


@pytest.mark.parametrize("path", _cases())
def test_sample_codes_match_expected(path) -> None:  # noqa: ANN001
    expected = load_expected()[path.name]["codes"]

    found = _found(path)

    for system in SYSTEMS:
        assert found[system] == set(expected.get(system, [])), system
