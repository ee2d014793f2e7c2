"""The extractor on short questions of every kind a naive pattern gets wrong."""

from __future__ import annotations

import pytest

from consultant.extraction import extract, extract_message
from tests.extraction.checkers import MemoryChecker


def codes(text: str) -> set[tuple[str, str]]:
    return {(reference.system, reference.label) for reference in extract(text)}


def by_code(text: str, checker=None) -> dict[str, object]:
    return {reference.label: reference for reference in extract(text, checker)}


def test_zip_after_city_and_state():
    text = "Our office is at 410 Pine St, Spokane WA 99204 — can we bill 99214?"
    assert codes(text) == {("cpt", "99214")}


def test_remittance_code_is_not_modifier():
    found = by_code("Denied CO-59 on 97140; resubmit with XU?")
    assert set(found) == {"97140", "XU"}
    assert found["XU"].system == "modifier"


def test_undotted_and_dotted_icd_merge():
    found = extract("dx m5450 and m54.50")
    assert [(r.system, r.code) for r in found] == [("icd10cm", "M54.50")]
    assert found[0].positions == [(3, 8), (13, 19)]


def test_ndc_is_not_a_code():
    assert codes("NDC 0409-4888-02 given with J1100") == {("hcpcs", "J1100")}


def test_age_weeks_and_obstetric_history():
    assert codes("Pt is 59 y/o, 33 wks, G2P1; 59025 NST") == {("cpt", "59025")}


def test_date_and_time_are_not_modifiers():
    found = extract("Seen 11/25/2025 at 10:25, 99213-25")
    assert [(r.system, r.code) for r in found] == [("cpt", "99213"), ("modifier", "25")]
    assert found[0].modifiers == ["25"]
    assert found[1].positions == [(32, 34)]


def test_seventh_character_incomplete():
    checker = MemoryChecker()
    found = by_code("S72.001A vs S72.001", checker)
    assert found["S72.001A"].validity == "valid"
    assert found["S72.001"].validity == "incomplete"


def test_unknown_code_reported_unrecognised():
    checker = MemoryChecker()
    result = extract_message("", "Bill 99214 with Z99.999 and J9999?", checker)
    assert {r.code for r in result.unrecognised} == {"Z99.999", "J9999"}
    assert {r.code for r in result.recognised} == {"99214"}


def test_checker_called_once_per_code():
    checker = MemoryChecker()
    extract("99213 99213 99213-25 and 99213 again, E11.9 E11.9, J1100 J1100", checker)
    assert len(checker.calls) == len(set(checker.calls))
    assert ("hcpcs", "J1100") in checker.calls


def test_checker_moves_ambiguous_token():
    checker = MemoryChecker()
    assert by_code("J1100 for this one", checker)["J1100"].system == "hcpcs"
    assert by_code("is J1100 right here", checker)["J1100"].system == "hcpcs"
    found = by_code("M5450 alone", checker)
    assert found["M54.50"].system == "icd10cm"


def test_unchecked_reading_yields_to_a_described_diagnosis():
    checker = MemoryChecker(unloaded=("hcpcs",))
    found = by_code("Admitted with influenza and pneumonia (j1100)", checker)
    assert found["J11.00"].system == "icd10cm"
    # Nothing in this sentence speaks of influenza.
    assert by_code("TFESI with J1100 dexamethasone", checker)["J1100"].system == "hcpcs"


def test_modifier_typed_with_a_dot():
    found = by_code("Billed 99213.25 with 20610 today.")
    assert found["99213"].modifiers == ["25"]
    assert "20610" in found


@pytest.mark.parametrize("text", ["Total charges 12500.50 for the day.", "Lab value 12345.50 high"])
def test_amount_with_cents_is_no_code(text: str):
    assert extract(text) == []


@pytest.mark.parametrize(
    ("text", "modifier"),
    [
        ("Is this a 91 situation? We repeated 80053 twice.", "91"),
        ("I have seen 82 used on 33533 for the assistant.", "82"),
        ("We saw 59 billed on 97140.", "59"),
    ],
)
def test_modifier_in_situation_phrase(text: str, modifier: str):
    assert modifier in by_code(text)


def test_count_before_a_participle_is_no_modifier():
    assert set(by_code("Patient seen 25 times this year for 99213.")) == {"99213"}


def test_range_kept_with_both_ends():
    found = by_code("Can we bill 99202–99205 or 99202 through 99205?")
    assert set(found) == {"99202-99205"}
    assert found["99202-99205"].range_end == "99205"
    assert len(found["99202-99205"].positions) == 2


def test_code_dash_modifier_is_not_range():
    found = by_code("59000-59 please")
    assert set(found) == {"59000", "59"}
    assert found["59000"].modifiers == ["59"]


def test_units_after_code():
    found = by_code("97110x3, 59001 x2 and 97140 (4 units)")
    assert found["97110"].units == 3
    assert found["59001"].units == 2
    assert found["97140"].units == 4


def test_markdown_table_columns():
    text = (
        "| CPT | Mod | Units | Dx | ZIP |\n|---|---|---|---|---|\n"
        "| 97110 | GP | 4 | M54.50 | 99204 |\n| 97140 | 59, GP | 2 | M54.50 | 99205 |"
    )
    found = by_code(text)
    assert set(found) == {"97110", "97140", "GP", "59", "M54.50"}
    assert found["97140"].modifiers == ["59", "GP"]
    assert found["97110"].units == 4


def test_subject_positions_kept_apart():
    result = extract_message("Re: 99214 with -25?", "Is 99214-25 ok?")
    reference = result.references[0]
    assert reference.code == "99214"
    assert reference.subject_positions == [(4, 9)]
    assert reference.positions == [(3, 8)]


def test_trailing_dash_category():
    found = by_code("Is M54.- enough or do I need S72.00-?")
    assert set(found) == {"M54", "S72.00"}
    assert found["M54"].notes


def test_to_dict_is_json_ready():
    data = extract("99213-25 x2")[0].to_dict()
    assert data["system"] == "cpt"
    assert data["modifiers"] == ["25"]
    assert data["units"] == 2
    assert data["positions"] == [[0, 5]]


def test_modifier_positions_in_order():
    text = "Use modifier 25 here; 99213-25 and 99214-25 later."
    found = by_code(text)
    assert found["25"].positions == [(13, 15), (28, 30), (41, 43)]


def test_dental_code_needs_diagnosis_keyword():
    assert codes("Cleaning D1110 with E11.9 on file") == {("icd10cm", "E11.9")}
    assert codes("dx D6959 please") == {("icd10cm", "D69.59")}


def test_modifier_on_all_codes():
    found = by_code("pt got 97110x2 97112x1 today, GP on all, dx s83.511a")
    assert found["97110"].modifiers == ["GP"]
    assert found["97112"].modifiers == ["GP"]
    assert found["97110"].units == 2


def test_bare_category_among_codes():
    assert ("icd10cm", "Z23") in codes("Admin 90471 for the flu shot? Z23.")
    assert codes("We stock N95 masks.") == set()


def test_payer_id_list():
    assert codes("Payer IDs: Aetna 60054, Cigna 62308. Bill 99396?") == {("cpt", "99396")}


def test_letter_four_reads_with_neighbours():
    assert codes("Pap Q0091 with Z01.419?") == {("hcpcs", "Q0091"), ("icd10cm", "Z01.419")}
    assert codes("E1165, Z794 and M5450") == {
        ("icd10cm", "E11.65"),
        ("icd10cm", "Z79.4"),
        ("icd10cm", "M54.50"),
    }


def test_ambulance_origin_destination():
    found = by_code("A0427-RH and modifier SH on A0425")
    assert found["A0427"].modifiers == ["RH"]
    assert set(found) == {"A0427", "A0425", "RH", "SH"}


def test_modifier_label_list_and_sides():
    assert codes("Modifiers used this month: 25, 59 and XU.") == {
        ("modifier", "25"),
        ("modifier", "59"),
        ("modifier", "XU"),
    }
    assert by_code("Ankle brace L1902 right, RT.")["L1902"].modifiers == ["RT"]
    assert codes("FNA 10005 with US guidance") == {("cpt", "10005")}


def test_modifier_phrasings():
    assert by_code("We appended -25 to 99214 and -59 to 20552.")["20552"].modifiers == ["59"]
    assert by_code("For 20610: RT/LT/50, which one?")["20610"].modifiers == ["RT", "LT", "50"]
    assert ("modifier", "51") in codes("Remove the 51 from 29881.")
    assert {("modifier", "77"), ("modifier", "76")} <= codes(
        "Which modifier for a repeat procedure, 77 or 76?"
    )
    assert by_code("CPT 64483 mod: 50, units: 1")["64483"].units == 1


def test_colon_after_code_is_not_a_dash():
    assert codes("99213: PA visit, 99214: CT reviewed") == {("cpt", "99213"), ("cpt", "99214")}


def test_numbered_dx_labels_and_modifier_choice():
    assert codes("DX1 E1122 DX2 N1831 PROC 99214") == {
        ("icd10cm", "E11.22"),
        ("icd10cm", "N18.31"),
        ("cpt", "99214"),
    }
    assert {("modifier", "PT"), ("modifier", "33")} <= codes("PT modifier or 33 on 45385?")


def test_all_digit_pcs_needs_keyword():
    assert codes("ICD-10-PCS 0210093 for the bypass") == {("icd10pcs", "0210093")}
    assert codes("PCS 0DTJ4ZZ; the chart 4471203 lists it") == {("icd10pcs", "0DTJ4ZZ")}


def test_cpt_with_glued_letter_modifier() -> None:
    found = {(reference.system, reference.code): reference
             for reference in extract("Billed 20610RT and 20610LT the same day")}

    assert set(found) == {("cpt", "20610"), ("modifier", "RT"), ("modifier", "LT")}
    assert found[("cpt", "20610")].modifiers == ["RT", "LT"]


def test_principal_dx_label_reads_icd() -> None:
    found = {(reference.system, reference.code) for reference in extract("PDx J9601, SDx J189")}

    assert ("icd10cm", "J96.01") in found
    assert ("hcpcs", "J9601") not in found


def test_modifier_offered_as_alternative() -> None:
    assert {("modifier", "GA"), ("modifier", "KX")} <= codes("Should L4361 have had GA or KX?")
    assert {("modifier", "33"), ("modifier", "PT")} <= codes("Is it 45385 with 33 instead of PT?")
    assert ("modifier", "59") in codes("Repeat CBC, 91 or 59?\n\n85025 91 was billed")
    assert ("modifier", "LT") in codes(
        "Does 66984 get 79 since it is in the global,\nor LT only?"
    )


