"""Sign-in and sign-out pages.

The sign-in form has no session yet, so its CSRF token is a random value kept in a
short-lived cookie and repeated in the form (the double-submit pattern).
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from consultant.storage import session_scope
from consultant.users.services import InvalidCredentials, TooManyAttempts, authenticate
from consultant.users.sessions import end_session, start_session
from consultant.web.config import get_web_settings
from consultant.web.rendering import redirect
from consultant.web.routes_admin import TEMPLATE_FORM
from consultant.web.routes_review import EDIT_FORM, REJECT_FORM, SEARCH_FORM
from consultant.web.routes_tools import ASK_FORM, LOOKUP_FORM
from consultant.web.security import (
    Context,
    client_address,
    delete_cookie,
    login_csrf_cookie_name,
    posted_from_this_site,
    session_cookie_name,
    set_cookie,
    signed_in,
    tokens_match,
)
from consultant.web.signin import (
    LOGIN_CSRF_MAX_AGE,
    SESSION_ENDED_NOTICE,
    KeptForm,
    KeptFormKind,
    keep_form,
    login_page,
    safe_next_path,
)

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

# The forms whose values the sign-in form can carry, by the name it posts in kept_form.
KEPT_FORM_KINDS: dict[str, KeptFormKind] = {
    kind.name: kind
    for kind in (EDIT_FORM, REJECT_FORM, ASK_FORM, TEMPLATE_FORM, LOOKUP_FORM, SEARCH_FORM)
}


@router.get("/login", response_class=HTMLResponse)
def show_login(request: Request, next_path: str = Query("", alias="next"),
               ended: str = "") -> Response:
    notice = SESSION_ENDED_NOTICE if ended else None
    return login_page(request, next_path=safe_next_path(next_path), notice=notice)


async def _posted_fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {name: value for name, value in form.items() if isinstance(value, str)}


# Every text field of the posted form, where the sign-in form carries a kept form's values.
PostedFields = Annotated[dict[str, str], Depends(_posted_fields)]


@router.post("/login")
def sign_in(request: Request, posted: PostedFields, username: str = Form(""),
            password: str = Form(""), csrf_token: str = Form(""),
            next_path: str = Form("", alias="next"), kept_form: str = Form("")) -> Response:
    """Sign in, then open the ``next`` page, or /queue when it is missing or not local.

    When the post carries a kept form (``kept_form`` names its kind and ``next`` its
    page), the response is that page with the kept values in the form instead. Nothing
    is saved or sent until the reviewer submits the form there. A post that fails the
    CSRF check, most often from a sign-in page left open too long, gets the sign-in form
    again with a message (see ``_expired_sign_in_form``).
    """
    return_path = safe_next_path(next_path)
    kind = KEPT_FORM_KINDS.get(kept_form)
    kept = keep_form(kind, return_path, posted) if kind is not None else None
    if not tokens_match(csrf_token, request.cookies.get(login_csrf_cookie_name())):
        return _expired_sign_in_form(request, username, return_path, kept)
    settings = get_web_settings()
    with session_scope() as db:
        try:
            user = authenticate(db, username, password, client_address(request))
        except TooManyAttempts as error:
            failure: tuple[str, int] | None = (str(error), 429)
        except InvalidCredentials as error:
            failure = (str(error), 401)
        else:
            failure = None
            token, web_session = start_session(db, user, settings.max_lifetime)
            if kept is None:
                response = redirect(return_path or "/queue")
            else:
                context = Context(db=db, user=user, web_session=web_session)
                response = kept.kind.resume(request, context, kept)
    if failure is not None:
        return login_page(request, failure[0], failure[1], next_path=return_path,
                          kept=kept, username=username)
    set_cookie(response, session_cookie_name(), token)
    delete_cookie(response, login_csrf_cookie_name())
    return response


SIGN_IN_FORM_EXPIRED = (
    "This sign-in form had expired, so you were not signed in. A sign-in form expires "
    f"{LOGIN_CSRF_MAX_AGE // 60} minutes after a sign-in page was last opened in this browser, "
    "and when you sign in from another tab. Enter your password again.")
KEPT_TEXT_NOT_SHOWN = ("The text that the form carried is not shown again, because the browser "
                       "did not confirm that the form came from this site.")


def _expired_sign_in_form(request: Request, username: str, return_path: str | None,
                          kept: KeptForm | None) -> Response:
    """Render the sign-in form again after its CSRF check failed; no session is started.

    The kept form comes back only when the browser marked the post as sent from this
    site, because a post from another site must not put its text into a form here.
    """
    message = SIGN_IN_FORM_EXPIRED
    if kept is not None and not posted_from_this_site(request):
        log.warning("sign-in form failed its CSRF check; form shown again without the "
                    "text of kept form %s, which came from an unconfirmed site", kept.kind.name)
        message += " " + KEPT_TEXT_NOT_SHOWN
        kept = None
    else:
        log.warning("sign-in form failed its CSRF check; form shown again")
    return login_page(request, message, 403, next_path=return_path, kept=kept,
                      username=username)


@router.post("/logout")
def sign_out(request: Request, csrf_token: str = Form("")) -> Response:
    with signed_in(request, csrf_token, check_csrf=True) as context:
        end_session(context.db, request.cookies.get(session_cookie_name()))
        log.info("signed out user_id=%d", context.user.id)
    response = redirect("/login")
    delete_cookie(response, session_cookie_name())
    return response
