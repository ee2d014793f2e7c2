"""The queue, the draft page and the reviewer actions behind its forms."""

from __future__ import annotations

import logging
import re
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from consultant.errors import ConsultantError, InvalidTransition, NotFound
from consultant.parsing.attachments import message_attachment, message_attachments
from consultant.review import queries, services, workflow
from consultant.review.errors import AnswerMissing, ClaimedByOther, StaleVersion, Superseded
from consultant.storage.models import DraftState, User
from consultant.web.config import get_web_settings
from consultant.web.downloads import attachment_response
from consultant.web.mailview import message_view
from consultant.web.rendering import redirect, render
from consultant.web.security import Context, CsrfFailure, NotSignedIn, signed_in
from consultant.web.signin import (
    VERSION_FIELD,
    KeptField,
    KeptForm,
    KeptFormKind,
    resume_in_new_session,
    sign_in_again,
)

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

MAX_SEARCH_LENGTH = 200

# The queue's page number parameter, shared by the queue page and the JSON API. A number
# out of range is rejected with 422, as a page that is not a number is.
PageNumber = Annotated[int, Query(ge=1, le=queries.MAX_PAGE)]


def parse_states(values: list[str]) -> list[DraftState]:
    """Return the draft states named in *values*; pending review when none is given."""
    try:
        return [DraftState(value) for value in values if value] or [DraftState.PENDING_REVIEW]
    except ValueError:
        invalid = ", ".join(repr(value) for value in values
                            if value and value not in {state.value for state in DraftState})
        raise ConsultantError(f"invalid state {invalid}; use one of "
                              + ", ".join(state.value for state in DraftState)) from None


def _mailbox_filter(value: str) -> int | None:
    """Return the mailbox id that the queue's filter form sent, or None for all mailboxes.

    The form sends an empty value for "all". A value that is not a decimal number, or
    has more digits than int() converts (4300 by default), also selects all mailboxes.
    """
    # isdigit() would also accept "²", which int() rejects.
    if not value.isdecimal():
        return None
    try:
        return int(value)
    except ValueError:
        return None


@router.get("/", response_class=HTMLResponse)
def home() -> Response:
    return redirect("/queue")


@router.get("/queue", response_class=HTMLResponse)
# The list default is safe: pydantic copies it per request and the code never mutates it.
def queue(request: Request, state: Annotated[list[str], Query()] = [],  # noqa: B006
          assignee: str = "", mailbox: str = "",
          page: PageNumber = 1) -> Response:
    mailbox_id = _mailbox_filter(mailbox)
    with signed_in(request) as context:
        query_filter = queries.QueueFilter(
            states=parse_states(state), assignee=assignee or None, mailbox_id=mailbox_id,
            search=context.web_session.search, page=page,
            per_page=get_web_settings().per_page)
        result = queries.queue_page(context.db, query_filter)
        users = context.db.scalars(select(User.username).order_by(User.username)).all()
        settings = get_web_settings()
        return render(request, "queue.html", context, page=result, filter=query_filter,
                      due_seconds=settings.due_after_hours * 3600,
                      overdue_seconds=settings.overdue_after_hours * 3600,
                      states=list(DraftState), users=users,
                      mailboxes=queries.mailboxes(context.db), unassigned=queries.UNASSIGNED)


@router.post("/queue/search")
def search(request: Request, q: str = Form(""), csrf_token: str = Form("")) -> Response:
    """Search the queue for *q*, or clear the search when it is blank.

    The search text may name a patient, so it is kept in the session, not in the URL. A
    request whose session has ended leads to the sign-in page, which then opens the
    queue with the same search.
    """
    try:
        with signed_in(request, csrf_token, check_csrf=True) as context:
            context.web_session.search = q.strip()[:MAX_SEARCH_LENGTH] or None
    except NotSignedIn as error:
        return sign_in_again(request, error, SEARCH_FORM, "/queue", {"q": q},
                             action="your search", outcome="the queue was not searched",
                             return_to="the queue with the same search")
    except CsrfFailure:
        return resume_in_new_session(request, SEARCH_FORM, "/queue", {"q": q})
    return redirect("/queue")


def resume_search(request: Request, context: Context, kept: KeptForm) -> Response:
    """Search the queue after a sign-in: the search only filters the new session's queue."""
    context.web_session.search = kept.values["q"].strip()[:MAX_SEARCH_LENGTH] or None
    log.info("queue search restored after sign-in, user_id=%d", context.user.id)
    return redirect("/queue")


SEARCH_FORM = KeptFormKind(
    name="queue-search", path=re.compile("/queue"),
    fields=(KeptField("q", "Search", pattern=re.compile(rf"[^\r\n]{{0,{MAX_SEARCH_LENGTH}}}")),),
    heading="Your queue search, not run yet", resume=resume_search)


