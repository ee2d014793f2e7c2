"""ICD-10-CM: parsing the tabular XML, 7th characters, and lookups on both databases."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultant.codes import icd10cm, importers
from consultant.codes.lookup import describe
from consultant.codes.models import Code, CodeRelease
from consultant.errors import ImportFileError

FY2026_BILLABLE = 74_719


def test_parse_counts_fy2026_billable() -> None:
    version, records = icd10cm.parse_tabular(icd10cm.bundled_tabular_path())
    assert version == "2026"
    assert sum(record.billable for record in records) == FY2026_BILLABLE
    assert len({record.code for record in records}) == len(records)


def test_bundled_file_found_without_import() -> None:
    import subprocess
    import sys

    assert icd10cm.bundled_tabular_path().name == "icd10c-tabular-April-1-2026.xml"
    # A fresh interpreter, because another test may import the package on purpose.
    script = (
        "import sys; from consultant.codes.icd10cm import bundled_tabular_path; "
        "bundled_tabular_path(); print(sorted(m for m in sys.modules if 'simple_icd' in m))"
    )
    output = subprocess.run(  # noqa: S603 - the running interpreter and a constant script
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout
    assert output.strip() == "[]"


@pytest.mark.parametrize(
    ("code", "character", "expected"),
    [
        ("S02.0", "A", "S02.0XXA"),
        ("T36.0X1", "A", "T36.0X1A"),
        ("S72.001", "B", "S72.001B"),
        ("M48.5", "D", "M48.5XXD"),
    ],
)
def test_apply_seventh_pads_with_x(code: str, character: str, expected: str) -> None:
    assert icd10cm.apply_seventh(code, character) == expected


def test_seventh_exception_for_s06() -> None:
    assert not icd10cm.seventh_applies("S06.1X7", "D")
    assert not icd10cm.seventh_applies("S06.1X8", "S")
    assert icd10cm.seventh_applies("S06.1X7", "A")
    assert icd10cm.seventh_applies("S06.1X1", "D")


def test_loaded_release_counts(loaded: Session) -> None:
    release = loaded.scalars(select(CodeRelease).where(CodeRelease.system == "icd10cm")).one()
    billable = loaded.scalar(
        select(func.count()).where(Code.release_id == release.id, Code.billable.is_(True))
    )
    assert billable == FY2026_BILLABLE
    assert release.effective_from == date(2026, 4, 1)
    assert release.effective_to == date(2026, 9, 30)
    assert release.edition == "FY2026 April 1 update"


def test_valid_code_with_inherited_notes(loaded: Session) -> None:
    info = describe(loaded, "icd10cm", "E11.40")
    assert info.status == "valid"
    assert info.billable is True
    assert info.description == "Type 2 diabetes mellitus with diabetic neuropathy, unspecified"
    assert info.section is not None and "Diabetes mellitus (E08-E13)" in info.section
    assert info.source == "ICD-10-CM FY2026 April 1 update"
    assert "type 1 diabetes mellitus (E10.-) [at E11]" in info.notes["excludes1"]
    assert info.to_dict()["code"] == "E11.40"


def test_header_lists_billable_children(loaded: Session) -> None:
    info = describe(loaded, "icd10cm", "E11.4")
    assert info.status == "header"
    assert info.billable is False
    assert "E11.40" in info.messages[-1]
    assert "E11.49" in info.messages[-1]
    assert info.details["billable_codes"] == [
        "E11.40",
        "E11.41",
        "E11.42",
        "E11.43",
        "E11.44",
        "E11.49",
    ]
    assert info.details["more_billable_codes"] is False
    category = describe(loaded, "icd10cm", "E11")
    assert len(category.details["billable_codes"]) == 12
    assert category.details["more_billable_codes"] is True


def test_seventh_character_code_is_billable(loaded: Session) -> None:
    info = describe(loaded, "icd10cm", "S72.001A")
    assert info.status == "valid"
    assert info.description == (
        "Fracture of unspecified part of neck of right femur, initial encounter for closed fracture"
    )
    assert info.details == {"seventh_character": "A", "base": "S72.001"}
    assert "sevenChrNote" in info.notes


def test_missing_seventh_character_is_incomplete(loaded: Session) -> None:
    info = describe(loaded, "icd10cm", "S02.0")
    assert info.status == "incomplete"
    assert info.billable is False
    assert info.seventh_characters["A"] == "initial encounter for closed fracture"
    assert "S02.0XXA" in info.messages[-1]
    assert "X fills the empty positions" in info.messages[-1]


def test_placeholder_code_resolves(loaded: Session) -> None:
    assert describe(loaded, "icd10cm", "T36.0X1A").status == "valid"
    assert describe(loaded, "icd10cm", "s020xxa").code == "S02.0XXA"


def test_withheld_seventh_character_explained(loaded: Session) -> None:
    info = describe(loaded, "icd10cm", "S06.1X7D")
    assert info.status == "not_found"
    assert any("D is not a valid 7th character" in message for message in info.messages)
    assert describe(loaded, "icd10cm", "S06.1X7A").status == "valid"


@pytest.mark.parametrize(
    ("written", "meant"),
    [("E1140", "E11.40"), ("E11,40", "E11.40"), ("e11.40 ", "E11.40")],
)
def test_written_forms_read_as_code(loaded: Session, written: str, meant: str) -> None:
    info = describe(loaded, "icd10cm", written)
    assert info.status == "valid"
    assert info.code == meant


def test_missing_dot_marked_as_suggestion(loaded: Session) -> None:
    info = describe(loaded, "icd10cm", "E1140")
    assert info.suggestions == ["E11.40"]
    assert info.messages[0] == "suggestion: E1140 read as E11.40"


@pytest.mark.parametrize(
    ("written", "meant"),
    [("EI1.9", "E11.9"), ("E11.4O", "E11.40"), ("S02.0A", "S02.0XXA"), ("T36.01A", "T36.0X1A")],
)
def test_lookalike_letters_suggested(loaded: Session, written: str, meant: str) -> None:
    info = describe(loaded, "icd10cm", written)
    assert info.status == "not_found"
    assert meant in info.suggestions
    assert any(message.startswith(f"suggestion: did you mean {meant}") for message in info.messages)


def test_unknown_code_never_raises(loaded: Session) -> None:
    for written in ("", "???", "Z99.999999", "E11.4%"):
        info = describe(loaded, "icd10cm", written)
        assert info.status == "not_found"
        assert info.messages


def test_date_outside_edition_warns(loaded: Session) -> None:
    info = describe(loaded, "icd10cm", "E11.9", date(2027, 1, 15))
    assert info.status == "valid"
    assert "no ICD-10-CM edition loaded is in force on 2027-01-15" in info.messages[0]
    assert describe(loaded, "icd10cm", "E11.9", date(2026, 5, 1)).messages == []


def test_lookup_without_edition(session: Session) -> None:
    info = describe(session, "icd10cm", "E11.9")
    assert info.status == "not_found"
    assert "caseconsultant codes load" in info.messages[0]


def _write(path: Path, body: str) -> Path:
    path.write_text(f'<?xml version="1.0"?>\n<ICD10CM.tabular><version>2027</version>{body}')
    return path


SMALL_CHAPTER = """
<chapter><name>1</name><desc>Invented chapter (A00-A09)</desc>
 <section id="A00-A09"><desc>Invented block (A00-A09)</desc>
  <diag><name>A00</name><desc>Invented category</desc>
   <diag><name>A00.1</name><desc>Invented leaf</desc></diag>
  </diag>
 </section>
