import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from consultant.config import get_settings, reset_settings
from consultant.drafting.services import draft_for_message, reply_subject
from consultant.intake.services import store_message
from consultant.storage.models import Draft, DraftState, MessageState
from tests.conftest import write_small_hcpcs_file

QUESTION = (
    b"From: Dana Coder <dana@clinic.example.com>\r\n"
    b"To: coding-help@example.org\r\n"
    b"Subject: 59001 with 76946?\r\n"
    b"Message-ID: <q1@clinic.example.com>\r\n"
    b"References: <earlier@clinic.example.com>\r\n\r\n"
    b"Can we bill 59001 with 76946? Dx O40.3XX0\r\n"
)


@pytest.fixture
def service_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASECONSULTANT_FROM_ADDRESS", "coding-help@example.org")
    reset_settings()


def test_draft_threads_and_lists_codes(session: Session, service_address: None) -> None:
    stored = store_message(session, QUESTION)

    draft = draft_for_message(session, stored.message_row_id, get_settings())
    session.commit()

    assert draft is not None
    assert draft.state is DraftState.PENDING_REVIEW
    assert draft.to_address == "dana@clinic.example.com"
    assert draft.subject == f"Re: 59001 with 76946? [Case {draft.case.token}]"
    assert draft.in_reply_to == "<q1@clinic.example.com>"
    assert draft.references == "<earlier@clinic.example.com> <q1@clinic.example.com>"
    assert draft.reply_message_id.endswith("@example.org>")
    assert [code["code"] for code in draft.codes] == ["59001", "76946", "O40.3XX0"]
    assert re.search(r"^O40\.3XX0 +ICD-10-CM ", draft.body_text, re.MULTILINE)
    assert "<td>O40.3XX0</td>" in (draft.body_html or "")
    assert draft.inbound_message.state is MessageState.DRAFTED
    assert [event.to_state for event in draft.events] == ["pending_review"]


def test_draft_is_made_once(session: Session, service_address: None) -> None:
    stored = store_message(session, QUESTION)

    first = draft_for_message(session, stored.message_row_id, get_settings())
    second = draft_for_message(session, stored.message_row_id, get_settings())

    assert first is second


def test_unknown_code_is_marked_in_draft(session: Session, service_address: None) -> None:
    from consultant.codes import importers

    importers.import_icd10cm(session)
    # The bundled ICD-10-CM edition is in force on this date of service.
    raw = QUESTION.replace(b"O40.3XX0", b"Z99.999, DOS 05/01/2026").replace(b"<q1@", b"<q2@")
    stored = store_message(session, raw)

    draft = draft_for_message(session, stored.message_row_id, get_settings())

    assert draft is not None
    unknown = [code for code in draft.codes if code["code"] == "Z99.999"]
    assert unknown[0]["status"] == "not_found"
    assert unknown[0]["validity"] == "unrecognised"
    assert unknown[0]["unchecked"] is False
    assert re.search(r"^Z99\.999 +ICD-10-CM +Not found in the official code set", draft.body_text,
                     re.MULTILINE)
    # Which code sets are loaded here is for the reviewer, not the asker.
    assert "loaded" not in draft.body_text


def test_missing_hcpcs_code_not_found(
    session: Session, service_address: None, tmp_path: Path
) -> None:
    from consultant.codes import importers

    importers.import_hcpcs(session, write_small_hcpcs_file(tmp_path))
    # The January 2026 edition is in force on this date; J0000 is not in it.
    asked = b"Bill J0000 with A0428, DOS 02/03/2026?"
    raw = QUESTION.replace(b"Can we bill 59001 with 76946?", asked)
    stored = store_message(session, raw.replace(b"<q1@", b"<q8@"))

    draft = draft_for_message(session, stored.message_row_id, get_settings())

    assert draft is not None
    assert re.search(r"^J0000 +HCPCS.* +Not found in the official code set", draft.body_text,
                     re.MULTILINE)


