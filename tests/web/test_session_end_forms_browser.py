"""In headless Chromium: Ask, template and Reject text survives the end of the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from consultant.review import workflow
from consultant.storage.models import DraftState, TemplateOverride, WebSession
from consultant.web.security import login_csrf_cookie_name
from tests.web.browser import sign_in_browser
from tests.web.conftest import PASSWORD
from tests.web.session_end import check_typing_keeps_session_alive, idle_for

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

SUBJECT = "Knee injection"
QUESTION = "Can we bill 20610 with 99213-25 on the same day?"
REASON = "Not a coding question: the sender asks about payment dates."
SOURCE = "Hello from the kept override.\n{{ codes | length }} codes\n"
ASK_BUTTON = "form[action='/ask'] button[type=submit]"
TAB_COPIES = ("Object.keys(sessionStorage)"
              ".filter((key) => key.startsWith('caseconsultant.unsaved/'))")


def _sign_in_again(page) -> None:  # type: ignore[no-untyped-def]
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")


@pytest.fixture
def page_without_javascript(browser, live_server: str) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh browser tab with JavaScript turned off."""
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_ask_without_javascript(page_without_javascript, users, session: Session) -> None:
    page = page_without_javascript
    sign_in_browser(page, "rita", PASSWORD)
    page.goto("/ask")
    page.fill("#ask-subject", SUBJECT)
    page.fill("#ask-question", QUESTION)
    idle_for(session, 45)

    page.click(ASK_BUTTON)
    page.wait_for_selector("#session-ended")

    assert "no reply was drafted" in page.locator("#session-ended").inner_text()
    assert page.locator("#unsaved-subject").input_value() == SUBJECT
    assert page.locator("#unsaved-question").input_value() == QUESTION
    assert page.locator("input[name=username]").input_value() == "rita"

    _sign_in_again(page)
    page.wait_for_selector("#resumed-notice")

    assert page.locator("#ask-subject").input_value() == SUBJECT
    assert page.locator("#ask-question").input_value() == QUESTION
    assert page.locator("#ask-reply").count() == 0

    page.click(ASK_BUTTON)
    page.wait_for_selector("#ask-reply")

    assert "20610" in page.locator("#ask-reply").inner_text()


def test_template_without_javascript(page_without_javascript, users,
                                     session: Session) -> None:
    page = page_without_javascript
    sign_in_browser(page, "ada", PASSWORD)
    page.goto("/admin/templates/body.txt")
    page.fill("#source", SOURCE)
    idle_for(session, 45)

    page.click("form.card button[type=submit]")
    page.wait_for_selector("#session-ended")

    assert "nothing was saved" in page.locator("#session-ended").inner_text()
    assert page.locator("#unsaved-source").input_value() == SOURCE
    assert session.scalar(select(func.count()).select_from(TemplateOverride)) == 0

    _sign_in_again(page)
    page.wait_for_selector("#resumed-notice")

    assert page.locator("#source").input_value() == SOURCE
    assert session.scalar(select(func.count()).select_from(TemplateOverride)) == 0

    page.click("form.card button[type=submit]")
    page.wait_for_selector("text=Override version 1, saved by ada")
    override = session.scalars(select(TemplateOverride)).one()

    assert override.source == SOURCE


def test_reject_without_javascript(page_without_javascript, users, make_draft,
                                   session: Session) -> None:
    page = page_without_javascript
    draft = make_draft()
    sign_in_browser(page, "rita", PASSWORD)
    page.goto(f"/drafts/{draft.id}")
    page.fill("input[name=reason]", REASON)
    idle_for(session, 45)

    page.click("button.danger")
    page.wait_for_selector("#session-ended")
    session.refresh(draft)

    assert f"draft {draft.id} was not rejected" in page.locator("#session-ended").inner_text()
    assert page.locator("#unsaved-reason").input_value() == REASON
    assert draft.state is DraftState.PENDING_REVIEW

    _sign_in_again(page)
    page.wait_for_selector("#reject-notice")

    assert page.locator("input[name=reason]").input_value() == REASON

    page.click("button.danger")
    page.wait_for_selector("#draft-state:has-text('rejected')")
    session.refresh(draft)

    assert draft.state is DraftState.REJECTED
    assert draft.reject_reason == REASON


