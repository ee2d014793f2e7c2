"""``caseconsultant review`` as a user account: claims, take-over and superseded drafts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.cli import main
from consultant.config import get_settings, reset_settings
from consultant.drafting.services import draft_for_message
from consultant.intake.services import store_message
from consultant.review import services, workflow
from consultant.storage.models import CaseEvent, Draft, DraftEvent, DraftState, User

ANSWER = "Yes, report modifier 25 on the visit when it is separately identifiable."


@pytest.fixture(autouse=True)
def service_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASECONSULTANT_FROM_ADDRESS", "coding-help@example.org")
    reset_settings()


@pytest.fixture
def answer_file(tmp_path: Path) -> Path:
    path = tmp_path / "answer.txt"
    path.write_text(ANSWER + "\n")
    return path


def _draft(session: Session, number: int, extra_headers: str = "",
           body: str = "Can we bill 99213-25 with 20610 on the same day?") -> Draft:
    """Store a question from dana@clinic.example.com and draft its reply."""
    raw = (f"From: dana@clinic.example.com\r\nSubject: 99213-25 with 20610\r\n"
           f"Message-ID: <review{number}@clinic.example.com>\r\n{extra_headers}\r\n"
           f"{body}\r\n").encode()
    stored = store_message(session, raw)
    draft = draft_for_message(session, stored.message_row_id, get_settings())
    session.commit()
    assert draft is not None
    return draft


def _follow_up(session: Session, first: Draft, number: int) -> Draft:
    """Draft the reply to a follow-up question that answers *first*'s reply."""
    headers = (f"In-Reply-To: {first.reply_message_id}\r\n"
               f"References: {first.reply_message_id}\r\n")
    follow_up = _draft(session, number, headers, "And if the injection was on the left knee?")
    assert follow_up.case_id == first.case_id
    return follow_up


def _approve(runner: CliRunner, draft_id: int, reviewer: str, answer_file: Path,
             *options: str) -> Result:
    return runner.invoke(main, ["review", "approve", str(draft_id), "--reviewer", reviewer,
                                "--answer-file", str(answer_file), *options])


def _reload(session: Session, draft_id: int) -> Draft:
    session.expire_all()
    return services.get_draft(session, draft_id)


def _case_events(session: Session, draft_id: int) -> list[tuple[str, str, str | None]]:
    events = session.scalars(select(CaseEvent).where(CaseEvent.draft_id == draft_id)
                             .order_by(CaseEvent.id))
    return [(event.action, event.actor, event.note) for event in events]


def _state_events(session: Session, draft_id: int) -> list[DraftEvent]:
    return list(session.scalars(select(DraftEvent).where(DraftEvent.draft_id == draft_id,
                                                         DraftEvent.from_state.is_not(None))))


def test_approve_claims_and_records_account(
    session: Session, accounts: dict[str, User], sent_tasks: list, answer_file: Path
) -> None:
    draft = _draft(session, 1)

    result = _approve(CliRunner(), draft.id, "RITA", answer_file)

    assert result.exit_code == 0, result.output
    approved = _reload(session, draft.id)
    assert approved.state is DraftState.APPROVED
    assert approved.reviewer == "rita"
    assert approved.assignee == "rita"
    assert _case_events(session, draft.id) == [("claimed", "rita", None)]
    [event] = _state_events(session, draft.id)
    assert (event.from_state, event.to_state, event.actor) == ("pending_review", "approved",
                                                               "rita")
    assert sent_tasks == [("send_reply", (draft.id,))]