def test_section_describes_only_codes_no_file_confirms() -> None:
    from consultant.drafting.text import NOT_FOUND, describe_code

    cpt = {"code": "99213", "status": "section_only", "validity": None, "section": "E/M"}
    missing = {"code": "J0000", "status": "not_found", "validity": "unrecognised",
               "section": "Drugs"}
    assert describe_code(cpt) == "Section: E/M"
    assert describe_code(missing) == NOT_FOUND


def _modifier_rows(codes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {code["code"]: code for code in codes if code["system"] == "modifier"}


def test_modifier_validity_needs_hcpcs_edition(
    session: Session, service_address: None, tmp_path: Path
) -> None:
    from consultant.codes import importers

    question = QUESTION.replace(b"Can we bill 59001 with 76946?", b"Bill 20610-RT with A0428-DD?")
    before = store_message(session, question.replace(b"<q1@", b"<q4@"))
    unchecked = draft_for_message(session, before.message_row_id, get_settings())
    importers.import_hcpcs(session, write_small_hcpcs_file(tmp_path))
    after = store_message(session, question.replace(b"<q1@", b"<q5@"))
    checked = draft_for_message(session, after.message_row_id, get_settings())

    assert unchecked is not None
    assert checked is not None
    modifiers_before = _modifier_rows(unchecked.codes)
    modifiers_after = _modifier_rows(checked.codes)
    assert set(modifiers_before) == {"RT", "DD"}
    assert modifiers_before["RT"]["validity"] is None
    assert modifiers_before["DD"]["validity"] is None
    assert modifiers_after["RT"]["status"] == "valid"
    assert modifiers_after["RT"]["validity"] == "valid"
    assert modifiers_after["DD"]["status"] == "not_found"
    assert modifiers_after["DD"]["validity"] == "unrecognised"


def test_html_escapes_question_content(session: Session, service_address: None) -> None:
    raw = QUESTION.replace(b"Dx O40.3XX0", b"<script>alert(1)</script>")
    stored = store_message(session, raw.replace(b"<q1@", b"<q3@"))

    draft = draft_for_message(session, stored.message_row_id, get_settings())

    assert draft is not None
    assert "<script>" not in (draft.body_html or "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in (draft.body_html or "")


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Modifier 59", "Re: Modifier 59 [Case AB12CD34]"),
        ("RE: Modifier 59", "RE: Modifier 59 [Case AB12CD34]"),
        ("Re: Modifier 59 [Case AB12CD34]", "Re: Modifier 59 [Case AB12CD34]"),
        ("", "Re: Your coding question [Case AB12CD34]"),
    ],
)
def test_reply_subject(subject: str, expected: str) -> None:
    assert reply_subject(subject, "AB12CD34") == expected


def test_expired_edition_noted_for_reviewer_only(session: Session, service_address: None) -> None:
    from consultant.codes import importers
    from consultant.drafting.text import reviewer_notes

    importers.import_icd10cm(session)
    raw = QUESTION.replace(b"<q1@", b"<q9@")
    stored = store_message(session, raw)

    draft = draft_for_message(session, stored.message_row_id, get_settings())

    assert draft is not None
    [icd] = [code for code in draft.codes if code["system"] == "icd10cm"]
    # The bundled FY2026 April update ended on 2026-09-30.
    assert any("ended on 2026-09-30" in note for note in reviewer_notes(icd))
    assert "ended on" not in draft.body_text


def _draft_question(session: Session, question: bytes, message_tag: bytes) -> Draft | None:
    """Store QUESTION with *question* as its text and return its draft."""
    raw = QUESTION.replace(b"Can we bill 59001 with 76946? Dx O40.3XX0", question)
    stored = store_message(session, raw.replace(b"<q1@", message_tag))
    return draft_for_message(session, stored.message_row_id, get_settings())


def test_code_written_with_different_modifiers(session: Session, service_address: None) -> None:
    draft = _draft_question(
        session, b"Bilateral TKA: bill 27447 RT, 27447 LT, or 27447-50?", b"<q3@"
    )

    assert draft is not None
    # Three ways of billing one code, not one line with three modifiers.
    assert re.search(r"^27447-RT / 27447-LT / 27447-50 +CPT", draft.body_text, re.MULTILINE)
    assert "<td>RT<br>LT<br>50</td>" in (draft.body_html or "")


