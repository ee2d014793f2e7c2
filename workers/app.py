"""The Celery app, configured from ``celeryconfig``."""

from __future__ import annotations

from celery import Celery
from celery.signals import worker_process_init

from consultant.storage.db import reset_engine

app = Celery("caseconsultant", include=["workers.tasks"])
app.config_from_object("celeryconfig")


@worker_process_init.connect
def _fresh_connections(**_kwargs: object) -> None:
    # A forked worker child must not share the parent's database connections.
    reset_engine()
