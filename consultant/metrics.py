"""Prometheus metrics, read from the database at scrape time.

Every figure comes from the rows the pipeline keeps, so any process with database
access (the web server, a sidecar) can serve them, and worker restarts lose
nothing.  The output follows the Prometheus text exposition format, version 0.0.4.
Counts are of stored rows: ``caseconsultant purge`` lowers them, so they are
exposed as gauges.  Latencies cover drafts created or sent in the last hour.

Mount ``metrics_response`` under ``/metrics`` in any web framework: it returns the
status, headers and body, and takes no request data.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultant.storage import session_scope
from consultant.storage.base import utcnow
from consultant.storage.models import (
    Draft,
    DraftEvent,
    DraftState,
    InboundMessage,
    MessageState,
    OutboxEntry,
    OutboxState,
)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_WINDOW = timedelta(hours=1)
QUANTILES = (0.5, 0.95)


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    escaped = (f'{key}="{value.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
               for key, value in labels.items())
    return "{" + ",".join(escaped) + "}"


def _family(name: str, kind: str, help_text: str,
            samples: Samples) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    lines += [f"{name}{_labels(labels)} {value:g}" for labels, value in samples]
    return lines


Samples = list[tuple[dict[str, str], float]]


def _counts_by_state(session: Session, column: Any, states: Iterable[str]) -> Samples:
    found = dict(session.execute(select(column, func.count()).group_by(column)).all())
    return [({"state": str(state)}, float(found.get(state, 0))) for state in states]


def _send_failures(session: Session) -> Samples:
    temporary = session.scalar(select(func.coalesce(func.sum(OutboxEntry.temporary_failures), 0)))
    permanent = session.scalar(select(func.count()).select_from(OutboxEntry).where(
        OutboxEntry.state == OutboxState.REJECTED, OutboxEntry.finished_at.is_not(None)))
    unknown = session.scalar(select(func.count()).select_from(OutboxEntry).where(
        OutboxEntry.state == OutboxState.UNKNOWN))
    return [({"kind": "temporary"}, float(temporary or 0)),
            ({"kind": "permanent"}, float(permanent or 0)),
            ({"kind": "unknown_outcome"}, float(unknown or 0))]


def _oldest_ages(session: Session, now: datetime) -> Samples:
    """Seconds the oldest item has waited at each step that a worker or reviewer must take."""
    oldest = {
        "drafting": session.scalar(select(func.min(InboundMessage.received_at)).where(
            InboundMessage.state == MessageState.RECEIVED)),
        "review": session.scalar(select(func.min(Draft.created_at)).where(
            Draft.state == DraftState.PENDING_REVIEW)),
        "sending": session.scalar(select(func.min(Draft.updated_at)).where(
            Draft.state.in_((DraftState.APPROVED, DraftState.SENDING)))),
    }
    return [({"step": step}, max(0.0, (now - at).total_seconds()) if at else 0.0)
            for step, at in oldest.items()]


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _latency_samples(step: str, values: list[float]) -> Samples:
    samples = [({"step": step, "quantile": f"{q:g}"}, _quantile(values, q) if values else 0.0)
               for q in QUANTILES]
    return samples


def _latencies(session: Session, now: datetime) -> tuple[Samples, Samples, Samples]:
    since = now - LATENCY_WINDOW
    drafted = session.execute(
        select(Draft.created_at, InboundMessage.received_at)
        .join(InboundMessage, InboundMessage.id == Draft.inbound_message_id)
        .where(Draft.created_at >= since)).all()
    approved_at = (select(func.max(DraftEvent.at)).where(
        DraftEvent.draft_id == Draft.id, DraftEvent.to_state == DraftState.APPROVED.value)
        .scalar_subquery())
    sent = session.execute(select(Draft.sent_at, approved_at).where(Draft.sent_at >= since)).all()
    draft_values = [(made - received).total_seconds() for made, received in drafted]
    send_values = [(done - start).total_seconds() for done, start in sent if start is not None]
    samples = _latency_samples("draft", draft_values) + _latency_samples("send", send_values)
    sums = [({"step": "draft"}, sum(draft_values)), ({"step": "send"}, sum(send_values))]
    counts = [({"step": "draft"}, float(len(draft_values))),
              ({"step": "send"}, float(len(send_values)))]
    return samples, sums, counts


def render_metrics(session: Session) -> str:
    """Return every metric in the Prometheus text format."""
    now = utcnow()
    lines: list[str] = []
    lines += _family("caseconsultant_messages_ingested", "gauge",
                     "Inbound messages stored, by processing state.",
                     _counts_by_state(session, InboundMessage.state,
                                      [state.value for state in MessageState]))
    lines += _family("caseconsultant_drafts", "gauge", "Drafts by review and delivery state.",
                     _counts_by_state(session, Draft.state, [state.value for state in DraftState]))
    lines += _family("caseconsultant_send_failures", "gauge",
                     "Failed SMTP attempts: temporary (retried), permanent, and unknown outcome.",
                     _send_failures(session))
    lines += _family("caseconsultant_queue_oldest_age_seconds", "gauge",
                     "Age of the oldest item waiting at each step.", _oldest_ages(session, now))
    samples, sums, counts = _latencies(session, now)
    name = "caseconsultant_step_latency_seconds"
    lines += _family(name, "summary", "Seconds from arrival to draft and from approval to "
                     "sent, over the last hour.", samples)
    lines += [f"{name}_sum{_labels(labels)} {value:g}" for labels, value in sums]
    lines += [f"{name}_count{_labels(labels)} {value:g}" for labels, value in counts]
    return "\n".join(lines) + "\n"


def metrics_response() -> tuple[int, list[tuple[str, str]], bytes]:
    """Return (status, headers, body) of a /metrics response, for any web framework."""
    with session_scope() as session:
        body = render_metrics(session).encode()
    return 200, [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(body)))], body