def test_drug_and_waste_lines_with_their_units(session: Session, service_address: None) -> None:
    draft = _draft_question(
        session, b"Bill J9305 x 95 on line 1 and J9305-JW x 5 on line 2?", b"<q4@"
    )

    assert draft is not None
    # JW goes with the 5 units wasted, not with the 95 given.
    assert re.search(r"^J9305 x95 / J9305-JW x5 +HCPCS", draft.body_text, re.MULTILINE)
    assert "<td>J9305 &times;95<br>J9305 &times;5</td>" in (draft.body_html or "")
    assert "<td><br>JW</td>" in (draft.body_html or "")


def test_modifier_sets_leave_out_named_modifiers() -> None:
    from consultant.drafting.text import modifier_sets

    code = {"code": "27447", "modifiers": ["RT", "LT", "80"], "modifier_sets": [["RT"], ["LT"]]}
    assert modifier_sets(code) == [["RT"], ["LT"]]
    glued_and_named = {"code": "99213", "modifiers": ["25", "59"], "modifier_sets": [["25"]]}
    assert modifier_sets(glued_and_named) == [["25"]]
    named = {"code": "76946", "modifiers": ["59"], "modifier_sets": []}
    assert modifier_sets(named) == []
    # Drafts stored before the sets were kept have only the modifiers.
    assert modifier_sets({"code": "99213", "modifiers": ["25"]}) == [["25"]]


@pytest.mark.parametrize("where", ["subject", "body"])
def test_nul_byte_in_question_is_drafted(
    session: Session, service_address: None, where: str
) -> None:
    raw = QUESTION.replace(b"<q1@", f"<nul-{where}@".encode())
    if where == "subject":
        raw = raw.replace(b"Subject: 59001 with 76946?", b"Subject: 59001 with\x00 76946?")
    else:
        raw = raw.replace(b"Can we bill 59001", b"Can we\x00 bill 59001")
    stored = store_message(session, raw)

    draft = draft_for_message(session, stored.message_row_id, get_settings())
    session.commit()

    # PostgreSQL text cannot hold NUL, so the draft must not carry one from the question.
    assert draft is not None
    assert "\x00" not in draft.subject
    assert "\x00" not in draft.body_text
    assert [code["code"] for code in draft.codes][:2] == ["59001", "76946"]


def test_expired_hcpcs_edition_noted_for_modifiers(session: Session) -> None:
    from datetime import date

    from consultant.codes.models import CodeRelease
    from consultant.drafting.checker import KnowledgeBaseChecker

    session.add(CodeRelease(system="hcpcs", edition="2025 October",
                            effective_from=date(2025, 10, 1), effective_to=date(2025, 12, 31),
                            source_name="hcpcs.txt", source_sha256="0" * 64))
    session.flush()
    checker = KnowledgeBaseChecker(session, None)

    for system in ("hcpcs", "modifier"):
        assert "ended on 2025-12-31" in (checker.expired_note(system) or "")


def test_unchecked_edits_noted_for_reviewer(session: Session, service_address: None) -> None:
    from consultant.drafting.text import reviewer_notes

    stored = store_message(session, QUESTION.replace(b"<q1@", b"<q10@"))

    draft = draft_for_message(session, stored.message_row_id, get_settings())

    assert draft is not None
    first, second = draft.codes[0], draft.codes[1]
    # No NCCI file is loaded here, so the reviewer learns the pair was not checked.
    assert any("NCCI edits were not checked" in note for note in reviewer_notes(first))
    assert not any("NCCI" in note for note in reviewer_notes(second))
    assert "not checked" not in draft.body_text