def test_alternative_needs_a_modifier_taken() -> None:
    assert codes("Atlanta GA or PA for 99213?") == {("cpt", "99213")}
    assert codes("Bill 97110 for 25 or 30 minutes?") == {("cpt", "97110")}


def test_lower_case_mail() -> None:
    found = codes("pt came in for her monthly b12 shot (j3420, 96372). do we need xu?")

    assert ("icd10cm", "B12") not in found
    assert {("hcpcs", "J3420"), ("cpt", "96372"), ("modifier", "XU")} <= found


def test_modifier_as_subject_of_verb() -> None:
    assert ("modifier", "59") in codes("93306 bundles into 93351, and 59 won't fix it.")
    assert ("modifier", "25") in codes("And does 25 go on the 99396 or not at all?")
    assert ("modifier", "50") in codes("For 77067 no 50 is needed.")


def test_modifier_family_member_alone() -> None:
    assert ("modifier", "TC") in codes("We read 71046-26. The hospital bills TC.")
    assert ("modifier", "GV") in codes("Visit 99349-GW? Or GV since it's related?")
    assert ("modifier", "FY") in codes("Film needs FX; FY is for computed radiography, 73610.")


def test_modifier_family_needs_member_taken() -> None:
    assert codes("Our office in Atlanta, GA bills 99213.") == {("cpt", "99213")}
    assert ("modifier", "GA") not in codes("Billed 99213-GZ from Atlanta, GA today.")
    assert ("modifier", "FY") not in codes("For 73610 with FX, is FY 2026 the same?")


def test_finger_modifiers_near_finger_words() -> None:
    found = codes("Trigger finger 20550 x2: right ring F8 and right middle F7.")

    assert {("modifier", "F8"), ("modifier", "F7")} <= found
    assert ("modifier", "F8") not in codes("Press F8 to submit the claim for 99213.")


def test_ambiguous_modifier_after_code_and_verb() -> None:
    assert ("modifier", "GA") in codes("The ABN was signed, so G0103 gets GA, and 84153?")
    assert ("modifier", "CO") not in codes("The payer denied 99285 with CO-B15.")


def test_numbers_joined_by_and_are_not_modifiers() -> None:
    found = codes("99213-25 for patients between 22 and 25 years old")

    assert ("modifier", "22") not in found


def test_bracketed_modifier_with_question_mark() -> None:
    assert by_code("97110x3, 97140x2 (59?)")["97140"].modifiers == ["59"]


def test_remittance_lcd_and_icd9_look_alikes() -> None:
    assert codes("Paid $0 on 87880 (CO-97, N390).") == {("cpt", "87880")}
    assert {("cpt", "64635"), ("cpt", "64636")} <= codes(
        "Per LCD L38803 and billing article A58405, 64635 and 64636 need two blocks."
    )
    assert codes("They say V76.12 isn't valid. That's the ICD-9 code; use Z12.31.") == {
        ("icd10cm", "Z12.31")
    }


def test_choice_between_letter_modifiers() -> None:
    assert {("modifier", "QM"), ("modifier", "QN")} <= codes("For the A0427 contract, QM or QN?")
    assert {("modifier", "RJ"), ("modifier", "RG")} <= codes("A0428 dialysis runs: RJ or RG?")
    assert ("modifier", "RJ") not in codes("Is 99213 RJ or RG?")
    assert codes("Was it seen by the NP or PA on 99213?") == {("cpt", "99213")}


def test_choice_is_not_put_on_the_code() -> None:
    found = by_code("H0004 with HO modifier for the master's level vs HN for bachelor's")

    assert found["H0004"].modifiers == ["HO"]
    assert "HN" in found


def test_modifier_explained_elsewhere_in_text() -> None:
    assert ("modifier", "GA") in codes("G0103, and GA with an ABN on file?")
    assert ("modifier", "AT") in codes("98940 today. AT if it's active care?")
    assert ("modifier", "FX") in codes("Someone said FX is for film x-rays. Code 73610.")
    assert ("modifier", "GA") not in codes("Our office in Macon, GA has an ABN for 99213.")
    assert ("modifier", "AT") not in codes("Seen AT the clinic for 99213.")


def test_ambulance_modifier_after_space() -> None:
    assert by_code("ALS emergency A0427 RH, mileage A0425")["A0427"].modifiers == ["RH"]
    assert by_code("Visit 99213 RH today")["99213"].modifiers == []


def test_units_after_a_word() -> None:
    found = by_code("A7031 cushions x 3, A7038 filters x 6. Lesion 11401 2 x 2 cm")

    assert found["A7031"].units == 3
    assert found["A7038"].units == 6
    assert found["11401"].units is None


def test_question_and_adverb_predicates() -> None:
    assert ("modifier", "51") in codes("Is 51 needed on 14060 or is it exempt?")
    assert ("modifier", "G8") in codes("00142 today. Would G8 ever apply here?")
    assert ("modifier", "93") in codes("99214-95; if audio only we switch to 93.")


def test_all_caps_times_count_is_units() -> None:
    found = by_code("CRITICAL CARE 99291 AND 99292 X2, TOTAL 115 MIN")

    assert found["99292"].units == 2
    assert "X2" not in found
    assert by_code("Bill 99213-X2 for the continuing care")["99213"].modifiers == ["X2"]


def test_claim_numbers_and_reason_codes_are_not_codes() -> None:
    assert codes("Rejected claim 88213-07 for dx M5416") == {("icd10cm", "M54.16")}
    assert codes("The MAC returned G0299 with reason code 32402.") == {("hcpcs", "G0299")}


def test_space_aligned_claim_lines() -> None:
    found = by_code(
        "24.  03/02/26  POS 11  J3301        A   $18.00   4 units\n"
        "24.  03/02/26  POS 11  99213  25    AB  $140.00  1 unit\n"
        "2     69210  LT   $95.00    $0.00\n"
    )

    assert found["J3301"].units == 4
    assert found["99213"].units == 1
    assert found["99213"].modifiers == ["25"]
    assert found["69210"].modifiers == ["LT"]


def test_modifier_put_on_or_left_off() -> None:
    assert ("modifier", "GA") in codes("For 0232T, do we put GA on it anyway?")
    assert ("modifier", "RT") in codes("Aetna denied 20611 because we left off RT.")
    assert {("modifier", "PO"), ("modifier", "PN")} <= codes(
        "On campus is POS 22, the new site POS 19. Which needs PO and which PN on 99213?"
    )


def test_pcs_code_with_one_letter() -> None:
    assert ("icd10pcs", "30233N1") in codes("Transfused 2 units PRBC via peripheral IV: 30233N1.")


def test_ids_and_words_that_look_like_codes() -> None:
    assert codes("VFC PIN 33019, vaccines 90696-SL") == {("cpt", "90696"), ("modifier", "SL")}
    assert ("cpt", "40021") not in codes("Processor L8619-RT, serial no. 40021.")
    assert ("modifier", "GT") not in codes("Replaced the GT at bedside, 43762.")
    assert ("modifier", "GT") in codes("Video visit 99214-95. Do plans still want GT?")
    assert ("cpt", "45385") in codes("Medicare claim: 45385-PT; commercial would use 33.")


def test_choices_in_capitals_and_after_be() -> None:
    found = codes("PAYER SAYS IT SHOULD BE 80 OR 82 INSTEAD?? ALSO 99213-57 OR 25?")

    assert {("modifier", "80"), ("modifier", "82"), ("modifier", "25")} <= found
    assert ("modifier", "3P") in codes("2022F-8P today. Is the 8P right or should it be 3P?")
    assert ("modifier", "50") not in codes("The charge for 99213 would be 50 dollars.")


def test_modifier_offered_apart_is_not_put_on_code() -> None:
    found = by_code("Do we bill 67028-50 x1, or two lines with RT and LT? Also 45385-PT, "
                    "and for commercial we'd use 33 instead.")

    assert found["67028"].modifiers == ["50"]
    assert found["45385"].modifiers == ["PT"]
    assert {"RT", "LT", "33"} <= set(found)


def test_list_of_modifiers_goes_on_one_code() -> None:
    found = by_code("The DME bills A4239 x1 per month with KX and CG, and the receiver E2103-NU.")

    assert found["A4239"].modifiers == ["KX", "CG"]
    assert found["E2103"].modifiers == ["NU"]


def test_all_lines_carry_modifier() -> None:
    found = by_code("97110 units: 4\n97140 qty 2\nG0283 x1\nAll three lines carry GP.")

    assert [found[code].modifiers for code in ("97110", "97140", "G0283")] == [["GP"]] * 3


def test_space_aligned_units_column() -> None:
    found = by_code(
        "Rev    HCPCS        Units   Charges\n"
        "0360   29881-RT     1       8,450.00\n"
        "0278   C1713        2       640.00\n"
    )

    assert found["29881"].units == 1
    assert found["C1713"].units == 2


def test_remark_codes_after_and_or_with() -> None:
    assert codes("Medicare denied J3420 with CO-50 and N386.") == {("hcpcs", "J3420")}
    assert codes("The remit says 45380 CO-236 with M80.") == {("cpt", "45380")}


def test_month_abbreviation_before_code() -> None:
    assert ("cpt", "92134") in codes("Injection 67028 today. OCT 92134 the same day.")
    assert codes("Seen Oct 12, 2025 for 99213") == {("cpt", "99213")}


def test_switched_codes_are_not_a_range() -> None:
    found = codes("Our lab switched from 0202U to 0241U last month.")

    assert {("cpt", "0202U"), ("cpt", "0241U")} <= found
    assert by_code("Bill 99202 to 99205 by time")["99202-99205"].range_end == "99205"


def test_more_modifier_phrasings() -> None:
    assert ("modifier", "58") in codes("10180-78 today. Would it have been 58 if planned?")
    assert ("modifier", "GO") in codes("Do 97530 lines need KX in addition to GO?")
    assert ("modifier", "P2") in codes("MAC for 00142-QS today, ASA P2.")
    assert by_code("Well-woman 99395 today. 25 on the 99395?")["99395"].modifiers == ["25"]
    assert ("modifier", "SL") in codes("Vaccines 90723 and 90670. SL on the vaccine lines?")
    assert ("modifier", "HD") not in codes("She moved to in-center HD on the 14th, 90970.")


def test_lower_case_mail_modifiers_after_code() -> None:
    found = by_code("we put cq after gp, like 97110 gp cq. does the order matter?")

    assert found["97110"].modifiers == ["GP", "CQ"]
    assert by_code("Please bill 97110 go to the portal")["97110"].modifiers == []


def test_modifier_word_in_subject_takes_nothing_from_body() -> None:
    found = extract_message(
        "split/shared FS modifier", "NP and physician saw the patient, 99285-FS."
    )

    assert "NP" not in {reference.code for reference in found.references}