SEND_ANYWAY_LABEL = "Send this older answer anyway"


def _draft_page(request: Request, context: Context, draft_id: int, status_code: int = 200,
                **extra: object) -> Response:
    """Render the draft page; *extra* may set ``body``, unsaved text to put in the editor,
    ``edit_error``, why the editor's last Save or Approve failed, ``edit_notice``, and
    ``reason``, ``reject_notice`` and ``reject_error`` for the Reject form."""
    draft = services.get_draft(context.db, draft_id)
    others = [message for message in queries.case_messages(context.db, draft.case)
              if message.id != draft.inbound_message_id]
    users = context.db.scalars(
        select(User.username).where(User.disabled.is_(False)).order_by(User.username)).all()
    values = {
        "draft": draft, "view": message_view(draft.inbound_message.raw),
        "attachments": message_attachments(draft.inbound_message.raw),
        "earlier": [(message, message_view(message.raw)) for message in others],
        "users": users, "placeholder": services.PLACEHOLDER,
        "organisation": queries.sender_organisation(draft.inbound_message.sender),
        "newer": services.superseding_drafts(context.db, draft),
        "send_anyway_label": SEND_ANYWAY_LABEL, "body": None, "edit_error": None,
        "edit_notice": None, "reason": "", "reject_notice": None, "reject_error": None,
        "keepalive_seconds": get_web_settings().keepalive_seconds,
    }
    values.update(extra)
    return render(request, "draft.html", context, status_code, **values)


@router.get("/drafts/{draft_id}", response_class=HTMLResponse)
def show_draft(request: Request, draft_id: int) -> Response:
    with signed_in(request) as context:
        return _draft_page(request, context, draft_id)


@router.get("/drafts/{draft_id}/attachments/{number}")
def download_attachment(request: Request, draft_id: int, number: int) -> Response:
    """Send attachment *number* of the draft's question as a download, read from the raw mail."""
    with signed_in(request) as context:
        message = services.get_draft(context.db, draft_id).inbound_message
        attachment = message_attachment(message.raw, number)
        # The file name may name a patient, so only ids and the size are logged.
        log.info("attachment %d of message_row=%d downloaded by user=%d (draft=%d, size=%d)",
                 number, message.id, context.user.id, draft_id, attachment.size)
    return attachment_response(attachment)


@router.post("/drafts/{draft_id}/claim")
def claim(request: Request, draft_id: int, csrf_token: str = Form("")) -> Response:
    with signed_in(request, csrf_token, check_csrf=True) as context:
        workflow.claim(context.db, draft_id, context.user)
    return redirect(f"/drafts/{draft_id}")


@router.post("/drafts/{draft_id}/release")
def release(request: Request, draft_id: int, csrf_token: str = Form("")) -> Response:
    with signed_in(request, csrf_token, check_csrf=True) as context:
        workflow.release(context.db, draft_id, context.user)
    return redirect(f"/drafts/{draft_id}")


@router.post("/drafts/{draft_id}/assign")
def assign(request: Request, draft_id: int, assignee: str = Form(""),
           csrf_token: str = Form("")) -> Response:
    with signed_in(request, csrf_token, check_csrf=True) as context:
        workflow.assign(context.db, draft_id, context.user, assignee)
    return redirect(f"/drafts/{draft_id}")


# The edit form's actions, as the log names them.
EDIT_ACTIONS = {"save": "save", "approve": "approval"}

ANSWER_MISSING_MESSAGE = (
    f"Not approved, and nothing was saved. The reply still contains \"{services.PLACEHOLDER}\". "
    "Replace it with your answer, then choose Approve and send again."
)


def _show_rejected_edit(request: Request, draft_id: int, action: str, status_code: int,
                        body: str, message: str, reason: str) -> Response:
    """Render the draft page again with the reviewer's unsaved *body* and *message*.

    *reason* is logged, so it names ids and never mail content.
    """
    with signed_in(request) as context:
        log.info("%s of draft=%d rejected: %s, user_id=%d", EDIT_ACTIONS[action], draft_id,
                 reason, context.user.id)
        return _draft_page(request, context, draft_id, status_code, body=body,
                           edit_error=message)


