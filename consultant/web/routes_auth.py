"""Sign-in and sign-out pages.

The sign-in form has no session yet, so its CSRF token is a random value kept in a
short-lived cookie and repeated in the form (the double-submit pattern).
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from consultant.storage import session_scope
from consultant.users.services import InvalidCredentials, TooManyAttempts, authenticate
from consultant.users.sessions import end_session, start_session
from consultant.web.config import get_web_settings
from consultant.web.rendering import redirect
from consultant.web.routes_review import resume_edit
from consultant.web.security import (
    LOGIN_CSRF_COOKIE,
    Context,
    CsrfFailure,
    client_address,
    session_cookie_name,
    set_cookie,
    signed_in,
    tokens_match,
)
from consultant.web.signin import SESSION_ENDED_NOTICE, login_page, safe_next_path, unsaved_edit

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def show_login(request: Request, next_path: str = Query("", alias="next"),
               ended: str = "") -> Response:
    notice = SESSION_ENDED_NOTICE if ended else None
    return login_page(request, next_path=safe_next_path(next_path), notice=notice)


@router.post("/login")
def sign_in(request: Request, username: str = Form(""), password: str = Form(""),
            csrf_token: str = Form(""), next_path: str = Form("", alias="next"),
            version: int | None = Form(None), body: str | None = Form(None)) -> Response:
    """Sign in, then open the ``next`` page, or /queue when it is missing or not local.

    A form that carries the text of an edit the ended session did not save (``body`` and
    ``version``, with ``next`` naming the draft) gets the draft page with that text in the
    editor instead. Nothing is saved until the reviewer presses Save or Approve there.
    """
    if not tokens_match(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE)):
        raise CsrfFailure()
    settings = get_web_settings()
    return_path = safe_next_path(next_path)
    unsaved = unsaved_edit(return_path, version, body)
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
            if unsaved is None:
                response = redirect(return_path or "/queue")
            else:
                context = Context(db=db, user=user, web_session=web_session)
                response = resume_edit(request, context, unsaved)
    if failure is not None:
        return login_page(request, failure[0], failure[1], next_path=return_path,
                          unsaved=unsaved, username=username)
    set_cookie(response, session_cookie_name(), token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def sign_out(request: Request, csrf_token: str = Form("")) -> Response:
    with signed_in(request, csrf_token, check_csrf=True) as context:
        end_session(context.db, request.cookies.get(session_cookie_name()))
        log.info("signed out user_id=%d", context.user.id)
    response = redirect("/login")
    response.delete_cookie(session_cookie_name(), path="/",
                           secure=get_web_settings().secure_cookies, httponly=True,
                           samesite="strict")
    return response