def test_cms1500_box_24g_units() -> None:
    assert by_code("24D 20552  24E B  24F $95.00  24G 3")["20552"].units == 3


def test_choice_of_modifiers_is_put_on_no_code() -> None:
    assert by_code("For 97140 and 97530, should it be 59 or XU?")["97530"].modifiers == []
    assert by_code("Should 97530 get 59 or XU?")["97530"].modifiers == []
    assert by_code("Which is correct for 97140 — XU or 59?")["97140"].modifiers == []
    assert by_code("Bill 99213-25 or 59?")["99213"].modifiers == ["25"]


def test_modifiers_in_brackets_and_after_a_bracket() -> None:
    assert by_code("Billed 65855 [RT] for the right eye.")["65855"].modifiers == ["RT"]
    found = codes("Each vessel gets 92928 with its own branch modifier (LD, LC, RI).")
    assert {("modifier", "LD"), ("modifier", "LC"), ("modifier", "RI")} <= found


def test_modifier_asked_about_or_ruled_out() -> None:
    assert ("modifier", "58") in codes("Then 36907 as an add-on to 36901. Is that a 58?")
    assert ("modifier", "59") in codes("Billing 43239, do we want XU or is 59 fine?")
    assert ("modifier", "50") in codes("92134 is already bilateral so no 50, right?")
    assert ("modifier", "26") in codes("Done on our machine, so global; no 26.")
    assert ("modifier", "10") not in codes("Billed 99213 with no 10 minutes added.")
    found = codes("The 58 is for staged procedures, 49002-78 here. 93 is the audio-only modifier.")
    assert {("modifier", "58"), ("modifier", "93")} <= found


def test_modifiers_in_capitals_on_a_line() -> None:
    found = codes("BILLED 99213 AND 20610. A 24 ON THE VISIT AND 79 ON THE PROCEDURE? "
                  "OR IS IT 25 AND 79?")

    assert {("modifier", "24"), ("modifier", "79"), ("modifier", "25")} <= found


def test_offered_choice_not_put_on_code() -> None:
    found = by_code("WE BILLED 45385, 45380-59. OR XS ON THE 45380 INSTEAD OF 59?")

    assert found["45380"].modifiers == ["59"]
    assert by_code("Ablation 36475-RT. Or a second vein with 59 on another 36475?")[
        "36475"
    ].modifiers == ["RT"]


def test_assistant_and_supervision_modifiers_by_context() -> None:
    found = codes("Our PA assisted on 27447-80. I think it needs AS instead.")
    assert ("modifier", "AS") in found
    assert ("modifier", "AS") not in codes("BILLED 27447-80. AS THE ASSISTANT SURGEON, SHE...")
    assert ("modifier", "AD") in codes("01402 for the knee; it may go as medical supervision (AD).")


def test_physical_status_and_modifier_runs() -> None:
    found = codes("MAC for 00142-QK, plus QS, and P2.")
    assert ("modifier", "P2") in found
    assert ("modifier", "P2") not in codes("The P2 report is ready for 99213.")
    run = codes("Anesthesia software adds P1-P6 on 00790.")
    assert {("modifier", f"P{number}") for number in range(1, 7)} <= run
    lids = codes("Chalazion excision 67800 on three lids. I know E1-E4 are the eyelids.")
    assert {("modifier", "E2"), ("modifier", "E3")} <= lids
    assert ("modifier", "T2") not in codes("Fusion 22630 at T1-T4 levels")


def test_lower_case_mail_names_modifiers_in_lower_case() -> None:
    found = codes("medicare pt, do we need the 59 on 97140 at all or should it be xu? "
                  "and the gp goes on every line, right?")

    assert {("modifier", "59"), ("modifier", "XU"), ("modifier", "GP")} <= found
    assert by_code("YAG 66821 lt eye for H26.492.")["66821"].modifiers == ["LT"]


def test_modifier_definitions_in_a_list() -> None:
    found = codes("my cheat sheet:\n25 - separate e/m\nrt/lt - sides\n"
                  "gp/go/gn - therapy\nshe wrote \"24 = unrelated e/m\"")

    assert {("modifier", code) for code in ("25", "RT", "LT", "GP", "GO", "GN", "24")} <= found
    assert ("modifier", "RE") not in codes("RE: 99213 question\nRE: more")


def test_ambiguous_modifier_put_on_lines() -> None:
    assert ("modifier", "KS") in codes("The A4253 claims had KS on them and paid.")


def test_more_look_alike_ids() -> None:
    assert codes("Patient ZIP is 97214. SLT 65855.") == {("cpt", "65855")}
    assert codes("Accession H24-08305, slides 88305-26.") == {
        ("cpt", "88305"), ("modifier", "26")}
    assert codes("0591T: BCBS rejected it with N517. Dx Z71.3") == {
        ("cpt", "0591T"), ("icd10cm", "Z71.3")}
    assert codes("LQ*HE*N115 on E0601. What is N115?") == {("hcpcs", "E0601")}
    assert codes("He was told V76.51, the old system. G0105 now.") == {("hcpcs", "G0105")}
    assert codes("The LOINC is 59673-3 for 80307.") == {("cpt", "80307")}


def test_context_for_letter_codes_and_pcs_numbers() -> None:
    assert ("icd10cm", "E11.65") in codes("Debridement 97597 today. also pt has e1165 too.")
    found = codes("Two stents: 027035Z. Not 0270356, since there's no bifurcation.")
    assert ("icd10pcs", "0270356") in found


def test_code_ending_in_placeholder_is_a_family() -> None:
    found = codes("Primary M99.03. Does Medicare want the subluxation code (M99.0x) first?")

    assert found == {("icd10cm", "M99.03")}
    assert ("icd10cm", "O40.3XX0") in codes("Dx o40.3xx0 for 59001")
    text = "CyberKnife went under G0339 and G0340 last year; the G60xx codes are gone."
    assert codes(text) == {("hcpcs", "G0339"), ("hcpcs", "G0340")}


def test_spine_levels_listed_after_a_range() -> None:
    assert codes('Notes say "C5-C6, T10, L3 adjusted" for 98942.') == {("cpt", "98942")}


def test_modifier_left_off_and_asked_last() -> None:
    assert by_code("So now it's 98940-GA without the AT, right?")["98940"].modifiers == ["GA"]
    found = codes("Second 84132 denied as a duplicate. Should it have 91? Or 59?")
    assert {("modifier", "91"), ("modifier", "59")} <= found
    assert by_code("Should that go out as 97535 GO CO x2?")["97535"].modifiers == ["GO", "CO"]
    assert ("modifier", "HO") in codes("LCSWs get 90834-AJ, and the counselors HO.")


def test_category_ii_code_after_claim_label() -> None:
    assert ("cpt", "3051F") in codes("Category II codes on the claim: 3051F, 3074F.")


def test_facility_claim_codes_are_not_modifiers() -> None:
    found = codes("Do I need 99284-27 and condition code G0? Yes, and G0 at the claim level.")
    assert ("modifier", "G0") not in found
    assert ("modifier", "27") in found
    found = codes("The labs show status indicator Q4 and the CT with Q3 paid nothing, 99285.")
    assert found == {("cpt", "99285")}
    assert codes("Should I append XU on 96360? RARC on the remit was N20.") == {
        ("cpt", "96360"), ("modifier", "XU")}


def test_csv_report_columns() -> None:
    found = by_code(
        '"Acct","DOS","HCPCS","Mod","Units","CARC"\n'
        '"40031177","03/02/2026","96375","","4","CO-151"\n'
        '"40032450","03/04/2026","G0378","","49","N362"\n'
    )

    assert set(found) == {"96375", "G0378"}
    assert found["96375"].units == 4
    assert found["G0378"].system == "hcpcs"
    assert found["G0378"].units == 49


def test_claim_lines_without_header() -> None:
    found = by_code("42\xa0\xa00450\xa0\xa099285\xa0\xa025\xa0\xa0\xa0\xa01\xa0\xa0\xa02,145.00\n"
                    "44  0260  96372      1   184.00\n")

    assert found["99285"].modifiers == ["25"]
    assert found["99285"].units == 1
    assert found["96372"].units == 1
    assert by_code("billing G0378\xa0x\xa019 on rev 0762")["G0378"].units == 19


def test_more_modifier_names_from_facility_mail() -> None:
    found = codes("ER modifier on 99284-ER. That's apart from the PO/PN rule for off-campus sites.")
    assert {("modifier", "PO"), ("modifier", "PN")} <= found
    assert ("modifier", "JG") in codes("JG is gone: every 340B drug takes TB, J9271-TB.")
    assert ("modifier", "PO") in codes("The provider-based clinic keeps PO on everything, 36415.")
    found = by_code("Lines: 80053-L1, and 84484 x 2 (91 on the second line).")
    assert found["80053"].modifiers == ["L1"]
    assert ("modifier", "91") in codes("Lines: 80053-L1, and 84484 x 2 (91 on the second line).")


def test_plural_codes_and_levels_named_twice() -> None:
    assert codes("The payer is downcoding our 99285s to 99283.") == {
        ("cpt", "99285"), ("cpt", "99283")}
    assert codes("Kyphoplasty T12 question.\n\nT12 compression fx, M80.08XA, 22513.") == {
        ("icd10cm", "M80.08XA"), ("cpt", "22513")}


def test_modifier_choices_and_reasons_in_prose() -> None:
    found = codes("Subject: re-excision 19301 - 58 or 78?\nJen: it's 78 because she went back. "
                  "Nobody thinks 79 since it is related.")
    assert {("modifier", code) for code in ("58", "78", "79")} <= found
    assert ("modifier", "25") not in codes("Is the patient 25 or 30? Seen for 99213.")
    found = codes("pt in the global for 27447, now L knee scope 29881. 79 and LT both?")
    assert {("modifier", "79"), ("modifier", "LT")} <= found
    assert ("modifier", "51") in codes("XS on the 2nd lesion 11404 or just 51")
    assert ("modifier", "76") in codes("XE on the second 96372? or 76")


def test_modifier_verbs_and_cues_in_prose() -> None:
    assert by_code("i 59'd the 97140 and it still denied")["97140"].modifiers == ["59"]
    assert ("modifier", "GO") in codes("PT is 97110-GP. OT would be GO and has its own cap.")
    assert ("modifier", "CO") in codes("Both PTA lines 97110 get GP and CQ. (CO is for an OTA.)")
    assert ("modifier", "AA") in codes("Anesthesia code 00790, P5, anesthesiologist alone so AA.")
    assert ("modifier", "FS") in codes("FS goes under whoever did the substantive part, 99233")
    assert ("modifier", "95") in codes("Billed 99213-FQ. And where does 95 fit?")
    assert ("modifier", "JZ") in codes("jz on every single dose vial now? J1040 used it all.")