def test_unchecked_code_description_and_notes() -> None:
    from consultant.drafting.text import (
        DESCRIPTION_NOT_INCLUDED,
        NOT_FOUND,
        describe_code,
        reply_notes,
        reviewer_notes,
    )

    code = {
        "code": "J0000", "system": "hcpcs", "status": "not_found", "validity": "unrecognised",
        "section": "Drugs administered other than oral method, chemotherapy drugs",
        "unchecked": True,
        "messages": ["J0000 is not in HCPCS Level II 2025 Oct",
                     "suggestion: did you mean J0001 (Invented drug)?"],
        "review_notes": ["the newest loaded edition of this code set, 2025 Oct, ended on "
                         "2025-12-31; import the current edition"],
    }

    assert describe_code(code) == DESCRIPTION_NOT_INCLUDED
    # A suggestion would put doubt on a code that was never checked.
    assert reply_notes(code) == []
    assert reviewer_notes(code) == code["messages"] + code["review_notes"]
    checked = {**code, "unchecked": False, "section": None}
    assert describe_code(checked) == NOT_FOUND
    assert reply_notes(checked) == ["suggestion: did you mean J0001 (Invented drug)?"]


def test_stored_draft_without_unchecked_key() -> None:
    from consultant.drafting.text import (
        DESCRIPTION_NOT_INCLUDED,
        NOT_FOUND,
        describe_code,
        is_unchecked,
    )

    # Drafts stored before the key existed: an empty validity meant an unloaded code set.
    not_loaded = {"code": "M17.11", "status": "not_found", "validity": None}
    missing = {"code": "Z99.999", "status": "not_found", "validity": "unrecognised"}

    assert is_unchecked(not_loaded)
    assert describe_code(not_loaded) == DESCRIPTION_NOT_INCLUDED
    assert not is_unchecked(missing)
    assert describe_code(missing) == NOT_FOUND


def test_draft_reply_for_unchecked_codes(
    session: Session, service_address: None, tmp_path: Path
) -> None:
    from consultant.codes import importers
    from consultant.drafting.text import DESCRIPTION_NOT_INCLUDED, reviewer_notes

    # ICD-10-CM FY2026 April 1 update (ends 2026-09-30) and HCPCS 2026 January (ends with
    # March): neither is in force on 11/25/2026, and no CPT file is loaded.
    importers.import_icd10cm(session)
    importers.import_hcpcs(session, write_small_hcpcs_file(tmp_path))
    raw = (
        b"From: Dana Coder <dana@clinic.example.com>\r\n"
        b"To: coding-help@example.org\r\n"
        b"Subject: Ambulance claim\r\n"
        b"Message-ID: <q-unchecked@clinic.example.com>\r\n\r\n"
        b"DOS 11/25/2026: can we bill 99201 with A0428 and A0429? Dx Z99.999, M17.11\r\n"
    )
    stored = store_message(session, raw)

    draft = draft_for_message(session, stored.message_row_id, get_settings())

    assert draft is not None
    codes = {code["code"]: code for code in draft.codes}
    assert set(codes) == {"99201", "A0428", "A0429", "Z99.999", "M17.11"}
    for name in ("99201", "A0429", "Z99.999"):
        assert codes[name]["unchecked"] is True, name
        assert re.search(rf"^{re.escape(name)} .* {DESCRIPTION_NOT_INCLUDED}$", draft.body_text,
                         re.MULTILINE), name
        assert f"<td>{DESCRIPTION_NOT_INCLUDED}</td>" in (draft.body_html or "")
    for name in ("A0428", "M17.11"):
        assert codes[name]["unchecked"] is False, name
    assert "Not found" not in draft.body_text
    assert "Not found" not in (draft.body_html or "")
    # The reviewer still learns why each code was not looked up.
    assert any("licensed CPT file" in note for note in reviewer_notes(codes["99201"]))
    assert any("2026 Jan, ended on 2026-03-31" in note for note in reviewer_notes(codes["A0429"]))
    assert any("2026 Jan, ended on 2026-03-31" in note for note in reviewer_notes(codes["A0428"]))
    assert any("no ICD-10-CM edition loaded is in force on 2026-11-25" in note
               for note in reviewer_notes(codes["Z99.999"]))
    assert "ended on" not in draft.body_text
    assert "in force" not in draft.body_text
