"""Fixtures of the command-line tests: a runner, user accounts and recorded task sends."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from consultant.config import reset_settings
from consultant.storage.models import Role, User
from consultant.users.services import add_user, set_disabled
from tests.conftest import ACCOUNT_PASSWORD, add_test_accounts


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def service_address(monkeypatch: pytest.MonkeyPatch) -> None:
    """Set the service address that drafting needs to address replies."""
    monkeypatch.setenv("CASECONSULTANT_FROM_ADDRESS", "coding-help@example.org")
    reset_settings()


@pytest.fixture
def accounts(session: Session) -> dict[str, User]:
    """Reviewers rita and remy, admin ada, and dora, a reviewer whose account is disabled."""
    created = add_test_accounts(session)
    created["dora"] = add_user(session, "dora", ACCOUNT_PASSWORD, Role.REVIEWER)
    set_disabled(session, "dora")
    session.commit()
    return created
