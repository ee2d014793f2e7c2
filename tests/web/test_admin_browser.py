"""Browser test in headless Chromium: an admin adds a deny rule and edits a reply template."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.config import get_settings
from consultant.drafting.services import draft_for_message
from consultant.storage.models import (
    Draft,
    InboundMessage,
    MessageState,
    SenderRule,
    TemplateOverride,
)
from tests.web.browser import sign_in_browser
from tests.web.conftest import PASSWORD, question_bytes

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


def test_admin_denies_sender_and_edits_template(page, users, make_draft,
                                                session: Session) -> None:
    sign_in_browser(page, "ada", PASSWORD)
    page.wait_for_url("**/queue")

    page.click("nav >> text=Sender rules")
    page.fill("input[name=pattern]", "not an address")
    page.click("form.card button[type=submit]")
    page.wait_for_selector("[role=alert]:has-text('is not a valid')")
    page.fill("input[name=pattern]", "spammer@example.net")
    page.select_option("select[name=action]", "deny")
    page.fill("input[name=note]", "sends newsletters")
    page.click("form.card button[type=submit]")
    page.wait_for_selector("td:has-text('spammer@example.net')")

    page.click("nav >> text=Templates")
    page.click("text=replies/consultation/body.txt.j2")
    page.fill("#source", "Line one\n{{ not_a_variable }}\n")
    page.click("form.card button.primary")
    page.wait_for_selector("[role=alert]:has-text('line 2')")
    page.fill("#source", "Edited reply for case {{ case_token }}.\n")
    page.click("form.card button.primary")
    page.wait_for_selector("text=Override version 1, saved by ada")

    rule = session.scalars(select(SenderRule)).one()
    assert rule.pattern == "spammer@example.net"
    assert rule.action.value == "deny"
    assert session.scalars(select(TemplateOverride)).one().version == 1
    draft = make_draft()
    assert draft.body_text == f"Edited reply for case {draft.case.token}.\n"
    assert _draft_from(session, "spammer@example.net") is None


def _draft_from(session: Session, sender: str) -> Draft | None:
    raw = question_bytes(sender=sender)
    message = InboundMessage(message_id="<denied@example.net>", raw=raw, size=len(raw),
                             sha256="0" * 64)
    session.add(message)
    session.commit()
    draft = draft_for_message(session, message.id, get_settings())
    session.commit()
    assert message.state is MessageState.IGNORED
    assert message.classification == "denied"
    return draft
