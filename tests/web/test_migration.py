"""Migration 0301 on a database that already holds drafts."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, text

from consultant.storage import migrate
from consultant.storage.db import get_engine


def test_existing_drafts_get_first_version(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(url, "0001")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO cases (id, token, created_at) VALUES (1, 'AB12CD34', '2026-12-01')"))
        connection.execute(text(
            "INSERT INTO inbound_messages (id, message_id, raw, size, sha256, received_at, state,"
            " answered, case_id) VALUES (1, '<q@example.com>', x'00', 1, 'x', '2026-12-01',"
            " 'drafted', 0, 1)"))
        connection.execute(text(
            "INSERT INTO drafts (id, case_id, inbound_message_id, state, version, to_address,"
            " subject, body_text, reply_message_id, codes, created_at, updated_at, attempts)"
            " VALUES (1, 1, 1, 'pending_review', 3, 'coder@example.com', 'Re: q',"
            " 'Body of version 3', '<r@example.org>', '[]', '2026-12-01', '2026-12-02', 0)"))
    engine.dispose()

    migrate.upgrade(url)

    with get_engine(url).connect() as connection:
        rows = connection.execute(text(
            "SELECT draft_id, version, body_text, author FROM draft_versions")).all()
    assert [tuple(row) for row in rows] == [(1, 3, "Body of version 3", "system")]
    tables = set(inspect(get_engine(url)).get_table_names())
    for table in ("users", "web_sessions", "login_failures", "case_events", "draft_versions"):
        assert table in tables
