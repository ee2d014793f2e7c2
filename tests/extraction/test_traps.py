"""Spans of keyword traps, and look-alike numbers that extraction leaves out."""

from __future__ import annotations

from consultant.extraction import extract
from consultant.extraction.traps import find_traps


def test_keyword_trap_at_text_start():
    assert find_traps("NPI 1234567890") == [(0, 14)]


def test_keyword_after_dot_is_no_trap():
    assert find_traps("ref.npi 1234567890") == []


def test_keyword_traps_side_by_side():
    spans = find_traps("zip 99204-1234 tel 5095550142")
    assert (0, 14) in spans
    assert (15, 29) in spans


def test_zip_codes_in_ambulance_mail() -> None:
    text = ("POINT OF PICKUP ZIP ON THE CLAIM IS 57401, HOSPITAL IS 57108. A0425 X 22.\n"
            "The pickup ZIP (41858) and destination ZIP (40536) are 120 miles apart.\n"
            "From the hospital in Glasgow (59230) to the center in Billings (59101). "
            "59230 is on the rural list.")
    found = {reference.label for reference in extract(text)}
    assert found == {"A0425"}


def test_zip_word_then_a_code() -> None:
    found = extract("Patient zip 99213 is out of network, but we billed 99213 anyway?")
    assert [(reference.label, len(reference.positions)) for reference in found] == [("99213", 1)]


def test_lab_test_numbers_beside_cpt_codes() -> None:
    text = ('TEST# / "CPT"       DESCRIPTION\n'
            "40213 / 81445       Solid tumor NGS panel\n"
            "51980 / 88381       Microdissection, manual\n\n"
            "The lab test numbers 40213 / 51980 are our internal orderables.")
    assert [reference.label for reference in extract(text)] == ["81445", "88381"]


def test_group_number_after_payer_name() -> None:
    found = extract("Copay $40, payer TriState Care, group 88213. Billed 74018 and 76770.")
    assert [reference.label for reference in found] == ["74018", "76770"]


def test_group_therapy_code_after_group() -> None:
    found = extract("Plan of care, group 97150 twice a week; insurance covers it, group 90853.")
    assert [reference.label for reference in found] == ["97150", "90853"]


def test_payer_id_after_its_name() -> None:
    found = extract("S9083 global fee vs 99203 + S9088? Payer BCBS ID 00460.")
    assert [reference.label for reference in found] == ["S9083", "99203", "S9088"]
