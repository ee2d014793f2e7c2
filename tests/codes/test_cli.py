"""The ``caseconsultant codes`` commands, run as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from consultant.cli import main


def _run(*args: str, exit_code: int = 0) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == exit_code, result.output
    return result.output


def test_load_lookup_and_releases(db_url: str) -> None:
    assert "ICD-10-CM FY2026 April 1 update: 98186 rows imported" in _run("codes", "load")
    assert "already imported" in _run("codes", "load")
    text = _run("codes", "lookup", "E11.9")
    assert text.startswith("E11.9 [icd10cm] valid")
    assert "description: Type 2 diabetes mellitus without complications" in text
    # S02.0 needs a 7th character, so it cannot be billed as written: exit status 4.
    answer = json.loads(
        _run("codes", "lookup", "S02.0", "--json", "--date", "2026-05-01", exit_code=4)
    )
    assert answer["status"] == "incomplete"
    assert answer["seventh_characters"]["S"] == "sequela"
    listing = _run("codes", "releases")
    assert "icd10cm   FY2026 April 1 update" in listing
    assert "2026-04-01..2026-09-30" in listing


def test_lookup_cpt_needs_no_data(db_url: str) -> None:
    text = _run("codes", "lookup", "59001")
    assert text.splitlines()[0] == "59001 [cpt] section only"
    assert "section: Surgery > Maternity Care and Delivery" in text
    assert "no code sets imported" in _run("codes", "releases")


def test_lookup_leaves_glued_modifiers_out(db_url: str) -> None:
    text = _run("codes", "lookup", "99213-25")
    assert text.splitlines()[0] == "99213 [cpt] section only"


def test_import_hcpcs_command(db_url: str, hcpcs_csv: Path) -> None:
    output = _run("codes", "import", "hcpcs", str(hcpcs_csv))
    assert "HCPCS Level II 2025 Oct: 8846 rows imported" in output
    answer = json.loads(_run("codes", "lookup", "--system", "modifier", "RT", "--json"))
    assert answer["status"] == "valid"


def test_import_bad_file_exits_with_message(db_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "HCPC2026_JAN_ANWEB.csv"
    bad.write_text("not,a,header\n")
    result = CliRunner().invoke(main, ["codes", "import", "hcpcs", str(bad)])
    assert result.exit_code == 1
    assert "line 1: expected the ANWEB header" in result.output
    missing = CliRunner().invoke(main, ["codes", "import", "hcpcs", str(tmp_path / "none.csv")])
    assert missing.exit_code == 1
    assert "file not found" in missing.output


def test_every_import_command(db_url: str, tmp_path: Path) -> None:
    from tests.codes.test_icd10cm import SMALL_CHAPTER
    from tests.codes.test_icd10pcs import SMALL_TABLES
    from tests.codes.test_ncci import (
        AOC_HEADING,
        AOC_ROWS,
        MUE_HEADING,
        MUE_ROWS,
        NOTICE,
        write_table,
    )
    from tests.codes.test_rvu import rvu_file

    icd = tmp_path / "icd10cm_tabular_2027.xml"
    icd.write_text(
        f'<?xml version="1.0"?><ICD10CM.tabular><version>2027</version>{SMALL_CHAPTER}'
        "</ICD10CM.tabular>"
    )
    pcs = tmp_path / "icd10pcs_tables_2027.xml"
    pcs.write_text(SMALL_TABLES.format(count=2))
    mue = write_table(tmp_path / "mue_Eff_2025-10-01.csv", [[NOTICE], *MUE_HEADING, *MUE_ROWS])
    aoc = write_table(tmp_path / "AOC_V2025Q4.csv", [[NOTICE], *AOC_HEADING, *AOC_ROWS])
    rvu = rvu_file(tmp_path / "PPRRVU25_JAN.csv")
    expected = {
        ("icd10cm", str(icd)): "ICD-10-CM FY2027: 2 rows imported",
        ("icd10pcs", str(pcs)): "ICD-10-PCS FY2027: 3 rows imported",
        ("mue", str(mue)): "NCCI MUE practitioner mue_Eff_2025-10-01: 3 rows imported",
        ("aoc", str(aoc)): "NCCI add-on codes AOC_V2025Q4: 3 rows imported",
        ("rvu", str(rvu)): "PFS RVU PPRRVU25_JAN: 4 rows imported",
    }
    for arguments, summary in expected.items():
        assert summary in _run("codes", "import", *arguments)
    listing = _run("codes", "releases")
    assert len(listing.splitlines()) == 5
    # "mue_practitioner" is longer than the other systems, and every column stays aligned.
    assert len({line.index("..") for line in listing.splitlines()}) == 1
    assert len({line.index(" rows ") for line in listing.splitlines()}) == 1
    # No PTP file was imported, so the pair of codes is not checked against one.
    checked = CliRunner().invoke(main, ["codes", "check", "97110:6", "11045"])
    assert checked.exit_code == 3, checked.output
    assert "MUE 97110: 4 units, 6 reported EXCEEDED" in checked.output
    assert "AOC add-on code 11045 needs one of its primary codes: 11042, 11043" in checked.output
    assert "not checked: NCCI PTP practitioner" in checked.output
    lines = CliRunner().invoke(main, ["codes", "check", "97110:3", "97110:2", "11042", "11042"])
    assert "MUE 97110: 4 units, 5 reported on 2 lines (3 + 2) EXCEEDED" in lines.output


def test_import_damaged_file_prints_one_error(db_url: str, tmp_path: Path) -> None:
    from tests.codes.test_hcpcs import HEADER
    from tests.codes.test_ncci import MUE_HEADING, MUE_ROWS, NOTICE, write_table

    cut_csv = tmp_path / "HCPC2026_JAN_ANWEB.csv"
    cut_csv.write_text(HEADER + '\nA1234,0010,3,"Invented supply item, cut')
    rows = [[NOTICE], *MUE_HEADING, *MUE_ROWS]
    workbook = write_table(tmp_path / "mue_Eff_2025-10-01.xlsx", rows)
    cut_xlsx = tmp_path / "HCPC2026_JAN_ANWEB.xlsx"
    cut_xlsx.write_bytes(workbook.read_bytes()[:2000])
    text_xlsx = tmp_path / "mue_Eff_2026-01-01.xlsx"
    text_xlsx.write_text("HCPCS/CPT Code,Practitioner Services MUE Values\n")
    expected = {
        ("hcpcs", cut_csv): "HCPC2026_JAN_ANWEB.csv line 2: expected 11 columns",
        ("hcpcs", cut_xlsx): "HCPC2026_JAN_ANWEB.xlsx: expected an Excel .xlsx workbook",
        ("mue", text_xlsx): "mue_Eff_2026-01-01.xlsx: expected an Excel .xlsx workbook",
    }
    for (command, path), message in expected.items():
        result = CliRunner().invoke(main, ["codes", "import", command, str(path)])
        assert result.exit_code == 1, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        lines = result.output.splitlines()
        assert len(lines) == 1, result.output
        assert lines[0].startswith(f"error: {message}")
        assert lines[0].endswith("download it again")
    assert "no code sets imported" in _run("codes", "releases")
