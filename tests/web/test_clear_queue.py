"""End to end: questions arrive by SMTP and IMAP, a Celery worker drafts them, a reviewer
clears the queue of 20 in the browser, and the worker sends every reply by SMTP."""

from __future__ import annotations

import os
import smtplib
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultant.config import get_settings
from consultant.intake.poller import poll_mailbox
from consultant.review import services
from consultant.storage.models import Draft, DraftState
from tests.conftest import SERVICE_ADDRESS, mail_environment
from tests.web.browser import sign_in_browser
from tests.web.conftest import PASSWORD
from tests.web.worker import celery_worker, point_celery_at_settings, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.browser,
              pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

QUESTIONS = 20
CODES = ["99213-25", "20610", "97140-59", "64483", "M17.11", "E11.22", "J3301", "99417"]


def question(number: int) -> bytes:
    code = CODES[number % len(CODES)]
    return (f"From: coder{number}@clinic{number % 4}.example.com\r\n"
            f"To: {SERVICE_ADDRESS}\r\nSubject: Question {number:02d} about {code}\r\n"
            f"Message-ID: <e2e-{number}@clinic.example.com>\r\n\r\n"
            f"How should we report {code} for this visit?\r\n").encode()


def count_drafts(session: Session, state: DraftState) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Draft).where(Draft.state == state)) or 0


def test_reviewer_clears_queue_of_twenty(page, users, session: Session,
                                         db_url: str, imap_server, smtp_server,
                                         mail_settings, tmp_path: Path) -> None:
    environment = {**mail_environment(imap_server, smtp_server.port),
                   "CASECONSULTANT_DATABASE_URL": db_url,
                   "CASECONSULTANT_DATA_DIR": os.environ["CASECONSULTANT_DATA_DIR"]}
    point_celery_at_settings()
    log_path = tmp_path / "worker.log"

    with celery_worker(environment, log_path) as worker:
        with smtplib.SMTP("127.0.0.1", smtp_server.port, timeout=30) as client:
            for number in range(QUESTIONS):
                client.sendmail(f"coder{number}@example.com", [SERVICE_ADDRESS], question(number))
        assert poll_mailbox(get_settings()).stored == QUESTIONS
        wait_until(lambda: count_drafts(session, DraftState.PENDING_REVIEW) == QUESTIONS, 120,
                   "20 drafts", worker, log_path)

        sign_in_browser(page, "rita", PASSWORD)
        for _draft in range(QUESTIONS):
            page.goto("/queue")
            page.click("table.queue tbody a")
            editor = page.locator("#body")
            editor.fill(editor.input_value().replace(
                services.PLACEHOLDER, "Report it as asked; the documentation supports it."))
            page.click("button[value=approve]")
            page.wait_for_selector("#draft-state:not(:has-text('pending'))")

        page.goto("/queue")
        assert page.locator("td.empty").inner_text() == "No drafts match."
        wait_until(lambda: count_drafts(session, DraftState.SENT) == QUESTIONS, 120,
                   "20 sent replies", worker, log_path)

    replies = [message for message in smtp_server.received
               if SERVICE_ADDRESS not in message.rcpt_tos]
    assert len(replies) == QUESTIONS
    assert sorted(message.rcpt_tos[0] for message in replies) == sorted(
        f"coder{number}@clinic{number % 4}.example.com" for number in range(QUESTIONS))
    assert all(b"Report it as asked" in message.data for message in replies)

    first = session.scalars(select(Draft).order_by(Draft.id)).first()
    assert first is not None
    page.goto(f"/drafts/{first.id}")
    assert page.locator("#draft-state").inner_text() == "sent"
    assert page.locator("text=approved version 2 by rita").count() == 1
