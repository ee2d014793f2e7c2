"""Dates of service written in a question: "DOS 11/25/2026", "date of service: Nov 3, 2026".

Only a date after a marker counts, because a question carries other dates too: when a
claim was denied, when a policy changed. The markers name the service ("DOS", "D.O.S.",
"date of service", "service date") or the encounter itself ("seen on", "visit",
"date of visit", "DOV", "encounter", "procedure", "surgery", "performed", "admitted",
"discharged"), or a service given right before the date ("epidural on", "injection
given on", "delivered on"). Inpatient codes go by the discharge date, the latest of those dates, and
the latest date is the one a reply is looked up by. The numeric forms are U.S. month/day/year, with
a two-digit year read as 20YY and the parts split by slashes, dashes or dots, and ISO
year-month-day, split by dashes or slashes. A list after the marker ("DOS
11/12/2026 and 12/10/2026") and a span ("DOS 11/01/2026-11/05/2026") give each date.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))

_MARKER = re.compile(
    r"(?<![\w.])(?:d\.o\.s\.?|dos|dates?[ \t]+of[ \t]+service|service[ \t]+dates?"
    r"|dov|dates?[ \t]+of[ \t]+visit|seen|(?:visit|encounter|procedure|surgery)(?:[ \t]+dates?)?"
    r"|performed|admitted|discharged|given|done|administered|injected|delivered"
    r"|injections?|infusions?|epidurals?)(?!\w)"
    r"[ \t]*(?:(?:was|is|were|are|of|on|from|done)[ \t]+){0,3}[:=#-]?[ \t]*",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"(?P<us>(?P<us_month>\d{1,2})(?P<us_sep>[/.-])(?P<us_day>\d{1,2})(?P=us_sep)"
    r"(?P<us_year>\d{4}|\d{2}))(?![\d/])"
    r"|(?P<iso>(?P<iso_year>\d{4})(?P<iso_sep>[-/])(?P<iso_month>\d{1,2})(?P=iso_sep)"
    r"(?P<iso_day>\d{1,2}))(?!\d)"
    rf"|(?P<named>(?P<named_month>{_MONTH})\.?[ \t]+(?P<named_day>\d{{1,2}})(?:st|nd|rd|th)?,?"
    r"[ \t]+(?P<named_year>\d{4}))(?!\d)"
    rf"|(?P<day_first>(?P<first_day>\d{{1,2}})[ \t]+(?P<first_month>{_MONTH})\.?,?"
    r"[ \t]+(?P<first_year>\d{4}))(?!\d)",
    re.IGNORECASE,
)
# The separator between two dates after one marker: "and", "&", ",", a dash or "through".
_BETWEEN = re.compile(r"[ \t]*(?:,|&|and|to|through|thru|-|–)[ \t]*", re.IGNORECASE)


def dates_of_service(text: str) -> list[date]:
    """Return the distinct dates of service written in *text*, in the order written.

    A date that does not exist on the calendar ("DOS 02/30/2026") is skipped; see
    ``impossible_dates_of_service``.
    """
    found: list[date] = []
    for _, day in _written_dates(text):
        if day is not None and day not in found:
            found.append(day)
    return found


def impossible_dates_of_service(text: str) -> list[str]:
    """Return, as written, the dates of service in *text* that no calendar has ("13/45/2026")."""
    found: list[str] = []
    for written, day in _written_dates(text):
        if day is None and written not in found:
            found.append(written)
    return found


def _written_dates(text: str) -> Iterator[tuple[str, date | None]]:
    """Yield each date written after a marker, as written and as a date when it is one."""
    for marker in _MARKER.finditer(text):
        position = marker.end()
        while (written := _DATE.match(text, position)) is not None:
            yield written.group(), _to_date(written)
            between = _BETWEEN.match(text, written.end())
            if between is None:
                break
            position = between.end()


def _to_date(written: re.Match[str]) -> date | None:
    if written["us"]:
        year = int(written["us_year"])
        year = 2000 + year if year < 100 else year
        parts = (year, int(written["us_month"]), int(written["us_day"]))
    elif written["iso"]:
        parts = (int(written["iso_year"]), int(written["iso_month"]), int(written["iso_day"]))
    elif written["named"]:
        month = _MONTHS[written["named_month"].lower()]
        parts = (int(written["named_year"]), month, int(written["named_day"]))
    else:
        month = _MONTHS[written["first_month"].lower()]
        parts = (int(written["first_year"]), month, int(written["first_day"]))
    try:
        return date(*parts)
    except ValueError:
        return None
