"""Server-side sign-in sessions that expire after idle time and after a maximum lifetime.

The browser's cookie holds a random token; the database stores only its SHA-256, so
a copy of the database cannot be used to sign in.  Each session carries its own
CSRF token for the forms it renders.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from consultant.storage.base import utcnow
from consultant.storage.models import User, WebSession


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User, lifetime: timedelta) -> tuple[str, WebSession]:
    """Create a session for *user*; return the cookie token and the row."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = WebSession(token_sha256=_digest(token), user_id=user.id,
                     csrf_token=secrets.token_urlsafe(32), created_at=now, last_seen_at=now,
                     expires_at=now + lifetime)
    session.add(row)
    session.flush()
    return token, row


@dataclass(frozen=True)
class SessionLookup:
    """The session a cookie names: ``live``, already marked seen, or ``ended``.

    An ended session's row is deleted, but the object keeps its CSRF token and user, so
    a request that arrives just after the end can still be matched to the page it came
    from.
    """

    live: WebSession | None = None
    ended: WebSession | None = None


def lookup_session(session: Session, token: str | None, idle_timeout: timedelta) -> SessionLookup:
    """Look up the session of *token*, mark a live one seen, and delete an ended one.

    A session ends at ``expires_at`` or after *idle_timeout* without a request, and when
    its user is disabled.
    """
    if not token:
        return SessionLookup()
    row = session.scalar(select(WebSession).where(WebSession.token_sha256 == _digest(token)))
    if row is None:
        return SessionLookup()
    now = utcnow()
    if now >= row.expires_at or now - row.last_seen_at >= idle_timeout or row.user.disabled:
        session.delete(row)
        session.flush()
        return SessionLookup(ended=row)
    row.last_seen_at = now
    return SessionLookup(live=row)


def end_session(session: Session, token: str | None) -> None:
    """Delete the session of *token*, if any."""
    if token:
        session.execute(delete(WebSession).where(WebSession.token_sha256 == _digest(token)))


def purge_expired(session: Session) -> int:
    """Delete sessions past their maximum lifetime; return how many."""
    result = session.execute(delete(WebSession).where(WebSession.expires_at <= utcnow()))
    return result.rowcount or 0
