"""``caseconsultant users`` and ``caseconsultant web``, and starting the web server."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from consultant.cli import main
from consultant.errors import NotFound
from consultant.storage.models import Role, WebSession
from consultant.users.services import (
    MAX_FAILURES_PER_CLIENT,
    MAX_FAILURES_PER_USERNAME,
    InvalidCredentials,
    TooManyAttempts,
    authenticate,
    get_user,
)
from consultant.users.sessions import start_session
from consultant.web.server import start_in_thread

PASSWORD = "a long enough password"  # noqa: S105 - a test account's password


def run(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), input=stdin)


def test_users_add_first_admin(session: Session) -> None:
    result = run("users", "add", "Admin.One", "--role", "admin", "--password-stdin",
                 stdin=PASSWORD + "\n")

    assert result.exit_code == 0, result.output
    assert "added admin admin.one" in result.output
    user = get_user(session, "admin.one")
    assert user.role is Role.ADMIN
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_users_add_prompts_twice(session: Session) -> None:
    result = run("users", "add", "rita", stdin=f"{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert get_user(session, "rita").role is Role.REVIEWER


def test_users_add_asks_again_for_short_password(session: Session) -> None:
    result = run("users", "add", "rita", stdin=f"short\n{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert result.output.count("the password is too short; use at least 12 characters") == 1
    assert result.output.count("Password (at least 12 characters):") == 2
    assert result.output.count("Repeat the password:") == 1
    assert get_user(session, "rita").role is Role.REVIEWER


def test_users_add_asks_again_when_passwords_differ(session: Session) -> None:
    result = run("users", "add", "rita",
                 stdin=f"{PASSWORD}\nanother long password\n{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert "the two passwords differ" in result.output
    assert authenticate(session, "rita", PASSWORD, "127.0.0.1").username == "rita"


def test_users_add_short_password_then_end_of_input(session: Session) -> None:
    result = run("users", "add", "rita", stdin="short\n")

    assert result.exit_code == 1
    assert "too short" in result.output
    assert "Repeat the password:" not in result.output
    with pytest.raises(NotFound):
        get_user(session, "rita")


def test_users_add_checks_name_before_password(session: Session) -> None:
    run("users", "add", "rita", "--password-stdin", stdin=PASSWORD + "\n")

    duplicate = run("users", "add", "RITA", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    invalid = run("users", "add", "r!ta", stdin=f"{PASSWORD}\n{PASSWORD}\n")

    assert duplicate.exit_code == 1
    assert "a user named 'rita' already exists" in duplicate.output
    assert "Password" not in duplicate.output
    assert invalid.exit_code == 1
    assert "invalid username 'r!ta'" in invalid.output
    assert "Password" not in invalid.output


def test_users_add_rejects_reserved_name(session: Session) -> None:
    result = run("users", "add", "Unclaimed", stdin=f"{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 1
    assert "the username 'unclaimed' is reserved" in result.output
    assert "Password" not in result.output
    with pytest.raises(NotFound):
        get_user(session, "unclaimed")


def test_users_set_password_unknown_user_not_asked(session: Session) -> None:
    result = run("users", "set-password", "nobody", stdin=f"{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 1
    assert "no user named 'nobody'" in result.output
    assert "list the users with 'caseconsultant users list'" in result.output
    assert "Password" not in result.output


def test_users_add_rejects_short_password(session: Session) -> None:
    result = run("users", "add", "rita", "--password-stdin", stdin="short\n")

    assert result.exit_code == 1
    assert "too short" in result.output


def test_users_add_rejects_password_of_spaces(session: Session) -> None:
    result = run("users", "add", "rita", "--password-stdin", stdin=" " * 16 + "\n")

    assert result.exit_code == 1
    assert "too short" in result.output
    with pytest.raises(NotFound):
        get_user(session, "rita")


def test_users_add_rejects_duplicate(session: Session) -> None:
    run("users", "add", "rita", "--password-stdin", stdin=PASSWORD + "\n")

    result = run("users", "add", "RITA", "--password-stdin", stdin=PASSWORD + "\n")

    assert result.exit_code == 1
    assert "already exists" in result.output


def test_users_set_password_ends_sessions(session: Session) -> None:
    run("users", "add", "rita", "--password-stdin", stdin=PASSWORD + "\n")
    start_session(session, get_user(session, "rita"), timedelta(hours=1))
    session.commit()

    result = run("users", "set-password", "rita", "--password-stdin",
                 stdin="another long password\n")

    assert result.exit_code == 0, result.output
    session.expire_all()
    assert session.query(WebSession).count() == 0
    assert authenticate(session, "rita", "another long password", "127.0.0.1").username == "rita"


def fail_sign_ins(session: Session, username: str, times: int, client: str = "127.0.0.1") -> None:
    """Record *times* failed sign-ins of *username* from *client*."""
    for _attempt in range(times):
        with pytest.raises(InvalidCredentials):
            authenticate(session, username, "a wrong password", client)
        session.commit()


def test_users_set_password_lifts_lock(session: Session) -> None:
    run("users", "add", "rita", "--password-stdin", stdin=PASSWORD + "\n")
    fail_sign_ins(session, "rita", MAX_FAILURES_PER_USERNAME)
    with pytest.raises(TooManyAttempts):
        authenticate(session, "rita", PASSWORD, "127.0.0.1")
    session.rollback()

    result = run("users", "set-password", "rita", "--password-stdin",
                 stdin="another long password\n")

    assert result.exit_code == 0, result.output
    assert "failed sign-ins cleared" in result.output
    session.expire_all()
    assert authenticate(session, "rita", "another long password", "127.0.0.1").username == "rita"


def test_users_unlock_keeps_password(session: Session) -> None:
    run("users", "add", "rita", "--password-stdin", stdin=PASSWORD + "\n")
    fail_sign_ins(session, "rita", MAX_FAILURES_PER_USERNAME)

    result = run("users", "unlock", "RITA")

    assert result.exit_code == 0, result.output
    assert result.output == f"rita: {MAX_FAILURES_PER_USERNAME} recent failed sign-ins cleared\n"
    session.expire_all()
    assert authenticate(session, "rita", PASSWORD, "127.0.0.1").username == "rita"


def test_users_unlock_keeps_client_lock(session: Session) -> None:
    run("users", "add", "rita", "--password-stdin", stdin=PASSWORD + "\n")
    run("users", "add", "remy", "--password-stdin", stdin=PASSWORD + "\n")
    # Failures for rita and for unknown names from one client reach the client's limit.
    fail_sign_ins(session, "rita", MAX_FAILURES_PER_USERNAME, client="192.0.2.7")
    for number in range(MAX_FAILURES_PER_CLIENT - MAX_FAILURES_PER_USERNAME):
        fail_sign_ins(session, f"guess{number}", 1, client="192.0.2.7")

    result = run("users", "unlock", "rita")

    assert result.exit_code == 0, result.output
    session.expire_all()
    with pytest.raises(TooManyAttempts):
        authenticate(session, "remy", PASSWORD, "192.0.2.7")
    session.rollback()
    with pytest.raises(TooManyAttempts):
        authenticate(session, "rita", PASSWORD, "192.0.2.7")
    session.rollback()
    assert authenticate(session, "rita", PASSWORD, "127.0.0.1").username == "rita"


def test_users_unlock_unknown(session: Session) -> None:
    result = run("users", "unlock", "nobody")

    assert result.exit_code == 1
    assert result.output == ("error: no user named 'nobody'; list the users with "
                             "'caseconsultant users list'\n")


def test_users_disable_and_enable(session: Session) -> None:
    run("users", "add", "rita", "--password-stdin", stdin=PASSWORD + "\n")

    disabled = run("users", "disable", "rita")
    session.expire_all()
    was_disabled = get_user(session, "rita").disabled
    enabled = run("users", "disable", "rita", "--enable")
    session.expire_all()

    assert disabled.exit_code == 0, disabled.output
    assert was_disabled is True
    assert enabled.exit_code == 0, enabled.output
    assert get_user(session, "rita").disabled is False


@pytest.mark.parametrize("enable", [[], ["--enable"]])
def test_users_disable_unknown(session: Session, enable: list[str]) -> None:
    result = run("users", "disable", "nobody", *enable)

    assert result.exit_code == 1
    assert result.output == ("error: no user named 'nobody'; list the users with "
                             "'caseconsultant users list'\n")


def test_web_help_names_defaults() -> None:
    result = run("web", "--help")

    assert result.exit_code == 0
    assert "127.0.0.1" in result.output
    assert "8000" in result.output


def test_server_reports_taken_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        with pytest.raises(RuntimeError, match=f"did not start on 127.0.0.1:{port}"):
            start_in_thread("127.0.0.1", port, timeout=10)


def test_web_from_wrong_folder_creates_nothing(tmp_path) -> None:
    result = run("web", "--port", "1")

    assert result.exit_code == 1
    assert "database file not found" in result.output
    assert "web queue:" not in result.output
    assert not (tmp_path / "var").exists()


def test_web_reports_taken_port_before_starting(session: Session) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = run("web", "--port", str(port))

    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in result.output
    assert "choose another with --port" in result.output
    assert "web queue:" not in result.output