@pytest.mark.parametrize(
    ("reviewer", "expected"),
    [
        ("nobody", ["no user account named 'nobody'", "caseconsultant users add nobody",
                    "caseconsultant users list"]),
        ("dora", ["the user account 'dora' is disabled",
                  "caseconsultant users disable dora --enable"]),
        ("R. Coder", ["invalid reviewer 'R. Coder'", "caseconsultant users add USERNAME"]),
        ("  ", ["invalid reviewer '  '", "caseconsultant users add USERNAME"]),
    ],
)
def test_approve_without_active_account_rejected(
    session: Session, accounts: dict[str, User], sent_tasks: list, answer_file: Path,
    reviewer: str, expected: list[str],
) -> None:
    draft = _draft(session, 1)

    result = _approve(CliRunner(), draft.id, reviewer, answer_file)

    assert result.exit_code == 1
    for fragment in expected:
        assert fragment in result.output
    unchanged = _reload(session, draft.id)
    assert unchanged.state is DraftState.PENDING_REVIEW
    assert unchanged.assignee is None
    assert _case_events(session, draft.id) == []
    assert sent_tasks == []


@pytest.mark.parametrize("command", [
    ["reject", "--reason", "Needs the operative note"],
    ["redraft"],
])
def test_other_commands_need_account(
    session: Session, accounts: dict[str, User], command: list[str]
) -> None:
    draft = _draft(session, 1)
    name, *options = command

    result = CliRunner().invoke(main, ["review", name, str(draft.id), "--reviewer", "nobody",
                                       *options])

    assert result.exit_code == 1
    assert "caseconsultant users add nobody" in result.output
    assert _reload(session, draft.id).state is DraftState.PENDING_REVIEW


def test_approve_claimed_by_other_refused(
    session: Session, accounts: dict[str, User], sent_tasks: list, answer_file: Path
) -> None:
    draft = _draft(session, 1)
    workflow.claim(session, draft.id, accounts["rita"])
    session.commit()

    result = _approve(CliRunner(), draft.id, "remy", answer_file)

    assert result.exit_code == 1
    assert f"draft {draft.id} is claimed by rita in the web queue" in result.output
    assert "Ask rita to release it, or ask an admin to release it or assign it to you" in (
        result.output)
    assert "An admin can take it over with --take-over" in result.output
    unchanged = _reload(session, draft.id)
    assert unchanged.state is DraftState.PENDING_REVIEW
    assert unchanged.assignee == "rita"
    assert unchanged.version == 1
    assert sent_tasks == []


def test_reject_claimed_by_other_refused(session: Session, accounts: dict[str, User]) -> None:
    draft = _draft(session, 1)
    workflow.claim(session, draft.id, accounts["rita"])
    session.commit()

    result = CliRunner().invoke(main, ["review", "reject", str(draft.id), "--reviewer", "remy",
                                       "--reason", "Duplicate"])

    assert result.exit_code == 1
    assert f"draft {draft.id} is claimed by rita in the web queue" in result.output
    assert _reload(session, draft.id).state is DraftState.PENDING_REVIEW


def test_assignee_approves_own_claim(
    session: Session, accounts: dict[str, User], sent_tasks: list, answer_file: Path
) -> None:
    draft = _draft(session, 1)
    workflow.claim(session, draft.id, accounts["rita"])
    session.commit()

    result = _approve(CliRunner(), draft.id, "rita", answer_file)

    assert result.exit_code == 0, result.output
    assert _reload(session, draft.id).state is DraftState.APPROVED


def test_admin_takes_over_claimed_draft(
    session: Session, accounts: dict[str, User], sent_tasks: list, answer_file: Path
) -> None:
    draft = _draft(session, 1)
    workflow.claim(session, draft.id, accounts["rita"])
    session.commit()

    result = _approve(CliRunner(), draft.id, "ada", answer_file, "--take-over")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"draft {draft.id} taken over from rita"
    approved = _reload(session, draft.id)
    assert approved.state is DraftState.APPROVED
    assert approved.reviewer == "ada"
    assert approved.assignee == "ada"
    assert _case_events(session, draft.id) == [("claimed", "rita", None),
                                               ("assigned", "ada", "to ada, was rita")]


