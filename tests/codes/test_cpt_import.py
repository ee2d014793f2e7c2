"""Licensed CPT data files, tested with invented descriptors only."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from consultant.cli import main
from consultant.codes import cpt_import
from consultant.codes.lookup import describe
from consultant.errors import ImportFileError

LONG = (
    "Invented notice: these descriptors are test data.\n"
    "\n"
    "59001\tInvented long descriptor for an obstetric service\n"
    "99213\tInvented long descriptor for an office visit\n"
    "0042T\tInvented long descriptor for an emerging technology\n"
)
CONSUMER = (
    "Concept Id\tCPT Code\tConsumer Friendly Descriptor\n"
    "1001\t59001\tInvented plain-language text\n"
)
CLINICIAN = (
    "Concept Id\tCPT Code\tClinician Descriptor Id\tClinician Descriptor\n"
    "1001\t59001\t5001\tInvented clinician text one\n"
    "1001\t59001\t5002\tInvented clinician text two\n"
)


@pytest.fixture
def cpt_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "cpt-data"
    folder.mkdir()
    (folder / "LONGULT.txt").write_text(LONG)
    (folder / "ConsumerDescriptor.txt").write_text(CONSUMER)
    (folder / "ClinicianDescriptor.txt").write_text(CLINICIAN)
    return folder


def test_import_folder_and_describe(session: Session, cpt_folder: Path) -> None:
    result = cpt_import.import_cpt(session, cpt_folder, edition="2026")
    assert result.row_count == 3
    info = describe(session, "cpt", "59001", date(2026, 2, 1))
    assert info.status == "valid"
    assert info.description == "Invented long descriptor for an obstetric service"
    assert info.section == "Surgery > Maternity Care and Delivery"
    assert info.source == "CPT 2026"
    assert info.details["consumer_descriptor"] == "Invented plain-language text"
    assert info.details["clinician_descriptors"] == [
        "Invented clinician text one",
        "Invented clinician text two",
    ]


def test_code_missing_from_licensed_file(session: Session, cpt_folder: Path) -> None:
    cpt_import.import_cpt(session, cpt_folder, edition="2026")
    info = describe(session, "cpt", "59000")
    assert info.status == "not_found"
    assert info.section == "Surgery > Maternity Care and Delivery"
    assert "is not in CPT 2026" in info.messages[-1]


def test_before_licensed_edition_warns(session: Session, cpt_folder: Path) -> None:
    cpt_import.import_cpt(session, cpt_folder, edition="2026")
    info = describe(session, "cpt", "99213", date(2025, 6, 1))
    assert info.status == "valid"
    assert "no CPT edition loaded is in force on 2025-06-01" in info.messages[0]


def test_bad_line_named(tmp_path: Path) -> None:
    path = tmp_path / "LONGULT.txt"
    path.write_text("59001\tInvented text\nnot a code line\n")
    with pytest.raises(ImportFileError, match="LONGULT.txt line 2: expected a CPT code"):
        cpt_import.parse_long(path)


def test_consumer_heading_checked(tmp_path: Path) -> None:
    path = tmp_path / "ConsumerDescriptor.txt"
    path.write_text("Code\tText\n59001\tInvented\n")
    with pytest.raises(ImportFileError, match="line 1: expected tab-separated headings"):
        cpt_import.parse_headed(path, "Consumer Friendly Descriptor")


def test_edition_must_be_year_or_dated(session: Session, cpt_folder: Path) -> None:
    with pytest.raises(ImportFileError, match="is not a year"):
        cpt_import.import_cpt(session, cpt_folder, edition="2026 update")
    result = cpt_import.import_cpt(
        session, cpt_folder, edition="2026 update", effective_from=date(2026, 7, 1)
    )
    assert result.edition == "2026 update"


def test_import_cpt_command(db_url: str, cpt_folder: Path) -> None:
    runner = CliRunner()
    output = runner.invoke(main, ["codes", "import", "cpt", str(cpt_folder), "--edition", "2026"])
    assert output.exit_code == 0, output.output
    assert output.output == "CPT 2026: 3 rows imported (release 1)\n"
    lookup = runner.invoke(main, ["codes", "lookup", "0042T"])
    assert "description: Invented long descriptor for an emerging technology" in lookup.output
