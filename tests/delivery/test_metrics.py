"""Prometheus metrics read from the database rows of a small run."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from consultant.config import get_settings
from consultant.delivery.services import send_draft
from consultant.metrics import CONTENT_TYPE, metrics_response, render_metrics
from tests.steps.test_delivery import approved_draft

SAMPLE_LINE = re.compile(r'^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+-]+$')


def _value(text: str, sample: str) -> float:
    for line in text.splitlines():
        if line.startswith(sample + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{sample} not in the metrics")


def test_metrics_count_a_sent_draft(
    session: Session, imap_server, smtp_server, mail_settings
) -> None:
    draft = approved_draft(session, imap_server)
    assert send_draft(draft.id, get_settings())

    text = render_metrics(session)

    assert _value(text, 'caseconsultant_messages_ingested{state="drafted"}') == 1
    assert _value(text, 'caseconsultant_drafts{state="sent"}') == 1
    assert _value(text, 'caseconsultant_drafts{state="pending_review"}') == 0
    assert _value(text, 'caseconsultant_send_failures{kind="permanent"}') == 0
    assert _value(text, 'caseconsultant_queue_oldest_age_seconds{step="review"}') == 0
    assert _value(text, 'caseconsultant_step_latency_seconds_count{step="send"}') == 1
    assert _value(text, 'caseconsultant_step_latency_seconds_count{step="draft"}') == 1


def test_metrics_text_format_is_valid(session: Session) -> None:
    text = render_metrics(session)

    for line in text.splitlines():
        if line.startswith("# "):
            assert re.match(r"^# (HELP|TYPE) caseconsultant_[a-z_]+ ", line), line
        else:
            assert SAMPLE_LINE.match(line), line
    assert text.endswith("\n")


def test_metrics_response_has_prometheus_headers(session: Session) -> None:
    status, headers, body = metrics_response()

    assert status == 200
    assert ("Content-Type", CONTENT_TYPE) in headers
    assert ("Content-Length", str(len(body))) in headers
    assert b"caseconsultant_drafts" in body
