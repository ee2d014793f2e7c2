"""Database access: the engine, sessions, models and Alembic migrations."""

from consultant.storage.db import after_commit, get_engine, reset_engine, session_scope

__all__ = ["after_commit", "get_engine", "reset_engine", "session_scope"]
