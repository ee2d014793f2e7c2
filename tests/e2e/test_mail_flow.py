"""A question goes in by IMAP and its approved reply comes out by SMTP, on real servers."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from consultant.parsing import parse_message
from consultant.samples import sample_paths
from consultant.storage import session_scope
from consultant.storage.models import Draft
from tests.conftest import append_message
from tests.e2e.conftest import Service, count_drafts, wait_until

pytestmark = pytest.mark.e2e

# The first five samples include 59001 with 76946 and O40.3XX0, whose description is checked.
SAMPLE_COUNT = 5
PASSWORD = "a long enough password"  # noqa: S105 - the reviewer account's password


def stored_descriptions(url: str, draft_id: int) -> list[str]:
    with session_scope(url) as session:
        draft = session.get_one(Draft, draft_id)
        return [code["description"] for code in draft.codes if code.get("description")]


@pytest.mark.code_sets
def test_questions_come_back_as_threaded_replies(
    service: Service, imap_server, smtp_server, tmp_path: Path
) -> None:
    samples = sample_paths()[:SAMPLE_COUNT]
    questions = {}
    for path in samples:
        raw = path.read_bytes()
        parsed = parse_message(raw)
        questions[parsed.message_id] = parsed
        append_message(imap_server, raw)

    url = service.env["CASECONSULTANT_DATABASE_URL"]
    wait_until(lambda: count_drafts(url) == len(samples), 90, "the drafts", service)
    pending = service.drafts("pending_review")
    assert {draft["message_id"] for draft in pending} == set(questions)

    answer = tmp_path / "answer.txt"
    answer.write_text("Reviewed answer from the coding team.\n")
    service.cli("users", "add", "rita", "--password-stdin", input_text=PASSWORD + "\n")
    for draft in pending:
        service.cli("review", "approve", str(draft["id"]), "--reviewer", "rita",
                    "--answer-file", str(answer))

    def replies() -> list[EmailMessage]:
        return [message_from_bytes(item.data, policy=policy.default)
                for item in smtp_server.received if "coding-help@example.org" not in item.rcpt_tos]

    wait_until(lambda: len(replies()) == len(samples), 90, "the replies", service)
    by_thread = {reply["In-Reply-To"].strip(): reply for reply in replies()}
    assert set(by_thread) == set(questions)
    for message_id, question in questions.items():
        reply = by_thread[message_id]
        assert reply["To"] == (question.reply_to or question.sender)
        assert message_id in reply["References"]
        assert reply["Subject"].lower().startswith("re:")
        text = reply.get_body(("plain",)).get_content()
        assert "Reviewed answer from the coding team." in text
    for draft in pending:
        reply = by_thread[draft["message_id"]]
        text = reply.get_body(("plain",)).get_content()
        for code in draft["codes"]:
            assert code in text
        # Descriptions are wrapped in the table, so compare with whitespace collapsed.
        flat_text = " ".join(text.split())
        for description in stored_descriptions(url, int(draft["id"])):
            assert " ".join(description.split()) in flat_text
    described = [d for draft in pending for d in stored_descriptions(url, int(draft["id"]))]
    assert any(d.startswith("Polyhydramnios, third trimester") for d in described)
    wait_until(lambda: len(service.drafts("sent")) == len(samples), 30, "sent states", service)


def test_rejected_draft_is_never_sent(service: Service, imap_server, smtp_server) -> None:
    append_message(imap_server, (
        b"From: dana@clinic.example.com\r\nSubject: 99213-25 with 20610?\r\n"
        b"Message-ID: <reject-me@clinic.example.com>\r\n\r\nCan we bill 99213-25 with 20610?\r\n"
    ))
    url = service.env["CASECONSULTANT_DATABASE_URL"]
    wait_until(lambda: count_drafts(url) == 1, 90, "the draft", service)
    draft = service.drafts("pending_review")[0]

    service.cli("users", "add", "rita", "--password-stdin", input_text=PASSWORD + "\n")
    service.cli("review", "reject", str(draft["id"]), "--reviewer", "rita",
                "--reason", "Needs the operative note first")

    rejected = service.drafts("rejected")
    assert [item["id"] for item in rejected] == [draft["id"]]
    shown = service.cli("review", "show", str(draft["id"])).stdout
    assert "Needs the operative note first" in shown
    assert not [
        item for item in smtp_server.received if "coding-help@example.org" not in item.rcpt_tos
    ]
