"""Browser tests in headless Chromium: the pages as a reviewer uses them."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from consultant.review import services, workflow
from consultant.storage.base import utcnow
from consultant.storage.models import DraftState, InboundMessage, MessageState
from tests.conftest import write_small_hcpcs_file
from tests.web.browser import sign_in_browser
from tests.web.conftest import PASSWORD, question_bytes

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def image_server() -> Iterator[list[str]]:
    """A loopback HTTP server standing in for a remote image host; yields the paths requested."""
    requested: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            requested.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/gif")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    requested.append(f"port:{server.server_address[1]}")
    yield requested
    server.shutdown()
    server.server_close()


def test_edit_save_and_approve(page, users, make_draft, session: Session,
                               sent_tasks) -> None:
    draft = make_draft(subject="Knee injection with E/M")
    sign_in_browser(page, "rita", PASSWORD)

    page.click("text=Knee injection with E/M")
    editor = page.locator("#body")
    body = editor.input_value().replace(services.PLACEHOLDER, "Yes, append modifier 25.")
    editor.fill(body)
    page.click("button[value=save]")
    page.wait_for_selector("text=version 2")
    page.click("button[value=approve]")
    page.wait_for_selector("#draft-state:has-text('approved')")

    session.refresh(draft)
    assert draft.state is DraftState.APPROVED
    assert draft.approved_version == 2
    assert "Yes, append modifier 25." in draft.body_text
    assert sent_tasks == [("send_reply", (draft.id,))]
    assert page.locator("text=approved version 2 by rita").count() == 1


def test_reject_with_reason(page, users, make_draft, session: Session) -> None:
    draft = make_draft(subject="Not a coding question")
    sign_in_browser(page, "remy", PASSWORD)

    page.goto(f"/drafts/{draft.id}")
    page.fill("input[name=reason]", "Asks for legal advice, not coding")
    page.click("button.danger")
    page.wait_for_selector("#draft-state:has-text('rejected')")

    session.refresh(draft)
    assert draft.state is DraftState.REJECTED
    assert draft.reject_reason == "Asks for legal advice, not coding"


def test_hostile_html_renders_inert(page, users, make_draft, image_server) -> None:
    port = image_server.pop(0).split(":")[1]
    hostile = (
        f'<p id="bait" onmouseover="window.pwned = \'handler\'">Hover me</p>'
        f"<script>window.pwned = 'script'</script>"
        f'<img src="http://127.0.0.1:{port}/pixel.gif" onerror="window.pwned = \'onerror\'">'
        f'<a id="trap" href="javascript:window.pwned = \'link\'">Open the form</a>'
        f'<svg onload="window.pwned = \'svg\'"></svg>'
        f'<iframe src="http://127.0.0.1:{port}/frame"></iframe>'
    )
    draft = make_draft(raw=question_bytes(html=hostile, body="Plain part of the question"))
    sign_in_browser(page, "rita", PASSWORD)

    page.goto(f"/drafts/{draft.id}")
    page.click("details.mail-html summary")
    page.hover(".sanitised >> text=Hover me")
    page.click("text=Open the form")
    page.wait_for_timeout(500)

    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.locator(".sanitised img, .sanitised script, .sanitised iframe").count() == 0
    assert page.get_attribute(".sanitised a", "href") is None
    assert image_server == []


def _status_badges(page) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Return the status badge of each row of the draft's code table, by the Code column."""
    badges = {}
    for row in page.locator("table.codes tbody tr").all():
        badges[row.locator("td.code").inner_text()] = row.locator(".status").inner_text()
    return badges


def test_code_status_without_hcpcs(page, users, make_draft) -> None:
    draft = make_draft(body="Can we bill 20610-RT with A0428-DD? Dx M17.11")
    sign_in_browser(page, "rita", PASSWORD)

    page.goto(f"/drafts/{draft.id}")
    badges = _status_badges(page)

    assert badges["20610-RT"] == "section only"
    assert badges["RT"] == "not checked"
    assert badges["DD"] == "not checked"
    assert badges["A0428-DD"] == "not checked"
    assert badges["M17.11"] == "not checked"
    assert page.locator(".status-not_found").count() == 0


