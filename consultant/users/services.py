"""User accounts: create, change password, disable, and check a sign-in.

Passwords are hashed with argon2id (argon2-cffi's default type) and never stored or
logged in clear.  Failed sign-ins are counted per username and per client address;
past the limits, sign-in is refused for the rest of the window even with the right
password.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from consultant.errors import ConsultantError, NotFound
from consultant.review.queries import UNCLAIMED
from consultant.storage.base import utcnow
from consultant.storage.models import LoginFailure, Role, User, WebSession

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 12
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USERNAME = 5
MAX_FAILURES_PER_CLIENT = 20

_hasher = PasswordHasher()
# Verified when the username is unknown, so that case takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("no such user; this hash only keeps timing even")


class InvalidCredentials(ConsultantError):
    """The username or password is wrong, or the account is disabled."""


class TooManyAttempts(ConsultantError):
    """Too many failed sign-ins for this username or client in the current window."""


class InvalidPassword(ConsultantError):
    """A new password shorter than MIN_PASSWORD_LENGTH characters."""


def check_password(password: str) -> None:
    """Raise InvalidPassword unless *password* is long enough to be set.

    Spaces at either end do not count toward the length, so twelve spaces are too short.
    """
    if len(password.strip()) < MIN_PASSWORD_LENGTH:
        raise InvalidPassword(f"the password is too short; use at least "
                              f"{MIN_PASSWORD_LENGTH} characters other than spaces at the ends")


def normalise_username(username: str) -> str:
    """Return *username* in lower case, or raise if it has characters outside a-z 0-9 . _ -."""
    username = username.strip().lower()
    if not USERNAME_PATTERN.match(username):
        raise ConsultantError(f"invalid username {username!r}: use 2 to 64 characters from "
                              "a-z, 0-9, '.', '_' and '-', starting with a letter or digit")
    return username


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"no user named {username!r}")
    return user


def check_new_username(session: Session, username: str) -> str:
    """Return *username* normalised, or raise ConsultantError if it is invalid or already taken."""
    username = normalise_username(username)
    if username == UNCLAIMED:
        raise ConsultantError(f"the username {UNCLAIMED!r} is reserved, because the queue's "
                              "assignee filter uses it for unclaimed drafts; choose another")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ConsultantError(f"a user named {username!r} already exists")
    return username


def add_user(session: Session, username: str, password: str, role: Role = Role.REVIEWER) -> User:
    """Create an account; the username must be new."""
    username = normalise_username(username)
    check_password(password)
    check_new_username(session, username)
    user = User(username=username, password_hash=_hasher.hash(password), role=role)
    session.add(user)
    session.flush()
    log.info("added user_id=%d role=%s", user.id, role.value)
    return user


def set_password(session: Session, username: str, password: str) -> User:
    """Replace a user's password, sign out all their sessions and clear their sign-in lock."""
    check_password(password)
    user = get_user(session, username)
    user.password_hash = _hasher.hash(password)
    user.password_changed_at = utcnow()
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    _clear_username_failures(session, user.username)
    session.flush()
    log.info("password changed user_id=%d", user.id)
    return user


def unlock(session: Session, username: str) -> tuple[User, int]:
    """Clear the failed sign-ins counted for *username*, and return the user and their number.

    The limit per client address is not lifted, so a client that reached it still waits.
    """
    user = get_user(session, username)
    cleared = _clear_username_failures(session, user.username)
    session.flush()
    log.info("sign-in failures cleared user_id=%d count=%d", user.id, cleared)
    return user, cleared


def _clear_username_failures(session: Session, username: str) -> int:
    """Stop the recent failures of *username* counting toward its limit, and return their number.

    The rows stay, so that they still count toward the limit of their client address.
    Their username becomes empty, which no account has (usernames are at least 2
    characters long).
    """
    since = utcnow() - FAILURE_WINDOW
    result = session.execute(
        update(LoginFailure)
        .where(LoginFailure.username == username, LoginFailure.at >= since)
        .values(username="")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def set_disabled(session: Session, username: str, disabled: bool = True) -> User:
    """Disable (or enable again) an account; disabling signs out all its sessions."""
    user = get_user(session, username)
    user.disabled = disabled
    if disabled:
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    session.flush()
    log.info("user_id=%d disabled=%s", user.id, disabled)
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def _recent_failures(session: Session, column, value: str) -> int:  # type: ignore[no-untyped-def]
    since = utcnow() - FAILURE_WINDOW
    return session.scalar(select(func.count()).select_from(LoginFailure)
                          .where(column == value, LoginFailure.at >= since)) or 0


def authenticate(session: Session, username: str, password: str, client: str) -> User:
    """Return the active user with this username and password.

    Raises TooManyAttempts when the failure limit for the username or the client address
    is reached, and InvalidCredentials otherwise when the check fails.  The caller must
    commit the session even after a failure, because the failure is recorded in it.
    """
    username = username.strip().lower()[:64]
    client = client[:64]
    if (_recent_failures(session, LoginFailure.username, username) >= MAX_FAILURES_PER_USERNAME
            or _recent_failures(session, LoginFailure.client, client) >= MAX_FAILURES_PER_CLIENT):
        log.warning("sign-in refused: too many recent failures")
        raise TooManyAttempts("too many failed sign-ins; wait 15 minutes and try again")

    user = session.scalar(select(User).where(User.username == username))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        valid = user is not None and not user.disabled
    except (VerificationError, InvalidHashError):
        valid = False
    if not valid or user is None:
        session.add(LoginFailure(username=username, client=client))
        session.flush()
        log.info("sign-in failed")
        raise InvalidCredentials("wrong username or password, or the account is disabled")

    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    session.execute(delete(LoginFailure).where(
        or_(LoginFailure.username == username, LoginFailure.at < utcnow() - FAILURE_WINDOW)))
    log.info("signed in user_id=%d", user.id)
    return user
