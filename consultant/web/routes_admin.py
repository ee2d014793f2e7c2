"""Admin pages: polled mailboxes, sender allow and deny rules, and reply template overrides.

Every page and form here requires the admin role; a reviewer gets 403. Sender rules
contain addresses, so they travel only in POST bodies and are never logged.
"""

from __future__ import annotations

import logging
import re

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from consultant.admin import mailboxes, reply_templates, sender_rules
from consultant.config import get_settings
from consultant.errors import ConsultantError
from consultant.storage.models import Role, SenderRuleAction
from consultant.web.config import get_web_settings
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

router = APIRouter(prefix="/admin", include_in_schema=False)


@router.get("/mailboxes", response_class=HTMLResponse)
def mailbox_list(request: Request) -> Response:
    with signed_in(request, admin=True) as context:
        return render(request, "admin_mailboxes.html", context,
                      mailboxes=mailboxes.list_mailboxes(context.db, get_settings()))


@router.post("/mailboxes/{mailbox_id}/poll")
def poll_now(request: Request, mailbox_id: int, csrf_token: str = Form("")) -> Response:
    with signed_in(request, csrf_token, check_csrf=True, admin=True) as context:
        mailboxes.request_poll(context.db, mailbox_id, get_settings(), context.user.id)
    return redirect("/admin/mailboxes")


@router.post("/mailboxes/{mailbox_id}/paused")
def set_paused(request: Request, mailbox_id: int, paused: bool = Form(...),
               csrf_token: str = Form("")) -> Response:
    with signed_in(request, csrf_token, check_csrf=True, admin=True) as context:
        mailboxes.set_paused(context.db, mailbox_id, paused, context.user.id)
    return redirect("/admin/mailboxes")


def _senders_page(request: Request, context: Context, status_code: int = 200,
                  error: str | None = None, form: dict[str, str] | None = None) -> Response:
    return render(request, "admin_senders.html", context, status_code,
                  rules=sender_rules.list_rules(context.db), actions=list(SenderRuleAction),
                  settings=get_settings(), error=error, form=form or {})


@router.get("/senders", response_class=HTMLResponse)
def sender_list(request: Request) -> Response:
    with signed_in(request, admin=True) as context:
        return _senders_page(request, context)


@router.post("/senders")
def add_sender_rule(request: Request, pattern: str = Form(""), action: str = Form("deny"),
                    note: str = Form(""), csrf_token: str = Form("")) -> Response:
    with signed_in(request, csrf_token, check_csrf=True, admin=True) as context:
        try:
            with context.db.begin_nested():
                sender_rules.add_rule(context.db, pattern, action, note, context.user.username)
        except ConsultantError as error:
            # The form comes back filled in, so the admin can correct the entry.
            return _senders_page(request, context, 400, str(error),
                                 {"pattern": pattern, "action": action, "note": note})
    return redirect("/admin/senders")


@router.post("/senders/{rule_id}/delete")
def remove_sender_rule(request: Request, rule_id: int, csrf_token: str = Form("")) -> Response:
    with signed_in(request, csrf_token, check_csrf=True, admin=True) as context:
        sender_rules.remove_rule(context.db, rule_id)
    return redirect("/admin/senders")


@router.get("/templates", response_class=HTMLResponse)
def template_list(request: Request) -> Response:
    with signed_in(request, admin=True) as context:
        return render(request, "admin_templates.html", context,
                      templates=reply_templates.list_templates(context.db))


def _template_page(request: Request, context: Context, key: str, source: str | None = None,
                   status_code: int = 200, edited_version: int | None = None,
                   **extra: object) -> Response:
    """Render the editor of template *key* with *source*, or with the template in use.

    *edited_version* is the version *source* was written on, posted back with the next
    Save; it defaults to the version in use. *extra* may set ``error``, why the last save
    failed, and ``resumed_notice``.
    """
    view = reply_templates.view_template(context.db, key)
    if edited_version is None:
        edited_version = reply_templates.in_use_version(view.override)
    values: dict[str, object] = {"error": None, "resumed_notice": None}
    values.update(extra)
    return render(request, "admin_template.html", context, status_code, view=view,
                  source=view.current if source is None else source,
                  edited_version=edited_version,
                  keepalive_seconds=get_web_settings().keepalive_seconds, **values)


