"""Mail written in capitals, read as the same mail in mixed case."""

from __future__ import annotations

import pytest

from consultant.extraction import extract
from consultant.extraction.capitals import restore_case


def found(text: str) -> dict[str, list[str]]:
    """Return each code found in *text* with its modifiers; modifiers alone under "modifier"."""
    return {
        reference.label: reference.modifiers
        for reference in extract(text)
        if reference.system != "modifier"
    } | {"modifier": sorted(r.label for r in extract(text) if r.system == "modifier")}


@pytest.mark.parametrize(
    "text",
    [
        "SHOULD 81001 GO OUT WITH GA OR GZ? WE HAVE AN ABN ON FILE.",
        "OUR OFFICE IS AT 410 PINE ST, SPOKANE WA 99204 - CAN WE BILL 99214?",
        "Thanks,\nGRETA\n14580 RIDGE RD, SUITE 300\nSARASOTA, FL 34238",
        "P: 757-555-0142 X310",
    ],
)
def test_length_and_codes_kept(text: str) -> None:
    restored = restore_case(text)
    assert len(restored) == len(text)
    assert restored.upper() == text.upper()


@pytest.mark.parametrize(
    "text",
    [
        "We billed 99213-25 and 20610-RT today.",
        "Lines billed today:\nCPT     MOD     UNITS\n97110   GP      2",
        "URGENT: 99214 DENIED\nPlease see the remit below.",
    ],
)
def test_mixed_case_and_short_capital_lines_unchanged(text: str) -> None:
    assert restore_case(text) == text


def test_whole_message_in_capitals_restored() -> None:
    restored = restore_case("SHOULD 81001 GO OUT WITH GA OR GZ?\nTHANKS, DANA")
    assert restored == "Should 81001 go out with GA or GZ?\nThanks, dana"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SHOULD 81001 GO OUT WITH GA OR GZ? WE HAVE AN ABN ON FILE.",
         {"81001": [], "modifier": ["GA", "GZ"]}),
        ("PT THERAPY BILLS GP ON EVERY LINE, OT USES GO.", {"modifier": ["GO", "GP"]}),
        ("OUR OFFICE IS AT 410 PINE ST, SPOKANE WA 99204 - CAN WE BILL 99214?",
         {"99214": [], "modifier": []}),
        ("ULTRASOUND 76815 AT 32 WEEKS, IS IT BILLABLE OUTSIDE THE GLOBAL?",
         {"76815": [], "modifier": []}),
        ("THE OT LINE 97530 GO CO X3 CAME BACK WITH A REDUCTION.",
         {"97530": ["GO", "CO"], "modifier": ["CO", "GO"]}),
        ("PAYER POLICY SAYS TO USE X{EPSU} INSTEAD OF THE 59 MODIFIER FOR 64483.",
         {"64483": ["59"], "modifier": ["59", "XE", "XP", "XS", "XU"]}),
        ("MEDICARE: G0121 BECOMES 45385 WITH THE PT MODIFIER, DX Z12.11 THEN K63.5.",
         {"G0121": [], "45385": ["PT"], "Z12.11": [], "K63.5": [], "modifier": ["PT"]}),
        ("PT HAS TYPE 2 DIABETES, DX E1165, SEEN FOR 99214 AS A NEW PROBLEM.",
         {"E11.65": [], "99214": [], "modifier": []}),
        ("SEE THE REMIT BELOW.\nPHONE 757-555-0142 X310\nTHANKS", {"modifier": []}),
        ("DO THEY NEED THE HI MODIFIER ON 90834? WE BILLED 90834 HI ON 02/26.",
         {"90834": ["HI"], "modifier": ["HI"]}),
        ("ER, NO MODIFIER ON CAMPUS I THINK. THE CLINIC BILLS G0463-PO.",
         {"G0463": ["PO"], "modifier": ["PO"]}),
        ("SO HER 90834S AND J1100S FROM MARCH ARE GOING TO DENY, CAN WE REBILL THEM?",
         {"90834": [], "J1100": [], "modifier": []}),
        ("PLAN IS 70 GY IN 35 FRACTIONS, 1.8 GY A DAY, BILLED WITH 77427 X 7",
         {"77427": [], "modifier": []}),
        ("WE BILLED 77014 GY FOR THE SCAN THAT WAS NOT COVERED",
         {"77014": ["GY"], "modifier": ["GY"]}),
        ("THAT LANDS IN 11604 (3.1 TO 4.0 CM), NOT 11606, CORRECT?",
         {"11604": [], "11606": [], "modifier": []}),
        ("OUR NEW OFFICE IS 120 MAIN ST, CARMEL IN 46032. BILL 99213 THERE?",
         {"99213": [], "modifier": []}),
        ("KI-67 20% ON THE CORE, SO WE BILLED 88360 ONCE", {"88360": [], "modifier": []}),
        ("ERA BELOW, WHY DID IT DENY?\nSVC*HC:20610:RT*125*0**1~\nCAS*CO*97*125.00~",
         {"20610": ["RT"], "modifier": ["RT"]}),
        ("STRESS TEST WITH TC-99M SESTAMIBI, 78452 AND A9500",
         {"78452": [], "A9500": [], "modifier": []}),
    ],
)
def test_codes_in_capitals(text: str, expected: dict[str, list[str]]) -> None:
    assert found(text) == expected


def test_state_and_number_outside_its_zip_codes() -> None:
    assert found("LAP CHOLE UNDER GA, 00790-QZ-P2 BY CRNA.") == {
        "00790": ["QZ", "P2"], "modifier": ["P2", "QZ"]
    }
    assert found("SALEM, OR 97302                  FAX        (503) 555-0130") == {
        "modifier": []
    }
    assert found("FROM THE HOSP IN GLASGOW (59230). 59230 IS ON THE RURAL ZIP LIST.") == {
        "modifier": []
    }
    assert found("HE HAS A HX OF AMBLYOPIA. 99173, DX H53.002") == {
        "99173": [], "H53.002": [], "modifier": []
    }


def test_city_after_a_street_before_its_zip() -> None:
    assert found("SHIP TO 1125 W MAIN ST, FT WAYNE 46802. E0143 FOR THE WALKER.") == {
        "E0143": [], "modifier": []
    }
