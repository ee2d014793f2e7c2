"""The IMAP poller: fetch what is new since the last poll and store it.

Position is kept per mailbox as (UIDVALIDITY, last UID).  Messages are fetched with
BODY.PEEK[] on a read-only SELECT (EXAMINE), so polling never sets \\Seen, and each
message is committed together with the new position before its processing task is
enqueued.  When the server reports a new UIDVALIDITY the folder is read again from
the start; Message-IDs already stored are recognised and make no second row.

Bodies are fetched in groups of at most ``poll_fetch_bytes`` by the sizes the server
reports, so a batch of large messages is never held in memory at once.

A message whose storing fails is quarantined with its raw bytes and the position
moves past it, so one bad message never stops the fetch.  Only when even the
quarantine cannot be written does the poll stop, without moving past the message.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from imapclient.exceptions import IMAPClientError
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consultant.config import Settings
from consultant.errors import MailboxUnavailable
from consultant.intake.imap import imap_connection
from consultant.intake.quarantine import DUPLICATE_STEP, quarantine_raw
from consultant.intake.services import store_message
from consultant.queue import enqueue
from consultant.storage import session_scope
from consultant.storage.base import utcnow
from consultant.storage.models import Mailbox

log = logging.getLogger(__name__)


class LeaseLost(Exception):
    """Another poller took the mailbox after this one's lease lapsed."""


@dataclass
class PollResult:
    """Counts of one poll."""

    skipped: bool = False
    # The mailbox is paused by an admin; nothing was fetched.
    paused: bool = False
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    resynced: bool = False


def _find_mailbox_id(key: str) -> int | None:
    with session_scope() as session:
        return session.scalar(select(Mailbox.id).where(Mailbox.key == key))


def _mailbox_id(key: str) -> int:
    found = _find_mailbox_id(key)
    if found is not None:
        return found
    try:
        with session_scope() as session:
            mailbox = Mailbox(key=key, last_uid=0)
            session.add(mailbox)
            session.flush()
            return mailbox.id
    except IntegrityError:
        with session_scope() as session:
            return session.scalars(select(Mailbox.id).where(Mailbox.key == key)).one()


def _is_paused(mailbox_id: int) -> bool:
    with session_scope() as session:
        return bool(session.scalar(select(Mailbox.paused).where(Mailbox.id == mailbox_id)))


def _take_lease(mailbox_id: int, owner: str, duration: float) -> bool:
    """Take or renew the poll lease; return False when another poller holds it."""
    now = utcnow()
    with session_scope() as session:
        result = session.execute(
            update(Mailbox)
            .where(Mailbox.id == mailbox_id)
            .where(or_(Mailbox.lease_until.is_(None), Mailbox.lease_until < now,
                       Mailbox.lease_owner == owner))
            .values(lease_owner=owner, lease_until=now + timedelta(seconds=duration))
        )
        return result.rowcount == 1


def _release_lease(mailbox_id: int, owner: str) -> None:
    with session_scope() as session:
        session.execute(
            update(Mailbox)
            .where(Mailbox.id == mailbox_id, Mailbox.lease_owner == owner)
            .values(lease_owner=None, lease_until=None, last_polled_at=utcnow())
        )


def _store_and_advance(
    session: Session, mailbox: Mailbox, uidvalidity: int, uid: int, raw: bytes, result: PollResult
) -> None:
    stored = store_message(session, raw, mailbox_id=mailbox.id, uidvalidity=uidvalidity, uid=uid)
    mailbox.last_uid = max(mailbox.last_uid, uid)
    if stored.conflict:
        # A reused Message-ID: keep these bytes for an operator instead of dropping them.
        quarantine_raw(session, raw, step=DUPLICATE_STEP,
                       error=ValueError("Message-ID already stored with other content"),
                       mailbox_id=mailbox.id, uidvalidity=uidvalidity, uid=uid)
        result.quarantined += 1
    elif stored.created:
        result.stored += 1
        enqueue(session, "process_message", stored.message_row_id)
        log.info("stored message row=%d uid=%d size=%d", stored.message_row_id, uid, len(raw))
    else:
        result.duplicates += 1
        log.info("message already stored row=%d uid=%d", stored.message_row_id, uid)


def _sync_uidvalidity(mailbox_id: int, uidvalidity: int, result: PollResult) -> int:
    """Record the folder's UIDVALIDITY and return the last UID already stored under it."""
    with session_scope() as session:
        mailbox = session.get_one(Mailbox, mailbox_id, with_for_update=True)
        if mailbox.uidvalidity != uidvalidity:
            if mailbox.uidvalidity is not None:
                result.resynced = True
                log.warning("UIDVALIDITY changed for mailbox=%d; reading the folder again",
                            mailbox_id)
            mailbox.uidvalidity = uidvalidity
            mailbox.last_uid = 0
        return mailbox.last_uid


