"""Fixtures of the admin tests: polled mailbox rows with messages, one of them configured."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from consultant.config import get_settings, reset_settings
from consultant.storage.base import utcnow
from consultant.storage.models import InboundMessage, Mailbox, MessageState


@pytest.fixture
def mailbox_rows(session: Session, monkeypatch: pytest.MonkeyPatch,
                 web_env: None) -> dict[str, Mailbox]:
    """The mailbox the IMAP settings name, with two messages, and an older unconfigured one."""
    monkeypatch.setenv("CASECONSULTANT_IMAP_HOST", "127.0.0.1")
    monkeypatch.setenv("CASECONSULTANT_IMAP_USERNAME", "coding-help")
    reset_settings()
    configured = Mailbox(key=get_settings().mailbox_key(), uidvalidity=1700000001, last_uid=42,
                         last_polled_at=utcnow(), lease_owner="a1b2c3d4e5f6",
                         lease_until=utcnow())
    retired = Mailbox(key="old-desk@127.0.0.1:993/INBOX", uidvalidity=7, last_uid=3)
    session.add_all([configured, retired])
    session.flush()
    for number, state in enumerate([MessageState.DRAFTED, MessageState.QUARANTINED]):
        raw = f"Subject: admin test {number}\r\n\r\nbody\r\n".encode()
        session.add(InboundMessage(mailbox_id=configured.id, uidvalidity=1700000001,
                                   uid=number + 1, message_id=f"<box{number}@example.com>",
                                   raw=raw, size=len(raw), sha256="0" * 64, state=state))
    session.commit()
    return {"configured": configured, "retired": retired}
