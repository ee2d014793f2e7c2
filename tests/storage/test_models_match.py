"""The migrations build exactly the schema the models describe, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from consultant.storage.base import Base
from consultant.storage.db import get_engine
from consultant.storage.migrate import alembic_config, include_object


def test_migrations_have_one_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()

    assert len(heads) == 1


def test_migrated_schema_matches_models(db_url: str) -> None:
    with get_engine(db_url).connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "include_object": include_object, "compare_type": False})
        differences = compare_metadata(context, Base.metadata)

    assert differences == []