def test_admin_takes_over_to_reject(session: Session, accounts: dict[str, User]) -> None:
    draft = _draft(session, 1)
    workflow.claim(session, draft.id, accounts["rita"])
    session.commit()

    result = CliRunner().invoke(main, ["review", "reject", str(draft.id), "--reviewer", "ada",
                                       "--reason", "Duplicate", "--take-over"])

    assert result.exit_code == 0, result.output
    rejected = _reload(session, draft.id)
    assert rejected.state is DraftState.REJECTED
    assert rejected.reviewer == "ada"


def test_reviewer_cannot_take_over(
    session: Session, accounts: dict[str, User], sent_tasks: list, answer_file: Path
) -> None:
    draft = _draft(session, 1)
    workflow.claim(session, draft.id, accounts["rita"])
    session.commit()

    result = _approve(CliRunner(), draft.id, "remy", answer_file, "--take-over")

    assert result.exit_code == 1
    assert f"draft {draft.id} is claimed by rita, and only an admin can take it from them" in (
        result.output)
    unchanged = _reload(session, draft.id)
    assert unchanged.assignee == "rita"
    assert unchanged.state is DraftState.PENDING_REVIEW
    assert sent_tasks == []


def test_take_over_of_unclaimed_draft_claims_it(
    session: Session, accounts: dict[str, User], sent_tasks: list, answer_file: Path
) -> None:
    draft = _draft(session, 1)

    result = _approve(CliRunner(), draft.id, "ada", answer_file, "--take-over")

    assert result.exit_code == 0, result.output
    assert "taken over" not in result.output
    assert _case_events(session, draft.id) == [("claimed", "ada", None)]


def test_redraft_leaves_claimed_draft(session: Session, accounts: dict[str, User]) -> None:
    claimed = _draft(session, 1)
    free = _draft(session, 2)
    workflow.claim(session, claimed.id, accounts["remy"])
    session.commit()
    runner = CliRunner()

    everything = runner.invoke(main, ["review", "redraft", "--all-pending", "--reviewer", "rita"])
    by_ids = runner.invoke(main, ["review", "redraft", str(free.id), str(claimed.id),
                               "--reviewer", "rita"])

    assert everything.exit_code == 0, everything.output
    assert (f"draft {claimed.id} skipped: it is claimed by remy, so only remy can redraft it "
            "until the claim is released") in everything.output.splitlines()
    assert f"draft {free.id} unchanged" in everything.output
    assert everything.output.endswith("1 unchanged, 1 skipped\n")
    assert by_ids.exit_code == 1
    assert (f"draft {claimed.id} is claimed by remy, so nothing was redrafted. Ask remy or an "
            "admin to release it, or leave it out") in by_ids.output
    assert _reload(session, claimed.id).assignee == "remy"


def test_show_warns_of_newer_question(session: Session, accounts: dict[str, User]) -> None:
    first = _draft(session, 1)
    follow_up = _follow_up(session, first, 2)
    workflow.claim(session, first.id, accounts["rita"])
    session.commit()
    runner = CliRunner()

    older = runner.invoke(main, ["review", "show", str(first.id)])
    newer = runner.invoke(main, ["review", "show", str(follow_up.id)])

    assert older.exit_code == 0, older.output
    assert "Claimed by: rita" in older.output
    assert (f"WARNING: this draft answers an earlier question. A newer question of this case "
            f"already has draft {follow_up.id} (pending review).") in older.output
    assert f"Read it with 'caseconsultant review show {follow_up.id}'" in older.output
    assert "Approving this draft needs --even-if-superseded." in older.output
    assert newer.exit_code == 0, newer.output
    assert "WARNING" not in newer.output
    assert "Claimed by" not in newer.output


