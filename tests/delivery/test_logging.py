"""Service logs carry task and case ids, and never an address, subject or body text."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from consultant import logging as service_logging
from consultant.config import get_settings
from consultant.delivery import recovery
from consultant.intake.poller import poll_mailbox
from consultant.metrics import render_metrics
from consultant.parsing import parse_message
from consultant.review import services
from consultant.samples import sample_paths
from consultant.storage.models import Draft, InboundMessage
from tests.conftest import SERVICE_ADDRESS, append_message
from workers import tasks

SAMPLES = 6


@pytest.fixture
def service_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Collect every log line, formatted as the service writes it, at DEBUG for our code."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect()
    handler.addFilter(service_logging.ContextFilter())
    handler.setFormatter(service_logging.KeyValueFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for name in ("consultant", "workers"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    # The test's own SMTP server logs envelopes; the service silences it the same way.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    service_logging.connect_celery_signals()
    yield lines
    root.removeHandler(handler)
    root.setLevel(old_level)
    for name in ("consultant", "workers", "mail.log"):
        logging.getLogger(name).setLevel(logging.NOTSET)


def _phi_fragments(raw: bytes) -> set[str]:
    """Addresses, the subject and body lines of a question: text that must not be logged."""
    parsed = parse_message(raw)
    fragments = {parsed.sender or "", parsed.reply_to or "", parsed.subject}
    fragments |= {line.strip() for line in parsed.question.splitlines() if len(line.strip()) >= 12}
    return {fragment for fragment in fragments if len(fragment) >= 6}


def test_sample_flow_logs_no_phi(
    session: Session, imap_server, smtp_server, mail_settings, monkeypatch: pytest.MonkeyPatch,
    service_log: list[str],
) -> None:
    monkeypatch.setenv("CASECONSULTANT_SENT_FOLDER", "Sent")
    from consultant.config import reset_settings

    reset_settings()
    raws = [path.read_bytes() for path in sample_paths()[:SAMPLES]]
    for raw in raws:
        append_message(imap_server, raw)

    poll_mailbox(get_settings())
    for message in session.query(InboundMessage).all():
        tasks.process_message.apply(args=(message.id,))
    for draft in session.query(Draft).all():
        services.approve(session, draft.id, "rita", services.fill_answer(draft, "Use 20610."))
    session.commit()
    for draft in session.query(Draft).all():
        tasks.send_reply.apply(args=(draft.id,))
        tasks.flag_answered.apply(args=(draft.inbound_message_id,))
        tasks.append_sent.apply(args=(draft.id,))
    recovery.sweep(get_settings())
    render_metrics(session)

    text = "\n".join(service_log)
    forbidden = set().union(*(_phi_fragments(raw) for raw in raws)) | {SERVICE_ADDRESS}
    leaked = sorted(fragment for fragment in forbidden if fragment in text)
    assert len(smtp_server.received) == SAMPLES
    assert leaked == []
    assert not re.search(r"[\w.+-]+@[\w-]+\.(com|org|net)", text)
    assert re.search(r"sent draft=\d+ attempt=1 size=\d+ "
                     r"task_id=[0-9a-f-]+ task=send_reply draft=\d+", text)
    assert re.search(r"drafted draft=\d+ .* task=process_message message_row=\d+", text)
