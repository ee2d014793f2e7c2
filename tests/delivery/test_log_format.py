"""Log line formats: bound ids appear as key=value pairs or as JSON fields."""

from __future__ import annotations

import json
import logging

from consultant import logging as service_logging


def _record(message: str) -> logging.LogRecord:
    record = logging.LogRecord("consultant.test", logging.INFO, __file__, 1, message, None, None)
    service_logging.ContextFilter().filter(record)
    return record


def test_bound_ids_end_text_line() -> None:
    with service_logging.bound(draft=7), service_logging.bound(task="send_reply"):
        line = service_logging.KeyValueFormatter().format(_record("sent"))

    assert line.endswith("consultant.test: sent draft=7 task=send_reply")


def test_bound_ids_become_json_fields() -> None:
    with service_logging.bound(message_row=3):
        entry = json.loads(service_logging.JsonFormatter().format(_record("stored")))

    assert entry["message"] == "stored"
    assert entry["message_row"] == 3
    assert entry["level"] == "INFO"


def test_ids_unbound_after_block() -> None:
    with service_logging.bound(draft=1):
        pass

    assert service_logging.current_ids() == {}
