"""Sign-in state, CSRF checks, cookie flags and the security headers of every response.

Every request that changes something must carry the session's CSRF token: forms send
it in the ``csrf_token`` field and API clients in the ``X-CSRF-Token`` header.  The
session cookie is HttpOnly, SameSite=Strict and (by default) Secure with the
``__Host-`` prefix, so scripts cannot read it and other sites cannot send it.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fastapi import Request, Response
from sqlalchemy.orm import Session

from consultant.review.errors import PermissionDenied
from consultant.storage import session_scope
from consultant.storage.models import Role, User, WebSession
from consultant.users.sessions import lookup_session
from consultant.web.config import get_web_settings

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    # Images only from this server: remote images in mail can never load, even if the
    # sanitiser let one through.
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
])

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class NotSignedIn(Exception):
    """The request has no live session.

    *session_ended* is set when the request carried a session cookie, so the session it
    named has ended. *ended_session_user* is the username of that session, set only when
    the request also carried the session's CSRF token. That token shows the posted form
    was rendered for that user in this browser, so its text may be shown to them again.
    """

    def __init__(self, *, session_ended: bool = False,
                 ended_session_user: str | None = None) -> None:
        super().__init__("not signed in")
        self.session_ended = session_ended
        self.ended_session_user = ended_session_user


class CsrfFailure(Exception):
    """The request's CSRF token is missing or does not match its session."""


@dataclass
class Context:
    """The open transaction, user and session of a signed-in request."""

    db: Session
    user: User
    web_session: WebSession

    @property
    def csrf_token(self) -> str:
        return self.web_session.csrf_token


def session_cookie_name() -> str:
    # The __Host- prefix makes the browser insist on Secure, Path=/ and no Domain.
    return "__Host-caseconsultant" if get_web_settings().secure_cookies else "caseconsultant"


def login_csrf_cookie_name() -> str:
    """Name the cookie of the sign-in form's CSRF token, with the session cookie's prefix."""
    name = "caseconsultant_login_csrf"
    return f"__Host-{name}" if get_web_settings().secure_cookies else name


def set_cookie(response: Response, name: str, value: str, max_age: int | None = None) -> None:
    """Set a cookie with the flags every cookie of this app carries."""
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True,
                        secure=get_web_settings().secure_cookies, samesite="strict")


def delete_cookie(response: Response, name: str) -> None:
    """Delete a cookie set by ``set_cookie``.

    The deletion carries the same flags, because a browser ignores a ``__Host-`` cookie
    sent without Secure, and would then keep the old one.
    """
    response.delete_cookie(name, path="/", httponly=True,
                           secure=get_web_settings().secure_cookies, samesite="strict")


def tokens_match(received: str | None, expected: str | None) -> bool:
    """Compare two tokens in constant time; a missing token never matches."""
    if not received or not expected:
        return False
    return secrets.compare_digest(received.encode(), expected.encode())


@contextmanager
def signed_in(request: Request, csrf_token: str | None = None, *, check_csrf: bool = False,
              admin: bool = False) -> Iterator[Context]:
    """Open a transaction for a signed-in request; it commits when the block ends cleanly.

    Raises NotSignedIn without a live session, CsrfFailure when *check_csrf* is set and
    the token (form field or ``X-CSRF-Token`` header) does not match, and
    PermissionDenied when *admin* is set and the user is not an admin.
    """
    settings = get_web_settings()
    cookie = request.cookies.get(session_cookie_name())
    sent_token = csrf_token or request.headers.get("x-csrf-token")
    ended_session_user = None
    with session_scope() as db:
        lookup = lookup_session(db, cookie, settings.idle_timeout)
        web_session = lookup.live
        if web_session is not None:
            if check_csrf and not tokens_match(sent_token, web_session.csrf_token):
                raise CsrfFailure()
            if admin and web_session.user.role is not Role.ADMIN:
                raise PermissionDenied("this page is for admins only")
            yield Context(db=db, user=web_session.user, web_session=web_session)
            return
        ended = lookup.ended
        if check_csrf and ended is not None and tokens_match(sent_token, ended.csrf_token):
            ended_session_user = ended.user.username
    # Raised after the commit, so the deletion of an expired session is kept.
    raise NotSignedIn(session_ended=bool(cookie), ended_session_user=ended_session_user)


def posted_from_this_site(request: Request) -> bool:
    """Return True when the browser marked the request as sent from a page of this origin.

    Browsers set the Sec-Fetch-Site header, and pages cannot set or change it. MDN's
    Sec-Fetch-Site page lists it as a forbidden request header, sent by every major
    browser since March 2023. A request without it, from an older browser or another
    client, counts as not proven.
    """
    return request.headers.get("sec-fetch-site") == "same-origin"


def client_address(request: Request) -> str:
    """Return the client address, which the sign-in limits count failures by.

    Behind a reverse proxy listed in ``CASECONSULTANT_WEB_TRUSTED_PROXIES`` this is the
    address the proxy forwards; otherwise it is the peer address.
    """
    return request.client.host if request.client else "unknown"


async def add_security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Middleware: add the security headers, and forbid caching of anything but static files."""
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.url.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
    return response
