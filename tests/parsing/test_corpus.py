"""Every fixture of the corpus, parsed and classified without a database."""

from __future__ import annotations

import pytest

from consultant.extraction import extract
from consultant.intake.classify import classify
from consultant.parsing import parse_message, stand_in_message_id
from tests.corpus import EXPECTED, STAND_IN, Expected, raw


def _codes(subject: str, question: str) -> frozenset[str]:
    return frozenset(reference.code for reference in extract(f"{subject}\n\n{question}"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_parses_as_expected(name: str) -> None:
    expected: Expected = EXPECTED[name]
    parsed = parse_message(raw(name))

    assert parsed.subject == expected.subject
    assert parsed.question == expected.question
    assert _codes(parsed.subject, parsed.question) == expected.codes
    assert parsed.defects == list(expected.defects)
    assert parsed.attachments == list(expected.attachments)
    assert parsed.inline_parts == list(expected.inline_parts)
    assert [forward.subject for forward in parsed.forwarded] == list(expected.forwarded)
    if expected.message_id == STAND_IN:
        assert parsed.message_id == stand_in_message_id(raw(name))
    elif expected.message_id:
        assert parsed.message_id == expected.message_id
    else:
        assert parsed.message_id == f"<fixture-{name[:2]}@clinic.example.com>"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_classifies_as_expected(name: str) -> None:
    expected = EXPECTED[name]
    found = classify(parse_message(raw(name)))

    assert found.kind == (expected.parser_kind or expected.kind)
    if expected.reasons and expected.parser_kind is None:
        assert found.reasons == list(expected.reasons)
