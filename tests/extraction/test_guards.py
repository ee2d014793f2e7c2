"""The extractor on odd input: empty, large, non-ASCII, Windows line ends, random text."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from consultant.extraction import extract, extract_message
from tests.extraction.checkers import MemoryChecker

WORDS = [
    "99213",
    "99213-25",
    "J1100",
    "m54.50",
    "M5450",
    "E11.9",
    "I10",
    "dx",
    "0DTJ4ZZ",
    "x3",
    "WA",
    "99204",
    "CO-59",
    "11/25/2025",
    "10:25",
    "$12.50",
    "modifier",
    "59",
    "XU",
    "and",
    "|",
    "\t",
    "\n",
    "-",
    "through",
    "99205",
    "L4-L5",
    "ZIP",
    "NPI",
    "1234567893",
    "İ",
    "é",
]


def test_empty_text():
    assert extract("") == []
    assert extract_message("", "").references == []


def test_text_without_codes():
    text = "Please call me at (509) 555-0142 on 11/25/2025 about the invoice for $120.00."
    assert extract(text) == []


def test_windows_line_ends():
    found = extract("Dx: E11.9\r\nCPT 99214-25\r\n| CPT | Mod |\r\n| 97110 | GP |\r\n")
    assert {(r.system, r.code) for r in found} == {
        ("icd10cm", "E11.9"),
        ("cpt", "99214"),
        ("modifier", "25"),
        ("cpt", "97110"),
        ("modifier", "GP"),
    }


def test_offsets_after_non_ascii():
    text = "İstanbul clinic, Zoë asks: İİ 99213 or 99214?"
    for reference in extract(text):
        start, end = reference.positions[0]
        assert text[start:end] == reference.code


def test_large_text_positions():
    text = "Bill 99213-25 and J1100 x2 for E11.9. " * 5000
    found = {reference.code: reference for reference in extract(text)}
    assert set(found) == {"99213", "25", "J1100", "E11.9"}
    assert len(found["99213"].positions) == 5000
    assert found["99213"].modifiers == ["25"]
    assert found["J1100"].units == 2
    assert len(found["25"].positions) == 5000
    assert found["E11.9"].positions[-1] == (len(text) - 7, len(text) - 2)


def test_modifier_and_range_validity():
    checker = MemoryChecker()
    found = {r.label: r for r in extract("99202-99205 and 99213-25 or 99213-AQ", checker)}
    assert found["99202-99205"].validity == "valid"
    assert found["25"].validity == "valid"
    assert found["AQ"].validity == "unrecognised"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=40))
def test_positions_point_at_code(words: list[str]):
    text = " ".join(words)
    for reference in extract(text):
        assert reference.positions
        for start, end in reference.positions:
            written = text[start:end].upper().replace(".", "")
            if reference.system == "modifier":
                assert written in {reference.code, "X{EPSU}"}
            elif reference.range_end is None:
                assert written == reference.code.replace(".", "")


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_accepted(text: str):
    for reference in extract(text):
        assert reference.system in {"cpt", "hcpcs", "icd10cm", "icd10pcs", "modifier"}


def test_long_modifier_list_is_fast():
    text = "with " + "25 and " * 20000
    started = time.process_time()
    found = extract(text)
    assert [reference.code for reference in found] == ["25"]
    assert len(found[0].positions) == 20000
    # Linear work takes well under a second here; a quadratic step took several.
    assert time.process_time() - started < 3


def test_long_table_is_fast():
    text = "CPT\tMod\n" + "99213\t25\n" * 10000
    started = time.process_time()
    found = {reference.code: reference for reference in extract(text)}
    assert found["99213"].modifiers == ["25"]
    assert len(found["25"].positions) == 10000
    assert time.process_time() - started < 3


def test_suffixes_stay_on_their_line():
    found = {r.label: r for r in extract("Bill 99213\n25 patients were seen\n-99215\nx3")}
    assert set(found) == {"99213", "99215"}
    assert found["99213"].modifiers == []
    assert found["99213"].units is None
    subject_and_body = extract_message("99202", "-99205 is the top level").references
    assert [reference.label for reference in subject_and_body] == ["99202", "99205"]


def test_pathological_runs_are_fast():
    runs = [
        "1," * 50000,
        "wbc" + " " * 50000 + "x",
        "icd-9 " + "of " * 30000,
        "Payer IDs: " + "Aaa " * 30000,
        "$" + "1," * 50000,
    ]
    for text in runs:
        started = time.process_time()
        assert extract(text) == []
        # Each took well under a second; a backtracking pattern took minutes on the first.
        assert time.process_time() - started < 3, text[:20]
