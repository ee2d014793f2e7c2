"""The sign-in page, the local path it returns to, and the unsent form it can carry.

A form post that arrives after the session ended does nothing, and its text is stored
nowhere on the server. When the post proves that it came from this app's own page, the
text goes back to the browser inside the sign-in form, so signing in opens the same form
with the text filled in. A post from a page of an ended session that arrives after the
reviewer signed in again, in another tab, opens the same form at once. A KeptFormKind
describes each form that works this way.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import Response

from consultant.web.config import get_web_settings
from consultant.web.rendering import redirect, render
from consultant.web.security import (
    Context,
    CsrfFailure,
    NotSignedIn,
    login_csrf_cookie_name,
    posted_from_this_site,
    set_cookie,
    signed_in,
)

log = logging.getLogger(__name__)

MAX_NEXT_LENGTH = 2000
# Seconds that the sign-in form's CSRF cookie lasts after a sign-in page was last shown.
LOGIN_CSRF_MAX_AGE = 3600
# secrets.token_urlsafe(32) gives 43 characters of the URL-safe base64 alphabet.
LOGIN_CSRF_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
SESSION_ENDED_NOTICE = "Your session has ended. Sign in again to continue where you were."
# The fields of the sign-in form itself, which no kept field may use as its name.
SIGN_IN_FIELDS = frozenset({"csrf_token", "username", "password", "next", "kept_form"})


@dataclass(frozen=True)
class KeptField:
    """A field of a kept form, named as the form posts it.

    A field without a label travels hidden. A field with a label is shown read-only on
    the sign-in page: as a one-line input when *rows* is 1, else as a textarea. A posted
    value that does not match *pattern* in full drops the whole kept form.
    """

    name: str
    label: str | None = None
    rows: int = 1
    pattern: re.Pattern[str] | None = None


# The hidden version a form was written on. The number fits the 32-bit integer columns
# drafts.version and template_versions.version.
VERSION_FIELD = KeptField("version", pattern=re.compile(r"[0-9]{1,9}"))


@dataclass(frozen=True)
class KeptFormKind:
    """A form whose text the sign-in page carries back when its post arrives too late.

    *path* matches the page that shows the form, and its named groups fill in *heading*,
    the title of the kept text on the sign-in page. *resume* renders that page for the new
    session with the kept values in the form. It must not save or send anything, because
    the reviewer has not seen the page since the session ended.
    """

    name: str
    path: re.Pattern[str]
    fields: tuple[KeptField, ...]
    heading: str
    resume: Callable[[Request, Context, KeptForm], Response]

    def __post_init__(self) -> None:
        clashes = sorted({field.name for field in self.fields} & SIGN_IN_FIELDS)
        if clashes:
            raise ValueError(f"kept form {self.name!r} uses names of sign-in fields: {clashes}")


@dataclass(frozen=True)
class KeptForm:
    """The values that a form of *kind* posted after the session ended, and its page.

    *path_ids* contains the named groups of ``kind.path`` in *path*, such as a draft id.
    """

    kind: KeptFormKind
    path: str
    values: Mapping[str, str]
    path_ids: Mapping[str, str]

    @property
    def heading(self) -> str:
        return self.kind.heading.format(**self.path_ids)

    @property
    def hidden_fields(self) -> list[tuple[KeptField, str]]:
        return [(field, self.values[field.name]) for field in self.kind.fields if not field.label]

    @property
    def shown_fields(self) -> list[tuple[KeptField, str]]:
        return [(field, self.values[field.name]) for field in self.kind.fields if field.label]


def keep_form(kind: KeptFormKind, path: str | None,
              values: Mapping[str, str | None]) -> KeptForm | None:
    """Return the kept form of *kind* at *path*, or None when the path or a value does not fit.

    The sign-in form posts the values back, so the same checks apply to both posts.
    """
    match = kind.path.fullmatch(path or "")
    if path is None or match is None:
        return None
    kept = {}
    for field in kind.fields:
        value = values.get(field.name)
        if value is None or (field.pattern is not None and not field.pattern.fullmatch(value)):
            return None
        kept[field.name] = value
    return KeptForm(kind=kind, path=path, values=kept, path_ids=match.groupdict())


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


def login_page(request: Request, error: str | None = None, status_code: int = 200, *,
               next_path: str | None = None, notice: str | None = None,
               kept: KeptForm | None = None, username: str = "") -> Response:
    """Render the sign-in form with the browser's login CSRF token, or a new one.

    The form posts *next_path*, the page to open after sign-in, and the values of
    *kept*, which the page also shows so the reviewer can copy them. Reusing the token
    keeps a sign-in page that is open in another tab of the browser valid.
    """
    token = request.cookies.get(login_csrf_cookie_name(), "")
    if not LOGIN_CSRF_TOKEN.fullmatch(token):
        token = secrets.token_urlsafe(32)
    response = render(request, "login.html", None, status_code, login_csrf=token, error=error,
                      next_path=next_path, notice=notice, kept=kept, username=username)
    set_cookie(response, login_csrf_cookie_name(), token, max_age=LOGIN_CSRF_MAX_AGE)
    return response


def sign_in_again(request: Request, error: NotSignedIn, kind: KeptFormKind, path: str,
                  values: Mapping[str, str], *, action: str, outcome: str,
                  return_to: str) -> Response:
    """Respond to a post of a *kind* form at *path* that arrived without a live session.

    The caller has done nothing with the post. When the post carried the CSRF token of
    the session that just ended, it came from this app's own page, so the sign-in page
    gives the reason, shows *values* and carries them back into the form. Without that proof
    the values may come from another site, so they are not shown again. The sign-in page
    then only returns to *path*, where app.js restores the copy that it keeps in the
    tab's sessionStorage. The notice reads "Your session ended before *action* reached
    the server, so *outcome*. ... Sign in again to return to *return_to*."

    *path* is logged, so the caller builds it from checked ids, never from mail content.
    """
    kept = keep_form(kind, path, values) if error.ended_session_user is not None else None
    if kept is None:
        log.info("%s post to %s arrived without a live session; text not shown again",
                 kind.name, path)
        return redirect(login_url(path, session_ended=error.session_ended))
    log.info("%s post to %s arrived after the session ended; text returned for sign-in",
             kind.name, path)
    settings = get_web_settings()
    idle = count_of(settings.session_idle_minutes, "minute")
    lifetime = count_of(settings.session_max_hours, "hour")
    notice = (f"Your session ended before {action} reached the server, so {outcome}. "
              f"A session ends after {idle} without activity and {lifetime} after sign-in. "
              f"Sign in again to return to {return_to}.")
    return login_page(request, status_code=401, next_path=path, notice=notice, kept=kept,
                      username=error.ended_session_user or "")


def count_of(number: int, unit: str) -> str:
    """Return *number* with *unit*, plural unless the number is 1: "1 minute", "30 minutes"."""
    return f"{number} {unit}" if number == 1 else f"{number} {unit}s"


def resume_in_new_session(request: Request, kind: KeptFormKind, path: str,
                          values: Mapping[str, str]) -> Response:
    """Respond to a post of a *kind* form at *path* whose CSRF token is not the live session's.

    The caller has done nothing with the post. A page left open keeps the token of the
    session it was opened in, so after a sign-in in another tab its post fails the check.
    When the browser marks the post as sent from this site, it came from this app's own
    page: the response is that page for the live session, with *values* in the form and
    nothing saved or sent. Otherwise, or when a value does not fit the form, it raises
    CsrfFailure again, and the response is 403 as for any failed check.
    """
    kept = keep_form(kind, path, values) if posted_from_this_site(request) else None
    if kept is None:
        raise CsrfFailure()
    with signed_in(request) as context:
        log.info("%s post to %s carried the token of an ended session; form shown again "
                 "for user_id=%d", kind.name, path, context.user.id)
        return kind.resume(request, context, kept)
