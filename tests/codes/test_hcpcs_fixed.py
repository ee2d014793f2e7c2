"""The fixed-width HCPCS text file, written here from the ANWEB rows in the CMS layout."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from consultant.codes import hcpcs, importers
from consultant.codes.hcpcs_fixed import FIELDS, RECORD_LENGTH
from consultant.codes.lookup import describe
from consultant.errors import ImportFileError


def to_records(row: dict[str, str]) -> list[str]:
    """Write one ANWEB row as a 320-character record and its continuation records."""
    pieces = textwrap.wrap(row["LONG DESCRIPTION"], 80, break_on_hyphens=False) or [""]
    continued = "4" if row["RECID"].strip() == "3" else "8"
    records = []
    for index, piece in enumerate(pieces):
        values = dict(row) if index == 0 else {"HCPC": row["HCPC"], "RECID": continued}
        values["SEQNUM"] = f"{10 * (index + 1):05d}"
        values["LONG DESCRIPTION"] = piece
        line = [" "] * RECORD_LENGTH
        for name, first, last in FIELDS:
            text = values.get(name, "").strip() if name != "HCPC" else values[name].strip()
            line[first - 1 : last] = list(text.ljust(last - first + 1)[: last - first + 1])
        records.append("".join(line))
    return records


def write_fixed(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("\r\n".join(record for row in rows for record in to_records(row)) + "\r\n")
    return path


def _row(code: str, long_text: str, recid: str = "3", term: str = "") -> dict[str, str]:
    return {
        "HCPC": code,
        "RECID": recid,
        "LONG DESCRIPTION": long_text,
        "SHORT DESCRIPTION": long_text[:28],
        "COV": "C",
        "BETOS": "D1A",
        "ADD DT": "20260101",
        "ACT EFF DT": "20260101",
        "TERM DT": term,
        "ACTION CD": "A",
    }


def test_continuation_records_join(tmp_path: Path) -> None:
    long_text = "Invented supply item " * 8
    path = write_fixed(tmp_path / "HCPC2026_JAN_ANWEB.txt", [_row("A1234", long_text.strip())])
    (record,) = hcpcs.parse_anweb(path)
    assert record.description == long_text.strip()
    assert record.short_description == long_text[:28].strip()
    assert record.attributes["added"] == "2026-01-01"


def test_fixed_width_matches_csv(hcpcs_csv: Path, tmp_path: Path) -> None:
    import csv

    with hcpcs_csv.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    path = write_fixed(tmp_path / "HCPC2025_OCT_ANWEB.txt", rows)
    from_text = hcpcs.parse_anweb(path)
    from_csv = hcpcs.parse_anweb(hcpcs_csv)
    assert len(from_text) == 8846
    for text_record, csv_record in zip(from_text, from_csv, strict=True):
        assert text_record.code == csv_record.code
        assert " ".join(text_record.description.split()) == " ".join(csv_record.description.split())
        assert text_record.attributes == csv_record.attributes


def test_import_fixed_width(session: Session, tmp_path: Path) -> None:
    rows = [_row("A1234", "Invented supply item"), _row("ZX", "Invented modifier", recid="7")]
    result = importers.import_hcpcs(session, write_fixed(tmp_path / "HCPC2026_JAN_ANWEB.txt", rows))
    assert result.row_count == 2
    assert describe(session, "modifier", "ZX").description == "Invented modifier"


def test_truncated_record_names_line(tmp_path: Path) -> None:
    path = write_fixed(tmp_path / "HCPC2026_JAN_ANWEB.txt", [_row("A1234", "Invented item")] * 2)
    text = path.read_text()
    path.write_text(text[: len(text) // 2 + 100])
    with pytest.raises(ImportFileError, match="line 2: expected a 320-character record"):
        hcpcs.parse_anweb(path)


def test_overlong_record_rejected(tmp_path: Path) -> None:
    path = write_fixed(tmp_path / "HCPC2026_JAN_ANWEB.txt", [_row("A1234", "Invented item")])
    path.write_text(path.read_text().rstrip("\r\n") + "EXTRA\r\n")
    with pytest.raises(ImportFileError, match="line 1: expected a 320-character record, found 325"):
        hcpcs.parse_anweb(path)
