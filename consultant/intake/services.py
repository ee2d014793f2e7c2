"""Storing inbound messages: one row per message, never two."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consultant.parsing.message import stand_in_message_id
from consultant.storage.models import InboundMessage

log = logging.getLogger(__name__)

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class StoreResult:
    """The stored row's id and whether this call created it."""

    message_row_id: int
    created: bool


def header_message_id(raw: bytes) -> str:
    """Return the Message-ID of *raw*, read from the header block only.

    The lenient compat32 header parser keeps a message storable even when its body
    would defeat a full parse. A message without a Message-ID gets a stand-in made
    from its SHA-256, the same one that ``parse_message`` returns.
    """
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
    match = _MESSAGE_ID.search(str(headers.get("Message-ID", "")))
    return match.group(0) if match else stand_in_message_id(raw)


def store_message(
    session: Session,
    raw: bytes,
    *,
    mailbox_id: int | None = None,
    uidvalidity: int | None = None,
    uid: int | None = None,
) -> StoreResult:
    """Insert *raw* as a new inbound message unless its Message-ID is already stored.

    A message seen again (a reconnect, a UIDVALIDITY reset) only has its mailbox
    position updated, so the \\Answered flag later lands on the right UID.
    """
    message_id = header_message_id(raw)
    existing = session.scalar(select(InboundMessage.id).where(InboundMessage.message_id == message_id))
    if existing is None:
        row = InboundMessage(
            mailbox_id=mailbox_id,
            uidvalidity=uidvalidity,
            uid=uid,
            message_id=message_id,
            raw=raw,
            size=len(raw),
            sha256=hashlib.sha256(raw).hexdigest(),
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

    if mailbox_id is not None and uid is not None:
        session.execute(
            update(InboundMessage)
            .where(InboundMessage.id == existing)
            .values(mailbox_id=mailbox_id, uidvalidity=uidvalidity, uid=uid)
        )
    return StoreResult(existing, created=False)
