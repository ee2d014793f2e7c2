"""Line breaks of wrapped prose, joined before scanning, with every offset kept."""

from __future__ import annotations

import textwrap

import pytest

from consultant.extraction import extract
from consultant.extraction.wrapping import join_wrapped_lines

PARAGRAPH = (
    "For axillary hyperhidrosis we billed 64650-50 and the drug as J0585 x 100 with JZ, "
    "then the payer asked for the NDC and the lot number on the claim line."
)


def wrap(text: str, width: int, prefix: str = "") -> str:
    return "\n".join(textwrap.wrap(text, width, initial_indent=prefix, subsequent_indent=prefix))


def test_wrapped_paragraph_joined_in_place() -> None:
    wrapped = wrap(PARAGRAPH, 72)
    joined = join_wrapped_lines(wrapped)
    assert "\n" in wrapped
    assert "\n" not in joined
    assert len(joined) == len(wrapped)
    assert joined.replace(" ", "") == wrapped.replace("\n", "").replace(" ", "")


def test_quote_marks_of_wrapped_lines_become_spaces() -> None:
    wrapped = wrap(PARAGRAPH, 72, "> ")
    joined = join_wrapped_lines(wrapped)
    assert joined.startswith("> For")
    assert joined.count(">") == 1
    assert len(joined) == len(wrapped)


@pytest.mark.parametrize(
    "text",
    [
        "Lines billed today on the outpatient claim, as the system shows:\n97110 GP 2",
        "The payer says the modifiers must be in this order on every line\n- 26 first",
        "Every modifier we use on the professional claims, with its meaning\n76 - repeat",
        "The payer wants the modifiers in pricing order on the claim line\n"
        "From: billing@example.com",
        "DOS         CODE    MOD   BILLED   ALLOWED   ADJ   REMARK   TOTAL\n99213 25 185.00",
        "Short line\nanother line",
        "We billed the office visit and the injection on the same day.\n> quoted reply",
        "This line is a long paragraph of prose that ends with a full stop.\n\nNext one",
        "ticket,acct,dos,code,mod,units,ndc,charge\n55178-1,40023311,2026-04-30,20610,RT,1,,285",
        "55178-1,40023311,2026-04-30,20610,RT,1,,285.00\n55178-2,40023311,2026-04-30,J3301",
    ],
)
def test_structure_kept(text: str) -> None:
    assert join_wrapped_lines(text) == text


def test_open_line_end_joins_short_line() -> None:
    text = "For pembrolizumab we billed J9271 x\n200 units"
    assert join_wrapped_lines(text) == "For pembrolizumab we billed J9271 x 200 units"
    assert join_wrapped_lines("we bill 92134 with modifier\n26. It's bilateral") == (
        "we bill 92134 with modifier 26. It's bilateral"
    )


def test_extraction_across_wrapped_lines() -> None:
    found = {reference.label: reference for reference in extract(wrap(PARAGRAPH, 64))}
    assert found["J0585"].units == 100
    assert found["J0585"].modifiers == ["JZ"]
    text = "moderate complexity eval for the shoulder, billed as 97162\nwith GP. Plan of care"
    assert {r.label: r for r in extract(text)}["97162"].modifiers == ["GP"]
    quoted = "> the doctor injected the left knee: 20610-LT and J3301 x\n> 4 (40 mg)."
    assert {r.label: r for r in extract(quoted)}["J3301"].units == 4


def test_positions_are_in_the_text_as_written() -> None:
    text = wrap(PARAGRAPH, 60, "> ")
    for reference in extract(text):
        for start, end in reference.positions:
            assert text[start:end].replace("\n", " ").startswith(reference.code[:3])


def test_code_and_modifier_wrapped_at_hyphen() -> None:
    found = {r.label: r for r in extract("The claim went out as 20610-\n50 with J3301 x 8.")}
    assert found["20610"].modifiers == ["50"]
    assert found["J3301"].units == 8
    text = "history of polyps (surveillance). Billed 00812-QZ-QS-\nPT with Z12.11 and Z86.010."
    assert {r.label: r for r in extract(text)}["00812"].modifiers == ["QZ", "QS", "PT"]
    assert ("M54", "icd10cm") in {(r.label, r.system) for r in extract("dx M54.- for now")}