def test_approve_superseded_needs_confirmation(
    session: Session, accounts: dict[str, User], sent_tasks: list, answer_file: Path
) -> None:
    first = _draft(session, 1)
    follow_up = _follow_up(session, first, 2)
    runner = CliRunner()

    unconfirmed = _approve(runner, first.id, "rita", answer_file)
    unconfirmed_draft = _reload(session, first.id)
    unconfirmed_state, unconfirmed_assignee = unconfirmed_draft.state, unconfirmed_draft.assignee
    unconfirmed_version = unconfirmed_draft.version
    confirmed = _approve(runner, first.id, "rita", answer_file, "--even-if-superseded")

    assert unconfirmed.exit_code == 1
    assert (f"draft {first.id} answers an earlier question of case {first.case.token}, and a "
            f"newer question of that case already has a draft: draft {follow_up.id} (pending "
            "review)") in unconfirmed.output
    assert f"'caseconsultant review show {follow_up.id}'" in unconfirmed.output
    assert "To send this older answer anyway, add --even-if-superseded" in unconfirmed.output
    assert unconfirmed_state is DraftState.PENDING_REVIEW
    assert unconfirmed_assignee is None
    assert unconfirmed_version == 1
    assert confirmed.exit_code == 0, confirmed.output
    assert _reload(session, first.id).state is DraftState.APPROVED
    [event] = _state_events(session, first.id)
    assert event.note == (f"edited to version 2 and approved it, confirmed although the case "
                          f"has newer draft {follow_up.id} (pending review)")
    assert sent_tasks == [("send_reply", (first.id,))]


def test_rejected_follow_up_does_not_supersede(
    session: Session, accounts: dict[str, User], sent_tasks: list, answer_file: Path
) -> None:
    first = _draft(session, 1)
    follow_up = _follow_up(session, first, 2)
    runner = CliRunner()
    rejected = runner.invoke(main, ["review", "reject", str(follow_up.id), "--reviewer", "rita",
                                    "--reason", "Answered in the first reply"])

    shown = runner.invoke(main, ["review", "show", str(first.id)])
    approved = _approve(runner, first.id, "rita", answer_file)

    assert rejected.exit_code == 0, rejected.output
    assert "WARNING" not in shown.output
    assert approved.exit_code == 0, approved.output


def test_superseded_draft_stays_readable(
    session: Session, accounts: dict[str, User], sent_tasks: list, answer_file: Path
) -> None:
    first = _draft(session, 1)
    follow_up = _follow_up(session, first, 2)
    runner = CliRunner()
    approved = _approve(runner, follow_up.id, "rita", answer_file)
    rejected = runner.invoke(main, ["review", "reject", str(first.id), "--reviewer", "rita",
                                    "--reason", "The follow-up reply answers both questions"])

    shown = runner.invoke(main, ["review", "show", str(first.id)])

    assert approved.exit_code == 0, approved.output
    assert rejected.exit_code == 0, rejected.output
    assert shown.exit_code == 0, shown.output
    assert _reload(session, first.id).body_text in shown.output
    assert "Rejected: The follow-up reply answers both questions" in shown.output
    # A final draft needs no approval, so the warning is left out.
    assert "WARNING" not in shown.output


def test_list_marks_claims_and_newer_drafts(session: Session, accounts: dict[str, User]) -> None:
    first = _draft(session, 1)
    follow_up = _follow_up(session, first, 2)
    workflow.claim(session, follow_up.id, accounts["remy"])
    session.commit()
    runner = CliRunner()

    listed = runner.invoke(main, ["review", "list"])
    rows = json.loads(runner.invoke(main, ["review", "list", "--json"]).output)

    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[1].endswith(f"  superseded by draft {follow_up.id}")
    assert lines[2].endswith("  claimed by remy")
    assert [(row["id"], row["assignee"], row["superseded_by"]) for row in rows] == [
        (first.id, None, [follow_up.id]), (follow_up.id, "remy", [])]


def test_list_leaves_claim_off_sent_draft(session: Session) -> None:
    draft = _draft(session, 1)
    draft.state, draft.assignee = DraftState.SENT, "remy"
    session.commit()

    listed = CliRunner().invoke(main, ["review", "list", "--state", "sent"])

    assert listed.exit_code == 0, listed.output
    assert f"{draft.id:>6}  sent" in listed.output
    assert "claimed by" not in listed.output