@router.post("/drafts/{draft_id}/edit")
def edit(request: Request, draft_id: int, body: str = Form(""), version: int = Form(...),
         action: str = Form("save"), even_if_superseded: str = Form(""),
         csrf_token: str = Form("")) -> Response:
    """Save the edited body as a new version, or approve it ("Approve and send").

    When either fails, nothing is saved and the reviewer's text comes back. A draft that
    changed or left review since the page was shown gets the "draft changed" page with
    the text to copy. Otherwise the draft page comes back with the text in the editor
    and the reason: the answer placeholder is still there, another reviewer has claimed
    the draft, or the draft is superseded and the "send anyway" box was not ticked. A
    request whose session has ended saves nothing and leads to the sign-in page, which
    returns to the draft with the text (see ``signin.sign_in_again``).
    """
    if action not in EDIT_ACTIONS:
        raise ConsultantError(f"invalid action {action!r}; use save or approve")
    try:
        with signed_in(request, csrf_token, check_csrf=True) as context:
            if action == "approve":
                workflow.approve(context.db, draft_id, context.user, body, version,
                                 even_if_superseded=bool(even_if_superseded))
            else:
                workflow.save(context.db, draft_id, context.user, body, version)
    except (StaleVersion, InvalidTransition) as error:
        log.info("%s of draft=%d rejected: %s", EDIT_ACTIONS[action], draft_id,
                 type(error).__name__)
        return render(request, "stale.html", None, 409, message=str(error),
                      draft_id=draft_id, body=body)
    except Superseded as error:
        message = (f"Not approved: {error}. Nothing was saved. Read the newer question, "
                   f"then tick \"{SEND_ANYWAY_LABEL}\" to approve this draft.")
        return _show_rejected_edit(request, draft_id, action, 409, body, message,
                                   f"superseded by drafts {error.newer_ids} and not confirmed")
    except AnswerMissing:
        return _show_rejected_edit(request, draft_id, action, 400, body,
                                   ANSWER_MISSING_MESSAGE, "answer placeholder left in")
    except ClaimedByOther as error:
        verb = "approved" if action == "approve" else "saved"
        message = (f"Not {verb}: {error}. Your text is still in the editor. Copy it, or keep "
                   "this page open until the draft is released to you.")
        return _show_rejected_edit(request, draft_id, action, 409, body, message,
                                   "claimed by another reviewer")
    except NotSignedIn as error:
        verb = "approval" if action == "approve" else "save"
        return sign_in_again(request, error, EDIT_FORM, f"/drafts/{draft_id}",
                             {"version": str(version), "body": body},
                             action=f"this {verb}", outcome="nothing was saved or sent",
                             return_to=f"draft {draft_id} with your text in the editor")
    except CsrfFailure:
        return resume_in_new_session(request, EDIT_FORM, f"/drafts/{draft_id}",
                                     {"version": str(version), "body": body})
    return redirect(f"/drafts/{draft_id}")


RESUMED_EDIT_NOTICE = ("You are signed in again. Your text from before the session ended is "
                       "in the editor and is not saved yet. Choose Save or Approve and send.")


def _resume_problem(context: Context, draft_id: int, version: int) -> str | None:
    """Return why text written on *version* can no longer go into the draft's editor, or None."""
    try:
        draft = services.get_draft(context.db, draft_id)
    except NotFound:
        return f"draft {draft_id} no longer exists"
    if draft.state not in workflow.WORKABLE_STATES:
        return f"draft {draft.id} is {draft.state.value} and can no longer be changed"
    if draft.version != version:
        return (f"draft {draft.id} is now at version {draft.version}, not version "
                f"{version} that your text was written on")
    return None


def resume_edit(request: Request, context: Context, kept: KeptForm) -> Response:
    """Render the draft page after a sign-in, with the text that the ended session did not save.

    Nothing is saved here: the reviewer saves or approves from the page. A draft that
    changed or left review meanwhile gets the "draft changed" page with the text instead.
    """
    draft_id = int(kept.path_ids["draft_id"])
    body = kept.values["body"]
    problem = _resume_problem(context, draft_id, int(kept.values["version"]))
    if problem is not None:
        log.info("unsaved edit of draft=%d not restored after sign-in: draft changed, user_id=%d",
                 draft_id, context.user.id)
        return render(request, "stale.html", context, 409, message=problem,
                      draft_id=draft_id, body=body)
    log.info("unsaved edit of draft=%d restored after sign-in, user_id=%d", draft_id,
             context.user.id)
    return _draft_page(request, context, draft_id, body=body, edit_notice=RESUMED_EDIT_NOTICE)


# The number fits the 32-bit integer column drafts.id.
DRAFT_PATH = re.compile(r"/drafts/(?P<draft_id>[1-9][0-9]{0,8})")

EDIT_FORM = KeptFormKind(
    name="draft-edit", path=DRAFT_PATH,
    fields=(VERSION_FIELD, KeptField("body", "Reply text", rows=16)),
    heading="Your text for draft {draft_id}, not saved", resume=resume_edit)


RESUMED_REJECT_NOTICE = ("You are signed in again. Your reason from before the session ended "
                         "is in the Reject form, and the draft is not rejected yet. Choose "
                         "Reject to reject it.")


def _reason_not_restored(request: Request, context: Context, draft_id: int, reason: str,
                         problem: str) -> Response:
    log.info("rejection reason for draft=%d not restored after sign-in: draft left review, "
             "user_id=%d", draft_id, context.user.id)
    return render(request, "stale.html", context, 409, message=problem, draft_id=draft_id,
                  body=reason)


