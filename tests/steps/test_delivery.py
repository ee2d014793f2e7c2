from email import message_from_bytes, policy

import pytest
from imapclient import IMAPClient
from sqlalchemy.orm import Session

from consultant.config import get_settings, reset_settings
from consultant.delivery.mailbox import flag_answered
from consultant.delivery.services import send_draft
from consultant.devserver.imap import free_port
from consultant.devserver.smtp import start_smtp_server
from consultant.errors import TemporaryDeliveryError
from consultant.intake.poller import poll_mailbox
from consultant.review import services
from consultant.storage.models import Draft, DraftState, InboundMessage
from tests.conftest import append_message
from workers.tasks import process_message

QUESTION = (
    b"From: Dana Coder <dana@clinic.example.com>\r\nTo: coding-help@example.org\r\n"
    b"Subject: Modifier 59 with 97140\r\nMessage-ID: <d1@clinic.example.com>\r\n\r\n"
    b"Denied on 97140; resubmit with XU?\r\n"
)


def approved_draft(session: Session, imap_server) -> Draft:
    """Deliver the question to the mailbox, poll, draft and approve it."""
    append_message(imap_server, QUESTION)
    poll_mailbox(get_settings())
    message = session.query(InboundMessage).one()
    process_message(message.id)
    draft = session.query(Draft).one()
    services.approve(session, draft.id, "rita", services.fill_answer(draft, "Yes, with XU."))
    session.commit()
    return draft


def test_send_delivers_threaded_reply(
    session: Session, imap_server, smtp_server, mail_settings
) -> None:
    draft = approved_draft(session, imap_server)

    assert send_draft(draft.id, get_settings())

    session.refresh(draft)
    assert draft.state is DraftState.SENT
    assert draft.sent_at is not None
    sent = smtp_server.received[-1]
    assert sent.rcpt_tos == ["dana@clinic.example.com"]
    reply = message_from_bytes(sent.data, policy=policy.default)
    assert reply["In-Reply-To"] == "<d1@clinic.example.com>"
    assert reply["References"] == "<d1@clinic.example.com>"
    assert reply["Message-ID"] == draft.reply_message_id
    assert reply["Subject"].startswith("Re: Modifier 59 with 97140")
    assert reply["From"] == "coding-help@example.org"
    assert "Yes, with XU." in reply.get_body(("plain",)).get_content()
    assert reply.get_body(("html",)) is not None


def test_send_twice_sends_once(session: Session, imap_server, smtp_server, mail_settings) -> None:
    draft = approved_draft(session, imap_server)

    send_draft(draft.id, get_settings())
    again = send_draft(draft.id, get_settings())

    assert again is False
    assert len(smtp_server.received) == 1


def test_unreachable_smtp_keeps_draft_approved(
    session: Session, imap_server, mail_settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = approved_draft(session, imap_server)
    monkeypatch.setenv("CASECONSULTANT_SMTP_PORT", str(free_port()))
    reset_settings()

    with pytest.raises(TemporaryDeliveryError, match="could not reach the SMTP server"):
        send_draft(draft.id, get_settings())

    session.refresh(draft)
    assert draft.state is DraftState.APPROVED
    assert "could not reach" in (draft.failure_reason or "")
    assert draft.attempts == 1


class RejectingHandler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001
        return "550 5.1.1 Mailbox unavailable"


def test_permanent_rejection_fails_draft(
    session: Session, imap_server, mail_settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = approved_draft(session, imap_server)
    controller = start_smtp_server(RejectingHandler())
    monkeypatch.setenv("CASECONSULTANT_SMTP_PORT", str(controller.port))
    reset_settings()
    try:
        assert send_draft(draft.id, get_settings()) is False
    finally:
        controller.stop()

    session.refresh(draft)
    assert draft.state is DraftState.FAILED
    assert "550" in (draft.failure_reason or "")


def test_flag_answered_sets_imap_flag(
    session: Session, imap_server, smtp_server, mail_settings
) -> None:
    draft = approved_draft(session, imap_server)
    send_draft(draft.id, get_settings())

    assert flag_answered(draft.inbound_message_id, get_settings())

    with IMAPClient(imap_server.host, port=imap_server.port, ssl=False) as client:
        client.login(imap_server.username, imap_server.password)
        client.select_folder("INBOX", readonly=True)
        flags = client.get_flags([1])[1]
    assert b"\\Answered" in flags
    assert b"\\Seen" not in flags
    session.refresh(draft.inbound_message)
    assert draft.inbound_message.answered