def test_ask_tab_copy_after_session_deleted(page, users, session: Session) -> None:
    sign_in_browser(page, "rita", PASSWORD)
    page.goto("/ask")
    page.fill("#ask-subject", SUBJECT)
    page.fill("#ask-question", QUESTION)
    # A request from another tab after the idle limit deletes the ended session, so the
    # post below cannot show the question on the sign-in page.
    session.execute(delete(WebSession))
    session.commit()

    page.click(ASK_BUTTON)
    page.wait_for_selector("#session-ended")

    assert page.locator("#unsaved-question").count() == 0

    page.fill("input[name=username]", "rita")
    _sign_in_again(page)
    page.wait_for_url("**/ask")

    assert page.locator("[data-restored-notice]").is_visible()
    assert page.locator("#ask-subject").input_value() == SUBJECT
    assert page.locator("#ask-question").input_value() == QUESTION

    page.click(ASK_BUTTON)
    page.wait_for_selector("#ask-reply")

    assert page.evaluate(TAB_COPIES) == []
    assert page.locator("[data-restored-notice]").is_hidden()


def test_discard_restored_template_copy(page, users, session: Session) -> None:
    sign_in_browser(page, "ada", PASSWORD)
    page.goto("/admin/templates/body.txt")
    shipped = page.locator("#source").input_value()
    page.fill("#source", SOURCE)
    page.goto("/admin/templates")
    page.goto("/admin/templates/body.txt")

    assert page.locator("[data-restored-notice]").is_visible()
    assert page.locator("#source").input_value() == SOURCE

    page.click("[data-discard-restored]")

    assert page.locator("#source").input_value() == shipped
    assert page.locator("[data-restored-notice]").is_hidden()
    assert page.evaluate(TAB_COPIES) == []


def test_reject_copy_dropped_after_review(page, users, make_draft, session: Session) -> None:
    draft = make_draft()
    sign_in_browser(page, "rita", PASSWORD)
    page.goto(f"/drafts/{draft.id}")
    page.fill("input[name=reason]", REASON)

    assert len(page.evaluate(TAB_COPIES)) == 1

    workflow.reject(session, draft.id, users["remy"], "Duplicate question", 1)
    session.commit()
    page.goto(f"/drafts/{draft.id}")

    assert page.locator("form.reject").count() == 0
    assert page.evaluate(TAB_COPIES) == []


def test_typing_question_keeps_session_alive(page, users, session: Session) -> None:
    page.clock.install()
    sign_in_browser(page, "rita", PASSWORD)
    page.goto("/ask")
    page.fill("#ask-question", QUESTION)

    check_typing_keeps_session_alive(
        page, session, "#ask-question", "[data-session-ended=kept]"
    )


def test_lapsed_sign_in_form_keeps_question(page_without_javascript, users,
                                            session: Session) -> None:
    page = page_without_javascript
    sign_in_browser(page, "rita", PASSWORD)
    page.goto("/ask")
    page.fill("#ask-question", QUESTION)
    idle_for(session, 45)
    page.click(ASK_BUTTON)
    page.wait_for_selector("#session-ended")
    # As after an hour on the sign-in page: the browser drops the sign-in form's cookie.
    page.context.clear_cookies(name=login_csrf_cookie_name())

    _sign_in_again(page)
    page.wait_for_selector("text=This sign-in form had expired")

    assert page.locator("#unsaved-question").input_value() == QUESTION
    assert page.locator("input[name=username]").input_value() == "rita"

    _sign_in_again(page)
    page.wait_for_selector("#resumed-notice")

    assert page.locator("#ask-question").input_value() == QUESTION