@pytest.mark.parametrize("option", ["--answer-file", "--body-file"])
def test_approve_non_utf8_file_rejected(
    session: Session, accounts: dict[str, User], sent_tasks: list, tmp_path: Path, option: str
) -> None:
    draft = _draft(session, 1)
    body_before, version_before = draft.body_text, draft.version
    latin1 = tmp_path / "answer-latin1.txt"
    latin1.write_bytes(b"caf\xe9\n")

    result = CliRunner().invoke(main, ["review", "approve", str(draft.id), "--reviewer", "rita",
                                       option, str(latin1)])

    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"{option} {latin1} is not UTF-8 text" in result.output
    assert "byte 0xe9 at offset 3 is invalid" in result.output
    assert "Save the file with the UTF-8 encoding" in result.output
    assert "The draft was not changed" in result.output
    unchanged = _reload(session, draft.id)
    assert unchanged.state is DraftState.PENDING_REVIEW
    assert unchanged.body_text == body_before
    assert unchanged.version == version_before
    assert unchanged.assignee is None
    assert sent_tasks == []


@pytest.mark.parametrize("option", ["--answer-file", "--body-file"])
def test_approve_file_with_bom(
    session: Session, accounts: dict[str, User], sent_tasks: list, tmp_path: Path, option: str
) -> None:
    draft = _draft(session, 1)
    with_bom = tmp_path / "answer-windows.txt"
    with_bom.write_bytes(b"\xef\xbb\xbf" + f"{ANSWER}\r\nSecond line.\r\n".encode())

    result = CliRunner().invoke(main, ["review", "approve", str(draft.id), "--reviewer", "rita",
                                       option, str(with_bom)])

    assert result.exit_code == 0, result.output
    approved = _reload(session, draft.id)
    assert approved.state is DraftState.APPROVED
    assert ANSWER in approved.body_text
    assert "\ufeff" not in approved.body_text
    assert "\r" not in approved.body_text
    assert approved.body_html is not None
    assert ANSWER in approved.body_html
    assert "\ufeff" not in approved.body_html
    if option == "--body-file":
        assert approved.body_text.startswith(ANSWER)


@pytest.mark.parametrize("option", ["--answer-file", "--body-file"])
def test_approve_bom_then_latin1_rejected(
    session: Session, accounts: dict[str, User], sent_tasks: list, tmp_path: Path, option: str
) -> None:
    draft = _draft(session, 1)
    bad = tmp_path / "answer.txt"
    bad.write_bytes(b"\xef\xbb\xbfcaf\xe9\n")
    only_bom = tmp_path / "empty.txt"
    only_bom.write_bytes(b"\xef\xbb\xbf\r\n")

    invalid = CliRunner().invoke(main, ["review", "approve", str(draft.id), "--reviewer", "rita",
                                        option, str(bad)])
    empty = CliRunner().invoke(main, ["review", "approve", str(draft.id), "--reviewer", "rita",
                                      option, str(only_bom)])

    assert invalid.exit_code == 1, invalid.output
    assert "byte 0xe9 at offset 6 is invalid" in invalid.output
    assert empty.exit_code == 1, empty.output
    assert f"{option} {only_bom} is empty" in empty.output
    assert _reload(session, draft.id).state is DraftState.PENDING_REVIEW


@pytest.mark.parametrize("option", ["--answer-file", "--body-file"])
@pytest.mark.parametrize("content", [b"", b" \n\t\n"])
def test_approve_empty_file_rejected(
    session: Session, accounts: dict[str, User], sent_tasks: list, tmp_path: Path, option: str,
    content: bytes,
) -> None:
    draft = _draft(session, 1)
    body_before, version_before = draft.body_text, draft.version
    empty = tmp_path / "answer.txt"
    empty.write_bytes(content)

    result = CliRunner().invoke(main, ["review", "approve", str(draft.id), "--reviewer", "rita",
                                       option, str(empty)])

    # The same exit status as a file that is not UTF-8, because both are bad input.
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.output.startswith(f"error: {option} {empty} is empty. Write the ")
    assert "The draft was not changed" in result.output
    unchanged = _reload(session, draft.id)
    assert unchanged.state is DraftState.PENDING_REVIEW
    assert unchanged.body_text == body_before
    assert unchanged.version == version_before
    assert unchanged.assignee is None
    assert sent_tasks == []


