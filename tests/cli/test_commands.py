"""The caseconsultant command line, run in-process through click's runner."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from consultant.cli import main
from consultant.config import get_settings, reset_settings
from consultant.devserver.imap import free_port
from consultant.drafting.services import draft_for_message
from consultant.intake.services import store_message


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_extract_json_lists_systems_and_codes(runner: CliRunner) -> None:
    result = runner.invoke(main, ["extract", "--json"],
                           input="Can we bill 59001 with 76946 and the J1100 injection? "
                                 "Dx o40.3xx0\n")

    assert result.exit_code == 0, result.output
    found = {(item["system"], item["code"]) for item in json.loads(result.output)}
    assert ("cpt", "59001") in found
    assert ("cpt", "76946") in found
    assert ("icd10cm", "O40.3XX0") in found
    assert ("hcpcs", "J1100") in found


def test_ask_prints_draft_and_stores_nothing(runner: CliRunner, session: Session) -> None:
    result = runner.invoke(main, ["ask", "--subject", "Modifier question"],
                           input="Can we bill 59001 with 76946? Dx O40.3XX0\n")

    assert result.exit_code == 0, result.output
    assert "Subject: Re: Modifier question" in result.output
    assert re.search(r"^59001 +CPT ", result.output, re.MULTILINE)
    assert re.search(r"^O40\.3XX0 +ICD-10-CM ", result.output, re.MULTILINE)
    listed = runner.invoke(main, ["review", "list", "--json"])
    assert json.loads(listed.output) == []


@pytest.mark.parametrize(
    ("command", "data", "message"),
    [
        (["extract"], b"", "standard input is empty"),
        (["extract", "--json"], b"  \n", "standard input is empty"),
        (["extract"], bytes(range(256)) * 4, "standard input is not text"),
        (["ask"], b"", "the question is empty"),
        (["ask"], b"99213\x00\x01\x02", "standard input is not text"),
    ],
)
def test_stdin_that_is_no_text_rejected(
    runner: CliRunner, session: Session, command: list[str], data: bytes, message: str
) -> None:
    result = runner.invoke(main, command, input=data)

    assert result.exit_code == 1
    assert message in result.output


def test_ask_prints_reviewer_notes_apart(runner: CliRunner, session: Session) -> None:
    result = runner.invoke(main, ["ask"], input="Can we bill 99213 with 25?\n")

    assert result.exit_code == 0, result.output
    body, _, notes = result.output.partition("Notes for the reviewer (not in the reply):")
    assert "99213" in body
    assert "99213: " in notes


def test_ask_reply_for_unchecked_cpt_code(runner: CliRunner, session: Session) -> None:
    from consultant.drafting.text import DESCRIPTION_NOT_INCLUDED

    # No CPT file is loaded, and 99201 lies outside the public CPT section ranges.
    result = runner.invoke(main, ["ask"], input="Can we bill 99201 with 99213?\n")

    assert result.exit_code == 0, result.output
    body, _, notes = result.output.partition("Notes for the reviewer (not in the reply):")
    assert re.search(rf"^99201 +CPT +{DESCRIPTION_NOT_INCLUDED}$", body, re.MULTILINE)
    assert "Not found" not in body
    assert "99201: 99201 falls outside every CPT section range" in notes
    assert "99201: CPT descriptors are licensed by the AMA" in notes


def test_review_list_json_fields(
    runner: CliRunner, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASECONSULTANT_FROM_ADDRESS", "coding-help@example.org")
    reset_settings()
    stored = store_message(session, b"From: dana@clinic.example.com\r\nSubject: 97140 XU\r\n"
                                    b"Message-ID: <cli1@clinic.example.com>\r\n\r\n97140-XU?\r\n")
    draft_for_message(session, stored.message_row_id, get_settings())
    session.commit()

    result = runner.invoke(main, ["review", "list", "--json"])

    assert result.exit_code == 0, result.output
    [row] = json.loads(result.output)
    assert row["state"] == "pending_review"
    assert row["message_id"] == "<cli1@clinic.example.com>"
    assert row["subject"] == "97140 XU"
    assert row["codes"] == ["97140", "XU"]
    assert isinstance(row["id"], int)


def _pending_draft(session: Session, number: int) -> int:
    """Store a question about E11.4, draft a reply and return the draft's id."""
    stored = store_message(session, f"From: dana@clinic.example.com\r\nSubject: E11.4?\r\n"
                                    f"Message-ID: <redraft{number}@clinic.example.com>\r\n\r\n"
                                    f"Is E11.4 billable?\r\n".encode())
    draft = draft_for_message(session, stored.message_row_id, get_settings())
    session.commit()
    assert draft is not None
    return draft.id


