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
    event,
    false,
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
    # Kept for an operator (oversized, rate limited): no draft until someone releases it.
    HELD = "held"


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
    # An admin's switch: the poller skips a paused mailbox until it is resumed.
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


def new_case_token() -> str:
    return secrets.token_hex(4).upper()


class Case(Base):
    """One consultation: a question and its follow-ups."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(16), unique=True, default=new_case_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    messages: Mapped[list[InboundMessage]] = relationship(
        back_populates="case", foreign_keys="InboundMessage.case_id"
    )


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
    # What intake decided the message is ("question", "auto_reply", "dsn", "bulk", ...),
    # and the reasons a reviewer can read.
    classification: Mapped[str | None] = mapped_column(String(32), index=True)
    classification_reasons: Mapped[list[str] | None] = mapped_column(JSON)
    defects: Mapped[list[str] | None] = mapped_column(JSON)
    # How the message joined its case: "in_reply_to", "references" or "subject_token".
    thread_match: Mapped[str | None] = mapped_column(String(32))
    # A case this message points at but may not join (a case token from a stranger):
    # shown to the reviewer as a link only.
    related_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))

    case: Mapped[Case | None] = relationship(back_populates="messages", foreign_keys=[case_id])
    related_case: Mapped[Case | None] = relationship(foreign_keys=[related_case_id])
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
    # The reviewer working on the draft; others may not edit, approve or reject it meanwhile.
    assignee: Mapped[str | None] = mapped_column(String(64), index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The body version the reviewer saw and approved; the send uses exactly that body.
    approved_version: Mapped[int | None] = mapped_column(Integer)

    case: Mapped[Case] = relationship()
    inbound_message: Mapped[InboundMessage] = relationship(back_populates="draft")
    events: Mapped[list[DraftEvent]] = relationship(
        back_populates="draft", order_by="DraftEvent.id"
    )
    versions: Mapped[list[DraftVersion]] = relationship(
        back_populates="draft", order_by="DraftVersion.version"
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


class QuarantineEntry(Base):
    """A message that failed a step or is held, kept for an operator to inspect and re-run.

    ``raw`` holds the bytes only when no inbound message row could be stored (a failure
    at the "store" step); otherwise the row named by ``inbound_message_id`` holds them.
    """

    __tablename__ = "quarantine_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inbound_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_messages.id"), index=True
    )
    mailbox_id: Mapped[int | None] = mapped_column(ForeignKey("mailboxes.id"))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    uid: Mapped[int | None] = mapped_column(BigInteger)
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer, default=0)
    # "store", "parse", "classify", "thread", "draft", or "hold" for a held message.
    step: Mapped[str] = mapped_column(String(32))
    error: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # "retried" or "released" once a re-run drafted the message, "ignored" once intake
    # ignored it on a re-run.
    resolution: Mapped[str | None] = mapped_column(String(32))

    inbound_message: Mapped[InboundMessage | None] = relationship()


class DraftVersion(Base):
    """One saved body of a draft; version 1 is what the pipeline drafted."""

    __tablename__ = "draft_versions"
    __table_args__ = (UniqueConstraint("draft_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    body_text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    draft: Mapped[Draft] = relationship(back_populates="versions")


class CaseEvent(Base):
    """A reviewer action on a case that is not a draft state change (claim, save, retry)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id"), index=True)
    inbound_message_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"))
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)


class Role(enum.StrEnum):
    """Permission level of a web user.

    Reviewers work the queue. Admins also manage users, mailboxes, sender rules and reply
    templates.
    """

    REVIEWER = "reviewer"
    ADMIN = "admin"


class User(Base):
    """A person who signs in to the web queue."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    # An argon2id hash in PHC string format, salt and parameters included.
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(_enum(Role, "user_role"), default=Role.REVIEWER)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebSession(Base):
    """A signed-in browser; the cookie holds a random token and only its SHA-256 is stored."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The queue search text lives here, not in the URL, because it may name a patient.
    search: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship()


class LoginFailure(Base):
    """A failed sign-in, counted per username and per client address to slow guessing."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


@event.listens_for(Draft, "after_insert")
def _record_first_version(_mapper: Any, connection: Any, draft: Draft) -> None:
    # Every draft starts its history with the body the pipeline wrote, whoever created it.
    connection.execute(
        DraftVersion.__table__.insert().values(
            draft_id=draft.id, version=draft.version or 1, body_text=draft.body_text,
            author="system", created_at=utcnow(),
        )
    )


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


class SenderRuleAction(enum.StrEnum):
    """Effect of a sender rule: the sender may ask, or their mail is stored without a reply."""

    ALLOW = "allow"
    DENY = "deny"


class SenderRule(Base):
    """An admin's allow or deny entry for one address or a whole domain.

    Intake applies these together with the CASECONSULTANT_SENDER_ALLOWLIST and
    CASECONSULTANT_SENDER_DENYLIST settings. ``pattern`` is stored in lower case.
    """

    __tablename__ = "sender_rules"
    __table_args__ = (UniqueConstraint("pattern", "action"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # "person@example.com" for one address, "example.com" for every address of a domain.
    pattern: Mapped[str] = mapped_column(String(320))
    action: Mapped[SenderRuleAction] = mapped_column(
        _enum(SenderRuleAction, "sender_rule_action"), index=True
    )
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TemplateOverride(Base):
    """The admin-edited source that replaces a shipped reply template while it exists."""

    __tablename__ = "template_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The template's path under templates/, e.g. "replies/consultation/body.txt.j2".
    name: Mapped[str] = mapped_column(String(255), unique=True)
    source: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TemplateVersion(Base):
    """One saved source of a template override; kept after a revert as history."""

    __tablename__ = "template_versions"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