def test_modifier_put_on_named_codes() -> None:
    found = by_code("ABN signed for 2 labs. GA on 82607 and 84443 only. 80053 goes without.")

    assert found["82607"].modifiers == ["GA"]
    assert found["84443"].modifiers == ["GA"]
    assert found["80053"].modifiers == []
    assert by_code("Personally performed, so AA on 01230.")["01230"].modifiers == ["AA"]


def test_side_per_line_not_put_on_code() -> None:
    found = by_code("Bill one line 20610-50, but the payer wants one with RT and one with LT.")

    assert found["20610"].modifiers == ["50"]
    assert {"RT", "LT"} <= set(by_code("We billed 64491-50. Two lines with RT and LT?"))


def test_cheat_sheet_of_bulleted_definitions() -> None:
    found = codes("Modifiers in the global:\n- 24: unrelated E/M\n- 57: decision for surgery\n"
                  "Postop visits go out as 99024.")

    assert {("modifier", "24"), ("modifier", "57")} <= found


def test_remark_code_that_came_back() -> None:
    assert codes("We billed 2 units of 20553 and got N362 back.") == {("cpt", "20553")}
    assert codes("96375 came back N20 again.") == {("cpt", "96375")}


def test_numbers_in_forms_and_logs_are_not_codes() -> None:
    assert codes("Femoral component lot 65A1123, tibial LOT E77310. 27447 today.") == {
        ("cpt", "27447")}
    assert ("modifier", "27") not in codes("Compliance 27 of 30 nights on E0601.")
    assert codes("PSG 95810: T90 14.3% of the night.") == {("cpt", "95810")}
    assert codes("Home health CBSA 19124, MAC carrier 01182, locality 18. G0299 visits.") == {
        ("hcpcs", "G0299")}
    assert codes("Units W0417 25 118842 and W0417 25 118843 transfused, 36430.") == {
        ("cpt", "36430")}
    assert ("modifier", "99") not in codes("Length of need 99 for E0260-RR.")


def test_quantities_are_not_modifiers() -> None:
    assert ("modifier", "53") not in codes("52 min, so 90837 needs 53+, right?")
    assert ("modifier", "82") not in codes("81479 panel, BRCA1/2 plus 82 other genes.")
    assert ("modifier", "RA") not in codes("Does the CMN for E1390 need the RA values?")


def test_codes_after_a_claim_label() -> None:
    assert ("cpt", "99213") in codes("Claim: 99213 with G2211, dx J01.90.")
    assert ("icd10cm", "Z79.01") in codes("Which go on the claim: Z79.01, Z79.4?")
    assert ("cpt", "44512") not in codes("Claim: 44512 denied line 2, 97140-59.")


def test_changed_code_with_words_between_is_no_range() -> None:
    found = by_code("We're changing line 2 from 97140 to 97530-GP.")

    assert set(found) >= {"97140", "97530"}
    assert found["97140"].range_end is None


def test_payer_order_is_no_diagnosis_hint() -> None:
    found = codes("Medicare is secondary for this patient, so Medicare gets G0283. Dx M54.16.")

    assert ("hcpcs", "G0283") in found


def test_modifier_order_follows_the_body() -> None:
    found = extract_message("L1833 claim - POS and KX", "Line 1: L1833-RT-KX, $642.00")

    assert found.references[0].modifiers == ["RT", "KX"]


def test_hurried_typing() -> None:
    assert codes("ok to bill 99213and 20610 for the knee?") == {("cpt", "99213"), ("cpt", "20610")}
    assert by_code("99213,25? doc froze 3 AKs, 17000")["99213"].modifiers == ["25"]
    assert by_code("should be 20610-LT not -RT, my bad")["20610"].modifiers == ["LT"]
    assert codes("Call me at x2231 if easier. 99490 today.") == {("cpt", "99490")}


def test_common_three_character_codes_alone() -> None:
    assert codes("Sir, is correct to use only Z23 for visit of flu shot?") == {("icd10cm", "Z23")}


def test_more_choices_late_in_a_sentence() -> None:
    found = codes("66984-LT on 5/20 got denied. Should the LT line have 79 too?")
    assert ("modifier", "79") in found
    found = codes("I put 78 on the 27310, that's right and not 76, yes?")
    assert {("modifier", "78"), ("modifier", "76")} <= found
    assert ("modifier", "BP") not in codes("RPM with a BP cuff: 99453 once at setup.")


def test_rooms_and_policies_in_signatures() -> None:
    assert codes("Thanks,\nWound Center, 400 Elm St, Suite C101\n97597 today") == {
        ("cpt", "97597")}
    assert codes("Ste B200, Room E114. Policy Z794-221 applies to 99213.") == {
        ("cpt", "99213")}


def test_table_modifiers_skip_the_diagnosis_column() -> None:
    found = by_code("CPT\tMod1\tUnits\tDx1\n99214\t25\t1\tE1165\n")

    assert found["99214"].modifiers == ["25"]
    assert found["E11.65"].modifiers == []
    assert found["E11.65"].units is None


def test_modifier_list_in_one_cell() -> None:
    assert by_code("97140\tGP,59\t1\n")["97140"].modifiers == ["GP", "59"]
    assert by_code("97140 | GP 59 | 1\n")["97140"].modifiers == ["GP", "59"]
    assert by_code("billed 97140\tGP,59 today")["97140"].modifiers == []


def test_modifier_lists_and_units_typed_tersely() -> None:
    assert by_code("99214-25,59 today")["99214"].modifiers == ["25", "59"]
    assert by_code("99213 with mod. 25")["99213"].modifiers == ["25"]
    assert by_code("97112 x1u and J3301 x4u")["J3301"].units == 4
    assert codes("Order 81001 UA and 87086 culture.") == {("cpt", "81001"), ("cpt", "87086")}


def test_screening_turned_diagnostic_pair() -> None:
    found = codes("We bill 00812 with modifier 33. Keep the 33 (or PT for Medicare)?")

    assert {("modifier", "33"), ("modifier", "PT")} <= found
    assert ("modifier", "GN") in codes("Can she bill 92526 and 92507? GN + 59 on the 92526?")
    assert ("modifier", "79") in codes("66821-LT, outside the 90 days and no 79 needed?")
    assert ("modifier", "GE") in codes("We bill 99214-GC. Under the exception it's GE then?")


def test_choice_within_one_modifier_family() -> None:
    assert {("modifier", "AS"), ("modifier", "80")} <= codes(
        "Assistant at surgery on 27447. Is AS or 80 right?")
    assert {("modifier", "26"), ("modifier", "TC")} <= codes("For 71046, 26 vs TC?")
    # Two numbers are no choice of modifiers by themselves.
    assert codes("She is 80 or 81 years old; 99214 today.") == {("cpt", "99214")}


def test_modifier_in_brackets_after_its_meaning() -> None:
    assert by_code("For 64483 bilateral (50) do we bill 1 unit?")["64483"].modifiers == ["50"]
    assert by_code("Bill 71046 professional component (26) only")["71046"].modifiers == ["26"]
    # 59 does not mean bilateral, so the bracket is no modifier.
    assert ("modifier", "59") not in codes("64483 bilateral (59 minutes)")


def test_units_written_as_words() -> None:
    found = by_code("97110 two units and 97140 one unit")

    assert (found["97110"].units, found["97140"].units) == (2, 1)
    assert by_code("Billed two units of 97110 today")["97110"].units == 2
    assert by_code("Someone units 97110")["97110"].units is None


def test_bare_category_asked_as_billable() -> None:
    assert codes("Is R69 billable?") == {("icd10cm", "R69")}
    assert codes("is R69 a billable code?") == {("icd10cm", "R69")}
    assert codes("Is J1100 billable?") == {("hcpcs", "J1100")}


def test_modifiers_kept_in_the_sets_written() -> None:
    found = by_code("Bilateral TKA: bill 27447 RT, 27447 LT, or 27447-50?")

    assert found["27447"].modifiers == ["RT", "LT", "50"]
    assert found["27447"].modifier_sets == [["RT"], ["LT"], ["50"]]
    # Two lines of one code, one of them with 59 as well.
    lines = by_code("97110-GP x2 and 97110-GP-59 x1")
    assert lines["97110"].modifier_sets == [["GP"], ["GP", "59"]]
    # The same set written twice, and the code alone, add nothing.
    again = by_code("99213-25 billed; was the 99213 25 denied, or the 99213?")
    assert again["99213"].modifier_sets == [["25"]]
    assert by_code("99213 today")["99213"].modifier_sets == []


def test_units_kept_per_line_written() -> None:
    found = by_code("Bill J9305 x 95 on line 1 and J9305-JW x 5 on line 2.")

    assert found["J9305"].unit_lines == [([], 95), (["JW"], 5)]
    assert found["J9305"].units == 95
    assert by_code("97110 x2 today, 97110 x2 again")["97110"].unit_lines == [([], 2)]
    assert by_code("97110 today")["97110"].unit_lines == []


def test_sentence_dot_after_room_is_no_room_number() -> None:
    assert ("cpt", "24640") in codes("Reduced in the room. 24640 plus 99213-25?")
    assert codes("Rm. 24640, 99213 today") == {("cpt", "99213")}


def test_respirator_is_not_a_dotted_diagnosis() -> None:
    assert ("icd10cm", "N95.0") in codes("Postmenopausal bleeding (N95.0), TVUS (76830)")
    assert codes("Fit-tested for an N95 before 99213") == {("cpt", "99213")}


def test_modifier_for_every_line_or_both_codes() -> None:
    lab = by_code("Vitamin D (82306) and TSH (84443). I'm putting GA on both lines.")
    assert (lab["82306"].modifiers, lab["84443"].modifiers) == (["GA"], ["GA"])
    oxygen = by_code("E1390 concentrator and E0431 portable, both RR.")
    assert (oxygen["E1390"].modifiers, oxygen["E0431"].modifiers) == (["RR"], ["RR"])
    # A state on both claims of a patient is still a state.
    assert ("modifier", "GA") not in codes("Pt moved to GA on both 99213 visits.")


def test_modifier_pair_of_one_family_with_slash() -> None:
    assert {("modifier", "JG"), ("modifier", "TB")} <= codes("JG/TB for J9271 in 2025")
    assert {("modifier", "RT"), ("modifier", "LT")} <= codes("L3908: KX or just RT/LT?")


def test_code_before_with_takes_the_modifier() -> None:
    found = by_code("Billed as H0031 with HO, not 90791.")

    assert found["H0031"].modifiers == ["HO"]
    assert found["90791"].modifiers == []


def test_second_modifier_for_a_second_target() -> None:
    text = "Dr did 99213 and 20610. Does the E/M need 24 and the injection 79?"
    assert ("modifier", "79") in codes(text)
    assert ("modifier", "59") in codes("99204 and 58100. Need 25 on the visit and 59 on anything?")


