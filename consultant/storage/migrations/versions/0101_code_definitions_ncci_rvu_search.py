"""add code definitions, NCCI, RVU and search

Word search over code descriptors uses FTS5 on SQLite, kept current by triggers, and a
GIN index on the English text-search vector on PostgreSQL.

Revision ID: 0101
Revises: 0001
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0101"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


SQLITE_SEARCH = (
    "CREATE VIRTUAL TABLE codes_fts USING fts5("
    "code, description, content='codes', content_rowid='id', tokenize='porter unicode61')",
    "CREATE TRIGGER codes_fts_insert AFTER INSERT ON codes BEGIN "
    "INSERT INTO codes_fts(rowid, code, description) "
    "VALUES (new.id, new.code, new.description); END",
    "CREATE TRIGGER codes_fts_delete AFTER DELETE ON codes BEGIN "
    "INSERT INTO codes_fts(codes_fts, rowid, code, description) "
    "VALUES ('delete', old.id, old.code, old.description); END",
    "CREATE TRIGGER codes_fts_update AFTER UPDATE ON codes BEGIN "
    "INSERT INTO codes_fts(codes_fts, rowid, code, description) "
    "VALUES ('delete', old.id, old.code, old.description); "
    "INSERT INTO codes_fts(rowid, code, description) "
    "VALUES (new.id, new.code, new.description); END",
    "INSERT INTO codes_fts(codes_fts) VALUES ('rebuild')",
)
POSTGRESQL_SEARCH = (
    "CREATE INDEX ix_codes_description_search ON codes "
    "USING gin (to_tsvector('english', description))",
)


def _create_search() -> None:
    dialect = op.get_bind().dialect.name
    statements = {"sqlite": SQLITE_SEARCH, "postgresql": POSTGRESQL_SEARCH}.get(dialect, ())
    for statement in statements:
        op.execute(statement)


def _drop_search() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("codes_fts_insert", "codes_fts_delete", "codes_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS codes_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_codes_description_search")


def upgrade() -> None:
    _create_search()
    op.create_table(
        "code_definitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=1), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=255), nullable=False),
        sa.Column("definition", sa.Text(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column("includes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["code_releases.id"],
            name=op.f("fk_code_definitions_release_id_code_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_definitions")),
    )
    with op.batch_alter_table("code_definitions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_code_definitions_lookup", ["release_id", "section", "position"], unique=False
        )

    op.create_table(
        "ncci_addon_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("addon_code", sa.String(length=16), nullable=False),
        sa.Column("primary_code", sa.String(length=16), nullable=True),
        sa.Column("edit_type", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("deleted_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["code_releases.id"],
            name=op.f("fk_ncci_addon_codes_release_id_code_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ncci_addon_codes")),
    )
    with op.batch_alter_table("ncci_addon_codes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ncci_addon_codes_addon", ["release_id", "addon_code"], unique=False
        )

    op.create_table(
        "ncci_mue_limits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("adjudication_indicator", sa.String(length=1), nullable=False),
        sa.Column("adjudication_text", sa.Text(), nullable=True),
        sa.Column("rationale", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["code_releases.id"],
            name=op.f("fk_ncci_mue_limits_release_id_code_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ncci_mue_limits")),
    )
    with op.batch_alter_table("ncci_mue_limits", schema=None) as batch_op:
        batch_op.create_index("ix_ncci_mue_limits_code", ["release_id", "code"], unique=False)

    op.create_table(
        "ncci_ptp_edits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("column1", sa.String(length=16), nullable=False),
        sa.Column("column2", sa.String(length=16), nullable=False),
        sa.Column("existed_before_1996", sa.Boolean(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("deleted_on", sa.Date(), nullable=True),
        sa.Column("modifier_indicator", sa.String(length=1), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["code_releases.id"],
            name=op.f("fk_ncci_ptp_edits_release_id_code_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ncci_ptp_edits")),
    )
    with op.batch_alter_table("ncci_ptp_edits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ncci_ptp_edits_pair", ["release_id", "column1", "column2"], unique=False
        )

    op.create_table(
        "pfs_rvu_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("modifier", sa.String(length=4), nullable=True),
        sa.Column("status_code", sa.String(length=4), nullable=True),
        sa.Column("global_days", sa.String(length=8), nullable=True),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["code_releases.id"],
            name=op.f("fk_pfs_rvu_values_release_id_code_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pfs_rvu_values")),
    )
    with op.batch_alter_table("pfs_rvu_values", schema=None) as batch_op:
        batch_op.create_index("ix_pfs_rvu_values_code", ["release_id", "code"], unique=False)


def downgrade() -> None:
    _drop_search()
    with op.batch_alter_table("pfs_rvu_values", schema=None) as batch_op:
        batch_op.drop_index("ix_pfs_rvu_values_code")

    op.drop_table("pfs_rvu_values")
    with op.batch_alter_table("ncci_ptp_edits", schema=None) as batch_op:
        batch_op.drop_index("ix_ncci_ptp_edits_pair")

    op.drop_table("ncci_ptp_edits")
    with op.batch_alter_table("ncci_mue_limits", schema=None) as batch_op:
        batch_op.drop_index("ix_ncci_mue_limits_code")

    op.drop_table("ncci_mue_limits")
    with op.batch_alter_table("ncci_addon_codes", schema=None) as batch_op:
        batch_op.drop_index("ix_ncci_addon_codes_addon")

    op.drop_table("ncci_addon_codes")
    with op.batch_alter_table("code_definitions", schema=None) as batch_op:
        batch_op.drop_index("ix_code_definitions_lookup")

    op.drop_table("code_definitions")
