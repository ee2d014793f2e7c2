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
from consultant.web.security import Context, NotSignedIn, signed_in
from consultant.web.signin import KeptField, KeptForm, KeptFormKind, sign_in_again

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
                   status_code: int = 200, **extra: object) -> Response:
    """Render the editor of template *key* with *source*, or with the template in use.

    *extra* may set ``error``, why the last save failed, and ``resumed_notice``.
    """
    view = reply_templates.view_template(context.db, key)
    values: dict[str, object] = {"error": None, "resumed_notice": None}
    values.update(extra)
    return render(request, "admin_template.html", context, status_code, view=view,
                  source=view.current if source is None else source,
                  keepalive_seconds=get_web_settings().keepalive_seconds, **values)


@router.get("/templates/{key}", response_class=HTMLResponse)
def template_page(request: Request, key: str) -> Response:
    with signed_in(request, admin=True) as context:
        return _template_page(request, context, key)


@router.post("/templates/{key}")
def save_template(request: Request, key: str, source: str = Form(""),
                  csrf_token: str = Form("")) -> Response:
    """Check the source and save it as the override of template *key*.

    A request whose session has ended saves nothing and leads to the sign-in page, which
    returns to the editor with the source.
    """
    try:
        with signed_in(request, csrf_token, check_csrf=True, admin=True) as context:
            try:
                reply_templates.save_override(context.db, key, source, context.user.username)
            except (reply_templates.TemplateCheckFailed,
                    reply_templates.TemplateConflict) as error:
                status = 422 if isinstance(error, reply_templates.TemplateCheckFailed) else 409
                return _template_page(request, context, key, source, status, error=str(error))
    except NotSignedIn as error:
        if key not in reply_templates.EDITABLE:
            raise
        return sign_in_again(request, error, TEMPLATE_FORM, f"/admin/templates/{key}",
                             {"source": source}, action="this save", outcome="nothing was saved",
                             return_to=f"template {key} with your source in the editor")
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
    return _template_page(request, context, key, kept.values["source"],
                          resumed_notice=RESUMED_TEMPLATE_NOTICE)


TEMPLATE_FORM = KeptFormKind(
    name="template", path=re.compile(
        "/admin/templates/(?P<key>" + "|".join(map(re.escape, reply_templates.EDITABLE)) + ")"),
    fields=(KeptField("source", "Template source", rows=20),),
    heading="Your source for template {key}, not saved", resume=resume_template)


@router.post("/templates/{key}/revert")
def revert_template(request: Request, key: str, csrf_token: str = Form("")) -> Response:
    with signed_in(request, csrf_token, check_csrf=True, admin=True) as context:
        reply_templates.revert_override(context.db, key)
    return redirect(f"/admin/templates/{key}")
