"""store the text-search vector of each descriptor on PostgreSQL

Ranking with ts_rank over an expression index recomputes to_tsvector for every match,
which took most of a second for queries with thousands of matches.  A stored generated
column is computed once per row on insert.  SQLite keeps its FTS5 table and is untouched.

Revision ID: 0103
Revises: 0102
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0103"
down_revision: str | Sequence[str] | None = "0102"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_codes_description_search")
    op.execute(
        "ALTER TABLE codes ADD COLUMN search_vector tsvector "
        "GENERATED ALWAYS AS (to_tsvector('english', description)) STORED"
    )
    op.execute("CREATE INDEX ix_codes_search_vector ON codes USING gin (search_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_codes_search_vector")
    op.execute("ALTER TABLE codes DROP COLUMN IF EXISTS search_vector")
    op.execute(
        "CREATE INDEX ix_codes_description_search ON codes "
        "USING gin (to_tsvector('english', description))"
    )
