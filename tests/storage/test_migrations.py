from sqlalchemy import inspect

from consultant.storage.db import get_engine


def test_migration_creates_tables(db_url: str) -> None:
    tables = set(inspect(get_engine(db_url)).get_table_names())
    for table in ("mailboxes", "inbound_messages", "cases", "drafts", "draft_events", "codes"):
        assert table in tables
