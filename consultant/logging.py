"""Structured service logs: every line carries the ids of the work it belongs to.

Mail is PHI, so log lines carry ids, sizes and counts only, never addresses,
subjects or bodies.  Ids are bound in a context variable: Celery's task signals
bind the task id and name for the length of each task, and code that works on a
message or draft wraps its steps in ``bound(draft=...)``.  Every handler of the
root logger then appends them as ``key=value`` pairs, or emits JSON when
CASECONSULTANT_LOG_FORMAT is ``json``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

# The default is never mutated: ``bound`` always sets a new dictionary.
_context: ContextVar[dict[str, Any]] = ContextVar("consultant_log_context",
                                                  default={})  # noqa: B039
_celery_token: ContextVar[Any] = ContextVar("consultant_celery_token", default=None)


def current_ids() -> dict[str, Any]:
    """Return the ids bound to the current task or thread."""
    return dict(_context.get())


@contextmanager
def bound(**ids: Any) -> Iterator[None]:
    """Add *ids* (e.g. ``draft=12``) to every log line written inside the block."""
    token = _context.set({**_context.get(), **ids})
    try:
        yield
    finally:
        _context.reset(token)


class ContextFilter(logging.Filter):
    """Copy the bound ids onto each record as ``record.ids``."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.ids = current_ids()
        return True


class KeyValueFormatter(logging.Formatter):
    """The usual text line with the bound ids appended as ``key=value``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = getattr(record, "ids", None) or {}
        if ids:
            line += " " + " ".join(f"{key}={value}" for key, value in ids.items())
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the bound ids as fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **(getattr(record, "ids", None) or {}),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def install(log_format: str = "text") -> None:
    """Give every root handler the id filter and the formatter for *log_format*."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    for handler in root.handlers:
        if not any(isinstance(item, ContextFilter) for item in handler.filters):
            handler.addFilter(ContextFilter())
        handler.setFormatter(JsonFormatter() if log_format == "json" else KeyValueFormatter())


def _task_started(task_id: str | None = None, task: Any = None, **_kwargs: Any) -> None:
    name = getattr(task, "name", "?")
    _celery_token.set(_context.set({"task_id": task_id, "task": name.rpartition(".")[2]}))


def _task_finished(**_kwargs: Any) -> None:
    token = _celery_token.get()
    if token is not None:
        _context.reset(token)
        _celery_token.set(None)


def _worker_started(**_kwargs: Any) -> None:
    from consultant.config import get_settings

    install(get_settings().log_format)


def connect_celery_signals() -> None:
    """Bind the Celery task id and name per task, and install the formatter in workers."""
    from celery.signals import task_postrun, task_prerun, worker_init

    task_prerun.connect(_task_started, weak=False)
    task_postrun.connect(_task_finished, weak=False)
    worker_init.connect(_worker_started, weak=False)
