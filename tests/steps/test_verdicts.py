"""Drafts carry the NCCI verdicts that apply to the question's procedure codes."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from consultant.config import get_settings, reset_settings
from consultant.drafting.services import draft_for_message
from consultant.intake.services import store_message
from tests.codes.test_ncci import edits  # noqa: F401 - fixture with PTP, MUE and AOC releases

QUESTION = (
    b"From: dana@clinic.example.com\r\nTo: coding-help@example.org\r\n"
    b"Subject: Debridement with 97597 and J1100 x130\r\n"
    b"Message-ID: <ncci@clinic.example.com>\r\n\r\n"
    b"Can we bill 11042 with 97597 the same day? Also J1100 x130.\r\n"
)


@pytest.fixture(autouse=True)
def _service_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASECONSULTANT_FROM_ADDRESS", "coding-help@example.org")
    reset_settings()


def test_draft_lists_pair_edit_and_mue(edits: Session) -> None:  # noqa: F811
    stored = store_message(edits, QUESTION)

    draft = draft_for_message(edits, stored.message_row_id, get_settings())

    assert draft is not None
    by_code = {code["code"]: code for code in draft.codes}
    pair = "NCCI pair edit: 97597 is column 2 to 11042; modifier indicator 1"
    assert any(verdict.startswith(pair) for verdict in by_code["11042"]["verdicts"])
    assert any(verdict.startswith(pair) for verdict in by_code["97597"]["verdicts"])
    [mue] = [verdict for verdict in by_code["J1100"]["verdicts"] if verdict.startswith("MUE")]
    assert "MUE: at most 120 units" in mue
    assert "exceed" in mue
    assert draft.body_text.count(pair) == 1
    assert "Coding edits that apply:" in draft.body_text


def test_draft_sums_lines_for_daily_mue(edits: Session) -> None:  # noqa: F811
    raw = (
        QUESTION.replace(b"and J1100 x130", b"and J1100")
        .replace(b"Also J1100 x130.", b"J1100 x100 on line 1, J1100-JW x30 on line 2; "
                 b"97110 x3, or should it be 97110 x4?")
        .replace(b"<ncci@", b"<lines@")
    )
    stored = store_message(edits, raw)

    draft = draft_for_message(edits, stored.message_row_id, get_settings())

    assert draft is not None
    by_code = {code["code"]: code for code in draft.codes}
    [drug] = [verdict for verdict in by_code["J1100"]["verdicts"] if verdict.startswith("MUE")]
    assert drug.endswith("; the 130 units written on 2 lines (100 + 30) exceed it")
    # Two counts with the same modifiers are one line asked about two ways, not 7 units.
    [therapy] = [verdict for verdict in by_code["97110"]["verdicts"] if verdict.startswith("MUE")]
    assert "exceed" not in therapy


def test_draft_flags_add_on_without_primary(edits: Session) -> None:  # noqa: F811
    raw = QUESTION.replace(b"11042 with 97597", b"11045 with 97597").replace(b"<ncci@", b"<aoc@")
    stored = store_message(edits, raw)

    draft = draft_for_message(edits, stored.message_row_id, get_settings())

    assert draft is not None
    by_code = {code["code"]: code for code in draft.codes}
    assert by_code["11045"]["verdicts"]
    assert "11042" in by_code["11045"]["verdicts"][0]


def test_draft_without_ncci_claims_no_edits(session: Session) -> None:
    stored = store_message(session, QUESTION)

    draft = draft_for_message(session, stored.message_row_id, get_settings())

    assert draft is not None
    assert all(code["verdicts"] == [] for code in draft.codes)
    assert "Coding edits that apply:" not in draft.body_text
