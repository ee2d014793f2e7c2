"""Storing inbound messages: one row per message, never two."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consultant.parsing.message import message_ids, parse_message, stand_in_message_id
from consultant.parsing.mime import parse_bytes
from consultant.storage.models import InboundMessage

_HEADER_END = re.compile(rb"\r?\n\r?\n")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoreResult:
    """The stored row's id and whether this call created it.

    ``conflict`` is true when the Message-ID was already stored with other bytes: a
    sender reused a Message-ID, and the new bytes were not stored in this row.
    """

    message_row_id: int
    created: bool
    conflict: bool = False


def header_message_id(raw: bytes) -> str:
    """Return the Message-ID of *raw*, read from the header block without parsing the body.

    Reading the headers only keeps a message that the body parser chokes on
    storable.  A folded Message-ID is read across its lines.  A message without a
    usable one (missing, or longer than 998 characters) gets a stand-in made from
    the SHA-256 of its bytes.
    """
    headers = _message_id_header(raw)
    ids = message_ids(headers)
    if ids:
        return ids[0].encode("utf-8", "surrogateescape").decode("ascii", errors="replace")
    return stand_in_message_id(raw)


def _message_id_header(raw: bytes) -> str | None:
    """Return the raw value of the first Message-ID header of *raw*, or None."""
    for name, value in parse_bytes(raw, headers_only=True).raw_items():
        if str(name).strip().lower() == "message-id":
            return str(value)
    return None


def header_block(raw: bytes) -> bytes:
    """Return the header block of *raw*, up to and including the blank line after it."""
    end = _HEADER_END.search(raw)
    return raw[: end.end()] if end else raw


def header_sender(raw: bytes) -> str | None:
    """Return the sender address of *raw* as processing reads it, from its headers only.

    Stored with the message, it lets the per-sender rate limit count messages that are
    still waiting for their processing task. Unreadable headers give None, and
    processing fills the sender in later.
    """
    try:
        sender = parse_message(header_block(raw)).sender
    except Exception:  # noqa: BLE001 - the message is stored whatever its headers hold
        log.info("sender of a message of size=%d not read at store", len(raw))
        return None
    if not sender:
        return None
    # Database text columns reject NUL and lone surrogates, which broken mail may carry.
    return sender.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def store_message(
    session: Session,
    raw: bytes,
    *,
    mailbox_id: int | None = None,
    uidvalidity: int | None = None,
    uid: int | None = None,
    message_id: str | None = None,
) -> StoreResult:
    """Insert *raw* as a new inbound message unless its Message-ID is already stored.

    A message seen again (a reconnect, a UIDVALIDITY reset) only has its mailbox
    position updated, so the \\Answered flag later lands on the right UID.  Other
    bytes under a stored Message-ID are reported as a conflict and change nothing;
    the caller keeps them elsewhere.  *message_id* overrides the header's.
    """
    message_id = message_id or header_message_id(raw)
    digest = hashlib.sha256(raw).hexdigest()
    existing = session.scalar(
        select(InboundMessage.id).where(InboundMessage.message_id == message_id)
    )
    if existing is None:
        row = InboundMessage(
            mailbox_id=mailbox_id,
            uidvalidity=uidvalidity,
            uid=uid,
            message_id=message_id,
            sender=header_sender(raw),
            raw=raw,
            size=len(raw),
            sha256=digest,
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            # Another poller stored the same Message-ID between our check and insert.
            existing = session.scalar(
                select(InboundMessage.id).where(InboundMessage.message_id == message_id)
            )
        else:
            return StoreResult(row.id, created=True)

    stored_digest = session.scalar(
        select(InboundMessage.sha256).where(InboundMessage.id == existing)
    )
    if stored_digest != digest:
        log.warning("message_row=%d: Message-ID already stored with other bytes (size=%d)",
                    existing, len(raw))
        return StoreResult(existing, created=False, conflict=True)
    if mailbox_id is not None and uid is not None:
        session.execute(
            update(InboundMessage)
            .where(InboundMessage.id == existing)
            .values(mailbox_id=mailbox_id, uidvalidity=uidvalidity, uid=uid)
        )
    return StoreResult(existing, created=False)
