import socket
from datetime import timedelta

import pytest
from click.testing import CliRunner
from imapclient import IMAPClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultant.cli import main
from consultant.config import get_settings, reset_settings
from consultant.errors import MailboxUnavailable
from consultant.intake.poller import _groups_by_size, poll_mailbox
from consultant.storage.base import utcnow
from consultant.storage.models import InboundMessage, Mailbox
from tests.conftest import append_message


def question(number: int) -> bytes:
    return (
        f"From: coder{number}@example.com\r\nTo: coding-help@example.org\r\n"
        f"Subject: Question {number}\r\nMessage-ID: <q{number}@clinic.example.com>\r\n\r\n"
        f"Can we bill 99213-25 with 2010{number}?\r\n"
    ).encode()


def test_poll_stores_new_messages_once(session: Session, imap_server, mail_settings) -> None:
    for number in range(3):
        append_message(imap_server, question(number))

    first = poll_mailbox(get_settings())
    second = poll_mailbox(get_settings())

    assert first.stored == 3
    assert second.fetched == 0
    assert session.scalar(select(func.count()).select_from(InboundMessage)) == 3
    mailbox = session.scalars(select(Mailbox)).one()
    assert mailbox.last_uid == 3
    assert mailbox.lease_owner is None


def test_poll_keeps_raw_bytes(session: Session, imap_server, mail_settings) -> None:
    append_message(imap_server, question(7))

    poll_mailbox(get_settings())

    stored = session.scalars(select(InboundMessage)).one()
    assert b"Can we bill 99213-25 with 20107?" in stored.raw
    assert stored.message_id == "<q7@clinic.example.com>"
    assert stored.uid == 1


def test_poll_after_uidvalidity_change_makes_no_duplicates(
    session: Session, imap_server, mail_settings
) -> None:
    append_message(imap_server, question(1))
    poll_mailbox(get_settings())
    session.execute(Mailbox.__table__.update().values(uidvalidity=1))
    session.commit()

    result = poll_mailbox(get_settings())

    assert result.resynced
    assert result.duplicates == 1
    assert session.scalar(select(func.count()).select_from(InboundMessage)) == 1


def test_poll_skips_while_lease_held(session: Session, imap_server, mail_settings) -> None:
    append_message(imap_server, question(1))
    poll_mailbox(get_settings())
    mailbox = session.scalars(select(Mailbox)).one()
    session.execute(Mailbox.__table__.update().values(
        lease_owner="another-poller", lease_until=utcnow() + timedelta(minutes=5)))
    session.commit()
    append_message(imap_server, question(2))

    result = poll_mailbox(get_settings())

    assert result.skipped
    assert session.scalar(select(func.count()).select_from(InboundMessage)) == 1
    session.refresh(mailbox)
    assert mailbox.lease_owner == "another-poller"


def test_poll_takes_expired_lease(session: Session, imap_server, mail_settings) -> None:
    poll_mailbox(get_settings())
    session.execute(Mailbox.__table__.update().values(
        lease_owner="crashed-poller", lease_until=utcnow() - timedelta(seconds=1)))
    session.commit()
    append_message(imap_server, question(3))

    result = poll_mailbox(get_settings())

    assert not result.skipped
    assert result.stored == 1
def test_copy_in_another_folder_makes_no_second_row(
    session: Session, imap_server, mail_settings, monkeypatch
) -> None:
    from consultant.config import reset_settings

    append_message(imap_server, question(5))
    with IMAPClient(imap_server.host, port=imap_server.port, ssl=False, timeout=30) as client:
        client.login(imap_server.username, imap_server.password)
        client.create_folder("Archive")
    append_message(imap_server, question(5), folder="Archive")
    poll_mailbox(get_settings())
    monkeypatch.setenv("CASECONSULTANT_IMAP_FOLDER", "Archive")
    reset_settings()

    result = poll_mailbox(get_settings())

    assert result.fetched == 1
    assert result.duplicates == 1
    assert session.scalar(select(func.count()).select_from(InboundMessage)) == 1


