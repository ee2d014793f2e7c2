"""The admin JSON API: mailboxes, sender rules and reply templates, for admins only.

The same services as the admin pages. Every POST, PUT and DELETE needs the session's
CSRF token in the ``X-CSRF-Token`` header, and a reviewer gets 403.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from consultant.admin import mailboxes, reply_templates, sender_rules
from consultant.config import get_settings
from consultant.storage.models import SenderRule, TemplateOverride
from consultant.web.security import signed_in

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


class MailboxOut(BaseModel):
    id: int
    key: str
    uidvalidity: int | None
    last_uid: int
    last_polled_at: datetime | None
    lease_owner: str | None
    lease_until: datetime | None
    paused: bool
    configured: bool
    counts: dict[str, int]


class PausedIn(BaseModel):
    paused: bool


class SenderRuleIn(BaseModel):
    pattern: str = Field(max_length=320, description="An address or a domain such as example.com")
    action: str = Field(pattern="^(allow|deny)$")
    note: str = Field("", max_length=sender_rules.MAX_NOTE_LENGTH)


class SenderRuleOut(BaseModel):
    id: int
    pattern: str
    action: str
    note: str | None
    created_by: str
    created_at: datetime


class TemplateVersionOut(BaseModel):
    version: int
    author: str
    created_at: datetime


class TemplateOut(BaseModel):
    key: str
    name: str
    overridden: bool
    source: str
    shipped_source: str
    version: int | None
    updated_by: str | None
    updated_at: datetime | None
    versions: list[TemplateVersionOut]


class TemplateIn(BaseModel):
    source: str = Field(max_length=reply_templates.MAX_SOURCE_LENGTH)
    # The version the source was written on: the ``version`` read with GET, or 0 when
    # it was null (the shipped template). Omitted, the save replaces whatever is in use.
    expected_version: int | None = Field(default=None, ge=0)


def _rule_out(rule: SenderRule) -> SenderRuleOut:
    return SenderRuleOut(id=rule.id, pattern=rule.pattern, action=rule.action.value,
                         note=rule.note, created_by=rule.created_by, created_at=rule.created_at)


def _template_out(view: reply_templates.TemplateView) -> TemplateOut:
    override: TemplateOverride | None = view.override
    return TemplateOut(
        key=view.key, name=view.name, overridden=override is not None, source=view.current,
        shipped_source=view.shipped, version=override.version if override else None,
        updated_by=override.updated_by if override else None,
        updated_at=override.updated_at if override else None,
        versions=[TemplateVersionOut(version=version.version, author=version.author,
                                     created_at=version.created_at)
                  for version in view.versions],
    )


@router.get("/mailboxes", response_model=list[MailboxOut])
def list_mailboxes(request: Request) -> list[MailboxOut]:
    with signed_in(request, admin=True) as context:
        return [MailboxOut(**status.__dict__)
                for status in mailboxes.list_mailboxes(context.db, get_settings())]


@router.post("/mailboxes/{mailbox_id}/poll", status_code=202)
def poll_mailbox(request: Request, mailbox_id: int) -> dict[str, str]:
    """Enqueue a poll of the configured mailbox; a worker runs it after the commit."""
    with signed_in(request, check_csrf=True, admin=True) as context:
        mailboxes.request_poll(context.db, mailbox_id, get_settings(), context.user.id)
    return {"status": "queued"}


@router.post("/mailboxes/{mailbox_id}/paused", response_model=MailboxOut)
def set_paused(request: Request, mailbox_id: int, body: PausedIn) -> MailboxOut:
    """Pause or resume polling; the poller skips a paused mailbox."""
    with signed_in(request, check_csrf=True, admin=True) as context:
        mailboxes.set_paused(context.db, mailbox_id, body.paused, context.user.id)
        status = next(status for status in mailboxes.list_mailboxes(context.db, get_settings())
                      if status.id == mailbox_id)
        return MailboxOut(**status.__dict__)


@router.get("/sender-rules", response_model=list[SenderRuleOut])
def list_sender_rules(request: Request) -> list[SenderRuleOut]:
    with signed_in(request, admin=True) as context:
        return [_rule_out(rule) for rule in sender_rules.list_rules(context.db)]


@router.post("/sender-rules", response_model=SenderRuleOut, status_code=201)
def add_sender_rule(request: Request, body: SenderRuleIn) -> SenderRuleOut:
    """Add an allow or deny rule; 400 for a malformed address or domain or a duplicate."""
    with signed_in(request, check_csrf=True, admin=True) as context:
        rule = sender_rules.add_rule(context.db, body.pattern, body.action, body.note,
                                     context.user.username)
        return _rule_out(rule)


@router.delete("/sender-rules/{rule_id}", status_code=204)
def remove_sender_rule(request: Request, rule_id: int) -> Response:
    with signed_in(request, check_csrf=True, admin=True) as context:
        sender_rules.remove_rule(context.db, rule_id)
    return Response(status_code=204)


@router.get("/templates", response_model=list[TemplateOut])
def list_templates(request: Request) -> list[TemplateOut]:
    with signed_in(request, admin=True) as context:
        return [_template_out(view) for view in reply_templates.list_templates(context.db)]


@router.get("/templates/{key}", response_model=TemplateOut)
def get_template(request: Request, key: str) -> TemplateOut:
    with signed_in(request, admin=True) as context:
        return _template_out(reply_templates.view_template(context.db, key))


@router.put("/templates/{key}", response_model=TemplateOut)
def save_template(request: Request, key: str, body: TemplateIn) -> TemplateOut:
    """Check and store an override as a new version.

    422 with the line number when the source fails its check, 409 when *expected_version*
    is given and another version is in use.
    """
    with signed_in(request, check_csrf=True, admin=True) as context:
        reply_templates.save_override(context.db, key, body.source, context.user.username,
                                      expected_version=body.expected_version)
        return _template_out(reply_templates.view_template(context.db, key))


@router.delete("/templates/{key}", response_model=TemplateOut)
def revert_template(request: Request, key: str) -> TemplateOut:
    """Delete the override, so replies use the shipped template again."""
    with signed_in(request, check_csrf=True, admin=True) as context:
        reply_templates.revert_override(context.db, key)
        return _template_out(reply_templates.view_template(context.db, key))
