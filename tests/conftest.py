"""Shared fixtures: a migrated database on SQLite and on PostgreSQL.

Tests that take ``db_url`` or ``session`` run once per database.  PostgreSQL tests use
a database created for this test run on the server at CASECONSULTANT_TEST_POSTGRES_URL
(default: the local server with trust authentication) and dropped afterwards.
"""

from __future__ import annotations

import csv
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from imapclient import IMAPClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from consultant import queue
from consultant.config import reset_settings
from consultant.devserver.imap import LocalImapServer, start_imap_server
from consultant.devserver.smtp import DevMailHandler, start_smtp_server
from consultant.storage import migrate
from consultant.storage.db import get_engine, reset_engine
from consultant.storage.models import Role, User
from consultant.users.services import add_user

POSTGRES_URL = os.environ.get(
    "CASECONSULTANT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("CASECONSULTANT_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
SERVICE_ADDRESS = "coding-help@example.org"
ACCOUNT_PASSWORD = "correct horse battery staple"  # noqa: S105 - the test accounts' password
DATABASES = os.environ.get("CASECONSULTANT_TEST_DATABASES", "sqlite,postgresql").split(",")


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Give each test its own data folder and no settings from the developer's shell."""
    for name in list(os.environ):
        if name.startswith("CASECONSULTANT_") and not name.startswith("CASECONSULTANT_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CASECONSULTANT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.chdir(tmp_path)
    reset_settings()
    yield
    reset_settings()


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """Create a database for this test run and drop it at the end."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"caseconsultant_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001 - any connection failure means no server
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} is not usable: {error}")
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    reset_engine()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_postgres(url: str) -> None:
    engine = get_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


@pytest.fixture(params=DATABASES)
def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """URL of a freshly migrated database, set as CASECONSULTANT_DATABASE_URL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
    else:
        url = request.getfixturevalue("postgres_server_url")
        _empty_postgres(url)
    monkeypatch.setenv("CASECONSULTANT_DATABASE_URL", url)
    reset_settings()
    migrate.upgrade(url)
    yield url
    reset_engine()


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    """A session on the test database; the test commits what it needs to."""
    factory = sessionmaker(bind=get_engine(db_url), expire_on_commit=False)
    with factory() as session:
        yield session


@pytest.fixture
def imap_server(tmp_path: Path) -> Iterator[LocalImapServer]:
    """A real pymap IMAP server on a free loopback port with an empty service mailbox."""
    server = start_imap_server(tmp_path / "imap", "coding-help", "test-password",
                               log_file=tmp_path / "imap.log")
    yield server
    server.stop()


@pytest.fixture
def smtp_server(tmp_path: Path, imap_server: LocalImapServer) -> Iterator[DevMailHandler]:
    """A real aiosmtpd server on loopback: mail to the service address lands in *imap_server*.

    The handler's ``received`` list holds every accepted message; the port is in
    ``handler.port``.
    """
    handler = DevMailHandler(SERVICE_ADDRESS, imap_server, tmp_path / "outbox")
    controller = start_smtp_server(handler)
    handler.port = controller.port  # type: ignore[attr-defined]
    yield handler
    controller.stop()


@pytest.fixture
def mail_settings(
    monkeypatch: pytest.MonkeyPatch, imap_server: LocalImapServer, smtp_server: DevMailHandler
) -> None:
    """Point the CASECONSULTANT_ IMAP, SMTP and From settings at the test servers."""
    for name, value in mail_environment(imap_server, smtp_server.port).items():  # type: ignore[attr-defined]
        monkeypatch.setenv(name, value)
    reset_settings()


def mail_environment(imap_server: LocalImapServer, smtp_port: int) -> dict[str, str]:
    """Return the environment variables that point CaseConsultant at the test servers."""
    return {
        "CASECONSULTANT_IMAP_HOST": imap_server.host,
        "CASECONSULTANT_IMAP_PORT": str(imap_server.port),
        "CASECONSULTANT_IMAP_USERNAME": imap_server.username,
        "CASECONSULTANT_IMAP_PASSWORD": imap_server.password,
        "CASECONSULTANT_IMAP_TLS": "none",
        "CASECONSULTANT_SMTP_HOST": "127.0.0.1",
        "CASECONSULTANT_SMTP_PORT": str(smtp_port),
        "CASECONSULTANT_SMTP_TLS": "none",
        "CASECONSULTANT_FROM_ADDRESS": SERVICE_ADDRESS,
    }


def append_message(imap_server: LocalImapServer, raw: bytes, folder: str = "INBOX") -> None:
    """Put *raw* into the test mailbox with IMAP APPEND, as a mail server would deliver it."""
    with IMAPClient(imap_server.host, port=imap_server.port, ssl=False, timeout=30) as client:
        client.login(imap_server.username, imap_server.password)
        client.append(folder, raw)


def write_small_hcpcs_file(folder: Path) -> Path:
    """Write a small HCPCS Level II CSV export for 2026 Jan and return its path.

    The file contains the procedure code A0428 and the modifiers RT and LT, so a lookup
    finds them and reports any other HCPCS code or modifier as not found.
    """
    path = folder / "HCPC2026_JAN_ANWEB.csv"
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["HCPC", "SEQNUM", "RECID", "LONG DESCRIPTION", "SHORT DESCRIPTION", "COV",
                         "BETOS", "ADD DT", "ACT EFF DT", "TERM DT", "ACTION CD"])
        writer.writerow(["A0428", "0010", "3", "Ambulance service, basic life support, "
                         "non-emergency transport (bls)", "Ambulance service, bls", "D", "O1A",
                         "20000101", "20260101", "", "N"])
        writer.writerow(["   RT", "0010", "7", "Right side", "Right side", "C", "",
                         "19920101", "20260101", "", "N"])
        writer.writerow(["   LT", "0010", "7", "Left side", "Left side", "C", "",
                         "19920101", "20260101", "", "N"])
    return path


def add_test_accounts(session: Session) -> dict[str, User]:
    """Add reviewers rita and remy and admin ada, all with ACCOUNT_PASSWORD, and commit."""
    accounts = {
        "rita": add_user(session, "rita", ACCOUNT_PASSWORD, Role.REVIEWER),
        "remy": add_user(session, "remy", ACCOUNT_PASSWORD, Role.REVIEWER),
        "ada": add_user(session, "ada", ACCOUNT_PASSWORD, Role.ADMIN),
    }
    session.commit()
    return accounts


@pytest.fixture
def sent_tasks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[object, ...]]]:
    """Celery tasks the code under test sent, recorded instead of reaching a broker."""
    sent: list[tuple[str, tuple[object, ...]]] = []
    monkeypatch.setattr(queue, "send_task",
                        lambda name, *args, **_options: sent.append((name, args)))
    return sent
