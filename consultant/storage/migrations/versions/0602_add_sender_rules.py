"""add the sender allow and deny rules that admins manage in the web

Revision ID: 0602
Revises: 0601
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from consultant.storage.base import UTCDateTime

revision: str = "0602"
down_revision: str | Sequence[str] | None = "0601"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sender_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pattern", sa.String(length=320), nullable=False),
        sa.Column("action", sa.Enum("allow", "deny", name="sender_rule_action",
                                    native_enum=False, create_constraint=False, length=32),
                  nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sender_rules")),
        sa.UniqueConstraint("pattern", "action", name=op.f("uq_sender_rules_pattern_action")),
    )
    op.create_index(op.f("ix_sender_rules_action"), "sender_rules", ["action"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_sender_rules_action"), table_name="sender_rules")
    op.drop_table("sender_rules")
