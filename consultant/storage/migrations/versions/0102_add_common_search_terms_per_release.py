"""add common search terms per release

Revision ID: 0102
Revises: 0101
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0102"
down_revision: str | Sequence[str] | None = "0101"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "code_search_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["code_releases.id"],
            name=op.f("fk_code_search_terms_release_id_code_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_search_terms")),
    )
    with op.batch_alter_table("code_search_terms", schema=None) as batch_op:
        batch_op.create_index("ix_code_search_terms_term", ["release_id", "term"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("code_search_terms", schema=None) as batch_op:
        batch_op.drop_index("ix_code_search_terms_term")
    op.drop_table("code_search_terms")
