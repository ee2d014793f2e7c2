"""Pages for everyone signed in: code lookup, Ask and held mail; and for admins: users."""

from __future__ import annotations

import logging
import re

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from consultant.drafting.services import Reply
from consultant.drafting.text import reviewer_notes_by_code
from consultant.errors import ConsultantError, EmptyQuestion, TextTooLong
from consultant.review import held
from consultant.storage.models import Role
from consultant.users import services as users
from consultant.web import tools
from consultant.web.config import get_web_settings
from consultant.web.rendering import redirect, render
from consultant.web.security import Context, CsrfFailure, NotSignedIn, signed_in
from consultant.web.signin import (
    KeptField,
    KeptForm,
    KeptFormKind,
    resume_in_new_session,
    sign_in_again,
)

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)


@router.post("/codes", response_class=HTMLResponse)
def lookup_codes(request: Request, q: str = Form(""), csrf_token: str = Form("")) -> Response:
    """Look up the codes typed in the lookup box.

    A POST, because people type more than a code into search boxes and URLs get logged.
    A request whose session has ended looks nothing up and leads to the sign-in page;
    signing in there shows the results for the same text.
    """
    try:
        with signed_in(request, csrf_token, check_csrf=True) as context:
            return _lookup_page(request, context, q)
    except NotSignedIn as error:
        return sign_in_again(request, error, LOOKUP_FORM, "/codes", {"q": q},
                             action="your lookup", outcome="nothing was looked up",
                             return_to="the lookup of the same text")
    except CsrfFailure:
        return resume_in_new_session(request, LOOKUP_FORM, "/codes", {"q": q})


def _lookup_page(request: Request, context: Context, text: str) -> Response:
    try:
        results = tools.lookup(context.db, text)
    except TextTooLong as error:
        return render(request, "codes.html", context, 422, query=text, results=[],
                      error=str(error))
    return render(request, "codes.html", context, query=text, results=results, error=None)


def resume_lookup(request: Request, context: Context, kept: KeptForm) -> Response:
    """Render the lookup after a sign-in; looking codes up changes nothing."""
    log.info("code lookup restored after sign-in, user_id=%d", context.user.id)
    return _lookup_page(request, context, kept.values["q"])


# The lookup box takes up to 500 characters, the maxlength of its input.
LOOKUP_FORM = KeptFormKind(
    name="lookup", path=re.compile("/codes"),
    fields=(KeptField("q", "Lookup", pattern=re.compile(r"[^\r\n]{0,500}")),),
    heading="Your code lookup, not run yet", resume=resume_lookup)


def _ask_page(request: Request, context: Context, status_code: int = 200, *,
              subject: str = "", question: str = "", reply: Reply | None = None,
              **extra: object) -> Response:
    """Render the Ask page; *extra* may set ``error``, ``notes`` and ``resumed_notice``."""
    values: dict[str, object] = {"error": None, "notes": None, "resumed_notice": None}
    values.update(extra)
    return render(request, "ask.html", context, status_code, subject=subject, question=question,
                  reply=reply, keepalive_seconds=get_web_settings().keepalive_seconds,
                  max_subject_length=tools.MAX_SUBJECT_LENGTH,
                  max_question_length=tools.MAX_QUESTION_LENGTH, **values)


@router.get("/ask", response_class=HTMLResponse)
def ask_form(request: Request) -> Response:
    with signed_in(request) as context:
        return _ask_page(request, context)


@router.post("/ask", response_class=HTMLResponse)
def ask(request: Request, subject: str = Form(""), question: str = Form(""),
        csrf_token: str = Form("")) -> Response:
    """Show the draft that the email path would write for the question.

    A request whose session has ended drafts nothing and leads to the sign-in page, which
    returns to the Ask page with the question in the form.
    """
    try:
        with signed_in(request, csrf_token, check_csrf=True) as context:
            try:
                reply = tools.ask(context.db, subject, question)
            except (EmptyQuestion, TextTooLong) as error:
                return _ask_page(request, context, 422, subject=subject, question=question,
                                 error=str(error))
            return _ask_page(request, context, subject=subject, question=question, reply=reply,
                             notes=reviewer_notes_by_code(reply.codes))
    except NotSignedIn as error:
        return sign_in_again(request, error, ASK_FORM, "/ask",
                             {"subject": subject, "question": question},
                             action="your question", outcome="no reply was drafted",
                             return_to="the Ask page with your question in the form")
    except CsrfFailure:
        return resume_in_new_session(request, ASK_FORM, "/ask",
                                     {"subject": subject, "question": question})