def test_paused_mailbox_is_skipped(session: Session, imap_server, mail_settings,
                                   caplog) -> None:
    append_message(imap_server, question(1))
    poll_mailbox(get_settings())
    append_message(imap_server, question(2))
    session.execute(Mailbox.__table__.update().values(paused=True))
    session.commit()

    with caplog.at_level("INFO", logger="consultant.intake.poller"):
        paused = poll_mailbox(get_settings())

    assert paused.skipped
    assert paused.paused
    assert paused.fetched == 0
    assert "paused" in caplog.text
    assert session.scalar(select(func.count()).select_from(InboundMessage)) == 1


def test_resumed_mailbox_is_polled(session: Session, imap_server, mail_settings) -> None:
    append_message(imap_server, question(1))
    poll_mailbox(get_settings())
    session.execute(Mailbox.__table__.update().values(paused=True))
    session.commit()
    poll_mailbox(get_settings())
    append_message(imap_server, question(2))
    session.execute(Mailbox.__table__.update().values(paused=False))
    session.commit()

    resumed = poll_mailbox(get_settings())

    assert not resumed.paused
    assert resumed.stored == 1


def closed_loopback_port() -> str:
    """Return a loopback port that nothing listens on, so a connection is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("setting", "value", "error"),
    [("CASECONSULTANT_IMAP_PORT", None, "ConnectionRefusedError"),
     ("CASECONSULTANT_IMAP_PASSWORD", "a wrong password", "LoginError"),
     ("CASECONSULTANT_IMAP_FOLDER", "NoSuchFolder", "select failed")],
)
def test_failed_first_poll_adds_no_mailbox(session: Session, imap_server, mail_settings,
                                           monkeypatch: pytest.MonkeyPatch, setting: str,
                                           value: str | None, error: str) -> None:
    monkeypatch.setenv(setting, value or closed_loopback_port())
    reset_settings()

    with pytest.raises(MailboxUnavailable, match=error):
        poll_mailbox(get_settings())

    assert session.scalar(select(func.count()).select_from(Mailbox)) == 0


def test_first_poll_after_failure_adds_mailbox(session: Session, imap_server, mail_settings,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    append_message(imap_server, question(1))
    right_port = str(imap_server.port)
    monkeypatch.setenv("CASECONSULTANT_IMAP_PORT", closed_loopback_port())
    reset_settings()
    with pytest.raises(MailboxUnavailable):
        poll_mailbox(get_settings())
    monkeypatch.setenv("CASECONSULTANT_IMAP_PORT", right_port)
    reset_settings()

    result = poll_mailbox(get_settings())

    assert result.stored == 1
    mailbox = session.scalars(select(Mailbox)).one()
    assert mailbox.key == get_settings().mailbox_key()
    assert mailbox.uidvalidity is not None
    assert mailbox.last_uid == 1
    assert mailbox.lease_owner is None


def test_poll_login_error_is_text(session: Session, imap_server, mail_settings,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASECONSULTANT_IMAP_PASSWORD", "a wrong password")
    reset_settings()

    result = CliRunner().invoke(main, ["poll"])

    assert result.exit_code == 1
    assert (f"error: IMAP server 127.0.0.1:{imap_server.port} failed: LoginError: "
            "[AUTHENTICATIONFAILED]") in result.output
    assert "b'" not in result.output


def test_groups_by_size_bound_each_fetch() -> None:
    sizes = {1: {b"RFC822.SIZE": 600}, 2: {b"RFC822.SIZE": 500}, 3: {b"RFC822.SIZE": 5000},
             4: {b"RFC822.SIZE": 100}, 6: {b"RFC822.SIZE": 300}}

    groups = _groups_by_size([1, 2, 3, 4, 5, 6], sizes, 1024)

    # 3 is larger than the budget and goes alone; 5 has no size (expunged) and counts as 0.
    assert groups == [[1], [2], [3], [4, 5, 6]]


def test_poll_with_small_fetch_budget_stores_all(
    session: Session, imap_server, mail_settings, monkeypatch
) -> None:
    monkeypatch.setenv("CASECONSULTANT_POLL_FETCH_BYTES", "1024")
    reset_settings()
    padding = b"x" * 700
    for number in range(4):
        padded = question(number).replace(b"?\r\n", b"?\r\n" + padding + b"\r\n")
        append_message(imap_server, padded)

    result = poll_mailbox(get_settings())

    assert result.stored == 4
    stored = session.scalars(select(InboundMessage).order_by(InboundMessage.uid)).all()
    assert [message.uid for message in stored] == [1, 2, 3, 4]
    assert all(padding in message.raw for message in stored)
