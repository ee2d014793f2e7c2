"""The sign-in page, the local path it returns to, and the unsaved edit it can carry.

An edit whose Save or Approve arrives after the session ended is neither saved nor
stored anywhere on the server. Its text goes back to the browser inside the sign-in form,
so signing in brings it back to the draft's editor.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import Response

from consultant.web.rendering import render
from consultant.web.security import LOGIN_CSRF_COOKIE, set_cookie

MAX_NEXT_LENGTH = 2000
# Nine digits at most keep the id within the 32-bit integer column drafts.id.
DRAFT_PATH = re.compile(r"/drafts/([1-9][0-9]{0,8})")
SESSION_ENDED_NOTICE = "Your session has ended. Sign in again to continue where you were."


@dataclass(frozen=True)
class UnsavedEdit:
    """The editor text of a draft, as the reviewer's form posted it, and the version it showed."""

    draft_id: int
    version: int
    body: str


def safe_next_path(value: str | None) -> str | None:
    """Return *value* if it is a path on this site to open after sign-in, else None.

    Only ASCII paths that start with a single "/" pass, such as "/drafts/12" or
    "/queue?page=2". A browser could read a scheme, a leading "//", a backslash, white
    space or a control character as a way to another site, so each one is rejected, and
    so are /login and /logout.
    """
    if not value or len(value) > MAX_NEXT_LENGTH or not value.isascii():
        return None
    if not value.startswith("/") or value.startswith("//"):
        return None
    if any(char == "\\" or char.isspace() or not char.isprintable() for char in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path in ("/login", "/logout"):
        return None
    return value


def login_url(next_path: str | None = None, *, session_ended: bool = False) -> str:
    """Return the URL of the sign-in page, which opens *next_path* after sign-in."""
    query = {}
    if next_path:
        query["next"] = next_path
    if session_ended:
        query["ended"] = "1"
    return f"/login?{urlencode(query)}" if query else "/login"


def unsaved_edit(next_path: str | None, version: int | None,
                 body: str | None) -> UnsavedEdit | None:
    """Return the edit that a sign-in form carries back to the draft at *next_path*, if any."""
    match = DRAFT_PATH.fullmatch(next_path or "")
    if match is None or version is None or body is None:
        return None
    return UnsavedEdit(draft_id=int(match.group(1)), version=version, body=body)


def login_page(request: Request, error: str | None = None, status_code: int = 200, *,
               next_path: str | None = None, notice: str | None = None,
               unsaved: UnsavedEdit | None = None, username: str = "") -> Response:
    """Render the sign-in form with a fresh login CSRF token.

    The form posts *next_path*, the page to open after sign-in, and the text of
    *unsaved*, which the page also shows so the reviewer can copy it.
    """
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", None, status_code, login_csrf=token, error=error,
                      next_path=next_path, notice=notice, unsaved=unsaved, username=username)
    set_cookie(response, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response