RESUMED_ASK_NOTICE = ("You are signed in again. Your question from before the session ended "
                      "is in the form, and no reply was drafted for it yet. Choose Draft a "
                      "reply.")


def resume_ask(request: Request, context: Context, kept: KeptForm) -> Response:
    """Render the Ask page after a sign-in, with the question the ended session did not answer."""
    log.info("question for the Ask page restored after sign-in, user_id=%d", context.user.id)
    return _ask_page(request, context, subject=kept.values["subject"],
                     question=kept.values["question"], resumed_notice=RESUMED_ASK_NOTICE)


ASK_FORM = KeptFormKind(
    name="ask", path=re.compile("/ask"),
    fields=(KeptField("subject", "Subject"), KeptField("question", "Question", rows=8)),
    heading="Your question, not answered yet", resume=resume_ask)


@router.get("/held", response_class=HTMLResponse)
def held_list(request: Request) -> Response:
    with signed_in(request) as context:
        return render(request, "held.html", context,
                      messages=held.held_messages(context.db))


# Seconds between reloads of a retried message's page while a worker has not run it yet.
OUTCOME_REFRESH_SECONDS = 3


@router.get("/held/{message_id}", response_class=HTMLResponse)
def held_outcome(request: Request, message_id: int) -> Response:
    """Show a held message, and once retried or released, whether it was drafted."""
    with signed_in(request) as context:
        message = held.get_message(context.db, message_id)
        text, cut = held.message_text(message)
        return render(request, "held_message.html", context, message=message, text=text,
                      cut=cut, retry=held.last_retry(context.db, message_id),
                      refresh_seconds=OUTCOME_REFRESH_SECONDS)


@router.post("/held/{message_id}/retry")
def retry(request: Request, message_id: int, csrf_token: str = Form("")) -> Response:
    # The worker drafts the message after this request commits, so the reviewer is sent
    # to a page that shows the outcome once there is one.
    with signed_in(request, csrf_token, check_csrf=True) as context:
        held.retry_message(context.db, message_id, context.user)
    return redirect(f"/held/{message_id}")


def _users_page(request: Request, context: Context, status_code: int = 200, *,
                add_error: str | None = None, password_error: str | None = None,
                username: str = "", role: str = Role.REVIEWER.value) -> Response:
    """Render the Users page; *username* and *role* fill the Add a user form, never a password."""
    return render(request, "users.html", context, status_code,
                  users=users.list_users(context.db), roles=list(Role), add_error=add_error,
                  password_error=password_error, new_username=username, new_role=role)


@router.get("/users", response_class=HTMLResponse)
def user_list(request: Request) -> Response:
    with signed_in(request, admin=True) as context:
        return _users_page(request, context)


@router.post("/users")
def add_user(request: Request, username: str = Form(""), password: str = Form(""),
             role: str = Form("reviewer"), csrf_token: str = Form("")) -> Response:
    """Add an account, or show the Users page again with the reason and the username kept."""
    with signed_in(request, csrf_token, check_csrf=True, admin=True) as context:
        try:
            if role not in {member.value for member in Role}:
                raise ConsultantError(f"invalid role {role!r}; use reviewer or admin")
            users.add_user(context.db, username, password, Role(role))
        except ConsultantError as error:
            log.info("user not added by user_id=%d: %s", context.user.id, type(error).__name__)
            return _users_page(request, context, 400, add_error=str(error), username=username,
                               role=role)
    return redirect("/users")


@router.post("/users/{username}/password")
def set_password(request: Request, username: str, password: str = Form(""),
                 csrf_token: str = Form("")) -> Response:
    """Set the password, or show the Users page again with the reason when it is too short."""
    with signed_in(request, csrf_token, check_csrf=True, admin=True) as context:
        try:
            users.set_password(context.db, username, password)
        except users.InvalidPassword as error:
            log.info("password not set by user_id=%d: too short", context.user.id)
            return _users_page(request, context, 400,
                               password_error=f"password of {username} not changed: {error}")
    return redirect("/users")


@router.post("/users/{username}/disabled")
def set_disabled(request: Request, username: str, disabled: bool = Form(True),
                 csrf_token: str = Form("")) -> Response:
    with signed_in(request, csrf_token, check_csrf=True, admin=True) as context:
        if disabled and username == context.user.username:
            raise ConsultantError("you cannot disable your own account; ask another admin")
        users.set_disabled(context.db, username, disabled)
    return redirect("/users")
