"""``caseconsultant codes lookup``: found, not found and not checked, by output and exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from consultant.cli import main
from consultant.codes import importers, pcs_fallback
from tests.codes.conftest import HCPCS_CSV, require
from tests.conftest import write_small_hcpcs_file


def _lookup(runner: CliRunner, *arguments: str) -> tuple[int, str]:
    result = runner.invoke(main, ["codes", "lookup", *arguments])
    return result.exit_code, result.output


def test_lookup_modifier_without_hcpcs_not_checked(runner: CliRunner, session: Session) -> None:
    exit_code, output = _lookup(runner, "LT")

    assert exit_code == 3, output
    assert output.startswith("LT [modifier] not checked\n")
    assert "not_found" not in output
    assert "caseconsultant codes import hcpcs PATH" in output


def test_lookup_pcs_without_any_source_not_checked(
    runner: CliRunner, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pcs_fallback, "database_path", lambda: None)

    exit_code, output = _lookup(runner, "0SRC0J9")

    assert exit_code == 3, output
    assert output.startswith("0SRC0J9 [icd10pcs] not checked\n")
    assert "caseconsultant codes import icd10pcs PATH" in output


def test_lookup_not_checked_json(runner: CliRunner, session: Session) -> None:
    exit_code, output = _lookup(runner, "J1100", "--system", "hcpcs", "--json")

    assert exit_code == 3, output
    answer = json.loads(output)
    assert answer["status"] == "not_checked"
    assert answer["unchecked"] is True
    assert any("codes import hcpcs" in message for message in answer["messages"])


def test_lookup_prefers_unchecked_reading(runner: CliRunner, session: Session) -> None:
    importers.import_icd10cm(session)
    session.commit()

    # Z9999 reads as HCPCS Level II, which is not loaded, or as ICD-10-CM, which lacks it.
    # The ICD-10-CM edition that codes load imports is in force until 2026-09-30.
    exit_code, output = _lookup(runner, "Z9999", "--date", "2026-06-01")
    _ended_code, ended = _lookup(runner, "Z9999", "--date", "2026-11-25")

    assert exit_code == 3, output
    assert output.startswith("Z9999 [hcpcs] not checked\n")
    assert "Z99.99 was not found as a code of ICD-10-CM in ICD-10-CM" in output
    assert ended.startswith("Z9999 [hcpcs] not checked\n")
    assert "not found" not in ended
    assert ("Z99.99 was not checked as a code of ICD-10-CM: it is not in ICD-10-CM FY2026 "
            "April 1 update, which is not in force on 2026-11-25") in ended


def test_lookup_with_hcpcs_loaded(runner: CliRunner, session: Session) -> None:
    importers.import_hcpcs(session, require(HCPCS_CSV))
    session.commit()

    # The HCPCS Level II edition of the test data is in force from October to December 2025.
    found_code, found = _lookup(runner, "LT", "--date", "2025-11-01")
    missing_code, missing = _lookup(runner, "--system", "modifier", "9Z", "--date", "2025-11-01")
    json_code, json_output = _lookup(runner, "--system", "modifier", "9Z", "--date",
                                     "2025-11-01", "--json")

    assert found_code == 0, found
    assert found.startswith("LT [modifier] valid\n")
    assert missing_code == 1, missing
    assert missing.startswith("9Z [modifier] not found\n")
    assert json_code == 1, json_output
    assert json.loads(json_output)["status"] == "not_found"
    assert json.loads(json_output)["unchecked"] is False


def test_lookup_help_lists_exit_statuses(runner: CliRunner) -> None:
    _exit_code, output = _lookup(runner, "--help")

    assert "1  not found" in output
    assert "3  not checked" in output
    assert "4  found, but not billable" in output


@pytest.mark.parametrize(
    ("arguments", "exit_status", "first_line"),
    [
        # The HCPCS file is the 2026 January edition, which ends with March 2026.
        (("--date", "2026-02-10"), 1, "A0429 [hcpcs] not found"),
        (("--date", "2026-11-25"), 3, "A0429 [hcpcs] not checked"),
        # Without a date of service the newest edition must be in force today.
        ((), 3, "A0429 [hcpcs] not checked"),
    ],
)
def test_lookup_by_hcpcs_quarter(runner: CliRunner, session: Session, tmp_path: Path,
                                 arguments: tuple[str, ...], exit_status: int,
                                 first_line: str) -> None:
    importers.import_hcpcs(session, write_small_hcpcs_file(tmp_path))
    session.commit()

    exit_code, output = _lookup(runner, "A0429", "--system", "hcpcs", *arguments)
    found_code, found = _lookup(runner, "A0428", "--system", "hcpcs", *arguments)

    assert exit_code == exit_status, output
    assert output.splitlines()[0] == first_line
    assert found_code == 0, found
    assert found.startswith("A0428 [hcpcs] valid\n")


def test_lookup_ended_edition_json(runner: CliRunner, session: Session, tmp_path: Path) -> None:
    importers.import_hcpcs(session, write_small_hcpcs_file(tmp_path))
    session.commit()

    exit_code, output = _lookup(runner, "A0429", "--system", "hcpcs", "--date", "2026-11-25",
                                "--json")

    assert exit_code == 3, output
    answer = json.loads(output)
    assert answer["status"] == "not_checked"
    assert answer["unchecked"] is True
    assert any("2026 Jan" in message and "ended on 2026-03-31" in message
               for message in answer["messages"]), answer["messages"]


def test_lookup_ended_edition_names_the_end(runner: CliRunner, session: Session,
                                            tmp_path: Path) -> None:
    importers.import_hcpcs(session, write_small_hcpcs_file(tmp_path))
    session.commit()

    _exit_code, output = _lookup(runner, "A0429", "--system", "hcpcs", "--date", "2026-11-25")

    assert "ended on 2026-03-31" in output
    assert "import the edition in force on that date" in output


@pytest.mark.parametrize(("arguments", "shown"), [
    (("hello",), "hello is not shaped like a CPT, HCPCS Level II, ICD-10-CM or ICD-10-PCS code"),
    (("hello", "--system", "icd10cm"), "is not shaped like an ICD-10-CM code"),
    (("99213", "--system", "icd10cm"), "is not shaped like an ICD-10-CM code"),
    (("E1140", "--system", "cpt"), "is not shaped like a CPT code"),
])
def test_lookup_of_no_code_shape_not_found(runner: CliRunner, session: Session,
                                          arguments: tuple[str, ...], shown: str) -> None:
    exit_code, output = _lookup(runner, *arguments)

    assert exit_code == 1, output
    assert shown in output
    assert "not checked" not in output


def test_lookup_found_code_of_ended_edition_says_so(runner: CliRunner, session: Session,
                                                    tmp_path: Path) -> None:
    importers.import_hcpcs(session, write_small_hcpcs_file(tmp_path))
    session.commit()

    exit_code, output = _lookup(runner, "A0428", "--system", "hcpcs", "--date", "2026-11-25")

    assert exit_code == 0, output
    assert output.startswith("A0428 [hcpcs] valid\n")
    assert "ended on 2026-03-31" in output


def test_cpt_modifier_no_hcpcs_edition_note(runner: CliRunner, session: Session,
                                             tmp_path: Path) -> None:
    importers.import_hcpcs(session, write_small_hcpcs_file(tmp_path))
    session.commit()

    _exit_code, cpt_modifier = _lookup(runner, "25", "--system", "modifier",
                                       "--date", "2026-11-25")
    _exit_code, hcpcs_modifier = _lookup(runner, "RT", "--system", "modifier",
                                         "--date", "2026-11-25")

    # The HCPCS Level II file has no CPT modifiers, so its newer editions change nothing
    # about 25.
    assert cpt_modifier.startswith("25 [modifier] section only\n")
    assert "ended on" not in cpt_modifier
    assert "ended on 2026-03-31" in hcpcs_modifier


def _first_lines(output: str) -> list[str]:
    """Return the first line of each code's block; a blank line separates the blocks."""
    return [block.splitlines()[0] for block in output.split("\n\n")]