@pytest.mark.parametrize("with_answer", [True, False])
def test_approve_rejected_draft_explains(
    session: Session, accounts: dict[str, User], sent_tasks: list, answer_file: Path,
    with_answer: bool,
) -> None:
    draft = _draft(session, 1)
    runner = CliRunner()
    rejected = runner.invoke(main, ["review", "reject", str(draft.id), "--reviewer", "remy",
                                    "--reason", "Needs the operative note"])
    options = ["--answer-file", str(answer_file)] if with_answer else []

    result = runner.invoke(main, ["review", "approve", str(draft.id), "--reviewer", "rita",
                                  *options])

    assert rejected.exit_code == 0, rejected.output
    assert result.exit_code == 1
    assert (f"draft {draft.id} cannot be approved because it was rejected by remy "
            "(Needs the operative note)") in result.output
    assert "A rejected draft is final" in result.output
    assert "A new email from the asker is drafted as usual" in result.output
    assert f"caseconsultant review show {draft.id}" in result.output
    unchanged = _reload(session, draft.id)
    assert unchanged.state is DraftState.REJECTED
    assert unchanged.reviewer == "remy"
    assert sent_tasks == []


def test_approve_approved_draft_explains(
    session: Session, accounts: dict[str, User], sent_tasks: list, answer_file: Path
) -> None:
    draft = _draft(session, 1)
    runner = CliRunner()
    first = _approve(runner, draft.id, "rita", answer_file)

    second = _approve(runner, draft.id, "rita", answer_file)

    assert first.exit_code == 0, first.output
    assert second.exit_code == 1
    assert f"draft {draft.id} cannot be approved because it is approved" in second.output
    assert "A worker sends it, so nothing is left to do" in second.output
    assert sent_tasks == [("send_reply", (draft.id,))]


def test_reject_failed_draft_explains(session: Session, accounts: dict[str, User]) -> None:
    draft = _draft(session, 1)
    draft.state = DraftState.FAILED
    session.commit()

    result = CliRunner().invoke(main, ["review", "reject", str(draft.id), "--reviewer", "rita",
                                       "--reason", "Needs the operative note"])

    assert result.exit_code == 1
    assert f"draft {draft.id} cannot be rejected because its send failed" in result.output
    assert f"approved again with 'caseconsultant review approve {draft.id}'" in result.output
    unchanged = _reload(session, draft.id)
    assert unchanged.state is DraftState.FAILED
    assert unchanged.assignee is None


@pytest.mark.parametrize("option", [None, "--body-file"])
def test_approve_with_placeholder_names_options(
    session: Session, accounts: dict[str, User], sent_tasks: list, tmp_path: Path,
    option: str | None,
) -> None:
    draft = _draft(session, 1)
    body_file = tmp_path / "body.txt"
    body_file.write_text(draft.body_text + "\nEdited.\n")
    options = [option, str(body_file)] if option else []

    result = CliRunner().invoke(main, ["review", "approve", str(draft.id), "--reviewer", "rita",
                                       *options])

    assert result.exit_code == 1
    assert (f"draft {draft.id} still contains {services.PLACEHOLDER!r}; write the answer first "
            "with --answer-file FILE, or give the whole body with --body-file FILE") in (
        result.output)
    unchanged = _reload(session, draft.id)
    assert unchanged.state is DraftState.PENDING_REVIEW
    assert unchanged.version == 1
    assert unchanged.assignee is None
    assert sent_tasks == []
