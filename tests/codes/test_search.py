"""Word search over descriptors on SQLite FTS5 and PostgreSQL full-text search."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from consultant.cli import main
from consultant.codes import hcpcs, importers
from consultant.codes.search import search, words_of
from consultant.storage.ids import MAX_ID


def test_words_drop_operators() -> None:
    assert words_of('Fracture "NEAR" femur* OR (neck)') == [
        "fracture",
        "near",
        "femur",
        "or",
        "neck",
    ]
    assert words_of("  ,;  ") == []


def test_search_finds_icd10cm(loaded: Session) -> None:
    hits = search(loaded, "type 2 diabetes mellitus neuropathy", limit=10)
    codes = [hit.code for hit in hits]
    assert "E11.40" in codes
    assert all(hit.system == "icd10cm" for hit in hits)
    assert hits[0].source == "ICD-10-CM FY2026 April 1 update"


def test_search_stems_words(loaded: Session) -> None:
    hits = search(loaded, "fractured femur necks", limit=50)
    assert hits
    assert all("fracture" in hit.description.lower() for hit in hits)


def test_search_across_systems(loaded: Session, pcs_tables: Path, hcpcs_xlsx: Path) -> None:
    hits = search(loaded, "therapeutic amniotic fluid", limit=20)
    systems = {hit.system for hit in hits}
    assert "icd10pcs" in systems
    assert "10900ZC" in [hit.code for hit in hits]
    wheelchair = search(loaded, "wheelchair footrests", limit=5)
    assert wheelchair
    assert {hit.system for hit in wheelchair} == {"hcpcs"}


def test_search_falls_back_to_any_word(loaded: Session) -> None:
    hits = search(loaded, "cholera zzzunknownword", limit=5)
    assert hits
    assert all("cholera" in hit.description.lower() for hit in hits)


def test_search_nothing_found(loaded: Session) -> None:
    assert search(loaded, "zzzunknownword") == []
    assert search(loaded, "   ") == []


def test_search_sees_new_edition_only(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "HCPC2026_JAN_ANWEB.csv"
    header = ",".join(hcpcs.REQUIRED_COLUMNS)
    path.write_text(
        f"{header}\nA1234,0010,3,Invented glimmerwidget,Glimmer,C,,20260101,20260101,,A\n"
    )
    importers.import_hcpcs(session, path)
    assert [hit.code for hit in search(session, "glimmerwidget")] == ["A1234"]
    path.write_text(f"{header}\nA1234,0010,3,Invented sparkwidget,Spark,C,,20260101,20260101,,A\n")
    importers.import_hcpcs(session, path)
    assert search(session, "glimmerwidget") == []
    assert [hit.code for hit in search(session, "sparkwidget")] == ["A1234"]


def test_search_command(db_url: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["codes", "search", "anything"])
    assert result.exit_code == 0
    assert result.output == "no matches\n"
    empty = CliRunner().invoke(main, ["codes", "search", " "])
    assert empty.exit_code == 2
    assert "the phrase is empty" in empty.output


def test_common_words_not_ranked(loaded: Session, pcs_tables: Path) -> None:
    hits = search(loaded, "open approach", limit=5)
    assert len(hits) == 5
    assert {hit.score for hit in hits} == {0.0}
    assert all("open" in hit.description.lower() for hit in hits)


def test_common_terms_stored(loaded: Session) -> None:
    from sqlalchemy import select

    from consultant.codes.models import SearchTerm

    terms = dict(loaded.execute(select(SearchTerm.term, SearchTerm.documents)).all())
    assert terms["unspecified"] > 10_000
    assert "cholera" not in terms


@pytest.mark.parametrize("limit", [0, -1, MAX_ID + 1, 10**20])
def test_search_command_rejects_limit_out_of_range(limit: int) -> None:
    result = CliRunner().invoke(main, ["codes", "search", "anything", f"--limit={limit}"])

    assert result.exit_code == 2
    assert f"{limit} is not in the range 1<=x<={MAX_ID}" in result.output
