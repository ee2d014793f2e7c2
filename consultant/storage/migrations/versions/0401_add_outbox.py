"""add the outbox table that records each reply's SMTP transaction

Revision ID: 0401
Revises: 0001
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from consultant.storage.base import UTCDateTime

revision: str = "0401"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("reply_message_id", sa.String(length=998), nullable=False),
        sa.Column("state", sa.Enum("prepared", "transmitting", "accepted", "rejected", "unknown",
                                   name="outbox_state", native_enum=False,
                                   create_constraint=False, length=32), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("last_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("deadline_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("smtp_reply", sa.Text(), nullable=True),
        sa.Column("temporary_failures", sa.Integer(), nullable=False),
        sa.Column("sent_folder_appended", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["draft_id"], ["drafts.id"],
                                name=op.f("fk_outbox_draft_id_drafts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("draft_id", name=op.f("uq_outbox_draft_id")),
        sa.UniqueConstraint("reply_message_id", name=op.f("uq_outbox_reply_message_id")),
    )
    op.create_index(op.f("ix_outbox_state"), "outbox", ["state"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_state"), table_name="outbox")
    op.drop_table("outbox")
