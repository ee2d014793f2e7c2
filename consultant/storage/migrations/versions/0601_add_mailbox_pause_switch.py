"""add the pause switch that makes the poller skip a mailbox

Revision ID: 0601
Revises: 0500
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0601"
down_revision: str | Sequence[str] | None = "0500"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The server default fills existing rows, so every mailbox keeps being polled.
    with op.batch_alter_table("mailboxes") as batch_op:
        batch_op.add_column(sa.Column("paused", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("mailboxes") as batch_op:
        batch_op.drop_column("paused")
