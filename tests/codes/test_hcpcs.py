"""HCPCS Level II: the ANWEB workbook and CSV, modifiers, and terminated codes."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultant.codes import hcpcs, importers
from consultant.codes.lookup import describe
from consultant.codes.models import Code
from consultant.errors import ImportFileError

HEADER = ",".join(
    [
        "HCPC",
        "SEQNUM",
        "RECID",
        "LONG DESCRIPTION",
        "SHORT DESCRIPTION",
        "COV",
        "BETOS",
        "ADD DT",
        "ACT EFF DT",
        "TERM DT",
        "ACTION CD",
    ]
)


def test_xlsx_and_csv_agree(hcpcs_xlsx: Path, hcpcs_csv: Path) -> None:
    from_xlsx = hcpcs.parse_anweb(hcpcs_xlsx)
    from_csv = hcpcs.parse_anweb(hcpcs_csv)
    assert [record.code for record in from_xlsx] == [record.code for record in from_csv]
    assert sum(record.system == "hcpcs" for record in from_csv) == 8463
    assert sum(record.system == "modifier" for record in from_csv) == 383
    assert from_xlsx[0] == from_csv[0]


def test_modifier_codes_stripped(hcpcs_csv: Path) -> None:
    modifiers = {r.code: r for r in hcpcs.parse_anweb(hcpcs_csv) if r.system == "modifier"}
    assert "LT" in modifiers
    assert "A1" in modifiers
    assert all(len(code) == 2 for code in modifiers)


def test_not_terminated_on_quarter_start(hcpcs_csv: Path) -> None:
    records = [r for r in hcpcs.parse_anweb(hcpcs_csv) if r.system == "hcpcs"]
    active = [
        r
        for r in records
        if not r.attributes["terminated"] or r.attributes["terminated"] >= "2025-10-01"
    ]
    assert len(active) == 7258


def test_edition_from_file_name() -> None:
    assert hcpcs.edition_from_name(Path("HCPC2025_OCT_ANWEB.xlsx")) == (
        "2025 Oct",
        date(2025, 10, 1),
    )
    assert hcpcs.edition_from_name(Path("hcpcs.csv")) is None


def test_lookup_procedure_code(loaded: Session, hcpcs_xlsx: Path) -> None:
    info = describe(loaded, "hcpcs", "a0021")
    assert info.status == "valid"
    assert info.code == "A0021"
    assert (
        info.description == "Ambulance service, outside state per mile, transport (medicaid only)"
    )
    assert info.short_description == "Outside state ambulance serv"
    assert info.source == "HCPCS Level II 2025 Oct"
    assert info.details["betos"] == "O1A"
    assert info.details["added"] == "1985-01-01"
    assert info.details["coverage"] == "I"
    assert info.notes["coverage"] == ["Medicare coverage code I: not payable by Medicare"]


def test_terminated_by_date_of_service(loaded: Session, hcpcs_xlsx: Path) -> None:
    before = describe(loaded, "hcpcs", "C9088", date(2025, 10, 1))
    assert before.status == "terminated"
    assert "last date of service was 2025-09-30" in before.messages[-1]
    assert before.notes["action"] == ["action code D: discontinued, effective 2025-10-01"]
    # The October file is the only edition, so a September date is answered from it too.
    on_last_day = describe(loaded, "hcpcs", "C9088", date(2025, 9, 30))
    assert on_last_day.status == "valid"


def test_lookup_level_two_modifier(loaded: Session, hcpcs_xlsx: Path) -> None:
    info = describe(loaded, "modifier", "lt")
    assert info.status == "valid"
    assert info.description is not None and info.description.startswith("Left side")
    assert info.section == "HCPCS Level II modifier"


def test_cpt_modifier_has_no_text(loaded: Session) -> None:
    info = describe(loaded, "modifier", "25")
    assert info.status == "section_only"
    assert info.description is None
    assert "licensed by the AMA" in info.messages[-1]
    assert describe(loaded, "modifier", "Q9").status in {"valid", "not_found"}
    assert describe(loaded, "modifier", "ZZ").status == "not_found"
    category_two = describe(loaded, "modifier", "1P")
    assert category_two.status == "section_only"
    assert category_two.section == "CPT Category II modifier"


def test_unknown_hcpcs_code(loaded: Session, hcpcs_xlsx: Path) -> None:
    info = describe(loaded, "hcpcs", "A9999")
    assert info.status in {"valid", "not_found"}
    slip = describe(loaded, "hcpcs", "AOO21")
    assert slip.status == "not_found"
    assert slip.suggestions == ["A0021"]
    missing = describe(loaded, "hcpcs", "W1234")
    assert missing.status == "not_found"
    assert "is not in HCPCS Level II 2025 Oct" in missing.messages[-1]


def _csv(tmp_path: Path, *rows: str, name: str = "HCPC2026_JAN_ANWEB.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def test_import_csv_into_database(session: Session, tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "A1234,0010,3,Invented supply item,Invented item,C,D1A,20260101,20260101,,A",
        "   ZX,0010,7,Invented modifier,Invented mod,,,20260101,20260101,,A",
    )
    result = importers.import_hcpcs(session, path)
    assert result.row_count == 2
    assert result.edition == "2026 Jan"
    systems = session.scalars(select(Code.system).order_by(Code.code)).all()
    assert systems == ["hcpcs", "modifier"]
    assert describe(session, "modifier", "ZX").description == "Invented modifier"


def test_same_file_as_another_edition_rejected(session: Session, tmp_path: Path) -> None:
    path = _csv(
        tmp_path, "A1234,0010,3,Invented supply item,Invented item,C,D1A,20260101,20260101,,A"
    )
    first = importers.import_hcpcs(session, path)

    again = importers.import_hcpcs(session, path)
    same = importers.import_hcpcs(session, path, edition="2026 Jan")
    with pytest.raises(ImportFileError) as raised:
        importers.import_hcpcs(session, path, edition="2026 Apr", effective_from=date(2026, 4, 1))

    assert again.skipped
    assert same.skipped
    assert (again.release_id, same.release_id) == (first.release_id, first.release_id)
    assert "already imported as HCPCS Level II 2026 Jan, effective 2026-01-01" in str(raised.value)
    assert "not imported again as edition '2026 Apr' and effective 2026-04-01" in str(raised.value)


def test_continuation_row_extends_long_text(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "A1234,0010,3,Invented supply item,Invented item,C,D1A,20260101,20260101,,A",
        "A1234,0020,4,with more words,,,,,,,",
    )
    (record,) = hcpcs.parse_anweb(path)
    assert record.description == "Invented supply item with more words"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "A1234,0010,5,Invented,Inv,C,,20260101,20260101,,A",
            "line 2: expected RECID 3, 4, 7 or 8",
        ),
        (
            "A12345,0010,3,Invented,Inv,C,,20260101,20260101,,A",
            "line 2: expected an HCPC of a letter",
        ),
        (
            "A1234,0010,3,Invented,Inv,C,,2026011,20260101,,A",
            "line 2 column ADD DT: expected a date",
        ),
        ("A1234,0010,3,,Inv,C,,20260101,20260101,,A", "line 2: expected a LONG DESCRIPTION"),
    ],
)
def test_bad_row_names_line(tmp_path: Path, row: str, message: str) -> None:
    with pytest.raises(ImportFileError, match=message):
        hcpcs.parse_anweb(_csv(tmp_path, row))


def test_missing_column_rejected(tmp_path: Path) -> None:
    path = tmp_path / "HCPC2026_JAN_ANWEB.csv"
    path.write_text("HCPC,RECID\nA1234,3\n")
    with pytest.raises(
        ImportFileError, match="line 1: expected the ANWEB header, missing columns SEQNUM"
    ):
        hcpcs.parse_anweb(path)


def test_failed_import_keeps_previous_edition(session: Session, tmp_path: Path) -> None:
    good = _csv(tmp_path, "A1234,0010,3,Invented supply item,Invented item,C,,20260101,20260101,,A")
    importers.import_hcpcs(session, good)
    session.commit()
    bad = _csv(
        tmp_path,
        "A1234,0010,3,Changed text,Changed,C,,20260101,20260101,,A",
        "A9,0010,3,Broken,Broken,C,,20260101,20260101,,A",
        name="HCPC2026_JAN_ANWEB_v2.csv",
    )
    with pytest.raises(ImportFileError, match="line 3"):
        importers.import_hcpcs(session, bad)
    session.rollback()
    assert describe(session, "hcpcs", "A1234").description == "Invented supply item"
    assert session.scalar(select(func.count()).select_from(Code)) == 1


def test_file_name_without_quarter_needs_edition(session: Session, tmp_path: Path) -> None:
    path = _csv(tmp_path, "A1234,0010,3,Invented,Inv,C,,20260101,20260101,,A", name="hcpcs.csv")
    with pytest.raises(ImportFileError, match="pass the edition and its effective date"):
        importers.import_hcpcs(session, path)
    result = importers.import_hcpcs(
        session, path, edition="2026 custom", effective_from=date(2026, 2, 1)
    )
    assert result.edition == "2026 custom"


def test_csv_cut_inside_quoted_field(tmp_path: Path) -> None:
    whole = _csv(
        tmp_path,
        "A1234,0010,3,Invented supply item,Invented item,C,D1A,20260101,20260101,,A",
        'A1235,0010,3,"Invented item, with a comma",Invented,C,D1A,20260101,20260101,,A',
    )
    text = whole.read_text()
    whole.write_text(text[: text.index("with a comma")])
    with pytest.raises(
        ImportFileError, match="line 3: expected 11 columns as in the header, found 4"
    ) as raised:
        hcpcs.parse_anweb(whole)
    assert "download it again" in str(raised.value)


def _xlsx(tmp_path: Path, name: str = "HCPC2026_JAN_ANWEB.xlsx") -> Path:
    workbook = Workbook()
    workbook.active.append(HEADER.split(","))
    workbook.active.append(
        ["A1234", "0010", "3", "Invented supply item", "Invented item", "C", "D1A",
         "20260101", "20260101", "", "A"]
    )
    path = tmp_path / name
    workbook.save(path)
    return path


def _cut_workbook(tmp_path: Path) -> Path:
    path = _xlsx(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _text_named_workbook(tmp_path: Path) -> Path:
    path = tmp_path / "HCPC2026_JAN_ANWEB.xlsx"
    path.write_text(HEADER + "\n")
    return path


def _zip_without_workbook(tmp_path: Path) -> Path:
    path = tmp_path / "HCPC2026_JAN_ANWEB.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("HCPC2026_JAN_ANWEB.csv", HEADER + "\n")
    return path


def _workbook_with_cut_sheet(tmp_path: Path) -> Path:
    """Cut the sheet's XML in half inside an otherwise sound archive, so that openpyxl
    opens the workbook and fails only while it reads the rows."""
    path = _xlsx(tmp_path)
    rebuilt = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(rebuilt, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            target.writestr(name, data)
    path.write_bytes(rebuilt.getvalue())
    return path


@pytest.mark.parametrize(
    ("make", "detail"),
    [
        (_cut_workbook, "File is not a zip file"),
        (_text_named_workbook, "File is not a zip file"),
        (_zip_without_workbook, "no item named '\\[Content_Types\\].xml'"),
        (_workbook_with_cut_sheet, "unclosed token"),
    ],
)
def test_damaged_workbook_rejected(
    tmp_path: Path, make: Callable[[Path], Path], detail: str
) -> None:
    path = make(tmp_path)
    with pytest.raises(ImportFileError, match="expected an Excel .xlsx workbook") as raised:
        hcpcs.parse_anweb(path)
    message = str(raised.value)
    assert message.startswith("HCPC2026_JAN_ANWEB.xlsx: ")
    assert re.search(detail, message)
    assert message.endswith("so download it again")


def test_sound_workbook_read(tmp_path: Path) -> None:
    (record,) = hcpcs.parse_anweb(_xlsx(tmp_path))
    assert record.code == "A1234"
    assert record.description == "Invented supply item"
