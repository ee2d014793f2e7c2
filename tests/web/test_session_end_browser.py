"""In headless Chromium: a session that ends while the reviewer writes loses no text."""

from __future__ import annotations

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from consultant.review import services, workflow
from consultant.storage.models import DraftState, WebSession
from tests.web.browser import sign_in_browser
from tests.web.conftest import PASSWORD
from tests.web.session_end import check_typing_keeps_session_alive, idle_for

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

ANSWER = "Yes, append modifier 25; the operative note supports it."
TAB_COPIES = ("Object.keys(sessionStorage)"
              ".filter((key) => key.startsWith('caseconsultant.unsaved/'))")


def _write_answer(page, draft) -> str:  # type: ignore[no-untyped-def]
    page.goto(f"/drafts/{draft.id}")
    body = draft.body_text.replace(services.PLACEHOLDER, ANSWER)
    page.locator("#body").fill(body)
    return body


def test_save_after_idle_limit(page, users, make_draft, session: Session, sent_tasks) -> None:
    draft = make_draft()
    sign_in_browser(page, "rita", PASSWORD)
    body = _write_answer(page, draft)
    idle_for(session, 45)

    page.click("button[value=save]")
    page.wait_for_selector("#session-ended")
    session.refresh(draft)

    assert "nothing was saved or sent" in page.locator("#session-ended").inner_text()
    assert page.locator("#unsaved-body").input_value() == body
    assert page.locator("input[name=username]").input_value() == "rita"
    assert draft.version == 1

    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#edit-notice")
    session.refresh(draft)

    assert page.locator("#body").input_value() == body
    assert page.locator("#restored-notice").is_hidden()
    assert draft.version == 1
    assert draft.state is DraftState.PENDING_REVIEW

    page.click("button[value=approve]")
    page.wait_for_selector("#draft-state:has-text('approved')")
    session.refresh(draft)

    assert draft.state is DraftState.APPROVED
    assert draft.reviewer == "rita"
    assert ANSWER in draft.body_text
    assert sent_tasks == [("send_reply", (draft.id,))]
    assert page.evaluate(TAB_COPIES) == []


def test_save_without_javascript(browser, live_server: str, users, make_draft,
                                session: Session) -> None:
    draft = make_draft()
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        sign_in_browser(page, "rita", PASSWORD)
        body = _write_answer(page, draft)
        idle_for(session, 45)

        page.click("button[value=approve]")
        page.wait_for_selector("#session-ended")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("#edit-notice")
        restored = page.locator("#body").input_value()
        page.click("button[value=approve]")
        page.wait_for_selector("#draft-state:has-text('approved')")
    finally:
        context.close()
    session.refresh(draft)

    assert restored == body
    assert draft.state is DraftState.APPROVED
    assert ANSWER in draft.body_text


def test_tab_copy_after_session_deleted(page, users, make_draft, session: Session) -> None:
    draft = make_draft()
    sign_in_browser(page, "rita", PASSWORD)
    body = _write_answer(page, draft)
    # A request from another tab after the idle limit deletes the ended session, so the
    # Save below cannot show the text on the sign-in page.
    session.execute(delete(WebSession))
    session.commit()

    page.click("button[value=save]")
    page.wait_for_selector("#session-ended")

    assert page.locator("#unsaved-body").count() == 0
    assert "Your session has ended" in page.locator("#session-ended").inner_text()

    page.fill("input[name=username]", "rita")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/drafts/{draft.id}")

    assert page.locator("#restored-notice").is_visible()
    assert page.locator("#body").input_value() == body

    page.click("button[value=save]")
    page.wait_for_selector("text=version 2")
    session.refresh(draft)

    assert draft.version == 2
    assert ANSWER in draft.body_text
    assert page.locator("#restored-notice").is_hidden()
    assert page.locator("#older-copy").is_hidden()
    assert page.evaluate(TAB_COPIES) == []


def test_tab_copy_of_older_version(page, users, make_draft, session: Session) -> None:
    draft = make_draft()
    sign_in_browser(page, "rita", PASSWORD)
    body = _write_answer(page, draft)
    session.execute(delete(WebSession).where(WebSession.user_id == users["rita"].id))
    workflow.save(session, draft.id, users["remy"], draft.body_text + "\nRemy's note.", 1)
    session.commit()

    page.click("button[value=save]")
    page.wait_for_selector("#session-ended")
    page.fill("input[name=username]", "rita")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/drafts/{draft.id}")

    assert page.locator("#older-copy").is_visible()
    assert page.locator("#older-copy-version").inner_text() == "1"
    assert page.locator("#older-copy-text").input_value() == body
    assert "Remy's note." in page.locator("#body").input_value()
    assert page.locator("#restored-notice").is_hidden()

    page.click("#discard-older-copy")

    assert page.locator("#older-copy").is_hidden()
    assert page.evaluate(TAB_COPIES) == []


def test_typing_keeps_session_alive(page, users, make_draft, session: Session) -> None:
    draft = make_draft()
    page.clock.install()
    sign_in_browser(page, "rita", PASSWORD)
    _write_answer(page, draft)

    check_typing_keeps_session_alive(page, session, "#body", "#session-ended-kept")


def test_sign_out_drops_tab_copies(page, users, make_draft) -> None:
    draft = make_draft()
    sign_in_browser(page, "rita", PASSWORD)
    _write_answer(page, draft)

    assert len(page.evaluate(TAB_COPIES)) == 1

    page.on("dialog", lambda dialog: dialog.accept())
    page.click("text=Sign out")
    page.wait_for_url("**/login")

    assert page.evaluate(TAB_COPIES) == []


def test_old_tab_save_after_new_sign_in(browser, live_server: str, users, make_draft,
                                        session: Session) -> None:
    draft = make_draft()
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    context.set_default_timeout(15_000)
    try:
        old_tab = context.new_page()
        sign_in_browser(old_tab, "rita", PASSWORD)
        body = _write_answer(old_tab, draft)
        idle_for(session, 45)
        sign_in_browser(context.new_page(), "rita", PASSWORD)

        old_tab.click("button[value=save]")
        old_tab.wait_for_selector("#edit-notice")
        restored = old_tab.locator("#body").input_value()
        notice = old_tab.locator("#edit-notice").inner_text()
        session.refresh(draft)
        version_before_save = draft.version
        old_tab.click("button[value=save]")
        old_tab.wait_for_selector("#reply[data-version='2']")
    finally:
        context.close()
    session.refresh(draft)

    assert restored == body
    assert "You are signed in again." in notice
    assert version_before_save == 1
    assert draft.version == 2
    assert ANSWER in draft.body_text