@pytest.fixture
def service_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASECONSULTANT_FROM_ADDRESS", "coding-help@example.org")
    reset_settings()


def _versions(runner: CliRunner) -> list[int]:
    return [row["version"] for row in json.loads(runner.invoke(main, ["review", "list",
                                                                      "--json"]).output)]


def test_review_redraft_all_pending(
    runner: CliRunner, session: Session, service_address: None, accounts
) -> None:
    from consultant.codes import importers

    for number in (1, 2):
        _pending_draft(session, number)

    unchanged = runner.invoke(main, ["review", "redraft", "--all-pending", "--reviewer", "rita"])
    unchanged_versions = _versions(runner)
    importers.import_icd10cm(session)
    session.commit()
    redrafted = runner.invoke(main, ["review", "redraft", "--all-pending", "--reviewer", "rita"])

    assert unchanged.exit_code == 0, unchanged.output
    assert unchanged.output.count("unchanged: the new text is the same as version 1\n") == 2
    assert unchanged.output.endswith(
        "2 drafts pending review: 0 redrafted, 2 unchanged, 0 skipped\n")
    assert unchanged_versions == [1, 1]
    assert redrafted.exit_code == 0, redrafted.output
    assert redrafted.output.count("redrafted as version 2 with 1 code\n") == 2
    assert redrafted.output.endswith(
        "2 drafts pending review: 2 redrafted, 0 unchanged, 0 skipped\n")
    assert _versions(runner) == [2, 2]


