"""The outbox migration applies and reverts on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from consultant.storage.db import get_engine
from consultant.storage.migrate import alembic_config


def _tables(url: str) -> set[str]:
    return set(inspect(get_engine(url)).get_table_names())


def test_outbox_migration_round_trip(db_url: str) -> None:
    assert "outbox" in _tables(db_url)

    command.downgrade(alembic_config(db_url), "0001")
    after_downgrade = _tables(db_url)
    command.upgrade(alembic_config(db_url), "heads")

    assert "outbox" not in after_downgrade
    assert "drafts" in after_downgrade
    columns = {column["name"] for column in inspect(get_engine(db_url)).get_columns("outbox")}
    assert {"reply_message_id", "state", "attempts", "deadline_at", "raw"} <= columns
