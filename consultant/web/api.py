"""The JSON API: the same services as the pages, described at /api/openapi.json.

Clients sign in with POST /api/v1/session, which sets the session cookie and returns
the CSRF token. Every POST after that must send the token in the ``X-CSRF-Token``
header. Searches are POST requests, because search text may name a patient and must
stay out of URLs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import object_session

from consultant.review import held, queries, services, workflow
from consultant.review.errors import AnswerMissing, Superseded
from consultant.storage import session_scope
from consultant.storage.models import Draft, InboundMessage
from consultant.users.services import InvalidCredentials, authenticate
from consultant.users.sessions import start_session
from consultant.web import tools
from consultant.web.config import get_web_settings
from consultant.web.routes_review import PageNumber, parse_states
from consultant.web.security import client_address, session_cookie_name, set_cookie, signed_in

router = APIRouter(prefix="/api/v1", tags=["reviewer"])


class Credentials(BaseModel):
    username: str
    password: str


class SessionInfo(BaseModel):
    username: str
    role: str
    csrf_token: str


class QueueRowOut(BaseModel):
    draft_id: int
    case_id: int
    case_token: str
    state: str
    received_at: datetime
    age_seconds: int
    organisation: str
    subject: str
    code_count: int
    assignee: str | None
    version: int
    superseded_by: list[int] = []


class QueuePageOut(BaseModel):
    rows: list[QueueRowOut]
    total: int
    page: int
    pages: int


class DraftOut(BaseModel):
    id: int
    case_id: int
    state: str
    version: int
    approved_version: int | None
    assignee: str | None
    reviewer: str | None
    to_address: str
    subject: str
    body_text: str
    codes: list[dict[str, Any]]
    reject_reason: str | None
    failure_reason: str | None
    sent_at: datetime | None
    superseded_by: list[int] = Field(
        description="Ids of drafts that answer newer questions of the same case; approving "
                    "this draft then needs even_if_superseded.")


class SearchIn(BaseModel):
    text: str = Field(max_length=200)
    states: list[str] = []
    page: int = Field(1, ge=1, le=queries.MAX_PAGE)


class AssignIn(BaseModel):
    assignee: str


class EditIn(BaseModel):
    body_text: str
    expected_version: int


class ApproveIn(BaseModel):
    body_text: str | None = None
    expected_version: int
    even_if_superseded: bool = Field(
        False, description="Confirm the approval of a draft that newer drafts of its case "
                           "supersede (superseded_by is not empty).")


class RejectIn(BaseModel):
    reason: str
    expected_version: int | None = None


class AuditOut(BaseModel):
    at: datetime
    actor: str
    action: str
    draft_id: int | None
    note: str | None


class HeldOut(BaseModel):
    id: int
    state: str
    received_at: datetime
    size: int
    error: str | None
    # Why intake ignored or held it: "auto-reply", "40123456 bytes, over ...".
    reasons: list[str]
    # The draft made once a retry or release went through.
    draft_id: int | None


def _held_out(message: InboundMessage) -> HeldOut:
    return HeldOut(id=message.id, state=message.state.value, received_at=message.received_at,
                   size=message.size, error=message.error,
                   reasons=list(message.classification_reasons or []),
                   draft_id=message.draft.id if message.draft is not None else None)


class LookupIn(BaseModel):
    text: str = Field(max_length=tools.MAX_LOOKUP_LENGTH)


class AskIn(BaseModel):
    subject: str = Field("", max_length=tools.MAX_SUBJECT_LENGTH)
    question: str = Field(max_length=tools.MAX_QUESTION_LENGTH)


class AskOut(BaseModel):
    subject: str
    body_text: str
    codes: list[dict[str, Any]]


def _draft_out(draft: Draft) -> DraftOut:
    db = object_session(draft)
    assert db is not None, "the draft must belong to the request's session"
    return DraftOut(
        id=draft.id, case_id=draft.case_id, state=draft.state.value, version=draft.version,
        approved_version=draft.approved_version, assignee=draft.assignee,
        reviewer=draft.reviewer, to_address=draft.to_address, subject=draft.subject,
        body_text=draft.body_text, codes=draft.codes or [], reject_reason=draft.reject_reason,
        failure_reason=draft.failure_reason, sent_at=draft.sent_at,
        superseded_by=[other.id for other in services.superseding_drafts(db, draft)],
    )


def _page_out(page: queries.QueuePage) -> QueuePageOut:
    rows = [QueueRowOut(**{**row.__dict__, "state": row.state.value}) for row in page.rows]
    return QueuePageOut(rows=rows, total=page.total, page=page.page, pages=page.pages)


@router.post("/session", response_model=SessionInfo)
def sign_in(request: Request, response: Response, credentials: Credentials) -> SessionInfo:
    """Sign in; the session cookie is set on the response."""
    with session_scope() as db:
        try:
            user = authenticate(db, credentials.username, credentials.password,
                                client_address(request))
        except InvalidCredentials as error:
            # Leave the block normally, so the failure it recorded is committed and
            # counts toward the limit; raising inside would roll it back.
            failure: InvalidCredentials | None = error
        else:
            failure = None
            token, row = start_session(db, user, get_web_settings().max_lifetime)
            info = SessionInfo(username=user.username, role=user.role.value,
                               csrf_token=row.csrf_token)
    if failure is not None:
        raise failure
    set_cookie(response, session_cookie_name(), token)
    return info


@router.post("/session/keepalive", status_code=204)
def keep_alive(request: Request) -> Response:
    """Count the request as activity, so the idle limit starts again; nothing else changes.

    The draft page calls this while the reviewer types. It returns 401 once the session
    has ended.
    """
    with signed_in(request, check_csrf=True):
        pass
    return Response(status_code=204)


@router.get("/drafts", response_model=QueuePageOut)
# The list default is safe: pydantic copies it per request and the code never mutates it.
def list_drafts(request: Request, state: Annotated[list[str], Query()] = [],  # noqa: B006
                assignee: str = "", mailbox: int | None = None,
                page: PageNumber = 1,
                per_page: Annotated[int, Query(ge=1, le=queries.MAX_PER_PAGE)] = 25,
                ) -> QueuePageOut:
    """List the queue, oldest question first.

    ``assignee`` is a username, or ``unclaimed`` or ``-`` for drafts nobody has claimed.
    """
    with signed_in(request) as context:
        query_filter = queries.QueueFilter(parse_states(state), assignee or None, mailbox,
                                           None, page, per_page)
        return _page_out(queries.queue_page(context.db, query_filter))


@router.post("/drafts/search", response_model=QueuePageOut)
def search_drafts(request: Request, search: SearchIn) -> QueuePageOut:
    with signed_in(request, check_csrf=True) as context:
        query_filter = queries.QueueFilter(parse_states(search.states), search=search.text,
                                           page=search.page)
        return _page_out(queries.queue_page(context.db, query_filter))


@router.get("/drafts/{draft_id}", response_model=DraftOut)
def get_draft(request: Request, draft_id: int) -> DraftOut:
    with signed_in(request) as context:
        return _draft_out(services.get_draft(context.db, draft_id))


@router.post("/drafts/{draft_id}/claim", response_model=DraftOut)
def claim(request: Request, draft_id: int) -> DraftOut:
    with signed_in(request, check_csrf=True) as context:
        return _draft_out(workflow.claim(context.db, draft_id, context.user))


@router.post("/drafts/{draft_id}/release", response_model=DraftOut)
def release(request: Request, draft_id: int) -> DraftOut:
    with signed_in(request, check_csrf=True) as context:
        return _draft_out(workflow.release(context.db, draft_id, context.user))


@router.post("/drafts/{draft_id}/assign", response_model=DraftOut)
def assign(request: Request, draft_id: int, body: AssignIn) -> DraftOut:
    with signed_in(request, check_csrf=True) as context:
        return _draft_out(workflow.assign(context.db, draft_id, context.user, body.assignee))


@router.post("/drafts/{draft_id}/save", response_model=DraftOut)
def save(request: Request, draft_id: int, body: EditIn) -> DraftOut:
    """Store an edited body as a new version; 409 if the draft moved past expected_version."""
    with signed_in(request, check_csrf=True) as context:
        return _draft_out(workflow.save(context.db, draft_id, context.user, body.body_text,
                                        body.expected_version))


@router.post("/drafts/{draft_id}/approve", response_model=DraftOut)
def approve(request: Request, draft_id: int, body: ApproveIn) -> DraftOut:
    """Approve expected_version (with an edit if given); a worker sends it after the commit.

    A draft with a non-empty superseded_by is approved only with even_if_superseded, and
    otherwise the response is 409. Text that still contains the answer placeholder is
    rejected with 400.
    """
    try:
        with signed_in(request, check_csrf=True) as context:
            draft = workflow.approve(context.db, draft_id, context.user, body.body_text,
                                     body.expected_version,
                                     even_if_superseded=body.even_if_superseded)
            return _draft_out(draft)
    except Superseded as error:
        raise Superseded(f"{error}. Send even_if_superseded: true to approve it anyway",
                         error.newer_ids) from None
    except AnswerMissing as error:
        raise AnswerMissing(f"{error}. Send body_text with the answer in place of the "
                            "placeholder") from None


@router.post("/drafts/{draft_id}/reject", response_model=DraftOut)
def reject(request: Request, draft_id: int, body: RejectIn) -> DraftOut:
    with signed_in(request, check_csrf=True) as context:
        return _draft_out(workflow.reject(context.db, draft_id, context.user, body.reason,
                                          body.expected_version))


@router.get("/cases/{case_id}/audit", response_model=list[AuditOut])
def audit(request: Request, case_id: int) -> list[AuditOut]:
    """Return the audit trail of the case, oldest first; 404 when the case does not exist."""
    with signed_in(request) as context:
        services.get_case(context.db, case_id)
        return [AuditOut(**entry.__dict__) for entry in queries.audit_trail(context.db, case_id)]


@router.get("/held", response_model=list[HeldOut])
def held_messages(request: Request) -> list[HeldOut]:
    with signed_in(request) as context:
        return [_held_out(message) for message in held.held_messages(context.db)]


@router.get("/held/{message_id}", response_model=HeldOut)
def held_message(request: Request, message_id: int) -> HeldOut:
    """Return one message by id: after a retry, ``received`` until a worker has run it."""
    with signed_in(request) as context:
        return _held_out(held.get_message(context.db, message_id))


@router.post("/held/{message_id}/retry", response_model=HeldOut)
def retry(request: Request, message_id: int) -> HeldOut:
    with signed_in(request, check_csrf=True) as context:
        return _held_out(held.retry_message(context.db, message_id, context.user))


@router.post("/codes/lookup")
def lookup(request: Request, body: LookupIn) -> list[dict[str, Any]]:
    with signed_in(request, check_csrf=True) as context:
        return tools.lookup(context.db, body.text)


@router.post("/ask", response_model=AskOut)
def ask(request: Request, body: AskIn) -> AskOut:
    """Draft the reply the email path would write for the question, storing and sending nothing."""
    with signed_in(request, check_csrf=True) as context:
        reply = tools.ask(context.db, body.subject, body.question)
        return AskOut(subject=reply.subject, body_text=reply.body_text, codes=reply.codes)