@router.get("/templates/{key}", response_class=HTMLResponse)
def template_page(request: Request, key: str) -> Response:
    with signed_in(request, admin=True) as context:
        return _template_page(request, context, key)


@router.post("/templates/{key}")
def save_template(request: Request, key: str, source: str = Form(""),
                  version: int = Form(...), csrf_token: str = Form("")) -> Response:
    """Check the source and save it as the override of template *key*.

    *version* is the version the source was written on. When the source fails its check,
    the editor comes back with the error and the source. When another admin saved or
    reverted the template since, it comes back with the source and the version now in
    use, so the next Save replaces that version knowingly. A request whose session has
    ended saves nothing and leads to the sign-in page, which returns to the editor with
    the source.
    """
    try:
        with signed_in(request, csrf_token, check_csrf=True, admin=True) as context:
            try:
                reply_templates.save_override(context.db, key, source, context.user.username,
                                              expected_version=version)
            except reply_templates.TemplateCheckFailed as error:
                return _template_page(request, context, key, source, 422, version,
                                      error=str(error))
            except reply_templates.TemplateConflict as error:
                return _template_page(request, context, key, source, 409, error=str(error))
    except NotSignedIn as error:
        if key not in reply_templates.EDITABLE:
            raise
        return sign_in_again(request, error, TEMPLATE_FORM, f"/admin/templates/{key}",
                             {"version": str(version), "source": source}, action="this save",
                             outcome="nothing was saved",
                             return_to=f"template {key} with your source in the editor")
    except CsrfFailure:
        if key not in reply_templates.EDITABLE:
            raise
        return resume_in_new_session(request, TEMPLATE_FORM, f"/admin/templates/{key}",
                                     {"version": str(version), "source": source})
    return redirect(f"/admin/templates/{key}")


RESUMED_TEMPLATE_NOTICE = ("You are signed in again. Your source from before the session ended "
                           "is in the editor and is not saved yet. Choose Save to check and "
                           "save it.")


def resume_template(request: Request, context: Context, kept: KeptForm) -> Response:
    """Render the template editor after a sign-in, with the source the ended session did not save.

    The page is for admins only, so anyone else who signs in gets 403 without the source.
    """
    key = kept.path_ids["key"]
    if context.user.role is not Role.ADMIN:
        log.info("template source for template=%s not restored after sign-in: user_id=%d is "
                 "not an admin", key, context.user.id)
        return render(request, "error.html", context, 403, message="this page is for admins only")
    log.info("template source for template=%s restored after sign-in, user_id=%d", key,
             context.user.id)
    notice = RESUMED_TEMPLATE_NOTICE
    written_on = int(kept.values["version"])
    in_use = reply_templates.in_use_version(
        reply_templates.view_template(context.db, key).override)
    if in_use != written_on:
        now = reply_templates.describe_version(in_use)
        before = reply_templates.describe_version(written_on)
        notice += (f" The template changed after you opened it: {now} is in use, not "
                   f"{before}. Compare it with your source before you save.")
    return _template_page(request, context, key, kept.values["source"], edited_version=in_use,
                          resumed_notice=notice)


TEMPLATE_FORM = KeptFormKind(
    name="template", path=re.compile(
        "/admin/templates/(?P<key>" + "|".join(map(re.escape, reply_templates.EDITABLE)) + ")"),
    fields=(VERSION_FIELD, KeptField("source", "Template source", rows=20)),
    heading="Your source for template {key}, not saved", resume=resume_template)


@router.post("/templates/{key}/revert")
def revert_template(request: Request, key: str, csrf_token: str = Form("")) -> Response:
    with signed_in(request, csrf_token, check_csrf=True, admin=True) as context:
        reply_templates.revert_override(context.db, key)
    return redirect(f"/admin/templates/{key}")
