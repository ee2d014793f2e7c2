"""Rows of the mail side: mailboxes, inbound messages, cases, drafts and their history.

The raw RFC 5322 bytes of each inbound message are stored once and never
rewritten; everything learned from them lives in other columns and rows.
"""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consultant.storage.base import Base, UTCDateTime, utcnow


def _enum(enum_class: type[enum.Enum], name: str) -> Enum:
    # Stored by value as plain strings, so a new state needs no ALTER TYPE on PostgreSQL.
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
    )


class MessageState(enum.StrEnum):
    """Processing state of an inbound message."""

    RECEIVED = "received"
    DRAFTED = "drafted"
    QUARANTINED = "quarantined"
    IGNORED = "ignored"


class DraftState(enum.StrEnum):
    """Review and delivery state of a draft reply."""

    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    REJECTED = "rejected"


class OutboxState(enum.StrEnum):
    """State of the SMTP transaction of one reply.

    ``prepared``: committed before connecting.  No message data was sent, so the
    server cannot have the message.  ``transmitting``: committed after the server
    accepted the DATA command and before the message data goes out.  If the worker
    dies here, nobody knows whether the server accepted the message.
    ``accepted``: the server replied 250 to the end of the data.  ``rejected``: the
    attempt failed, with the server's reply or the error in ``smtp_reply``.
    ``unknown``: a ``transmitting`` attempt whose worker never recorded the reply.
    """

    PREPARED = "prepared"
    TRANSMITTING = "transmitting"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNKNOWN = "unknown"


class Mailbox(Base):
    """An IMAP folder we poll, with the position reached and the poll lease."""

    __tablename__ = "mailboxes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(512), unique=True)
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def new_case_token() -> str:
    return secrets.token_hex(4).upper()


class Case(Base):
    """One consultation: a question and its follow-ups."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(16), unique=True, default=new_case_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    messages: Mapped[list[InboundMessage]] = relationship(back_populates="case")


class InboundMessage(Base):
    """An inbound email, stored with its raw bytes unchanged."""

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("mailbox_id", "uidvalidity", "uid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox_id: Mapped[int | None] = mapped_column(ForeignKey("mailboxes.id"))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    uid: Mapped[int | None] = mapped_column(BigInteger)
    # The Message-ID header, or a stand-in made from the SHA-256 of the raw bytes.
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[MessageState] = mapped_column(
        _enum(MessageState, "message_state"), default=MessageState.RECEIVED, index=True
    )
    error: Mapped[str | None] = mapped_column(Text)
    sender: Mapped[str | None] = mapped_column(String(998))
    subject: Mapped[str | None] = mapped_column(Text)
    answered: Mapped[bool] = mapped_column(Boolean, default=False)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)

    case: Mapped[Case | None] = relationship(back_populates="messages")
    draft: Mapped[Draft | None] = relationship(back_populates="inbound_message")


class Draft(Base):
    """A reply drafted for one inbound message, and its way through review and delivery."""

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    inbound_message_id: Mapped[int] = mapped_column(
        ForeignKey("inbound_messages.id"), unique=True
    )
    state: Mapped[DraftState] = mapped_column(
        _enum(DraftState, "draft_state"), default=DraftState.PENDING_REVIEW, index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    to_address: Mapped[str] = mapped_column(String(998))
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[str | None] = mapped_column(Text)
    # Chosen when the draft is made, so every retry of a send carries the same id.
    reply_message_id: Mapped[str] = mapped_column(String(998), unique=True)
    codes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    reviewer: Mapped[str | None] = mapped_column(String(128))
    reject_reason: Mapped[str | None] = mapped_column(Text)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship()
    inbound_message: Mapped[InboundMessage] = relationship(back_populates="draft")
    events: Mapped[list[DraftEvent]] = relationship(
        back_populates="draft", order_by="DraftEvent.id"
    )


class DraftEvent(Base):
    """One state transition of a draft: who moved it, when, and why."""

    __tablename__ = "draft_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)

    draft: Mapped[Draft] = relationship(back_populates="events")


class OutboxEntry(Base):
    """The delivery record of one reply, keyed by the reply's Message-ID.

    The row is committed before the SMTP connection opens and again just before
    the DATA command, so after a crash the recovery sweep can tell a reply that
    cannot have reached the server from one that may have.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), unique=True)
    reply_message_id: Mapped[str] = mapped_column(String(998), unique=True)
    state: Mapped[OutboxState] = mapped_column(
        _enum(OutboxState, "outbox_state"), default=OutboxState.PREPARED, index=True
    )
    # The exact bytes handed to the server, so every attempt and the Sent copy match.
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    first_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    smtp_reply: Mapped[str | None] = mapped_column(Text)
    temporary_failures: Mapped[int] = mapped_column(Integer, default=0)
    sent_folder_appended: Mapped[bool] = mapped_column(Boolean, default=False)

    draft: Mapped[Draft] = relationship()
