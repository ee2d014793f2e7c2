"""Enqueue Celery tasks by name, after the transaction that needs them commits.

The domain packages never import ``workers``: they name the task, and the Celery
app routes it.  A task sent before its commit could run before the rows it reads
exist, so every send waits for the commit (see ``storage.after_commit``).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from consultant.storage import after_commit

log = logging.getLogger(__name__)


def send_task(name: str, *args: Any, **options: Any) -> None:
    """Send the task ``workers.tasks.<name>`` now."""
    from workers.app import app

    app.send_task(f"workers.tasks.{name}", args=args, **options)
    log.debug("enqueued %s%r", name, args)


def enqueue(session: Session, name: str, *args: Any, **options: Any) -> None:
    """Send the task ``workers.tasks.<name>`` once *session* commits."""
    after_commit(session, lambda: send_task(name, *args, **options))
