"""Editions by date of service: the edition in force, deleted codes and new ones."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from consultant.cli import main
from consultant.codes import hcpcs, importers
from consultant.codes.info import next_key
from consultant.codes.lookup import describe
from consultant.codes.models import CodeRelease
from consultant.codes.releases import (
    last_day_in_force,
    outdated_note,
    quarter_end,
    release_in_force,
)
from consultant.drafting.checker import KnowledgeBaseChecker
from consultant.drafting.services import compose_reply
from consultant.drafting.text import reply_notes, reviewer_notes
from consultant.parsing import ParsedMessage

HEADER = ",".join(hcpcs.REQUIRED_COLUMNS)


def _quarter(folder: Path, name: str, rows: list[str]) -> Path:
    path = folder / name
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


@pytest.fixture
def two_quarters(session: Session, tmp_path: Path) -> Session:
    """HCPCS January 2026 and April 2026, invented codes and texts."""
    january = _quarter(
        tmp_path,
        "HCPC2026_JAN_ANWEB.csv",
        [
            "A1234,0010,3,Invented item first text,Item,C,,20260101,20260101,,A",
            "A2222,0010,3,Invented item dropped in April,Dropped,C,,20260101,20260101,,A",
        ],
    )
    april = _quarter(
        tmp_path,
        "HCPC2026_APR_ANWEB.csv",
        [
            "A1234,0010,3,Invented item second text,Item,C,,20260101,20260401,,C",
            "A3333,0010,3,Invented item new in April,New,C,,20260401,20260401,,A",
        ],
    )
    importers.import_hcpcs(session, january)
    importers.import_hcpcs(session, april)
    session.commit()
    return session


def test_edition_in_force_by_date(two_quarters: Session) -> None:
    january = describe(two_quarters, "hcpcs", "A1234", date(2026, 2, 1))
    assert january.description == "Invented item first text"
    assert january.source == "HCPCS Level II 2026 Jan"
    april = describe(two_quarters, "hcpcs", "A1234", date(2026, 5, 1))
    assert april.description == "Invented item second text"
    newest = describe(two_quarters, "hcpcs", "A1234")
    assert newest.source == "HCPCS Level II 2026 Apr"


def test_deleted_code_names_last_edition(two_quarters: Session) -> None:
    info = describe(two_quarters, "hcpcs", "A2222")
    assert info.status == "terminated"
    assert info.billable is False
    assert "the last edition that has it is HCPCS Level II 2026 Jan" in info.messages[-1]
    assert describe(two_quarters, "hcpcs", "A2222", date(2026, 3, 31)).status == "valid"


def test_new_code_before_its_edition(two_quarters: Session) -> None:
    info = describe(two_quarters, "hcpcs", "A3333", date(2026, 2, 1))
    assert info.status == "not_found"
    assert "first appears in HCPCS Level II 2026 Apr, effective 2026-04-01" in info.messages[-1]


def test_date_before_every_edition(two_quarters: Session) -> None:
    release, warning = release_in_force(two_quarters, "hcpcs", date(2025, 12, 1))
    assert release is not None
    assert release.edition == "2026 Jan"
    assert warning is not None
    assert "no HCPCS Level II edition loaded is in force on 2025-12-01" in warning


def test_releases_command_lists_editions(two_quarters: Session, db_url: str) -> None:
    result = CliRunner().invoke(main, ["codes", "releases"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert len(lines) == 2
    assert "2026 Jan" in lines[0]
    # A quarterly file is in force until its quarter ends, though stored with no end.
    assert "2026-01-01..2026-03-31" in lines[0]
    assert "HCPC2026_APR_ANWEB.csv" in lines[1]
    assert "2026-04-01..2026-06-30" in lines[1]


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [("E11.4", "E11.5"), ("E11", "E12"), ("S72.009", "S72.00A"), ("Z9Z", "ZA"), ("ZZZ", "ZZZ~")],
)
def test_next_key_bounds_prefix(prefix: str, expected: str) -> None:
    assert next_key(prefix) == expected


def _question(text: str) -> ParsedMessage:
    return ParsedMessage(
        message_id="<dos@example.com>", subject="Supply question", sender=None, reply_to=None,
        in_reply_to=None, references=[], date=None, body=text, question=text,
    )


def test_reply_uses_question_date_of_service(two_quarters: Session) -> None:
    reply = compose_reply(two_quarters, _question("DOS 02/10/2026: is A1234 covered?"), None)

    assert reply.date_of_service == date(2026, 2, 10)
    assert reply.codes[0]["description"] == "Invented item first text"
    assert "looked up for the date of service 02/10/2026:" in reply.body_text
    assert "date of service 02/10/2026" in reply.body_html


def test_reply_without_date_uses_newest(two_quarters: Session) -> None:
    reply = compose_reply(two_quarters, _question("Is A1234 covered?"), None)

    assert reply.date_of_service is None
    assert reply.codes[0]["description"] == "Invented item second text"
    assert "date of service" not in reply.body_text


def test_reply_with_several_dates_uses_latest(two_quarters: Session) -> None:
    question = _question("Dates of service 02/10/2026 and 05/04/2026 for A1234 and A3333.")

    reply = compose_reply(two_quarters, question, None)

    assert reply.date_of_service == date(2026, 5, 4)
    assert [code["description"] for code in reply.codes] == [
        "Invented item second text",
        "Invented item new in April",
    ]
    assert "(the latest of the 2 dates of service given)" in reply.body_text


def test_reply_date_before_editions_warns_reviewer(two_quarters: Session) -> None:
    reply = compose_reply(two_quarters, _question("DOS 12/01/2025, A1234?"), None)

    warning = "no HCPCS Level II edition loaded is in force on 2025-12-01"
    assert any(message.startswith(warning) for message in reply.codes[0]["messages"])
    assert warning not in reply.body_text


def test_reply_names_impossible_date_of_service(two_quarters: Session) -> None:
    reply = compose_reply(two_quarters, _question("DOS 13/45/2026: is A1234 covered?"), None)

    assert reply.date_of_service is None
    assert reply.codes[0]["description"] == "Invented item second text"
    note = "not a calendar date was left out: 13/45/2026. Please check the date; the codes"
    assert note in reply.body_text
    assert note in reply.body_html


def test_reply_names_impossible_beside_good_date(two_quarters: Session) -> None:
    question = _question("DOS 02/10/2026 and 02/30/2026: is A1234 covered?")

    reply = compose_reply(two_quarters, question, None)

    assert reply.date_of_service == date(2026, 2, 10)
    assert "left out: 02/30/2026. Please check the date.)" in reply.body_text


def test_reply_notes_skip_other_edition_facts() -> None:
    code = {
        "code": "M54.5",
        "status": "header",
        "messages": [
            "M54.5 is a header, not billable; use one of M54.50, M54.51, M54.59",
            "no ICD-10-CM edition loaded is in force on 2020-06-15; answered from "
            "2026 (effective 2025-10-01)",
        ],
    }

    assert reply_notes(code) == []
    assert reviewer_notes(code) == code["messages"]
    code["messages"] = code["messages"][:1]
    assert reply_notes(code) == code["messages"]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 3, 31), date(2026, 3, 31)),
        (date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 8, 15), date(2026, 9, 30)),
        (date(2026, 10, 1), date(2026, 12, 31)),
        (date(2026, 12, 31), date(2026, 12, 31)),
        (date(2024, 2, 29), date(2024, 3, 31)),
    ],
)
def test_quarter_end(day: date, expected: date) -> None:
    assert quarter_end(day) == expected


def _release(system: str, edition: str, start: date, end: date | None = None) -> CodeRelease:
    return CodeRelease(system=system, edition=edition, effective_from=start, effective_to=end,
                       source_name="invented.csv", source_sha256="0" * 64)


def test_last_day_in_force_by_system() -> None:
    october = _release("hcpcs", "2025 Oct", date(2025, 10, 1))
    cut_short = _release("hcpcs", "2025 Oct", date(2025, 10, 1), date(2025, 11, 15))
    stored_late = _release("hcpcs", "2025 Oct", date(2025, 10, 1), date(2026, 6, 30))
    fiscal_year = _release("icd10cm", "FY2026", date(2025, 10, 1), date(2026, 9, 30))
    cpt = _release("cpt", "2026", date(2026, 1, 1))

    assert last_day_in_force(october) == date(2025, 12, 31)
    assert last_day_in_force(cut_short) == date(2025, 11, 15)
    # The next quarter's file replaces a quarterly edition whatever end date it was stored with.
    assert last_day_in_force(stored_late) == date(2025, 12, 31)
    assert last_day_in_force(fiscal_year) == date(2026, 9, 30)
    assert last_day_in_force(cpt) is None


def test_outdated_note_after_quarter_of_service() -> None:
    october = _release("hcpcs", "2025 Oct", date(2025, 10, 1))

    assert outdated_note(october, date(2025, 10, 1)) is None
    assert outdated_note(october, date(2025, 12, 31)) is None
    assert outdated_note(october, date(2026, 1, 1)) == (
        "the edition of this code set used for the date of service 2026-01-01, 2025 Oct, "
        "ended on 2025-12-31 (a new edition comes out every quarter); import the edition in "
        "force on that date"
    )


def test_outdated_note_without_date_of_service() -> None:
    old_quarter = _release("hcpcs", "2020 Jan", date(2020, 1, 1))
    future_quarter = _release("hcpcs", "2999 Jan", date(2999, 1, 1))
    old_fiscal_year = _release("icd10cm", "FY2020", date(2019, 10, 1), date(2020, 9, 30))
    open_ended = _release("cpt", "2020", date(2020, 1, 1))

    # Without a date of service, the edition is compared with today.
    assert outdated_note(old_quarter, None) == (
        "the newest loaded edition of this code set, 2020 Jan, ended on 2020-03-31 (a new "
        "edition comes out every quarter); import the current edition"
    )
    assert outdated_note(future_quarter, None) is None
    assert outdated_note(old_fiscal_year, None) == (
        "the newest loaded edition of this code set, FY2020, ended on 2020-09-30; "
        "import the current edition"
    )
    assert outdated_note(open_ended, None) is None


def test_checker_notes_hcpcs_after_its_quarter(two_quarters: Session) -> None:
    january_quarter = KnowledgeBaseChecker(two_quarters, date(2026, 2, 1))
    april_quarter = KnowledgeBaseChecker(two_quarters, date(2026, 6, 30))
    july_quarter = KnowledgeBaseChecker(two_quarters, date(2026, 7, 1))

    assert january_quarter.expired_note("hcpcs") is None
    assert april_quarter.expired_note("hcpcs") is None
    assert april_quarter.in_force("hcpcs")
    assert not july_quarter.in_force("hcpcs")
    # Modifiers are imported with HCPCS Level II, so they get the same note.
    for system in ("hcpcs", "modifier"):
        note = july_quarter.expired_note(system) or ""
        assert "date of service 2026-07-01, 2026 Apr, ended on 2026-06-30" in note


def test_checker_leaves_fallback_warning_alone(two_quarters: Session) -> None:
    before_editions = KnowledgeBaseChecker(two_quarters, date(2025, 12, 1))

    # The lookup already warns that no loaded edition is in force on that date.
    assert before_editions.expired_note("hcpcs") is None
    assert not before_editions.in_force("hcpcs")


def test_checker_unchecked_by_edition_in_force(two_quarters: Session) -> None:
    april_quarter = KnowledgeBaseChecker(two_quarters, date(2026, 5, 1))
    july_quarter = KnowledgeBaseChecker(two_quarters, date(2026, 7, 1))
    before_editions = KnowledgeBaseChecker(two_quarters, date(2025, 12, 1))

    # Missing from the edition in force: not found, not unchecked.
    assert april_quarter.describe("hcpcs", "A4444").status == "not_found"
    assert not april_quarter.unchecked("hcpcs", "A4444")
    assert july_quarter.unchecked("hcpcs", "A4444")
    assert before_editions.unchecked("hcpcs", "A4444")
    # A2222 is missing from April on, so it reads as deleted.
    assert april_quarter.describe("hcpcs", "A2222").status == "terminated"
    assert not april_quarter.unchecked("hcpcs", "A2222")
    assert july_quarter.unchecked("hcpcs", "A2222")
    # A code the edition contains is described, whatever the edition's age.
    assert not july_quarter.unchecked("hcpcs", "A1234")
    assert not before_editions.unchecked("hcpcs", "A1234")


def test_checker_unchecked_without_edition(session: Session) -> None:
    checker = KnowledgeBaseChecker(session, date(2026, 5, 1))

    for system, code in [("hcpcs", "J1885"), ("icd10cm", "M17.11"), ("modifier", "DD"),
                         ("cpt", "99201")]:
        assert checker.unchecked(system, code), code
    # The public CPT ranges place 99213 in a section, which the reply shows instead.
    assert checker.describe("cpt", "99213").status == "section_only"
    assert not checker.unchecked("cpt", "99213")


def test_checker_unchecked_icd10cm_edition_ended(loaded: Session) -> None:
    # The bundled ICD-10-CM edition, the FY2026 April 1 update, ends on 2026-09-30.
    in_force = KnowledgeBaseChecker(loaded, date(2026, 5, 1))
    ended = KnowledgeBaseChecker(loaded, date(2026, 11, 25))

    assert in_force.describe("icd10cm", "Z99.999").status == "not_found"
    assert not in_force.unchecked("icd10cm", "Z99.999")
    assert ended.unchecked("icd10cm", "Z99.999")
    assert not ended.unchecked("icd10cm", "M17.11")
    # The lookup's own warning gives the reason, so no second note is added.
    assert ended.expired_note("icd10cm") is None


def test_checker_notes_hcpcs_file_by_quarter(loaded: Session, hcpcs_xlsx: Path) -> None:
    # The CMS file HCPC2025_OCT_ANWEB is the October 2025 quarterly update.
    october = KnowledgeBaseChecker(loaded, date(2025, 12, 31))
    january = KnowledgeBaseChecker(loaded, date(2026, 1, 2))

    assert october.expired_note("hcpcs") is None
    assert october.describe("hcpcs", "J1885").status == "valid"
    assert october.describe("hcpcs", "J0000").status == "not_found"
    assert not october.unchecked("hcpcs", "J0000")
    assert "2025 Oct, ended on 2025-12-31" in (january.expired_note("hcpcs") or "")
    assert "2025 Oct, ended on 2025-12-31" in (january.expired_note("modifier") or "")
    assert january.unchecked("hcpcs", "J0000")
    assert not january.unchecked("hcpcs", "J1885")