def test_review_redraft_counts_each_outcome(
    runner: CliRunner, session: Session, service_address: None, accounts
) -> None:
    from consultant.codes import importers
    from consultant.review import services

    stale = _pending_draft(session, 1)
    edited = _pending_draft(session, 2)
    services.record_version(session, services.get_draft(session, edited),
                            "Hello,\n\nUse E11.40.\n", "sam")
    importers.import_icd10cm(session)
    session.commit()
    current = _pending_draft(session, 3)

    result = runner.invoke(main, ["review", "redraft", "--all-pending", "--reviewer", "rita"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"draft {stale} redrafted as version 2 with 1 code" in lines
    assert f"draft {edited} skipped: a reviewer edited it; redraft it with --force to " \
           "replace the edit" in lines
    assert f"draft {current} unchanged: the new text is the same as version 1" in lines
    assert lines[-1] == "3 drafts pending review: 1 redrafted, 1 unchanged, 1 skipped"


def test_review_redraft_one_unchanged_draft(
    runner: CliRunner, session: Session, service_address: None, accounts
) -> None:
    draft_id = _pending_draft(session, 1)

    result = runner.invoke(main, ["review", "redraft", str(draft_id), "--reviewer", "rita"])

    assert result.exit_code == 0, result.output
    assert result.output == (f"draft {draft_id} unchanged: the new text is the same as "
                             "version 1\n")


def test_review_redraft_error_redrafts_none(
    runner: CliRunner, session: Session, service_address: None, accounts
) -> None:
    from consultant.codes import importers
    from consultant.review import services

    stale = _pending_draft(session, 1)
    approved = _pending_draft(session, 2)
    services.approve(session, approved, "rita",
                     services.fill_answer(services.get_draft(session, approved), "Use E11.40."))
    importers.import_icd10cm(session)
    session.commit()

    result = runner.invoke(main, ["review", "redraft", str(stale), str(approved),
                                  "--reviewer", "rita"])

    assert result.exit_code == 1
    assert "redrafted as version" not in result.output
    assert f"draft {approved} is approved; only a draft pending review is redrafted" in (
        result.output)
    session.expire_all()
    assert services.get_draft(session, stale).version == 1


def test_review_redraft_needs_ids_or_all(runner: CliRunner, session: Session) -> None:
    result = runner.invoke(main, ["review", "redraft", "--reviewer", "rita"])

    assert result.exit_code == 2
    assert "give the ids of the drafts to redraft, or --all-pending" in result.output


def test_review_show_unknown_draft(runner: CliRunner, session: Session) -> None:
    result = runner.invoke(main, ["review", "show", "4242"])

    assert result.exit_code == 1
    assert "no draft with id 4242" in result.output


def test_approve_both_files_is_usage_error(runner: CliRunner, session: Session, tmp_path) -> None:
    answer = tmp_path / "a.txt"
    answer.write_text("x")

    result = runner.invoke(main, ["review", "approve", "1", "--reviewer", "rita",
                                  "--body-file", str(answer), "--answer-file", str(answer)])

    assert result.exit_code == 2
    assert "not both" in result.output


def test_command_before_migration_explains(runner: CliRunner, tmp_path) -> None:
    result = runner.invoke(main, ["review", "list"])

    assert result.exit_code == 1
    assert f"database file not found: {tmp_path / 'var' / 'caseconsultant.db'}" in result.output
    assert "caseconsultant db upgrade" in result.output
    # Nothing is left behind in the folder the command was run from.
    assert not (tmp_path / "var").exists()


def test_command_on_database_without_tables_explains(runner: CliRunner, tmp_path) -> None:
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "caseconsultant.db").touch()

    result = runner.invoke(main, ["review", "list"])

    assert result.exit_code == 1
    assert "has no tables yet; run 'caseconsultant db upgrade' first" in result.output


def test_worker_without_settings_names_them(runner: CliRunner) -> None:
    result = runner.invoke(main, ["worker"])

    assert result.exit_code == 1
    assert "CASECONSULTANT_IMAP_HOST" in result.output
    assert "CASECONSULTANT_FROM_ADDRESS" in result.output


def test_poll_without_settings_names_them(
    runner: CliRunner, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing_all = runner.invoke(main, ["poll"])
    monkeypatch.setenv("CASECONSULTANT_IMAP_HOST", "127.0.0.1")
    monkeypatch.setenv("CASECONSULTANT_IMAP_USERNAME", "coding-help")
    reset_settings()
    missing_password = runner.invoke(main, ["poll"])

    assert missing_all.exit_code == 1, missing_all.output
    assert missing_all.output.startswith(
        "error: missing settings: CASECONSULTANT_IMAP_HOST, CASECONSULTANT_IMAP_USERNAME and "
        "CASECONSULTANT_IMAP_PASSWORD (set them "
    )
    assert missing_password.exit_code == 1, missing_password.output
    assert missing_password.output.startswith(
        "error: missing setting: CASECONSULTANT_IMAP_PASSWORD (set it "
    )


def test_poll_unreachable_imap_is_clear(
    runner: CliRunner, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    for name, value in {"IMAP_HOST": "127.0.0.1", "IMAP_PORT": str(port), "IMAP_TLS": "none",
                        "IMAP_USERNAME": "coding-help", "IMAP_PASSWORD": "x",
                        "IMAP_TIMEOUT": "5"}.items():
        monkeypatch.setenv(f"CASECONSULTANT_{name}", value)
    reset_settings()

    result = runner.invoke(main, ["poll"])

    assert result.exit_code == 1
    assert f"IMAP server 127.0.0.1:{port} failed" in result.output
    assert "ConnectionRefusedError" in result.output


def test_db_upgrade_twice(runner: CliRunner) -> None:
    first = runner.invoke(main, ["db", "upgrade"])
    second = runner.invoke(main, ["db", "upgrade"])

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output


def test_extract_json_validates_with_loaded_codes(runner: CliRunner, session: Session) -> None:
    from consultant.codes import importers

    importers.import_icd10cm(session)
    session.commit()

    result = runner.invoke(main, ["extract", "--json"], input="Dx O40.3XX0, Z99.999 and E11.4\n")

    assert result.exit_code == 0, result.output
    validity = {item["code"]: item["validity"] for item in json.loads(result.output)}
    assert validity == {"O40.3XX0": "valid", "Z99.999": "unrecognised", "E11.4": "header"}


def test_extract_notes_ended_edition(
    runner: CliRunner, session: Session
) -> None:
    from consultant.codes import importers

    # The packaged FY2026 edition ended on 2026-09-30: a code missing from it may be new.
    importers.import_icd10cm(session)
    session.commit()

    result = runner.invoke(main, ["extract", "--json"], input="Dx Z99.999 and E11.9\n")

    assert result.exit_code == 0, result.output
    found = {item["code"]: item for item in json.loads(result.output)}
    assert found["Z99.999"]["validity"] == "unrecognised"
    assert found["Z99.999"]["unchecked"] is True
    assert "ended on 2026-09-30" in found["Z99.999"]["notes"][0]
    # A code found in the ended edition is confirmed as of that edition, with its note.
    assert found["E11.9"]["validity"] == "valid"
    assert found["E11.9"]["unchecked"] is False
    assert found["E11.9"]["notes"] == found["Z99.999"]["notes"]
    table = runner.invoke(main, ["extract"], input="Dx Z99.999\n")
    assert "unrecognised; at 3-10; the newest loaded edition" in table.output


def test_extract_keeps_unloaded_system_unchecked(runner: CliRunner, session: Session) -> None:
    from consultant.codes import importers

    importers.import_icd10cm(session)
    session.commit()

    result = runner.invoke(main, ["extract", "--json"],
                           input="TFESI 64483 with J1100 dexamethasone\n")

    assert result.exit_code == 0, result.output
    found = {item["code"]: item for item in json.loads(result.output)}
    assert found["J1100"]["system"] == "hcpcs"
    # Without a licensed CPT file, a CPT code is placed in its section only.
    assert found["64483"]["system"] == "cpt"
    for code in ("J1100", "64483"):
        assert found[code]["validity"] is None
        assert found[code]["unchecked"] is True


def test_extract_reads_undotted_diagnosis_by_its_description(
    runner: CliRunner, session: Session
) -> None:
    from consultant.codes import importers

    importers.import_icd10cm(session)
    session.commit()
    text = "Type 2 diabetes with hyperglycemia (e1165), seen for 99214.\n"

    result = runner.invoke(main, ["extract", "--json"], input=text)

    assert result.exit_code == 0, result.output
    codes = [(item["system"], item["code"], item["validity"]) for item in json.loads(result.output)]
    assert ("icd10cm", "E11.65", "valid") in codes


def test_lookup_puts_unchecked_reading_first(runner: CliRunner, session: Session) -> None:
    from consultant.codes import importers

    importers.import_icd10cm(session)
    session.commit()

    result = runner.invoke(main, ["codes", "lookup", "J1100"])

    lines = result.output.splitlines()
    assert lines[0] == "J11.00 [icd10cm] valid"
    assert lines[1].startswith("  ! J1100 was not checked as a code of HCPCS Level II")


def test_lookup_unknown_code_exits_1(runner: CliRunner, session: Session) -> None:
    from consultant.codes import importers

    importers.import_icd10cm(session)
    session.commit()

    # The ICD-10-CM edition that codes load imports is in force until 2026-09-30; later, a
    # code missing from it is not checked (exit status 3).
    unknown = runner.invoke(main, ["codes", "lookup", "Z99.999", "--date", "2026-06-01"])
    ambiguous = runner.invoke(main, ["codes", "lookup", "J1100"])
    empty = runner.invoke(main, ["codes", "lookup", ""])

    assert unknown.exit_code == 1
    assert ambiguous.exit_code == 0
    assert "J1100 was not checked as a code of HCPCS Level II" in ambiguous.output
    assert empty.exit_code == 2
    assert "the code is empty" in empty.output


@pytest.mark.parametrize(
    ("arguments", "data", "searched"),
    [
        ([], "no codes here\n", "the text"),
        (["--subject", "A question"], "no codes here\n", "the subject or the text"),
        (["--message"], "Subject: A question\r\n\r\nno codes here\r\n", "the subject or the text"),
    ],
)
def test_extract_without_codes_reports_none(arguments: list[str], data: str, searched: str) -> None:
    result = CliRunner().invoke(main, ["extract", *arguments], input=data)

    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == f"no codes found in {searched} on standard input\n"


def test_extract_json_without_codes_prints_empty_list() -> None:
    result = CliRunner().invoke(main, ["extract", "--json"], input="no codes here\n")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []
    assert result.stderr == ""


def test_ask_marks_output_as_preview(runner: CliRunner, session: Session) -> None:
    from consultant.cli.ask import PREVIEW_NOTICE

    result = runner.invoke(main, ["ask"], input="Is E11.4 billable?\n")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == PREVIEW_NOTICE
    assert result.stderr == PREVIEW_NOTICE + "\n"
    assert "not reviewed, stored or sent" in PREVIEW_NOTICE
    assert result.stdout.startswith("Subject: Re: ")
    assert "A certified coder reviewed this answer" in result.stdout


def test_ask_json_keeps_stdout_parseable(runner: CliRunner, session: Session) -> None:
    from consultant.cli.ask import PREVIEW_NOTICE

    result = runner.invoke(main, ["ask", "--json"], input="Is E11.4 billable?\n")

    assert result.exit_code == 0, result.output
    assert result.stderr == PREVIEW_NOTICE + "\n"
    assert "E11.4" in json.loads(result.stdout)["body"]