def test_named_modifier_joins_no_written_set() -> None:
    found = by_code("We billed 99213-25. Should I add 59 to the 99213?")

    assert found["99213"].modifiers == ["25", "59"]
    assert found["99213"].modifier_sets == [["25"]]


def test_clinical_abbreviations_are_not_modifiers() -> None:
    assert codes("Pt has CKD and HF. Coded I13.0, with the HF as MCC.") == {("icd10cm", "I13.0")}
    assert ("modifier", "HF") not in codes("combo code when both HF and CKD are present, I13.0")
    found = by_code("96361 - NS 1 L over 70 min (J7030)")
    assert found["96361"].modifiers == []
    assert "NS" not in found


def test_ambiguous_pair_after_claim_or_code_with() -> None:
    surgery = by_code("Since 44120 is inpatient only, we bill it on the outpatient claim with CA.")
    assert surgery["44120"].modifiers == ["CA"]
    group = by_code("Medicaid wants H0005 with HF for group counseling.")
    assert group["H0005"].modifiers == ["HF"]
    # A lower-case word after the pair still makes it a word: "with CT contrast".
    assert ("modifier", "CT") not in codes("74177 with CT contrast")


def test_modifier_on_the_drug_line() -> None:
    found = by_code("Billing J9271 with 96413. No waste, so JZ on the drug line.")
    assert found["J9271"].modifiers == ["JZ"]
    # A drug line written with its modifiers is left as written.
    again = by_code("We put JG on the drug line before. Now it goes out as J9299-TB-JZ.")
    assert again["J9299"].modifiers == ["TB", "JZ"]


def test_procedure_code_split_after_its_table() -> None:
    pasted = "What the encoder gave me:\n0SP 908Z   Removal spacer R hip jt, open"
    assert codes(pasted) == {("icd10pcs", "0SP908Z")}
    # Beside a PCS code written whole, the mail is about PCS too.
    assert codes("0SP 908Z, then 0SR90J9?") == {("icd10pcs", "0SP908Z"), ("icd10pcs", "0SR90J9")}
    assert codes("PLEASE SEE GFR TEST AND CHF WITH DME CODE") == set()
    assert codes("B12 1000 mcg daily") == set()


def test_pcs_code_of_letters_only() -> None:
    pasted = "ICD-10-PCS:\nGZ58ZZZ  individual CBT\nGZHZZZZ  group"
    assert codes(pasted) == {("icd10pcs", "GZ58ZZZ"), ("icd10pcs", "GZHZZZZ")}
    assert codes("Is XXEZXAB reported with 0DTJ4ZZ?") == {
        ("icd10pcs", "XXEZXAB"), ("icd10pcs", "0DTJ4ZZ")
    }
    # Outside mail about PCS, and as part of a longer word, the letters are no code.
    assert codes("GZHZZZZ was in the subject line") == set()
    assert codes("ICD-10-PCS GZHZZZZZ and 0DTJ4ZZ") == {("icd10pcs", "0DTJ4ZZ")}


def test_ids_after_labels_and_claim_suffixes() -> None:
    notice = "prior authorization for these services for members:\n\n70551, 70553"
    assert codes(notice) == {("cpt", "70551"), ("cpt", "70553")}
    assert codes("PCP claim: G0296, dx Z87.891") == {("hcpcs", "G0296"), ("icd10cm", "Z87.891")}
    assert codes("Claim:\n67028-RT") == {("cpt", "67028"), ("modifier", "RT")}
    assert codes("ERA for claim 26288-004519, 99213-25") == {("cpt", "99213"), ("modifier", "25")}
    assert codes("Member: 45332 was billed") == set()


def test_revenue_code_list_stops_at_a_cpt_code() -> None:
    assert codes("Pro fee goes on the UB with rev 0981 and 99283.") == {("cpt", "99283")}
    assert codes("Rev codes 0450, 0636 and 0258 on the UB") == set()


def test_origin_destination_pair_after_its_label() -> None:
    assert ("modifier", "HH") in codes("ALS1 emergency, A0427. Origin/destination HH?")


def test_both_with_modifier_before_a_bracket() -> None:
    found = by_code("I have 01967 and 01968, both with QZ (CRNA alone).")
    assert (found["01967"].modifiers, found["01968"].modifiers) == (["QZ"], ["QZ"])


def test_next_line_keyword_ignored() -> None:
    listed = "On the claim:\n99214\n90662\nG0008\nDx on the vaccine lines is Z23."
    assert ("hcpcs", "G0008") in codes(listed)
    assert ("icd10cm", "G00.08") not in codes(listed)


def test_uncomplicated_delivery_without_a_keyword() -> None:
    assert ("icd10cm", "O80") in codes("It was a cesarean, so should I use O80 anywhere?")


def test_modifier_ruled_out_with_not() -> None:
    found = codes("The ASC bills 29881-73-RT. The surgeon bills nothing, not 53.")
    assert ("modifier", "53") in found
    assert ("modifier", "30") not in codes("Time was 25 minutes, not 30.")


def test_modifier_asked_with_right() -> None:
    text = "I was going to bill 64447. Also the block should have LT, right?"
    assert ("modifier", "LT") in codes(text)


def test_modifier_on_the_second_line() -> None:
    found = by_code("The payer wants 87804 x2 with QW on both lines and 59 on the second.")
    assert "59" in found


def test_oxygen_flow_modifiers_offered_together() -> None:
    text = "E1390 RR. Is the QE/QF/QG stuff only when the flow is under 1 LPM? We keep adding QG."
    assert {("modifier", "QE"), ("modifier", "QF"), ("modifier", "QG")} <= codes(text)


def test_both_with_state_shaped_modifier_after_units() -> None:
    found = by_code("Claim: A4253 x3 (150 strips), A4259 x2, both with KS. Meter E0607.")
    assert (found["A4253"].modifiers, found["A4259"].modifiers) == (["KS"], ["KS"])
    assert found["E0607"].modifiers == []


def test_modifier_on_all_drug_lines() -> None:
    text = (
        "Infusion charges: J1100 x12, J1200, 96413.\n\n"
        "Should the push be 96375? Also JZ on all the drug lines since no waste?"
    )
    found = by_code(text)
    assert (found["J1100"].modifiers, found["J1200"].modifiers) == (["JZ"], ["JZ"])
    assert found["96375"].modifiers == []


def test_modifier_needed_on_the_visit() -> None:
    found = by_code("Bill 99214 + 90833. Also, is a 25 needed on the E/M for the add-on?")
    assert found["99214"].modifiers == ["25"]
    assert found["90833"].modifiers == []


def test_all_with_modifier_after_a_list() -> None:
    found = by_code("I billed 97110 x2, 97140 x1, 97530 x1. All with GP, and CQ on 97530.")
    assert [found[code].modifiers for code in ("97110", "97140")] == [["GP"], ["GP"]]
    assert found["97530"].modifiers == ["GP", "CQ"]


def test_oasis_items_are_no_codes() -> None:
    text = "Primary in M1021 on the OASIS was R26.81. Other diagnoses in M1023: S72.141D, I10."
    assert codes(text) == {("icd10cm", "R26.81"), ("icd10cm", "S72.141D"), ("icd10cm", "I10")}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Lab confirmation: G0480 (lab bills this?)", {("hcpcs", "G0480")}),
        ("Confirmation: 88123456 for 99213", {("cpt", "99213")}),
        ("Our client ID there is 40072. Bill 80053-90", {("cpt", "80053"), ("modifier", "90")}),
        ("One claim deny with N657 on an 80307", {("cpt", "80307")}),
    ],
)
def test_ids_and_remark_codes_after_their_words(text: str, expected: set) -> None:
    assert codes(text) == expected


def test_count_in_lower_case_is_no_category() -> None:
    found = by_code("A6550 dressing sets x15 per month for a stage 4 ulcer (L89.154).")
    assert set(found) == {"A6550", "L89.154"}
    assert found["A6550"].units == 15


def test_sum_after_times_is_no_units() -> None:
    found = by_code("B4150 is per 100 calories so 15 units a day x 30 = 450")
    assert found["B4150"].units != 30


def test_dashed_modifiers_without_a_code() -> None:
    text = "It puts E0260-RR-KH-KX for month 1, then RR-KI-KX for months 2 and 3."
    assert {("modifier", "KI"), ("modifier", "KX")} <= codes(text)
    assert codes("MRI showed a bulge at T4-T5, 72148") == {("cpt", "72148")}


def test_heart_rate_is_no_modifier() -> None:
    assert codes("Device records airflow, O2 sat, HR = type III. G0399?") == {("hcpcs", "G0399")}


def test_modifier_asked_alone() -> None:
    assert ("modifier", "RT") in codes("Fit L3908. Modifiers on the L code RT only?")
    assert ("modifier", "CG") in codes("L1833-RT for M1711. do we need the KX? CG? and more")
    assert ("modifier", "U1") in codes("T1019 x16 per day. Any modifier needed? U1? Thanks")
    assert codes("Is this right? OK? Thanks") == set()


def test_all_or_both_with_modifier_after_codes() -> None:
    found = by_code("We billed 97110 x2 and 97530 x1, all with GP and KX because she is over.")
    assert found["97110"].modifiers == ["GP", "KX"]
    found = by_code("SLP did 92610 and then 92526. Pt had a stroke. Both with GN? Or bundled?")
    assert (found["92610"].modifiers, found["92526"].modifiers) == (["GN"], ["GN"])
    found = by_code("A7030, A7035 shipped. All lines with KX.")
    assert found["A7030"].modifiers == ["KX"]


def test_all_with_modifier_before_its_lines() -> None:
    found = by_code("Well child 99392, plus 99213-25. VFC vaccines, all with SL:\n90696-SL\n90710")
    assert found["99213"].modifiers == ["25"]
    assert found["90696"].modifiers == ["SL"]


def test_crew_on_board_is_no_modifier() -> None:
    text = "Crew was 2 paramedics, no RN or RT on board. Coded A0434-HH + A0425 x46."
    assert {code for system, code in codes(text) if system == "modifier"} == {"HH"}


def test_audiology_modifier_and_claim_line_pointers() -> None:
    assert ("modifier", "AB") in codes("AB modifier questions (Medicare, no order) for 92557")
    claim_line = "24.  03/02/26  POS 11  99213  25    AB  $140.00  1 unit"
    assert by_code(claim_line)["99213"].modifiers == ["25"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("So A5512 I think. Shoe is style M4590, width 4E.", {("hcpcs", "A5512")}),
        ("Fitted for scleral lenses, lab order L2710-0084.", set()),
        ("Sample batch: R51.9 headache, R10.9", {("icd10cm", "R51.9"), ("icd10cm", "R10.9")}),
        ("Our ED facility claim: 99291, 96374 + 96365?", {("cpt", "99291"), ("cpt", "96374"),
                                                          ("cpt", "96365")}),
        ("Pt has been on the E0601 since 2025, compliant.", {("hcpcs", "E0601")}),
    ],
)
def test_ids_styles_and_devices(text: str, expected: set) -> None:
    assert codes(text) == expected


