"""Fixtures that run the service as operators do: worker and beat processes on a real broker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from consultant.codes import importers
from consultant.storage import migrate, session_scope
from consultant.storage.db import reset_engine
from consultant.storage.models import Draft
from tests.codes.conftest import HCPCS_DIR
from tests.conftest import REDIS_URL, _empty_postgres, mail_environment


@dataclass
class Service:
    """A running worker and beat, with the environment the CLI needs to reach them."""

    env: dict[str, str]
    logs: Path

    def cli(self, *args: str, input_text: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``caseconsultant ARGS`` in a subprocess; fail the test if it fails."""
        completed = subprocess.run(
            [sys.executable, "-m", "consultant", *args], env=self.env, input=input_text,
            capture_output=True, text=True, timeout=120, check=False,
        )
        assert completed.returncode == 0, f"{args} failed: {completed.stderr}"
        return completed

    def drafts(self, *states: str) -> list[dict[str, object]]:
        state_args = [arg for state in states for arg in ("--state", state)]
        return json.loads(self.cli("review", "list", "--json", *state_args).stdout)

    def log_text(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in self.logs.glob("*.log"))


def wait_until(condition: Callable[[], bool], timeout: float, what: str,
               service: Service | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    logs = service.log_text()[-4000:] if service else ""
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}\n{logs}")


def count_drafts(url: str) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(Draft)) or 0


def _load_code_sets(database_url: str) -> None:
    """Load ICD-10-CM and, when the official file is at hand, HCPCS Level II."""
    hcpcs = HCPCS_DIR / "HCPC2025_OCT_ANWEB.xlsx"
    with session_scope(database_url) as session:
        importers.import_icd10cm(session)
        if hcpcs.is_file():
            importers.import_hcpcs(session, hcpcs)


@pytest.fixture(params=["redis-postgresql", "filesystem-sqlite"])
def service(
    request: pytest.FixtureRequest, tmp_path: Path, imap_server, smtp_server,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Service]:
    """Start a worker and beat against the test mail servers, on one of the two deployments."""
    if request.param == "redis-postgresql":
        database_url = request.getfixturevalue("postgres_server_url")
        _empty_postgres(database_url)
        broker_url = REDIS_URL
    else:
        database_url = f"sqlite:///{tmp_path / 'service.db'}"
        broker_url = ""
    migrate.upgrade(database_url)
    if request.node.get_closest_marker("code_sets"):
        _load_code_sets(database_url)
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("CASECONSULTANT_")}
    env.update(mail_environment(imap_server, smtp_server.port))
    env.update({
        "CASECONSULTANT_DATA_DIR": str(tmp_path / "var"),
        "CASECONSULTANT_DATABASE_URL": database_url,
        "CASECONSULTANT_BROKER_URL": broker_url,
        # A queue of its own keeps parallel test runs on one Redis apart.
        "CASECONSULTANT_QUEUE": f"e2e-{uuid.uuid4().hex[:8]}",
        "CASECONSULTANT_POLL_INTERVAL": "1",
    })
    monkeypatch.setenv("CASECONSULTANT_DATABASE_URL", database_url)
    logs = tmp_path / "logs"
    logs.mkdir()
    processes = []
    for name, args in (("worker", ["worker", "--pool", "threads", "--concurrency", "3"]),
                       ("beat", ["beat"])):
        with open(logs / f"{name}.log", "wb") as output:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "consultant", *args], env=env, cwd=tmp_path,
                stdout=output, stderr=subprocess.STDOUT,
            ))
    yield Service(env, logs)
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    reset_engine()
