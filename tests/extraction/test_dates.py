"""Dates of service read from the text of a question."""

from __future__ import annotations

from datetime import date

import pytest

from consultant.extraction.dates import dates_of_service, impossible_dates_of_service


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Labs drawn twice (DOS 11/25/2026).", [date(2026, 11, 25)]),
        ("DOS: 2026-11-25, 99213", [date(2026, 11, 25)]),
        ("dos 11-25-26 for 99213", [date(2026, 11, 25)]),
        ("The date of service was Nov 3, 2026.", [date(2026, 11, 3)]),
        ("D.O.S. 3 November 2026", [date(2026, 11, 3)]),
        ("Service date: December 1st, 2026", [date(2026, 12, 1)]),
        ("DOS 11/01/2026-11/05/2026", [date(2026, 11, 1), date(2026, 11, 5)]),
        ("DOS 2026/11/25 for 99213", [date(2026, 11, 25)]),
        ("DOS 11.25.2026", [date(2026, 11, 25)]),
        ("Dates of service: 10/1/2026, 10/2/2026 and 10/1/2026",
         [date(2026, 10, 1), date(2026, 10, 2)]),
        ("Pt seen on 11/25/2026 for 99213", [date(2026, 11, 25)]),
        ("Office visit 11/25/2026, billed 99214", [date(2026, 11, 25)]),
        ("DOV: 11/25/2026", [date(2026, 11, 25)]),
        ("Procedure was done on Nov 3, 2026.", [date(2026, 11, 3)]),
        ("Admitted 09/28/2026, discharged 10/02/2026.", [date(2026, 9, 28), date(2026, 10, 2)]),
        ("For a right L4-5 transforaminal epidural on 11/19/2026, is 64483 right?",
         [date(2026, 11, 19)]),
        ("Injection given on 11/19/2026, J3301 x4", [date(2026, 11, 19)]),
        ("Wheelchair delivered 10/02/2026, K0001-RR", [date(2026, 10, 2)]),
    ],
)
def test_dates_after_marker(text: str, expected: list[date]) -> None:
    assert dates_of_service(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Denied on 11/25/2026, resubmitted 12/01/2026.",
        "DOS 11/25 without a year",
        "DOS 02/30/2026",
        "DOS 13/01/2026",
        "Use the DOS on the claim.",
        "Seen by Dr. Lee; claim denied 11/25/2026.",
        "Our injection policy changed on 11/01/2026.",
        "",
    ],
)
def test_no_date_of_service(text: str) -> None:
    assert dates_of_service(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DOS 13/45/2026: can we bill 99213?", ["13/45/2026"]),
        ("DOS 02/30/2026 and 03/02/2026, and again DOS 02/30/2026", ["02/30/2026"]),
        ("Date of service: Feb 30, 2026", ["Feb 30, 2026"]),
        ("DOS 11/25/2026", []),
        ("Denied on 13/45/2026, no date of service given.", []),
    ],
)
def test_impossible_dates_kept_as_written(text: str, expected: list[str]) -> None:
    assert impossible_dates_of_service(text) == expected
