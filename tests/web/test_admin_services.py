"""The mailbox admin services without HTTP: listing, pausing and requesting a poll."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from consultant.admin import mailboxes
from consultant.config import get_settings
from consultant.errors import ConsultantError, NotFound


def test_list_mailboxes_counts_states(session: Session, mailbox_rows) -> None:
    statuses = {status.id: status for status in mailboxes.list_mailboxes(session, get_settings())}

    configured = statuses[mailbox_rows["configured"].id]
    retired = statuses[mailbox_rows["retired"].id]
    assert configured.configured
    assert not retired.configured
    assert configured.counts["drafted"] == 1
    assert configured.counts["quarantined"] == 1
    assert sum(retired.counts.values()) == 0


def test_list_mailboxes_without_imap_settings(session: Session, mailbox_rows) -> None:
    settings = get_settings(imap_host=None)

    statuses = mailboxes.list_mailboxes(session, settings)

    assert not any(status.configured for status in statuses)


def test_request_poll_waits_for_commit(session: Session, mailbox_rows, sent_tasks) -> None:
    mailboxes.request_poll(session, mailbox_rows["configured"].id, get_settings(), 1)
    assert sent_tasks == []

    session.commit()

    assert sent_tasks == [("poll_mailbox", ())]


def test_request_poll_after_rollback_sends_nothing(session: Session, mailbox_rows,
                                                   sent_tasks) -> None:
    mailbox_id = mailbox_rows["configured"].id
    mailboxes.request_poll(session, mailbox_id, get_settings(), 1)

    session.rollback()
    session.commit()

    assert sent_tasks == []


def test_request_poll_rejects_other_mailbox(session: Session, mailbox_rows) -> None:
    with pytest.raises(ConsultantError, match="not the configured mailbox"):
        mailboxes.request_poll(session, mailbox_rows["retired"].id, get_settings(), 1)


def test_set_paused_and_resume(session: Session, mailbox_rows) -> None:
    mailbox_id = mailbox_rows["configured"].id

    assert mailboxes.set_paused(session, mailbox_id, True, 1).paused
    with pytest.raises(ConsultantError, match="paused"):
        mailboxes.request_poll(session, mailbox_id, get_settings(), 1)
    assert not mailboxes.set_paused(session, mailbox_id, False, 1).paused


def test_unknown_mailbox_not_found(session: Session, mailbox_rows) -> None:
    with pytest.raises(NotFound):
        mailboxes.set_paused(session, 999, True, 1)
    with pytest.raises(NotFound):
        mailboxes.request_poll(session, 999, get_settings(), 1)