</chapter>
"""


def test_truncated_file_keeps_previous_edition(session: Session, tmp_path: Path) -> None:
    good = _write(tmp_path / "icd10cm_tabular_2027.xml", SMALL_CHAPTER + "</ICD10CM.tabular>")
    first = importers.import_icd10cm(session, good)
    session.commit()
    assert first.edition == "FY2027"
    assert first.row_count == 2
    truncated = _write(tmp_path / "icd10cm-tabular-2027.xml", SMALL_CHAPTER[:150])
    with pytest.raises(ImportFileError, match=r"line \d+ column \d+: expected well-formed XML"):
        importers.import_icd10cm(session, truncated)
    session.rollback()
    assert describe(session, "icd10cm", "A00.1").description == "Invented leaf"


def test_bad_code_name_rejected(session: Session, tmp_path: Path) -> None:
    body = SMALL_CHAPTER.replace("<name>A00.1</name>", "<name>A00-1</name>") + "</ICD10CM.tabular>"
    with pytest.raises(ImportFileError, match="diag 'A00-1': expected a <name> shaped like"):
        importers.import_icd10cm(session, _write(tmp_path / "bad.xml", body))


def test_reimport_same_file_skipped(session: Session, tmp_path: Path) -> None:
    good = _write(tmp_path / "icd10cm_tabular_2027.xml", SMALL_CHAPTER + "</ICD10CM.tabular>")
    importers.import_icd10cm(session, good)
    again = importers.import_icd10cm(session, good)
    assert again.skipped
    assert session.scalar(select(func.count()).select_from(CodeRelease)) == 1


def test_chapter_and_block_notes_apply(loaded: Session) -> None:
    info = describe(loaded, "icd10cm", "A00.1")
    assert (
        "diseases generally recognized as communicable or transmissible [at Chapter 1]"
        in info.notes["includes"]
    )
    injuries = describe(loaded, "icd10cm", "S72.001A")
    assert any(
        text.endswith("[at Chapter 19]") for texts in injuries.notes.values() for text in texts
    )
