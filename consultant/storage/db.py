"""Engine and session handling shared by the CLI, the workers and the tests."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from consultant.config import get_settings
from consultant.errors import MissingDatabase

log = logging.getLogger(__name__)

_engines: dict[str, Engine] = {}
# SQLite database URLs that a connection may create; see ``creating_sqlite_database``.
_creatable: set[str] = set()
_AFTER_COMMIT_KEY = "consultant.after_commit"


@contextmanager
def creating_sqlite_database(url: str) -> Iterator[None]:
    """Let connections to *url* create its SQLite file, which they otherwise refuse to do.

    A command run from the wrong folder would otherwise leave an empty database there.
    Only migrations create the database, because only they give it its tables.
    """
    _creatable.add(url)
    try:
        yield
    finally:
        _creatable.discard(url)


def _configure_sqlite(engine: Engine, url: str, database: Path | None) -> None:
    @event.listens_for(engine, "do_connect")
    def _on_do_connect(_dialect, _record, _args, _params):  # type: ignore[no-untyped-def]
        if database is None or database.exists():
            return
        if url not in _creatable:
            raise MissingDatabase(
                f"database file not found: {database}; run this command from the folder "
                "that holds the service's data (see CASECONSULTANT_DATA_DIR), or create the "
                "database with 'caseconsultant db upgrade'"
            )
        # The database contains mail, so a folder made for it is the owner's alone.
        database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        # WAL lets the worker write while the CLI and the web server read.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def get_engine(url: str | None = None) -> Engine:
    """Return the engine for *url* (default: the configured database), creating it once.

    Bound parameters are hidden from database error messages, because they carry mail
    content and those messages reach the logs.
    """
    url = url or get_settings().resolved_database_url
    engine = _engines.get(url)
    if engine is None:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            in_memory = not parsed.database or parsed.database == ":memory:"
            engine = create_engine(url, hide_parameters=True)
            _configure_sqlite(engine, url, None if in_memory else Path(parsed.database))
        else:
            engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)
        _engines[url] = engine
    return engine


def reset_engine() -> None:
    """Dispose of every engine; the next ``get_engine`` connects anew (after a fork, in tests)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


def after_commit(session: Session, callback: Callable[[], object]) -> None:
    """Run *callback* once the current transaction of *session* has committed.

    Tasks are enqueued this way so a worker never looks for a row that is not yet
    visible, and a rolled-back transaction enqueues nothing.
    """
    if not session.in_transaction():
        # Begin now, so a rollback before the first query still drops the callback.
        session.begin()
    session.info.setdefault(_AFTER_COMMIT_KEY, []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    callbacks = session.info.pop(_AFTER_COMMIT_KEY, [])
    for callback in callbacks:
        try:
            callback()
        except Exception:
            # The state is committed; the recovery sweep re-drives whatever this failed to enqueue.
            log.exception("after-commit callback failed: %r", callback)


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_commit(session: Session, previous_transaction: SessionTransaction) -> None:
    # A rolled-back savepoint keeps the outer transaction's work, and so its callbacks.
    # The soft-rollback event also fires when the transaction never reached the database.
    if previous_transaction.parent is None and not previous_transaction.nested:
        session.info.pop(_AFTER_COMMIT_KEY, None)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """Yield a session that commits on success and rolls back on error."""
    factory = sessionmaker(bind=get_engine(url), expire_on_commit=False)
    with factory() as session, session.begin():
        yield session
