"""Fixtures of the code knowledge base tests.

Importing ICD-10-CM and HCPCS takes seconds, so ``loaded_url`` imports them once per
test session into a database of its own on each backend, and the lookup tests only
read from it.  Tests that import or replace editions use the per-test ``session``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from consultant.codes import importers
from consultant.storage import migrate
from consultant.storage.db import get_engine
from tests.conftest import DATABASES, POSTGRES_URL

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
TEST_DATA_DIR = Path(
    os.environ.get("CASECONSULTANT_TEST_DATA_DIR", REPOSITORY_ROOT.parent / "shared" / "data")
)
HCPCS_DIR = TEST_DATA_DIR / "hcpcs"
HCPCS_XLSX = HCPCS_DIR / "HCPC2025_OCT_ANWEB.xlsx"
HCPCS_CSV = HCPCS_DIR / "HCPC2025_OCT_ANWEB.csv"
PCS_DIR = TEST_DATA_DIR / "icd10pcs"
PCS_TABLES = PCS_DIR / "icd10pcs_tables_2026.xml"


def require(path: Path) -> Path:
    """Return *path*, skipping the test when the official sample file is absent."""
    if not path.exists():
        pytest.skip(f"{path} is absent; set CASECONSULTANT_TEST_DATA_DIR to the test data folder")
    return path


@pytest.fixture(scope="session")
def hcpcs_csv() -> Path:
    return require(HCPCS_CSV)


@pytest.fixture(scope="session")
def hcpcs_xlsx() -> Path:
    return require(HCPCS_XLSX)


@pytest.fixture(scope="session")
def pcs_tables() -> Path:
    return require(PCS_TABLES)


@contextmanager
def _postgres_database() -> Iterator[str]:
    """Create a database of its own on the test server and drop it afterwards."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"caseconsultant_codes_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001 - any connection failure means no server
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} is not usable: {error}")
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        get_engine(url).dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=DATABASES)
def loaded_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database with ICD-10-CM FY2026 and, when present, HCPCS and ICD-10-PCS imported."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('codes') / 'loaded.db'}"
        else:
            url = stack.enter_context(_postgres_database())
        migrate.upgrade(url)
        factory = sessionmaker(bind=get_engine(url), expire_on_commit=False)
        with factory() as session, session.begin():
            importers.import_icd10cm(session)
            if HCPCS_XLSX.exists():
                importers.import_hcpcs(session, HCPCS_XLSX)
            if PCS_TABLES.exists():
                importers.import_icd10pcs(session, PCS_TABLES)
        yield url


@pytest.fixture
def loaded(loaded_url: str) -> Iterator[Session]:
    """A read-only session on the loaded database; whatever a test changes is rolled back."""
    factory = sessionmaker(bind=get_engine(loaded_url), expire_on_commit=False)
    with factory() as session:
        yield session
        session.rollback()