def test_range_and_units_across_wrapped_lines() -> None:
    found = by_code("Does the rule apply for 99202 through\n99205 across practices?")
    assert set(found) == {"99202-99205"}
    assert by_code("we have 17000 + 17003\nx15. payer edit says")["17003"].units == 15
    assert set(by_code("is it 99213 -\n99214 or more?")) == {"99213", "99214"}


def test_modifier_choice_after_wrapped_or() -> None:
    text = "I have 27310-78-RT. Is 78 right, or\n76? It's a different procedure."
    assert ("modifier", "76") in codes(text)


def test_code_with_modifier_instead_of_other_code() -> None:
    found = by_code("On anesthesia, would it be 00811 with modifier PT instead of 00812?")
    assert (found["00811"].modifiers, found["00812"].modifiers) == (["PT"], [])
    found = by_code("45385-PT; for the commercial plan we'd use 33 instead.")
    assert found["45385"].modifiers == ["PT"]
    assert found["33"].system == "modifier"


def test_modifiers_named_as_answers() -> None:
    text = "Do pricing modifiers go before informational ones (GC, 59)? Example: 93306-26-GC"
    assert ("modifier", "59") in codes(text)
    assert ("modifier", "G9") in codes("MAC for 66984 with 00142-QZ-QS. Would G9 replace QS?")
    assert ("modifier", "24") in codes("Post-op visit denied CO-97 after 47562. Is 24 the fix?")
    assert codes("Is 50 the right number of units for J1100?") == {("hcpcs", "J1100")}
    assert codes("Patients (CA, 59) and (GA, 30) at 99213") == {("cpt", "99213")}


def test_curly_quotes_read_as_plain() -> None:
    found = by_code("i 59\u2019d the 97140 and it still came back CO-236 with 98941.")
    assert found["97140"].modifiers == ["59"]
    found = by_code("The payer wants \u201c-GY\u201d on 92015 for the refraction.")
    assert found["92015"].modifiers == ["GY"]


def test_addresses_and_category_less_ids() -> None:
    assert codes("Olathe clinic, 15100 W 119th St, Olathe, KS 66062") == set()
    assert codes("The Hays office does most of these, 2701 Vine St, 67601.") == set()
    assert codes("The clinic (4475 Barnes Rd, Suite 110, 80917) closes") == set()
    assert codes('The letter mentions "Z0759", not a CPT I know of.') == set()
    assert codes("dx m5450 and E1140") >= {("icd10cm", "M54.50")}


def test_code_list_after_id_word() -> None:
    found = codes("Billing the PIP carrier: 99204, 72040, 72100. Dx S13.4XXA")
    assert {("cpt", "99204"), ("cpt", "72040"), ("cpt", "72100")} <= found
    assert ("cpt", "40031") not in codes("Ref # 40031, 40032")


def test_drug_modifier_not_on_procedure_code() -> None:
    found = by_code("J3304 x 32, injected as 20610-LT, and JZ since nothing is left in the kit.")
    assert found["20610"].modifiers == ["LT"]
    assert found["JZ"].system == "modifier"


def test_modifier_cues_with_as_and_because() -> None:
    assert ("modifier", "LT") in codes("Does it need F5, or does laterality go as LT?")
    text = "Is it 64721-RT-79 since it's the other side, or 58 because it was planned?"
    assert ("modifier", "58") in codes(text)
    assert ("cpt", "99213") in codes("it was billed as 99213.")


def test_units_column_not_billing_unit() -> None:
    table = ("| Drug | HCPCS | Billing unit | Typical dose | Units |\n|---|---|---|---|---|\n"
             "| Triamcinolone | J3301 | 10 mg | 40 mg | 4 |")
    assert by_code(table)["J3301"].units == 4


def test_state_abbreviation_line_end_before_list_item() -> None:
    text = "1. Signs the ABN: L1812 GA\n2. Refuses to sign: L1812 GZ"
    assert by_code(text)["L1812"].modifiers == ["GA", "GZ"]


def test_undotted_diagnosis_list_before_procedure() -> None:
    text = "the claim shows E1140, Z794 and M5450 on 99214. The payer rejected M5450."
    assert {("icd10cm", "E11.40"), ("cpt", "99214")} <= codes(text)
    assert ("hcpcs", "G0008") in codes("high-dose flu vaccine 90662, admin G0008, dx Z23.")


def test_ranges_written_in_capitals() -> None:
    assert ("cpt", "99202-99205") in codes("NEW PT LEVELS 99202 THROUGH 99205 FOR THE TIN?")
    assert ("cpt", "99221-99223") in codes("Initial care 99221 Thru 99223")
    assert codes("WE CHANGED FROM 99213 TO 99214") == {("cpt", "99213"), ("cpt", "99214")}


def test_modifier_choice_in_quotes() -> None:
    assert {("modifier", "XU"), ("modifier", "59")} <= codes('Is "XU" or "59" right on 97140?')
    assert ("modifier", "59") in codes("Is \u201cXU\u201d or \u201c59\u201d right on 97140?")


def test_negated_modifier_kept_off_the_code() -> None:
    found = by_code("So 99392-EP and 99213-25, and no EP on the 99213.")
    assert found["99392"].modifiers == ["EP"]
    assert found["99213"].modifiers == ["25"]


def test_modifier_offered_with_another_kept_off_the_code() -> None:
    found = by_code("Do we need 59 on 96372 or XU?")
    assert found["96372"].modifiers == []
    assert {"59", "XU"} <= set(found)
    assert by_code("Do we need 59 on 96372 or not?")["96372"].modifiers == ["59"]


def test_modifier_after_the_units_of_a_code() -> None:
    found = by_code("Mvasi = Q5107 x40 JZ instead of J9035.")
    assert (found["Q5107"].modifiers, found["Q5107"].units) == (["JZ"], 40)
    found = by_code("Billing J0881 x200 -EA and 96372.")
    assert found["J0881"].modifiers == ["EA"]
    assert found["96372"].modifiers == []
    assert by_code("97110 x2 PT eval today")["97110"].modifiers == []
    assert by_code("97110 x2 59 minutes")["97110"].modifiers == []


def test_both_sides_named_together() -> None:
    found = by_code("A5513 x2 (one RT, one LT), all with KX")
    assert {"RT", "LT", "KX"} <= set(found)
    assert found["A5513"].modifiers == ["KX"]
    assert {"LT", "RT"} <= set(by_code("L3000 x2 (LT + RT on separate lines)."))


def test_foot_care_class_findings_near_class() -> None:
    assert "Q9" in by_code("G0127 or 11719? Q9 documented (1 class B + 2 class C).")
    assert codes("Keflex Q8 hours, recheck 99213") == {("cpt", "99213")}


def test_cc_of_a_drg_is_no_modifier() -> None:
    assert codes("The query is out. Do not drop the CC until then.") == set()
    assert by_code("Add the CC modifier to 27447.")["27447"].modifiers == ["CC"]


def test_street_after_a_two_letter_direction() -> None:
    assert codes("16050 SW Langer Dr, Sherwood OR 97140") == set()


def test_facility_line_column_holds_codes() -> None:
    text = "Acct\tPro level\tFacility line\tRev\nA-448120\t99284\tG0382\t0450\n"
    assert codes(text) == {("cpt", "99284"), ("hcpcs", "G0382")}
    assert codes("Line\tCPT\n1\t99284\n") == {("cpt", "99284")}


def test_units_cell_is_no_modifier() -> None:
    found = by_code("| CPT | Units |\n|---|---|\n| J9030 | 50 |\n")
    assert (found["J9030"].modifiers, found["J9030"].units) == ([], 50)
    assert "50" not in found


def test_therapy_modifiers_alone_in_therapy_mail() -> None:
    assert "GP" in by_code("97113 and 97110 same day ok if separate time? both GP. thx")
    assert "GN" in by_code("SLP did 45 min of cognitive tx, 97129 x1 + 97130 x2? GN.")
    assert codes("Her GP referred her for 99213") == {("cpt", "99213")}


def test_bare_category_after_patient_with() -> None:
    assert ("icd10cm", "C61") in codes("Pt with C61 (Gleason 3+4=7) going to radiation.")
    assert codes("pt with E0601 rental") == {("hcpcs", "E0601")}


def test_pair_that_applies_something_is_no_modifier() -> None:
    assert codes("ED applied a short arm volar splint, 29125.") == {("cpt", "29125")}
    assert by_code("Was 59 applied to 97140?")["97140"].modifiers == ["59"]


def test_reason_code_of_a_returned_claim_wherever_written() -> None:
    text = "I've never seen 34538. Bill 99213?\n\nRTP REASON 34538\nHCPCS Q5001\n"
    assert codes(text) == {("cpt", "99213"), ("hcpcs", "Q5001")}


def test_csv_export_without_quotes() -> None:
    text = ("Lines from the upload file:\n\n"
            "ticket,acct,dos,code,mod,units,ndc,charge\n"
            "55178-1,40023311,2026-04-30,20610,RT,1,,285.00\n"
            "55178-2,40023311,2026-04-30,J3301,,4,00003-0293-05,48.00\n")
    found = by_code(text)
    assert set(found) == {"20610", "J3301", "RT"}
    assert (found["20610"].modifiers, found["20610"].units) == (["RT"], 1)
    assert found["J3301"].units == 4


def test_x12_service_lines() -> None:
    claim = by_code("SV1*HC:98941:AT*65*UN*1***1:2~\nSV1*HC:97140:GP:59*45*UN*1***3~\n")
    assert (claim["98941"].modifiers, claim["98941"].units) == (["AT"], 1)
    assert (claim["97140"].modifiers, claim["97140"].units) == (["GP", "59"], 1)
    remittance = by_code("CLP*771204588*2*410*185.2**12*1226031500771~\n"
                         "SVC*HC:99214*285*185.2**1~\nSVC*HC:20610:RT*125*0**1~\n")
    assert remittance["99214"].units == 1
    assert (remittance["20610"].modifiers, remittance["20610"].units) == (["RT"], 1)
    facility = by_code("SV2*0450*HC:99284:25*1250*UN*1~")
    assert (facility["99284"].modifiers, facility["99284"].units) == (["25"], 1)


