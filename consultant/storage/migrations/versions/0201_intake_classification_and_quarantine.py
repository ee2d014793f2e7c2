"""record intake classification, threading and quarantine

Adds what intake learns about each inbound message (classification with reasons,
parser defects, how it joined its case, a link-only related case) and the
quarantine table for messages that failed a step or are held.  Existing rows keep
NULL in every new column, which reads as "not classified yet".

Revision ID: 0201
Revises: 0001
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from consultant.storage.base import UTCDateTime

revision: str = "0201"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("classification", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("classification_reasons", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("defects", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("thread_match", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("related_case_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_inbound_messages_classification"), ["classification"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_inbound_messages_related_case_id_cases"),
            "cases", ["related_case_id"], ["id"],
        )

    op.create_table(
        "quarantine_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inbound_message_id", sa.Integer(), nullable=True),
        sa.Column("mailbox_id", sa.Integer(), nullable=True),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("uid", sa.BigInteger(), nullable=True),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("resolution", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["inbound_message_id"], ["inbound_messages.id"],
            name=op.f("fk_quarantine_entries_inbound_message_id_inbound_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["mailbox_id"], ["mailboxes.id"],
            name=op.f("fk_quarantine_entries_mailbox_id_mailboxes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine_entries")),
    )
    with op.batch_alter_table("quarantine_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quarantine_entries_inbound_message_id"), ["inbound_message_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_quarantine_entries_resolved_at"), ["resolved_at"], unique=False
        )


def downgrade() -> None:
    # Dropping the table deletes the raw bytes of store-step failures: take a backup first.
    with op.batch_alter_table("quarantine_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quarantine_entries_resolved_at"))
        batch_op.drop_index(batch_op.f("ix_quarantine_entries_inbound_message_id"))
    op.drop_table("quarantine_entries")

    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_inbound_messages_related_case_id_cases"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_inbound_messages_classification"))
        batch_op.drop_column("related_case_id")
        batch_op.drop_column("thread_match")
        batch_op.drop_column("defects")
        batch_op.drop_column("classification_reasons")
        batch_op.drop_column("classification")