# Arguments of ``codes lookup`` and the first line of each code's block in its output.
SPLIT_CASES = [
    (("E11.4 E11.40",), ["E11.4 [icd10cm] header", "E11.40 [icd10cm] valid"]),
    (("E11.4", "E11.40"), ["E11.4 [icd10cm] header", "E11.40 [icd10cm] valid"]),
    (("E11.9,I10",), ["E11.9 [icd10cm] valid", "I10 [icd10cm] valid"]),
    (("E11.9, I10 ,",), ["E11.9 [icd10cm] valid", "I10 [icd10cm] valid"]),
    (("E11,I10",), ["E11 [icd10cm] header", "I10 [icd10cm] valid"]),
    # A comma before the rest of an ICD-10-CM code is read as its dot.
    (("E11,40",), ["E11.40 [icd10cm] valid"]),
    (("99213-25 20610",), ["99213 [cpt] section only", "20610 [cpt] section only"]),
]
# Codes looked up together and the exit status. No HCPCS Level II edition is loaded, so
# the modifier LT is not checked. A code that is not found outranks one not checked.
# A header (E11.4) or a code without its 7th character (S72.001) ranks below both.
WORST_CASES = [
    (("E11.9", "I10"), 0),
    (("E11.9", "E11.99"), 1),
    (("E11.9", "LT"), 3),
    (("LT", "E11.99"), 1),
    (("E11.99", "LT"), 1),
    (("E11.9", "E11.4"), 4),
    (("S72.001", "E11.9"), 4),
    (("E11.4", "LT"), 3),
    (("E11.4", "E11.99"), 1),
]