def test_units_ending_a_claim_line() -> None:
    found = by_code("Rev 0636  J1756  iron sucrose 200 mg   units 200\n"
                    "Rev 0636  J2405  ondansetron 4 mg      units 4   (multi-dose vial)\n")
    assert (found["J1756"].units, found["J2405"].units) == (200, 4)
    lines = by_code("Planned lines:\n15275-RT       1\nQ4101-JC       14\nQ4101-JC-JW    30\n")
    assert lines["15275"].units == 1
    assert lines["Q4101"].unit_lines == [(["JC"], 14), (["JC", "JW"], 30)]


def test_asc_payment_indicators_are_no_modifiers() -> None:
    text = "ASC drugs (K2 vs N1)\nHCPCS\tDrug\tOur PI\nJ1100\tdexamethasone 4 mg\tN1\n"
    assert codes(text) == {("hcpcs", "J1100")}


def test_own_count_after_i_get_is_no_modifier() -> None:
    assert codes("Minus 2 hours for recovery; I get 27.") == set()
    assert "25" in by_code("Can we get 25 on it?")


def test_counted_days_are_no_modifier() -> None:
    assert codes("She has missed 23 school days this semester.") == set()


def test_two_modifiers_after_claim_label() -> None:
    found = by_code("Surgeon's claim: 66984-LT-79 today")
    assert found["66984"].modifiers == ["LT", "79"]
    assert codes("Claim: 88213-07-22") == set()


def test_code_list_after_claim_label() -> None:
    text = "My side for the pro claim: 99460 day 1, 99462 day 2, 99238 at discharge"
    assert codes(text) == {("cpt", "99460"), ("cpt", "99462"), ("cpt", "99238")}


def test_modifiers_after_would_be() -> None:
    text = "The Medicaid modifiers would be HE and HB? Dx F33.1."
    assert codes(text) == {("modifier", "HE"), ("modifier", "HB"), ("icd10cm", "F33.1")}
    assert codes("The modifier is 50% of the fee") == set()


def test_remark_code_in_a_denial_sentence() -> None:
    assert codes("Also 94760 keeps getting bundled (N20) - should we stop?") == {
        ("cpt", "94760")
    }
    assert codes("Medi-Cal denied 36416 last month with N20 on a similar claim.") == {
        ("cpt", "36416")
    }
    assert ("icd10cm", "N20.0") in codes("Claim denied; the stone is N20.0, billed 74176.")


def test_risk_score_names_are_no_codes() -> None:
    text = "Persistent AF, I48.11. CHA2DS2-VASc 5, HAS-BLED 3. Implant 33340."
    assert codes(text) == {("icd10cm", "I48.11"), ("cpt", "33340")}
    assert codes("chads2 score of 3") == set()


def test_computed_radiography_units_are_no_modifier() -> None:
    text = "Our clinic still has the CR units (not DR). We send 73030-FY."
    assert codes(text) == {("cpt", "73030"), ("modifier", "FY")}


def test_physical_status_pair_without_asa() -> None:
    text = "Does Medicare pay extra for P3/P4 or is that just some plans?"
    assert codes(text) == {("modifier", "P3"), ("modifier", "P4")}
    assert codes("G2P3 at 39 weeks") == set()


def test_changed_code_is_no_range() -> None:
    assert codes("I think this drops from 93306 to 93308, right?") == {
        ("cpt", "93306"), ("cpt", "93308")
    }
    assert codes("Auditor downcoded it from 99215 to 99214.") == {
        ("cpt", "99215"), ("cpt", "99214")
    }
    assert codes("We bill 99202 to 99205 for new patients") == {("cpt", "99202-99205")}


def test_abbreviation_before_its_diagnosis_code() -> None:
    text = "TEE for severe AS (i35.0). She is not on the team, so no 62 or 80 modifiers."
    assert codes(text) == {("icd10cm", "I35.0"), ("modifier", "62"), ("modifier", "80")}


def test_pair_before_code_is_no_modifier() -> None:
    found = by_code("IJ central line 36556 with US 76937")
    assert found["36556"].modifiers == []
    assert "US" not in found
    assert by_code("Bill 20610 with RT")["20610"].modifiers == ["RT"]


def test_places_of_service_listed_with_not() -> None:
    assert codes("And is the OBL POS 11, not 24?") == set()


def test_spaced_dash_before_lower_case_prose() -> None:
    found = by_code("Also 99116 - pt temp was 35.4 on arrival. Bill 20610 - RT.")
    assert found["99116"].modifiers == []
    assert "PT" not in found
    assert found["20610"].modifiers == ["RT"]


def test_icd9_v_code_ending_a_sentence() -> None:
    text = "Old chart (2014) has dx V58.0, and hx V10.46. Confirm new ones are C61 and Z85.46."
    assert codes(text) == {("icd10cm", "C61"), ("icd10cm", "Z85.46")}


def test_remark_code_after_rejected_with() -> None:
    text = "Dx r079. Payer portal rejected it w/ N362 but I think that's a units cap thing."
    assert codes(text) == {("icd10cm", "R07.9")}


def test_pair_between_article_and_noun() -> None:
    assert codes("Dr. Abernathy added a CS lead for the CRT-D. 33224") == {("cpt", "33224")}
    found = by_code("Add a JW line for the waste of J9305. Put a KX modifier on L1833.")
    assert found["J9305"].modifiers == ["JW"]
    assert found["L1833"].modifiers == ["KX"]


def test_minutes_column_is_no_modifier() -> None:
    text = ("ASA   | MODS  | MIN | DX\n"
            "------|-------|-----|-------\n"
            "00840 | QY P2 |  74 | K40.90\n"
            "00731 | AA P2 |  22 | K21.9\n")
    found = by_code(text)
    assert found["00840"].modifiers == ["QY", "P2"]
    assert found["00731"].modifiers == ["AA", "P2"]
    assert "74" not in found
    assert "22" not in found


def test_modifier_after_plus_sign() -> None:
    found = by_code("64488 vs 64486+50?")
    assert found["64486"].modifiers == ["50"]
    assert found["64488"].modifiers == []


def test_modifier_named_as_an_issue() -> None:
    text = "Is 96127 not allowed with G0444 or is it a 59 issue?"
    assert ("modifier", "59") in codes(text)
    assert ("modifier", "59") in codes(text.upper())


def test_count_ending_a_line_after_a_first_field() -> None:
    found = by_code("Facility lines:\n0352  74177         1\n0636  Q9967       100\n")
    assert found["74177"].units == 1
    assert found["Q9967"].units == 100
    assert by_code("Mon  H0015-HF  1\nWed  H0015-HF  1\n")["H0015"].units == 1


def test_hospice_disciplines_and_claim_form() -> None:
    text = ("SW visits: 3/6 60 min.\n  rev 0551  G0299  (RN, units = 15 min increments)\n"
            "  rev 0561  G0155  (SW)\nso for 3/8 I'd have G0299 x 8 and G0155 x 3.")
    found = by_code(text)
    assert set(found) == {"G0299", "G0155"}
    assert found["G0155"].modifiers == []
    assert found["G0299"].units == 8
    assert codes("POS 50 doesn't matter because it's a UB? dx j01.90") == {("icd10cm", "J01.90")}


def test_remark_code_of_rejected_claims() -> None:
    text = ("Subject: IPPE claims rejecting - new PA (N290)\n1) N290 = rendering provider id.\n"
            "> Reason: N290 Missing/incomplete/invalid rendering provider.\nG0468, dx z13.31")
    assert codes(text) == {("hcpcs", "G0468"), ("icd10cm", "Z13.31")}


def test_numbered_questions_are_no_modifiers() -> None:
    text = ("2/7   99462-25 + 54150\nQ1 - does the facility add Z41.2 for the circ?\n"
            "Q2 - does the 99462 actually need the 25?")
    found = by_code(text)
    assert set(found) == {"99462", "25", "54150", "Z41.2"}
    assert found["99462"].modifiers == ["25"]
    assert by_code("Bill G0299 with Q1 - it is a trial.")["G0299"].modifiers == ["Q1"]


def test_claim_lines_exported_as_json() -> None:
    text = ('{"lines": [\n'
            '  {"cpt": "99203", "modifiers": ["95"], "units": 1, "charge": 165.00},\n'
            '  {\n    "cpt": "87880",\n    "modifiers": ["QW"],\n    "units": 2\n  }\n'
            '], "pos": "10", "dx": ["J029"]}')
    found = by_code(text)
    assert set(found) == {"99203", "87880", "95", "QW", "J02.9"}
    assert (found["99203"].modifiers, found["99203"].units) == (["95"], 1)
    assert (found["87880"].modifiers, found["87880"].units) == (["QW"], 2)


def test_whole_miles_after_a_mileage_code() -> None:
    assert by_code("A0428 RJ\nA0425 mileage, 7 mi each leg")["A0425"].units == 7
    assert by_code("plus A0425 for 9.4 miles round trip")["A0425"].units is None


def test_origin_and_destination_after_a_verb() -> None:
    text = "Copperline bills the A0428 / A0425 runs. Do they bill Part B with NJ / JN?"
    assert codes(text) == {("hcpcs", "A0428"), ("hcpcs", "A0425"),
                           ("modifier", "NJ"), ("modifier", "JN")}
    assert codes("Do they bill Part B with NJ / JN?") == set()


def test_modifiers_of_a_quiz_and_its_key() -> None:
    text = ("Fill in the modifier for each:\n1. PA-C assists on a TKA (27447) -> 27447-__\n\n"
            "KEY: 1) AS  2) 82  3) 62")
    assert codes(text) == {("cpt", "27447"), ("modifier", "AS"), ("modifier", "82"),
                           ("modifier", "62")}
    text = "Match the modifier to the scenario.\n\n A. 24    B. 25    C. 57\n"
    assert codes(text) == {("modifier", "24"), ("modifier", "25"), ("modifier", "57")}


def test_modifier_column_of_a_table_without_codes() -> None:
    text = ("| Mod | Who | Pays |\n|-----|-----|------|\n"
            "| 80  | assistant surgeon | 16% |\n| AS  | PA/NP assistant | 13.6% |\n")
    assert codes(text) == {("modifier", "80"), ("modifier", "AS")}


def test_modifier_named_by_its_meaning_in_brackets() -> None:
    text = "Is 47135 one of those? Or is it co-surgery (62)? Or team surgery (66)?"
    assert codes(text) == {("cpt", "47135"), ("modifier", "62"), ("modifier", "66")}


def test_code_fixed_to_another_is_no_range() -> None:
    assert codes("I'm fixing the O43.222 to O43.223 first.") == {
        ("icd10cm", "O43.222"), ("icd10cm", "O43.223")
    }


def test_risk_adjustment_models_and_contracts() -> None:
    text = ("RADV prep, contract H4410: under V28, HCC 37 for E11.9. The V24 model had HCC 19."
            "\n> Q10 -- the co-surgery one. 22551-62 for both")
    assert codes(text) == {("icd10cm", "E11.9"), ("cpt", "22551"), ("modifier", "62")}


