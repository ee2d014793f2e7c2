"""Run Alembic migrations without an alembic.ini, for the installed package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from consultant.config import get_settings
from consultant.storage.db import creating_sqlite_database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# Word-search structures that the code-set migrations create by hand, outside the models:
# FTS5 tables on SQLite, a stored tsvector column and its index on PostgreSQL.
_SEARCH_OBJECTS = ("codes_fts", "search_vector", "ix_codes_search_vector")


def include_object(obj: object, name: str | None, type_: str, reflected: bool,
                   compare_to: object) -> bool:
    """Keep Alembic's autogenerate from proposing to drop the word-search structures."""
    return not (reflected and name is not None and name.startswith(_SEARCH_OBJECTS))


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url or get_settings().resolved_database_url)
    return config


def upgrade(url: str | None = None, revision: str = "heads", create: bool = True) -> None:
    """Migrate the database at *url* (default: the configured one) to *revision*.

    A SQLite database that does not exist yet is created, unless *create* is false; then
    ``MissingDatabase`` is raised.
    """
    config = alembic_config(url)
    if not create:
        command.upgrade(config, revision)
        return
    with creating_sqlite_database(config.get_main_option("sqlalchemy.url") or ""):
        command.upgrade(config, revision)
