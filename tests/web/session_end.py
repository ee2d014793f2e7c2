"""Helpers of the tests of a session that ends while a form is filled in.

They read the sign-in page the way a browser submits it.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consultant.storage.base import utcnow
from consultant.storage.models import WebSession
from tests.web.conftest import PASSWORD


def textarea_text(page: str, element_id: str) -> str:
    """Return the text of the textarea *element_id*, as a browser would submit it."""
    element = page.partition(f'<textarea id="{element_id}"')[2].partition(">")[2]
    # A browser drops the line break that follows the opening tag.
    return html.unescape(element.partition("</textarea>")[0].removeprefix("\n"))


def hidden_value(page: str, name: str) -> str | None:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)
    return html.unescape(match.group(1)) if match else None


def end_sessions(session: Session) -> None:
    """Make every session idle for an hour, as after a long time spent writing."""
    session.execute(update(WebSession).values(last_seen_at=utcnow() - timedelta(hours=1)))
    session.commit()


def sign_in_form(page: str, password: str = PASSWORD) -> dict[str, str]:
    """Return the fields the sign-in form on *page* posts, with *password* typed in.

    The fields are every hidden input, the username, and each field of kept text, which
    the page shows with an id of "unsaved-" and the field name.
    """
    form = page.partition('<form method="post" action="/login">')[2].partition("</form>")[0]
    fields = {name: html.unescape(value) for name, value in
              re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)}
    fields["username"] = input_value(form, "username")
    fields["password"] = password
    for name in re.findall(r'<textarea id="unsaved-([^"]+)"', form):
        fields[name] = textarea_text(form, f"unsaved-{name}")
    for name in re.findall(r'<input id="unsaved-([^"]+)"', form):
        fields[name] = input_text(form, f"unsaved-{name}")
    return fields


def input_text(page: str, element_id: str) -> str:
    """Return the value of the input *element_id*."""
    match = re.search(rf'<input id="{element_id}"[^>]* value="([^"]*)"', page)
    assert match, f"the page has no input with id {element_id}"
    return html.unescape(match.group(1))


def input_value(page: str, name: str) -> str:
    match = re.search(rf'<input name="{name}" value="([^"]*)"', page)
    assert match, f"the page has no {name} field"
    return html.unescape(match.group(1))


def idle_for(session: Session, minutes: int) -> None:
    """Set every session's last request *minutes* back, as if the user typed that long."""
    session.execute(update(WebSession).values(
        last_seen_at=utcnow() - timedelta(minutes=minutes)))
    session.commit()


def check_typing_keeps_session_alive(  # type: ignore[no-untyped-def]
    page, session: Session, field: str, notice: str
) -> None:
    """Check that typing in *field* keeps an idle session alive, and shows *notice* once it ended.

    The page must show the form, with the browser clock installed before sign-in.
    """
    idle_for(session, 25)
    # The default idle limit of 30 minutes gives a keep-alive interval of 10 minutes.
    page.clock.fast_forward("10:30")
    with page.expect_response("**/api/v1/session/keepalive") as kept:
        page.locator(field).press("End")
        page.locator(field).type(" Thanks.")
    last_seen = session.scalar(select(WebSession.last_seen_at))

    assert kept.value.status == 204
    assert last_seen is not None
    assert last_seen > utcnow() - timedelta(minutes=1)
    assert page.locator(notice).is_hidden()

    idle_for(session, 45)
    page.clock.fast_forward("10:30")
    with page.expect_response("**/api/v1/session/keepalive") as ended:
        page.locator(field).type(" Regards.")
    page.wait_for_selector(notice)

    assert ended.value.status == 401
    assert session.scalar(select(WebSession.id)) is None