def test_ids_after_chart_and_fax_confirmation() -> None:
    text = ("PLS RECODE CHART 88213, DOS 12/02/25. I faxed the op note, confirmation 11842. "
            "Ocrevus line for reference: J2350 x 600. Lab confirmation: G0480.")
    assert codes(text) == {("hcpcs", "J2350"), ("hcpcs", "G0480")}


def test_remark_code_of_flagged_claims() -> None:
    text = ("> Also the clearinghouse flagged 6 claims with CO-119 (benefit max reached) and\n"
            "> 3 with N640, I think thats the annual cap. Dx J30.1.")
    assert codes(text) == {("icd10cm", "J30.1")}


def test_letter_code_under_a_diagnosis_heading() -> None:
    text = ("DOS        CPT     DX1     DX2     DX3\n"
            "11/04/25   99214   E1142   G63     Z794\n"
            "11/04/25   81001   E1142\n")
    found = by_code(text)
    assert found["E11.42"].system == "icd10cm"
    assert "E1142" not in found
    text = "Time\tCode\tDx\n09:12\tS9083\tJ06.9\n"
    assert by_code(text)["S9083"].system == "hcpcs"


def test_state_with_a_period_is_no_address() -> None:
    assert codes("L-SPINE W/O OK. 73721 MRI KNEE W/O OK.") == {("cpt", "73721")}


def test_count_wrapped_away_from_its_code() -> None:
    text = "KEY: 4) J1100 x 10  5) J2919 x\n25  6) J3373 x 100"
    assert by_code(text)["J2919"].units == 25


def test_claim_lines_with_units_one_per_line() -> None:
    found = by_code("92507 1 unit\n97153 3 units\n")
    assert (found["92507"].units, found["97153"].units) == (1, 3)
    assert codes("2200 Canal Rd, Unit 6, Atlanta, GA 30318") == set()


def test_counts_after_an_aligned_modifier_column() -> None:
    text = ("CODE    MOD   UNITS     FREQ\n  97156   HO    8         per mo\n"
            "  97151   HO    24        once\n")
    found = by_code(text)
    assert (found["97151"].modifiers, found["97151"].units) == (["HO"], 24)
    assert "24" not in found


def test_modifiers_ending_an_aligned_line() -> None:
    text = ("  96413          1st hr chemo (paclitaxel)     Q1\n"
            "  96375          IV push ondansetron\n"
            "  J9035 x 105    bevacizumab 1050 mg           Q0\n")
    found = by_code(text)
    assert found["96413"].modifiers == ["Q1"]
    assert found["96375"].modifiers == []
    assert (found["J9035"].modifiers, found["J9035"].units) == (["Q0"], 105)


def test_clotting_factor_units_in_thousands() -> None:
    assert by_code("Feb we shipped 36,120 IU -> J7192 x 36120?")["J7192"].units == 36120
    assert by_code("J7192 x 36,120 IU")["J7192"].units == 36120


def test_remittance_gives_the_units_billed() -> None:
    found = by_code("SVC*HC:97153:HM*640*384**12*HC:97153:HM*16~")
    assert (found["97153"].modifiers, found["97153"].units) == (["HM"], 16)


def test_ids_of_dental_plans_and_device_trials() -> None:
    text = ("Dental PPO (group 88417). PLAN: DENTAL PPO, GROUP 71120. Study NCT05377719, IDE "
            "G230117. Medical claim: 21025 (excision of bone, mandible)?")
    assert codes(text) == {("cpt", "21025")}


def test_category_without_a_dot_shows_no_dropped_dots() -> None:
    text = "Medicare Part B: 90662 (Fluzone HD) or 90653 (Fluad) + G0008, dx Z23"
    assert ("hcpcs", "G0008") in codes(text)


def test_count_under_a_units_heading() -> None:
    text = ("Seq  Drug / service                 Dose     Code   Units  Mod\n"
            "3    Infliximab IV infusion         500 mg   J1745  50     JZ\n")
    found = by_code(text)
    assert (found["J1745"].modifiers, found["J1745"].units) == (["JZ"], 50)
    assert "50" not in found


def test_words_that_are_also_modifiers() -> None:
    text = ("ESRD pt got HD twice this admission. OB-3321 also had a TV cervical length; 76817.\n"
            "Chart   Billed    Audited   MDM\nA-1090  99212     99212     SF\n")
    assert codes(text) == {("cpt", "76817"), ("cpt", "99212")}


def test_place_of_service_and_claim_numbers() -> None:
    text = "10:41 Maya: rapid strep pos 87880 QW. Claim 26020-11873   DOS 01/26/2026"
    assert codes(text) == {("cpt", "87880"), ("modifier", "QW")}


def test_unit_definition_is_no_count() -> None:
    found = by_code("Eylea is J0178, 1 unit = 1 mg. The 2 mg dose is J0178 x2.")
    assert (found["J0178"].units, found["J0178"].unit_lines) == (2, [([], 2)])


def test_unit_size_is_no_count() -> None:
    found = by_code("Heparin flush 500 units: J1642 is per 10 units, so J1642 x 50.")
    assert (found["J1642"].units, found["J1642"].unit_lines) == (50, [([], 50)])


@pytest.mark.parametrize(("text", "expected"), [
    ("It falls inside the global. Is it 58 (staged) or 79?", {"58", "79"}),
    ("Use 79 (unrelated procedure) for the laser.", {"79"}),
    ("Kenalog 50 (bilateral knees), then 40 (repeat dose).", set()),
])
def test_modifier_then_its_meaning_in_brackets(text: str, expected: set[str]) -> None:
    assert {code for system, code in codes(text) if system == "modifier"} == expected


def test_claim_lines_below_the_word_claim() -> None:
    text = ("Our office infusion claim:\n  96365   IV infusion, first hr            1\n"
            "  Q5121   infliximab-axxq 10 mg           50   JZ\n  99285   ED visit level 5   25\n")
    found = by_code(text)
    assert found["96365"].units == 1
    assert (found["Q5121"].modifiers, found["Q5121"].units) == (["JZ"], 50)
    assert (found["99285"].modifiers, found["99285"].units) == ([], None)


def test_count_after_modifiers_and_before_a_note() -> None:
    found = by_code("A6578 LT  2   (sleeve, 2 daytime)\n  20550 59      1\n")
    assert (found["A6578"].modifiers, found["A6578"].units) == (["LT"], 2)
    assert (found["20550"].modifiers, found["20550"].units) == (["59"], 1)


def test_inpatient_rehab_and_psych_words() -> None:
    text = ("Grouper came back CMG 0803 tier 3 -> HIPPS C0803. I expected B0803. "
            "Do we need GZ codes on the IPF claim? E43 documented w/ RD criteria. "
            "Confusion persisted for 40 hours, not 24, per nursing. D62 is only a CC.")
    assert codes(text) == {("icd10cm", "E43"), ("icd10cm", "D62")}


def test_units_column_of_dose_sizes() -> None:
    text = ("  HCPCS   Descriptor (short)                 Unit        Allowable\n"
            "  J1010   Methylprednisolone acetate         1 mg        $0.10\n\n"
            "Switch to J1010 x 80?")
    assert by_code(text)["J1010"].units == 80


def test_prior_authorization_and_wound_sizes() -> None:
    assert by_code("Hymovis J7322 needs PA. We bill J7322 x 48.")["J7322"].modifiers == []
    assert codes("WOUND 44 SQ CM, 11042 AND 11045 X2") == {("cpt", "11042"), ("cpt", "11045")}
    assert codes("IT CROSSWALKS G0202 TO 77067 AT $128.44") == {("hcpcs", "G0202"),
                                                                  ("cpt", "77067")}


def test_pair_asked_about_for_a_bill() -> None:
    text = "Neuro ordered 93880 with R42 only. Should we bill it with GA?"
    assert ("modifier", "GA") in codes(text)
    assert ("modifier", "GA") not in codes("Can we bill for a patient from GA?")


def test_new_technology_procedure_codes() -> None:
    text = ("Remdesivir via peripheral IV -> xw033e5. If it went through the PICC would it "
            "be XW043E5?")
    assert codes(text) == {("icd10pcs", "XW033E5"), ("icd10pcs", "XW043E5")}
    # Seven characters that break the section's pattern stay weak: the fifth is no approach.
    assert codes("Ref XW0B3E5 on the fax") == set()


def test_imaging_word_before_final_code() -> None:
    assert codes("Perc bx 50200 w/ US 76942. Path: acute rejection.") == {
        ("cpt", "50200"), ("cpt", "76942")
    }


def test_two_modifiers_ruled_out_together() -> None:
    text = "Nephrostomy placed 5/1 -> 50432-LT. These are 0 day global so no 58 or 79 needed right?"
    found = by_code(text)
    assert found["50432"].modifiers == ["LT"]
    assert {code for system, code in codes(text) if system == "modifier"} == {"LT", "58", "79"}
    assert codes("Recovery took 40 hours, not 24 or 36.") == set()


def test_modifier_kept_for_a_case() -> None:
    assert ("modifier", "JB") in codes("Q4081-JA x 60 per tx. JB only if subq, right")
    assert codes("PA only if the doctor is out") == set()


def test_modifier_heading_of_a_tab_separated_table() -> None:
    text = "CPT\tMod\tPS\tStart\tStop\n00790\tAA\tP3\t07:42\t09:58\n"
    assert by_code(text)["00790"].modifiers == ["AA", "P3"]
    assert ("modifier", "PS") not in codes(text)


def test_range_of_account_numbers() -> None:
    text = "30 claims in the queue, acct # range 88120-88150. Dx Z20.822."
    assert codes(text) == {("icd10cm", "Z20.822")}


def test_scans_named_before_both_are_no_modifiers() -> None:
    assert codes("First tri US, TA + TV both done. 76801 + 76817 together allowed?") == {
        ("cpt", "76801"), ("cpt", "76817")
    }
    assert ("modifier", "RT") in codes("Knees injected, 20610 with RT and LT both?")


def test_units_of_a_tab_table_with_empty_cells() -> None:
    text = "Code\tMod\tUnits\n99213\t25\t\n99051\t\t\nJ3301\t\t4\n"
    found = by_code(text)
    assert (found["99213"].modifiers, found["J3301"].units) == (["25"], 4)


def test_full_width_digits() -> None:
    text = "Billing \uff18\uff11\uff10\uff10\uff12\u3000+ \uff18\uff11\uff10\uff12\uff15, R30.0"
    found = by_code(text)
    assert set(found) == {"81002", "81025", "R30.0"}
    assert found["81002"].positions == [(8, 13)]
