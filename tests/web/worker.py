"""A real Celery worker in a subprocess, for the end-to-end test of the web queue.

The worker and the test process share the SQLite database and the filesystem broker
under the test's data folder, so no broker server is needed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from consultant.config import get_settings


def point_celery_at_settings() -> None:
    """Point this process's Celery app at the broker of the current settings.

    ``celeryconfig`` reads the settings once, when ``workers.app`` is first imported. If an
    earlier test imported it, tasks would otherwise go to that test's broker folder.
    """
    import celeryconfig
    from workers.app import app

    settings = get_settings()
    folder = settings.broker_folder
    for sub in ("queue", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    app.conf.update(
        broker_url=settings.resolved_broker_url,
        broker_transport_options={
            **celeryconfig.broker_transport_options,
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
        },
    )
    # Drop the connection and producer pools built for an earlier broker folder, as Celery
    # itself does after a fork (Celery._after_fork in celery 5.x).
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def celery_worker(environment: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``caseconsultant worker --pool solo`` with *environment* added; stop it on exit."""
    env = {**os.environ, **environment}
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "consultant", "worker", "--pool", "solo"],
            env=env, stdout=log_file, stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def wait_until(condition: Callable[[], bool], timeout: float, what: str,
               worker: subprocess.Popen[bytes] | None = None, log_path: Path | None = None) -> None:
    """Poll *condition* every 0.2 s; fail with *what* and the worker's log on timeout."""
    deadline = time.monotonic() + timeout
    while not condition():
        if worker is not None and worker.poll() is not None:
            raise AssertionError(f"the Celery worker exited with code {worker.returncode} "
                                 f"while waiting for {what}:\n{_tail(log_path)}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}:\n"
                                 f"{_tail(log_path)}")
        time.sleep(0.2)


def _tail(log_path: Path | None) -> str:
    if log_path is None or not log_path.exists():
        return "(no worker log)"
    return "\n".join(log_path.read_text(errors="replace").splitlines()[-40:])
