"""The Physician Fee Schedule RVU file: columns by heading, descriptors never stored."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.codes import edits_import, rvu
from consultant.codes.lookup import describe
from consultant.codes.models import RvuValue
from consultant.errors import ImportFileError
from tests.codes.test_ncci import NOTICE, write_table

TOP = [
    "",
    "",
    "",
    "STATUS",
    "NOT USED FOR MEDICARE",
    "WORK",
    "NON-FAC",
    "NON-FAC NA",
    "FACILITY",
    "FACILITY NA",
    "MP",
    "NON-FACILITY",
    "FACILITY",
    "PCTC",
    "GLOB",
    "PRE",
    "INTRA",
    "POST",
    "MULT",
    "BILAT",
    "ASST",
    "CO-",
    "TEAM",
    "ENDO",
    "CONV",
]
BOTTOM = [
    "HCPCS",
    "MOD",
    "DESCRIPTION",
    "CODE",
    "PAYMENT",
    "RVU",
    "PE RVU",
    "INDICATOR",
    "PE RVU",
    "INDICATOR",
    "RVU",
    "TOTAL",
    "TOTAL",
    "IND",
    "DAYS",
    "OP",
    "OP",
    "OP",
    "PROC",
    "SURG",
    "SURG",
    "SURG",
    "SURG",
    "BASE",
    "FACTOR",
]
INVENTED = "Invented descriptor that must not be stored"


def _row(
    code: str, modifier: str, status: str, work: str, global_days: str, pctc: str
) -> list[str]:
    return [
        code,
        modifier,
        INVENTED,
        status,
        "",
        work,
        "1.50",
        "",
        "1.20",
        "",
        "0.10",
        "3.00",
        "2.70",
        pctc,
        global_days,
        "0.10",
        "0.80",
        "0.10",
        "2",
        "1",
        "1",
        "0",
        "0",
        "",
        "32.35",
    ]


def rvu_file(path: Path, rows: list[list[str]] | None = None) -> Path:
    rows = (
        rows
        if rows is not None
        else [
            _row("27447", "", "A", "19.60", "090", "0"),
            _row("71046", "", "A", "0.22", "XXX", "1"),
            _row("71046", "26", "A", "0.22", "XXX", "1"),
            _row("G0008", "", "X", "0.00", "XXX", "9"),
        ]
    )
    return write_table(path, [[NOTICE], ["Invented notice line two"], TOP, BOTTOM, *rows])


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_parse_rvu_drops_descriptor(tmp_path: Path, suffix: str) -> None:
    rows = list(rvu.parse_rvu(rvu_file(tmp_path / f"PPRRVU25_JAN{suffix}")))
    assert len(rows) == 4
    first = rows[0]
    assert first["code"] == "27447"
    assert first["global_days"] == "090"
    assert first["status_code"] == "A"
    assert first["values"]["work_rvu"] == 19.6
    assert first["values"]["pe_rvu_facility"] == 1.2
    assert first["values"]["co_surgeons"] == "0"
    assert first["values"]["conversion_factor"] == 32.35
    assert INVENTED not in repr(rows)


def test_import_and_describe_fee_schedule(session: Session, tmp_path: Path) -> None:
    result = edits_import.import_rvu(session, rvu_file(tmp_path / "PPRRVU25_JAN.csv"))
    assert result.row_count == 4
    assert result.edition == "PPRRVU25_JAN"
    stored = session.scalars(select(RvuValue)).all()
    assert all(INVENTED not in repr(row.values) for row in stored)
    info = describe(session, "cpt", "27447", date(2025, 3, 1))
    assert info.description is None
    schedule = info.details["fee_schedule"]
    assert schedule["global_days"] == "090"
    assert schedule["bilateral_surgery"] == "1"
    assert describe(session, "cpt", "71046").details["fee_schedule"]["modifiers"] == ["26"]


def test_missing_column_named(tmp_path: Path) -> None:
    top = [cell if cell != "BILAT" else "" for cell in TOP]
    path = write_table(
        tmp_path / "PPRRVU25_JAN.csv", [top, BOTTOM, _row("27447", "", "A", "1", "090", "0")]
    )
    with pytest.raises(ImportFileError, match="RVU columns missing: bilateral_surgery"):
        list(rvu.parse_rvu(path))


def test_bad_number_names_line(tmp_path: Path) -> None:
    path = rvu_file(tmp_path / "PPRRVU25_JAN.csv", [_row("27447", "", "A", "lots", "090", "0")])
    with pytest.raises(ImportFileError, match="line 5: expected a number for work_rvu"):
        list(rvu.parse_rvu(path))


def test_rvu_needs_effective_date(session: Session, tmp_path: Path) -> None:
    path = rvu_file(tmp_path / "rvu.csv")
    with pytest.raises(ImportFileError, match="shows no effective date"):
        edits_import.import_rvu(session, path)
    result = edits_import.import_rvu(session, path, effective_from=date(2025, 1, 1))
    assert result.row_count == 4