def test_lookup_splits_codes(runner: CliRunner, session: Session) -> None:
    importers.import_icd10cm(session)
    session.commit()

    for arguments, first_lines in SPLIT_CASES:
        exit_code, output = _lookup(runner, *arguments, "--date", "2026-06-01")

        header = any(line.endswith(" header") for line in first_lines)
        assert exit_code == (4 if header else 0), (arguments, output)
        assert _first_lines(output) == first_lines, arguments


def test_lookup_exit_status_of_worst_code(runner: CliRunner, session: Session) -> None:
    importers.import_icd10cm(session)
    session.commit()

    for codes, exit_status in WORST_CASES:
        exit_code, output = _lookup(runner, *codes, "--date", "2026-06-01")
        json_code, json_output = _lookup(runner, *codes, "--date", "2026-06-01", "--json")

        assert exit_code == exit_status, (codes, output)
        assert json_code == exit_status, (codes, json_output)
        assert [answer["code"] for answer in json.loads(json_output)] == list(codes)


def test_lookup_names_billable_codes_under_closest_header(
    runner: CliRunner, session: Session
) -> None:
    importers.import_icd10cm(session)
    session.commit()

    exit_code, output = _lookup(runner, "E11.48", "--date", "2026-06-01")

    assert exit_code == 1, output
    assert "the closest code that exists is E11.4, a header that is not billable" in output
    assert "its billable codes include E11.40, E11.41" in output


def test_lookup_empty_codes_rejected(runner: CliRunner, session: Session) -> None:
    exit_code, output = _lookup(runner, " , ")

    assert exit_code == 2, output
    assert "the code is empty" in output


def test_lookup_no_code_shape_as_written(runner: CliRunner, session: Session,
                                         tmp_path: Path) -> None:
    from tests.codes.test_icd10cm import SMALL_CHAPTER

    # An ICD-10-CM edition that ended on 2020-09-30, so every code it describes gets a note.
    tabular = tmp_path / "icd10cm_tabular_2020.xml"
    tabular.write_text('<?xml version="1.0"?><ICD10CM.tabular><version>2020</version>'
                       f"{SMALL_CHAPTER}</ICD10CM.tabular>")
    importers.import_icd10cm(session, tabular)
    session.commit()

    exit_code, output = _lookup(runner, "ZZZ99")
    json_code, json_output = _lookup(runner, "ZZZ99", "--json")
    _found_code, found = _lookup(runner, "A00.1")

    assert exit_code == 1, output
    assert output.splitlines()[0] == "ZZZ99 not found"
    assert "ZZZ.99" not in output
    assert "ended on" not in output
    assert json_code == 1, json_output
    answer = json.loads(json_output)
    assert answer["system"] == ""
    assert answer["code"] == "ZZZ99"
    assert answer["status"] == "not_found"
    assert answer["messages"] == [
        "ZZZ99 is not shaped like a CPT, HCPCS Level II, ICD-10-CM or ICD-10-PCS code, "
        "or a modifier"
    ]
    assert "FY2020, ended on 2020-09-30" in found


def test_lookup_undotted_code_needs_category(runner: CliRunner, session: Session) -> None:
    importers.import_icd10cm(session)
    session.commit()

    # Z07 is no ICD-10-CM category, so Z0759 is read only as HCPCS Level II; Z99 is one.
    exit_code, output = _lookup(runner, "Z0759", "--date", "2026-06-01")
    _other_code, other = _lookup(runner, "Z9999", "--date", "2026-06-01")

    assert exit_code == 3, output
    assert output.startswith("Z0759 [hcpcs] not checked\n")
    assert "Z07.59" not in output
    assert "Z99.99 was not found as a code of ICD-10-CM" in other
