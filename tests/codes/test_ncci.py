"""NCCI PTP, MUE and add-on code files in the CMS layouts, and ``codes check``.

Every file here is synthetic: invented rationales, a made-up notice line, and real
code numbers only, because NCCI files list codes without descriptors.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy.orm import Session

from consultant.cli import main
from consultant.codes import edits_import, ncci
from consultant.codes.check import check_codes, parse_items
from consultant.errors import ImportFileError

NOTICE = "CPT codes only: copyright American Medical Association. All rights reserved."
PTP_HEADING = [
    [
        "Column 1",
        "Column 2",
        "*=in existence",
        "Effective",
        "Deletion Date",
        "Modifier",
        "PTP Edit",
    ],
    [
        "",
        "",
        "prior to 1996",
        "Date",
        "*=no data",
        "0=not allowed 1=allowed 9=not applicable",
        "Rationale",
    ],
]
PTP_ROWS = [
    ["11042", "97597", "", "20250101", "*", "1", "Invented rationale one"],
    ["29881", "29877", "*", "19960101", "*", "0", "Invented rationale two"],
    ["99213", "36415", "", "20200101", "20241231", "1", "Invented rationale three"],
    ["20610", "76942", "", "20250101", "20250101", "9", "Invented rationale four"],
]
MUE_HEADING = [
    [
        "HCPCS/CPT Code",
        "Practitioner Services MUE Values",
        "MUE Adjudication Indicator",
        "MUE Rationale",
    ]
]
MUE_ROWS = [
    ["97110", "4", "2 Date of Service Edit: Policy", "Invented rationale"],
    ["J1100", "120", "3 Date of Service Edit: Clinical", "Invented rationale"],
    ["11042", "1", "1 Line Edit", "Invented rationale"],
]
AOC_HEADING = [
    [
        "Add-on Code",
        "Add-On Code Effective Date",
        "Add-On Code Deletion Date",
        "Primary Code",
        "Primary Code Effective Date",
        "Primary Code Deletion Date",
        "AOC Edit Type",
        "AOC Edit Effective Date",
        "AOC Edit Deletion Date",
        "Special Instruction Notes",
    ]
]
AOC_ROWS = [
    ["11045", "20110101", "*", "11042", "20110101", "*", "1", "20110101", "*", ""],
    ["11045", "20110101", "*", "11043", "20110101", "*", "1", "20110101", "*", ""],
    ["99292", "20100101", "*", "CCCCC", "", "", "2", "20100101", "*", ""],
]


def write_table(path: Path, rows: list[list[str]]) -> Path:
    """Write *rows* as .xlsx, .csv or tab-delimited .txt by the suffix of *path*."""
    if path.suffix == ".xlsx":
        workbook = Workbook()
        for row in rows:
            workbook.active.append(row)
        workbook.save(path)
    else:
        delimiter = "\t" if path.suffix == ".txt" else ","
        path.write_text("\n".join(delimiter.join(row) for row in rows) + "\n")
    return path


def ptp_file(path: Path, rows: list[list[str]] = PTP_ROWS) -> Path:
    return write_table(path, [[NOTICE], [], *PTP_HEADING, *rows])


@pytest.fixture
def edits(session: Session, tmp_path: Path) -> Session:
    """A session with a PTP, an MUE and an AOC release of October 2025."""
    edits_import.import_ptp(session, [ptp_file(tmp_path / "ccipra-v321r0-f1.txt")])
    mue = write_table(
        tmp_path / "MCR_MUE_PractitionerServices_Eff_2025-10-01.csv",
        [[NOTICE], *MUE_HEADING, *MUE_ROWS],
    )
    edits_import.import_mue(session, mue)
    aoc = write_table(tmp_path / "AOC_V2025Q4.xlsx", [[NOTICE], *AOC_HEADING, *AOC_ROWS])
    edits_import.import_aoc(session, [aoc], effective_from=date(2025, 10, 1))
    return session


@pytest.mark.parametrize("suffix", [".txt", ".csv", ".xlsx"])
def test_parse_ptp_layouts(tmp_path: Path, suffix: str) -> None:
    rows = list(ncci.parse_ptp(ptp_file(tmp_path / f"ccipra{suffix}")))
    assert len(rows) == 4
    assert rows[0]["column1"] == "11042"
    assert rows[0]["deleted_on"] is None
    assert rows[1]["existed_before_1996"] is True
    assert rows[2]["deleted_on"] == date(2024, 12, 31)


def test_ptp_pair_edit_found(edits: Session) -> None:
    result = check_codes(edits, parse_items(["97597", "11042"]), date(2025, 11, 3))
    (edit,) = result.pair_edits
    assert (edit.column1, edit.column2) == ("11042", "97597")
    assert edit.modifier_indicator == "1"
    assert "modifier" in edit.meaning
    assert edit.rationale == "Invented rationale one"


def test_ptp_deleted_and_not_applicable_skipped(edits: Session) -> None:
    deleted = check_codes(edits, parse_items(["99213", "36415"]), date(2025, 1, 2))
    assert deleted.pair_edits == []
    before = check_codes(edits, parse_items(["99213", "36415"]), date(2024, 12, 31))
    assert [edit.column2 for edit in before.pair_edits] == ["36415"]
    not_applicable = check_codes(edits, parse_items(["20610", "76942"]), date(2025, 6, 1))
    assert not_applicable.pair_edits == []


def test_mue_limits_and_units(edits: Session) -> None:
    result = check_codes(edits, parse_items(["97110:6", "J1100:100"]), date(2025, 10, 2))
    limits = {limit.code: limit for limit in result.unit_limits}
    assert limits["97110"].limit == 4
    assert limits["97110"].exceeded is True
    assert limits["97110"].adjudication_indicator == "2"
    assert limits["J1100"].exceeded is False
    assert "clinical" in limits["J1100"].meaning


def test_mue_of_a_code_on_several_lines(edits: Session) -> None:
    items = parse_items(["97110:3", "97110:2", "11042:1", "11042:1", "J1100:100"])
    result = check_codes(edits, items, date(2025, 10, 2))
    limits = {limit.code: limit for limit in result.unit_limits}
    # A date of service edit adds the lines up: 3 + 2 units of 97110 exceed 4.
    assert (limits["97110"].units, limits["97110"].lines) == (5, [3, 2])
    assert limits["97110"].exceeded is True
    assert limits["97110"].lines_phrase() == " on 2 lines (3 + 2)"
    # A line edit checks each line: two lines of one unit of 11042 stay within 1.
    assert (limits["11042"].units, limits["11042"].exceeded) == (1, False)
    assert limits["11042"].lines_phrase() == " on the largest of 2 lines"
    assert (limits["J1100"].lines, limits["J1100"].lines_phrase()) == ([100], "")
    assert result.codes == ["97110", "11042", "J1100"]


def test_lone_add_on_flagged(edits: Session) -> None:
    alone = check_codes(edits, parse_items(["11045", "97110"]))
    (addon,) = alone.lone_add_ons
    assert addon.code == "11045"
    assert addon.primary_codes == ["11042", "11043"]
    assert "needs one of its primary codes: 11042, 11043" in addon.message
    with_primary = check_codes(edits, parse_items(["11045", "11042"]))
    assert with_primary.lone_add_ons == []
    type_two = check_codes(edits, parse_items(["99292"]))
    assert [addon.edit_type for addon in type_two.lone_add_ons] == [2]
    assert check_codes(edits, parse_items(["99292", "99291"])).lone_add_ons == []


def test_check_without_editions(session: Session) -> None:
    result = check_codes(session, parse_items(["11042", "97597"]))
    assert result.pair_edits == []
    assert any("NCCI PTP practitioner" in message for message in result.messages)


def test_parse_items_rejects_junk() -> None:
    assert parse_items(["97110:4", "j1100*2", "11042"]) == [
        ("97110", 4),
        ("J1100", 2),
        ("11042", None),
    ]
    with pytest.raises(ValueError, match="is not a code"):
        parse_items(["97110:four"])


def test_multi_part_ptp_is_one_release(session: Session, tmp_path: Path) -> None:
    first = ptp_file(tmp_path / "ccipra-v321r0-f1.xlsx", PTP_ROWS[:2])
    second = ptp_file(tmp_path / "ccipra-v321r0-f2.xlsx", PTP_ROWS[2:])
    result = edits_import.import_ptp(session, [first, second])
    assert result.row_count == 4
    assert result.edition == "ccipra-v321r0"
    assert result.system == "ptp_practitioner"


def test_same_ptp_file_as_another_edition_rejected(edits: Session, tmp_path: Path) -> None:
    path = tmp_path / "ccipra-v321r0-f1.txt"

    again = edits_import.import_ptp(edits, [path])
    with pytest.raises(ImportFileError) as raised:
        edits_import.import_ptp(edits, [path], edition="ccipra-v322r0")

    assert again.skipped
    assert "already imported as NCCI PTP practitioner ccipra-v321r0" in str(raised.value)


def test_bad_modifier_indicator_names_line(tmp_path: Path) -> None:
    rows = [*PTP_ROWS, ["11042", "11043", "", "20250101", "*", "5", "Invented"]]
    with pytest.raises(ImportFileError, match=r"line 9: expected a modifier indicator 0, 1 or 9"):
        list(ncci.parse_ptp(ptp_file(tmp_path / "ccipra.txt", rows)))


def test_truncated_ptp_keeps_previous(session: Session, tmp_path: Path) -> None:
    edits_import.import_ptp(session, [ptp_file(tmp_path / "ccipra-v321r0-f1.txt")])
    session.commit()
    truncated = ptp_file(tmp_path / "ccipra-v321r0-f1b.txt", [*PTP_ROWS[:2], ["11042", "970"]])
    with pytest.raises(ImportFileError, match=r"line 7: expected 6 columns .* truncated"):
        edits_import.import_ptp(session, [truncated], edition="ccipra-v321r0")
    session.rollback()
    result = check_codes(session, parse_items(["11042", "97597"]), date(2025, 11, 3))
    assert len(result.pair_edits) == 1


def test_damaged_workbook_keeps_previous(session: Session, tmp_path: Path) -> None:
    rows = [[NOTICE], *MUE_HEADING, *MUE_ROWS]
    edits_import.import_mue(session, write_table(tmp_path / "mue_Eff_2025-10-01.xlsx", rows))
    session.commit()
    later = write_table(tmp_path / "mue_Eff_2026-01-01.xlsx", rows)
    later.write_bytes(later.read_bytes()[:-100])
    with pytest.raises(ImportFileError, match="mue_Eff_2026-01-01.xlsx: expected an Excel"):
        edits_import.import_mue(session, later)
    session.rollback()
    result = check_codes(session, parse_items(["97110:6"]), date(2026, 2, 2))
    assert [limit.limit for limit in result.unit_limits] == [4]


def test_missing_heading_rejected(tmp_path: Path) -> None:
    path = write_table(tmp_path / "ccipra.csv", [[NOTICE], *PTP_ROWS])
    with pytest.raises(ImportFileError, match="expected a heading row starting 'Column 1'"):
        list(ncci.parse_ptp(path))


def test_mue_setting_needs_heading_or_option(session: Session, tmp_path: Path) -> None:
    heading = [["HCPCS/CPT Code", "MUE Values", "MUE Adjudication Indicator", "MUE Rationale"]]
    path = write_table(tmp_path / "mue_Eff_2025-10-01.csv", [*heading, *MUE_ROWS])
    with pytest.raises(ImportFileError, match="pass the setting"):
        edits_import.import_mue(session, path)
    result = edits_import.import_mue(session, path, setting="hospital")
    assert result.system == "mue_hospital"


def test_check_command_json(db_url: str, tmp_path: Path) -> None:
    path = ptp_file(tmp_path / "ccipra-v321r0-f1.txt")
    runner = CliRunner()
    imported = runner.invoke(main, ["codes", "import", "ncci-ptp", str(path)])
    assert imported.exit_code == 0, imported.output
    assert "NCCI PTP practitioner ccipra-v321r0: 4 rows imported" in imported.output
    text = runner.invoke(main, ["codes", "check", "11042", "97597", "--date", "2025-11-03"])
    assert text.output.startswith("PTP 11042 + 97597: modifier indicator 1")
    answer = json.loads(runner.invoke(main, ["codes", "check", "11042", "97597", "--json"]).output)
    assert answer["pair_edits"][0]["column2"] == "97597"
    bad = runner.invoke(main, ["codes", "check", "97110:x"])
    assert bad.exit_code == 2


def test_check_command_without_edit_files(db_url: str) -> None:
    result = CliRunner().invoke(main, ["codes", "check", "59001", "76946"])

    assert result.exit_code == 3, result.output
    assert result.output.startswith("not checked: no NCCI edit file is loaded")
    assert "no NCCI edits apply" not in result.output
    assert "caseconsultant codes import ncci-ptp" in result.output


def test_check_command_exit_status(edits: Session) -> None:
    edits.commit()
    runner = CliRunner()

    found = runner.invoke(main, ["codes", "check", "11042", "97597", "--date", "2025-11-03"])
    clean = runner.invoke(main, ["codes", "check", "99213", "--date", "2025-11-03"])
    answer = json.loads(runner.invoke(main, ["codes", "check", "99213", "--json"]).output)
    # No edition of these edit files is in force before 2025-01-01.
    early = runner.invoke(main, ["codes", "check", "11042", "97597", "--date", "2024-06-03"])

    assert found.exit_code == 0, found.output
    assert clean.exit_code == 0, clean.output
    assert clean.output.startswith("no NCCI edits apply\n")
    assert "not checked" not in clean.output
    assert answer["unchecked"] == []
    assert early.exit_code == 3, early.output
    assert "not checked: NCCI PTP practitioner, NCCI MUE practitioner, NCCI add-on codes" in (
        early.output
    )


def test_check_command_some_files_missing(db_url: str, tmp_path: Path) -> None:
    path = write_table(tmp_path / "mue_Eff_2025-10-01.csv", [[NOTICE], *MUE_HEADING, *MUE_ROWS])
    runner = CliRunner()
    imported = runner.invoke(main, ["codes", "import", "mue", str(path)])

    pair = runner.invoke(main, ["codes", "check", "99213", "36415"])
    answer = json.loads(runner.invoke(main, ["codes", "check", "99213", "36415", "--json"]).output)
    # One code meets no pair edit, so only the missing add-on code file is unchecked.
    single = runner.invoke(main, ["codes", "check", "99213", "--json"])

    assert imported.exit_code == 0, imported.output
    assert pair.exit_code == 3, pair.output
    assert pair.output.startswith("no NCCI edits apply in the edit files checked\n")
    assert "not checked: NCCI PTP practitioner, NCCI add-on codes\n" in pair.output
    assert answer["unchecked"] == ["ptp_practitioner", "aoc"]
    assert single.exit_code == 3, single.output
    assert json.loads(single.output)["unchecked"] == ["aoc"]


def test_check_help_lists_exit_statuses() -> None:
    result = CliRunner().invoke(main, ["codes", "check", "--help"])

    assert result.exit_code == 0, result.output
    assert "3  not checked" in result.output
