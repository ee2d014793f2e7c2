"""Polled mailboxes for the admin pages: position, lease, message counts, pausing and polls."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultant.config import Settings
from consultant.errors import ConfigError, ConsultantError, NotFound
from consultant.queue import enqueue
from consultant.storage.ids import get_by_id
from consultant.storage.models import InboundMessage, Mailbox, MessageState

log = logging.getLogger(__name__)


@dataclass
class MailboxStatus:
    """One mailbox row with its message counts by state; the key never contains a password."""

    id: int
    key: str
    uidvalidity: int | None
    last_uid: int
    last_polled_at: datetime | None
    lease_owner: str | None
    lease_until: datetime | None
    paused: bool
    # True for the mailbox the worker's settings name, which "Poll now" can reach.
    configured: bool
    counts: dict[str, int] = field(default_factory=dict)


def configured_key(settings: Settings) -> str | None:
    """Return the key of the mailbox the settings name, or None when IMAP is not set up."""
    try:
        return settings.mailbox_key()
    except ConfigError:
        return None


def _counts(session: Session) -> dict[int, dict[str, int]]:
    rows = session.execute(
        select(InboundMessage.mailbox_id, InboundMessage.state, func.count())
        .where(InboundMessage.mailbox_id.is_not(None))
        .group_by(InboundMessage.mailbox_id, InboundMessage.state)
    )
    counts: dict[int, dict[str, int]] = {}
    for mailbox_id, state, number in rows:
        counts.setdefault(mailbox_id, {})[MessageState(state).value] = number
    return counts


def list_mailboxes(session: Session, settings: Settings) -> list[MailboxStatus]:
    """Return every mailbox ever polled, with counts for each message state."""
    counts = _counts(session)
    configured = configured_key(settings)
    statuses = []
    for mailbox in session.scalars(select(Mailbox).order_by(Mailbox.id)):
        by_state = {state.value: 0 for state in MessageState}
        by_state.update(counts.get(mailbox.id, {}))
        statuses.append(MailboxStatus(
            id=mailbox.id, key=mailbox.key, uidvalidity=mailbox.uidvalidity,
            last_uid=mailbox.last_uid, last_polled_at=mailbox.last_polled_at,
            lease_owner=mailbox.lease_owner, lease_until=mailbox.lease_until,
            paused=mailbox.paused, configured=mailbox.key == configured, counts=by_state,
        ))
    return statuses


def _get(session: Session, mailbox_id: int) -> Mailbox:
    mailbox = get_by_id(session, Mailbox, mailbox_id)
    if mailbox is None:
        raise NotFound(f"mailbox {mailbox_id} not found")
    return mailbox


def set_paused(session: Session, mailbox_id: int, paused: bool, actor_id: int) -> Mailbox:
    """Pause or resume polling of a mailbox; a poll already running finishes its fetch."""
    mailbox = _get(session, mailbox_id)
    mailbox.paused = paused
    log.info("mailbox=%d %s by user_id=%d", mailbox_id, "paused" if paused else "resumed",
             actor_id)
    return mailbox


def request_poll(session: Session, mailbox_id: int, settings: Settings, actor_id: int) -> None:
    """Enqueue the ``poll_mailbox`` task once *session* commits.

    The worker polls the mailbox its own settings name, so only that mailbox can be
    polled on request. Raises ConsultantError for any other mailbox or a paused one.
    """
    mailbox = _get(session, mailbox_id)
    if mailbox.key != configured_key(settings):
        raise ConsultantError(f"mailbox {mailbox_id} is not the configured mailbox; the worker "
                              "polls only the mailbox that CASECONSULTANT_IMAP_* names")
    if mailbox.paused:
        raise ConsultantError(f"mailbox {mailbox_id} is paused; resume it before polling")
    enqueue(session, "poll_mailbox")
    log.info("poll of mailbox=%d requested by user_id=%d", mailbox_id, actor_id)