def resume_reject(request: Request, context: Context, kept: KeptForm) -> Response:
    """Render the draft page after a sign-in, with the rejection reason in the Reject form.

    Nothing is rejected here. A reason does not overwrite the reply, so a draft that got
    a new version meanwhile still gets it, with a notice to read that version first. A
    draft that left review gets the "draft changed" page with the reason instead.
    """
    draft_id = int(kept.path_ids["draft_id"])
    reason = kept.values["reason"]
    try:
        draft = services.get_draft(context.db, draft_id)
    except NotFound:
        return _reason_not_restored(request, context, draft_id, reason,
                                    f"draft {draft_id} no longer exists")
    if draft.state is not DraftState.PENDING_REVIEW:
        return _reason_not_restored(
            request, context, draft_id, reason,
            f"draft {draft_id} is {draft.state.value} and can no longer be rejected")

    notice = RESUMED_REJECT_NOTICE
    written_on = int(kept.values["version"])
    if draft.version != written_on:
        notice += (f" The reply is now at version {draft.version}, not version {written_on} "
                   "that you read. Read it before you reject the draft.")
    log.info("rejection reason for draft=%d restored after sign-in, user_id=%d", draft_id,
             context.user.id)
    return _draft_page(request, context, draft_id, reason=reason, reject_notice=notice)


REJECT_FORM = KeptFormKind(
    name="draft-reject", path=DRAFT_PATH,
    fields=(VERSION_FIELD, KeptField("reason", "Reason for rejecting", rows=3)),
    heading="Your reason for rejecting draft {draft_id}, which is not rejected",
    resume=resume_reject)


def _show_failed_reject(request: Request, draft_id: int, status_code: int, reason: str,
                        message: str, cause: str) -> Response:
    """Render the draft page again with *reason* in the Reject form and *message* above it.

    *cause* is logged, so it names ids and never mail content.
    """
    with signed_in(request) as context:
        log.info("rejection of draft=%d failed: %s, user_id=%d", draft_id, cause,
                 context.user.id)
        return _draft_page(request, context, draft_id, status_code, reason=reason,
                           reject_error=message)


@router.post("/drafts/{draft_id}/reject")
def reject(request: Request, draft_id: int, reason: str = Form(""), version: int = Form(...),
           csrf_token: str = Form("")) -> Response:
    """Reject the draft with a reason.

    When the rejection fails, nothing changes and the reason comes back. An empty reason,
    a reply with a newer version than the one the reviewer read, or a draft claimed by
    another reviewer gets the draft page with the reason in the Reject form and what to
    do. A draft that left review gets the "draft changed" page with the reason to copy. A
    request whose session has ended rejects nothing and leads to the sign-in page, which
    returns to the draft with the reason in the Reject form.
    """
    try:
        with signed_in(request, csrf_token, check_csrf=True) as context:
            if not reason.strip():
                log.info("rejection of draft=%d failed: no reason, user_id=%d", draft_id,
                         context.user.id)
                return _draft_page(request, context, draft_id, 400, reason=reason,
                                   reject_error="Not rejected: write the reason for rejecting.")
            workflow.reject(context.db, draft_id, context.user, reason, version)
    except StaleVersion:
        return _show_failed_reject(
            request, draft_id, 409, reason,
            f"Not rejected: the reply changed since version {version} that you read. Read "
            "the version shown here, then choose Reject again.", "stale version")
    except ClaimedByOther as error:
        return _show_failed_reject(
            request, draft_id, 409, reason,
            f"Not rejected: {error}. Your reason is still in the form. Copy it, or keep this "
            "page open until the draft is released to you.", "claimed by another reviewer")
    except InvalidTransition as error:
        log.info("rejection of draft=%d failed: %s", draft_id, type(error).__name__)
        return render(request, "stale.html", None, 409, message=str(error),
                      draft_id=draft_id, body=reason)
    except NotSignedIn as error:
        return sign_in_again(request, error, REJECT_FORM, f"/drafts/{draft_id}",
                             {"version": str(version), "reason": reason},
                             action="this rejection", outcome=f"draft {draft_id} was not rejected",
                             return_to=f"draft {draft_id} with your reason in the Reject form")
    except CsrfFailure:
        return resume_in_new_session(request, REJECT_FORM, f"/drafts/{draft_id}",
                                     {"version": str(version), "reason": reason})
    return redirect(f"/drafts/{draft_id}")


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def show_case(request: Request, case_id: int) -> Response:
    """Show the case's messages with their drafts, and the audit trail of every action."""
    with signed_in(request) as context:
        case = services.get_case(context.db, case_id)
        return render(request, "case.html", context, case=case,
                      messages=queries.case_messages(context.db, case),
                      trail=queries.audit_trail(context.db, case_id))