def poll_mailbox(settings: Settings) -> PollResult:
    """Fetch every message that is new since the last poll, one poll per mailbox at a time."""
    # Checked before the mailbox key, which needs only the host and user name, so that
    # one error names every missing IMAP setting.
    settings.require("imap_host", "imap_username", "imap_password")
    result = PollResult()
    key = settings.mailbox_key()
    if _find_mailbox_id(key) is None:
        # The admin pages list every mailbox row, so a row is made only for a folder that
        # could be selected. A typo in a setting, or a server that is down, adds no row.
        _check_folder(settings)
    mailbox_id = _mailbox_id(key)
    if _is_paused(mailbox_id):
        log.info("poll skipped for mailbox=%d: paused by an admin", mailbox_id)
        result.skipped = result.paused = True
        return result
    owner = uuid.uuid4().hex
    if not _take_lease(mailbox_id, owner, settings.poll_lease):
        log.info("poll skipped for mailbox=%d: another poll has the lease", mailbox_id)
        result.skipped = True
        return result
    try:
        _poll_leased(settings, mailbox_id, owner, result)
    except LeaseLost:
        # The other poller reads from the position this one committed last.
        log.warning("poll stopped for mailbox=%d: the lease lapsed and another poll took over",
                    mailbox_id)
    finally:
        _release_lease(mailbox_id, owner)
    log.info(
        "poll done mailbox=%d fetched=%d stored=%d duplicates=%d quarantined=%d",
        mailbox_id, result.fetched, result.stored, result.duplicates, result.quarantined,
    )
    return result


@contextmanager
def _server_errors(settings: Settings) -> Iterator[None]:
    """Raise a network or IMAP error inside the block again as MailboxUnavailable."""
    try:
        yield
    except (OSError, IMAPClientError) as error:
        raise MailboxUnavailable(
            f"IMAP server {settings.imap_host}:{settings.resolved_imap_port} failed: "
            f"{type(error).__name__}: {error}"
        ) from error


def _check_folder(settings: Settings) -> None:
    """Log in and select the folder, or raise MailboxUnavailable."""
    with _server_errors(settings), imap_connection(settings) as client:
        client.select_folder(settings.imap_folder, readonly=True)


def _poll_leased(settings: Settings, mailbox_id: int, owner: str, result: PollResult) -> None:
    # Messages stored before a failure are committed, and the next poll resumes after them.
    with _server_errors(settings):
        _fetch_new(settings, mailbox_id, owner, result)


def _fetch_new(settings: Settings, mailbox_id: int, owner: str, result: PollResult) -> None:
    with imap_connection(settings) as client:
        status = client.select_folder(settings.imap_folder, readonly=True)
        uidvalidity = int(status[b"UIDVALIDITY"])
        last_uid = _sync_uidvalidity(mailbox_id, uidvalidity, result)

        # "n:*" always matches the highest UID, even when it is below n (RFC 3501 6.4.8).
        uids = sorted(uid for uid in client.search(["UID", f"{last_uid + 1}:*"]) if uid > last_uid)
        for start in range(0, len(uids), settings.poll_batch_size):
            batch = uids[start : start + settings.poll_batch_size]
            sizes = client.fetch(batch, ["RFC822.SIZE"])
            for group in _groups_by_size(batch, sizes, settings.poll_fetch_bytes):
                fetched = client.fetch(group, ["BODY.PEEK[]"])
                for uid in group:
                    raw = fetched.get(uid, {}).get(b"BODY[]")
                    if raw is None:
                        # Expunged between SEARCH and FETCH: nothing to store.
                        log.warning("UID %d vanished before it was fetched", uid)
                        continue
                    result.fetched += 1
                    _store_or_quarantine(settings, mailbox_id, owner, uidvalidity, uid, raw,
                                         result)


def _groups_by_size(
    uids: list[int], sizes: dict[int, dict[bytes, object]], budget: int
) -> list[list[int]]:
    """Split *uids* into groups whose messages add up to at most *budget* bytes.

    A message larger than the budget gets a group of its own, so memory contains at most
    the budget or one message. A UID without a size (expunged meanwhile) counts as empty.
    """
    groups: list[list[int]] = []
    total = 0
    for uid in uids:
        size = sizes.get(uid, {}).get(b"RFC822.SIZE", 0)
        size = size if isinstance(size, int) else 0
        if groups and total + size <= budget:
            groups[-1].append(uid)
            total += size
        else:
            groups.append([uid])
            total = size
    return groups


def _leased_mailbox(session: Session, settings: Settings, mailbox_id: int, owner: str) -> Mailbox:
    """Lock the mailbox row, check this poll still holds its lease, and renew the lease."""
    mailbox = session.get_one(Mailbox, mailbox_id, with_for_update=True)
    if mailbox.lease_owner != owner:
        raise LeaseLost(f"mailbox={mailbox_id} was taken over")
    # Renewing with each message keeps a slow but live poll in charge.
    mailbox.lease_until = utcnow() + timedelta(seconds=settings.poll_lease)
    return mailbox


def _store_or_quarantine(
    settings: Settings, mailbox_id: int, owner: str, uidvalidity: int, uid: int, raw: bytes,
    result: PollResult,
) -> None:
    try:
        with session_scope() as session:
            mailbox = _leased_mailbox(session, settings, mailbox_id, owner)
            _store_and_advance(session, mailbox, uidvalidity, uid, raw, result)
        return
    except LeaseLost:
        raise
    except Exception as error:  # noqa: BLE001 - any failure quarantines this message only
        # No traceback: database errors quote the statement's parameters, which hold mail.
        log.error("storing uid=%d size=%d failed (%s); quarantining it",
                  uid, len(raw), type(error).__name__)
        failure = error
    with session_scope() as session:
        mailbox = _leased_mailbox(session, settings, mailbox_id, owner)
        quarantine_raw(session, raw, step="store", error=failure, mailbox_id=mailbox_id,
                       uidvalidity=uidvalidity, uid=uid)
        mailbox.last_uid = max(mailbox.last_uid, uid)
        result.quarantined += 1