def test_code_status_with_hcpcs(page, users, make_draft, session: Session,
                                tmp_path: Path) -> None:
    from consultant.codes import importers

    importers.import_hcpcs(session, write_small_hcpcs_file(tmp_path))
    session.commit()
    # The HCPCS file is the 2026 January edition, in force for this date of service.
    draft = make_draft(body="DOS 02/10/2026: can we bill 20610-RT with A0428-DD? Dx M17.11")
    sign_in_browser(page, "rita", PASSWORD)

    page.goto(f"/drafts/{draft.id}")
    badges = _status_badges(page)

    assert badges["RT"] == "valid"
    assert badges["DD"] == "not found"
    assert badges["A0428-DD"] == "valid"
    # No ICD-10-CM edition is loaded, so the diagnosis code is still unchecked.
    assert badges["M17.11"] == "not checked"


def test_held_retry_shows_outcome(page, users, session: Session, sent_tasks) -> None:
    from consultant.config import get_settings
    from consultant.drafting.services import draft_for_message

    message = InboundMessage(message_id="<held-browser@example.com>", raw=question_bytes(),
                             size=100, sha256="0" * 64, state=MessageState.QUARANTINED,
                             error="draft: OperationalError: database unavailable")
    session.add(message)
    session.commit()
    sign_in_browser(page, "rita", PASSWORD)

    page.goto("/held")
    page.click("button:has-text('Retry')")
    page.wait_for_url(f"**/held/{message.id}")
    queued = page.locator("#outcome").inner_text()
    # What the worker's process_message task does once the retry has committed.
    session.expire_all()
    draft_for_message(session, message.id, get_settings())
    session.commit()
    # The queued page reloads itself, so the outcome appears without a click.
    page.locator("#outcome a", has_text="draft").wait_for(timeout=10_000)

    assert queued.startswith("Queued: a worker has not processed the message yet.")
    assert page.locator("#outcome").inner_text().startswith(
        f"Drafted: draft {message.draft.id} (pending review)")


def test_sign_out_and_session_cookie(page, users) -> None:
    sign_in_browser(page, "rita", PASSWORD)
    names = [cookie["name"] for cookie in page.context.cookies()]
    cookie = next(cookie for cookie in page.context.cookies()
                  if cookie["name"] == "__Host-caseconsultant")

    page.click("text=Sign out")
    page.wait_for_url("**/login")

    assert names == ["__Host-caseconsultant"]
    assert cookie["httpOnly"] is True
    assert cookie["secure"] is True
    assert cookie["sameSite"] == "Strict"
    assert "__Host-caseconsultant" not in [item["name"] for item in page.context.cookies()]
    page.goto("/queue")
    assert page.url.endswith("/login?next=%2Fqueue")


def test_screenshots(page, users, make_draft, session: Session,
                     tmp_path: Path) -> None:
    """Capture the queue and a draft page, into docs/screenshots/ when
    CASECONSULTANT_TEST_WRITE_SCREENSHOTS=1 is set."""
    writing = os.environ.get("CASECONSULTANT_TEST_WRITE_SCREENSHOTS") == "1"
    folder = SCREENSHOTS if writing else tmp_path
    subjects = ["Knee injection with E/M visit", "Modifier 59 on 97140 and 97530",
                "Dx code for type 2 diabetes with CKD", "Bilateral 64483 injections",
                "Prolonged services 99417"]
    bodies = ["Can we bill 20610 with 99213-25 on the same day? Dx M17.11",
              "Is 97140-59 with 97530 correct for the same session?",
              "Which code applies, E11.22 with N18.3?",
              "How do we report 64483-50 and 64484?",
              "When is 99417 reported with 99215?"]
    drafts = [make_draft(subject=subject, body=body, sender=f"coder@clinic{number}.example.com")
              for number, (subject, body) in enumerate(zip(subjects, bodies, strict=True))]
    # Spread the arrival times over a day so the ages and their colours show.
    for hours, draft in zip((27, 9, 5, 2, 0.4), drafts, strict=True):
        draft.inbound_message.received_at = utcnow() - timedelta(hours=hours)
    workflow.claim(session, drafts[1].id, users["remy"])
    session.commit()
    sign_in_browser(page, "rita", PASSWORD)

    page.screenshot(path=str(folder / "queue.png"), full_page=True)
    page.goto(f"/drafts/{drafts[0].id}")
    page.screenshot(path=str(folder / "draft.png"), full_page=True)

    assert (folder / "queue.png").stat().st_size > 10_000
    assert (folder / "draft.png").stat().st_size > 10_000
