"""``caseconsultant dev`` runs the whole service with nothing else installed."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from consultant.devserver.imap import free_port
from consultant.samples import sample_paths
from tests.e2e.conftest import wait_until

pytestmark = pytest.mark.e2e


def cli(env: dict[str, str], cwd: Path, *args: str, stdin: str | None = None) -> str:
    completed = subprocess.run([sys.executable, "-m", "consultant", *args], env=env, cwd=cwd,
                               input=stdin, capture_output=True, text=True, timeout=120,
                               check=False)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def _admin_polls_mailbox(web_port: int, username: str,
                         password: str) -> tuple[list[dict[str, object]], dict[str, object]]:
    """Sign in to the JSON API, list the mailboxes and poll the first; return both responses.

    The session cookie is Secure, which urllib does not send over plain HTTP, so it goes
    in the Cookie header by hand.
    """
    request = urllib.request.Request(
        f"http://127.0.0.1:{web_port}/api/v1/session", method="POST",
        data=json.dumps({"username": username, "password": password}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        token = json.load(response)["csrf_token"]
        cookie = response.headers["Set-Cookie"].split(";", 1)[0]
    listing = urllib.request.Request(f"http://127.0.0.1:{web_port}/api/v1/admin/mailboxes",
                                     headers={"Cookie": cookie})
    with urllib.request.urlopen(listing, timeout=10) as response:
        mailboxes = json.load(response)
    poll = urllib.request.Request(
        f"http://127.0.0.1:{web_port}/api/v1/admin/mailboxes/{mailboxes[0]['id']}/poll",
        data=b"", method="POST", headers={"Cookie": cookie, "X-CSRF-Token": token})
    with urllib.request.urlopen(poll, timeout=10) as response:
        return mailboxes, json.load(response)


def test_dev_answers_sample_questions(tmp_path: Path) -> None:
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("CASECONSULTANT_")}
    env["CASECONSULTANT_POLL_INTERVAL"] = "1"
    imap_port, smtp_port, web_port = free_port(), free_port(), free_port()
    output = tmp_path / "dev.out"
    with open(output, "wb") as sink:
        dev = subprocess.Popen(
            [sys.executable, "-m", "consultant", "dev", "--load-samples",
             "--imap-port", str(imap_port), "--smtp-port", str(smtp_port),
             "--web-port", str(web_port)],
            env=env, cwd=tmp_path, stdout=sink, stderr=subprocess.STDOUT,
        )
    try:
        samples = len(sample_paths())

        def pending() -> list[dict[str, object]]:
            # Until dev has created and migrated the database, the command fails.
            completed = subprocess.run(
                [sys.executable, "-m", "consultant", "review", "list", "--json"], env=env,
                cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
            return json.loads(completed.stdout) if completed.returncode == 0 else []

        wait_until(lambda: len(pending()) == samples, 180, "drafts of every sample")
        banner = output.read_text()
        assert f"127.0.0.1:{smtp_port}" in banner
        assert f"http://127.0.0.1:{web_port}/login" in banner
        with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/login", timeout=10) as page:
            assert page.status == 200

        # The banner's own one-line example must produce a draft.
        lines = banner.splitlines()
        example = lines[lines.index("Send a question:") + 1].strip()
        subprocess.run(example, shell=True, check=True, timeout=30)  # noqa: S602 - our own banner
        wait_until(lambda: len(pending()) == samples + 1, 60, "the draft of the banner's example")
        assert f"delivered {samples} sample questions" in banner
        assert str(tmp_path / "var" / "outbox") in banner
        assert (tmp_path / "var" / "outbox").is_dir()

        # A second dev on the same data folder is refused and leaves the first running.
        second = subprocess.run(
            [sys.executable, "-m", "consultant", "dev", "--imap-port", str(free_port()),
             "--smtp-port", str(free_port()), "--web-port", str(free_port())],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
        assert second.returncode == 1
        assert "another caseconsultant dev is running" in second.stderr + second.stdout

        # Another terminal reaches the local mail servers through the settings file.
        settings_file = tmp_path / "var" / "dev.toml"
        assert f"CASECONSULTANT_CONFIG_FILE={settings_file}" in banner
        assert settings_file.stat().st_mode & 0o777 == 0o600
        polled = cli({**env, "CASECONSULTANT_CONFIG_FILE": str(settings_file)}, tmp_path, "poll")
        assert "fetched" in polled or "another poll is running" in polled, polled

        # Some samples are follow-ups, which supersede the draft of the question they answer.
        first = next(draft for draft in pending() if not draft["superseded_by"])
        answer = tmp_path / "answer.txt"
        answer.write_text("Report both codes; modifier 59 is not needed here.\n")
        cli(env, tmp_path, "users", "add", "rita", "--password-stdin",
            stdin="a long enough password\n")
        cli(env, tmp_path, "review", "approve", str(first["id"]), "--reviewer", "rita",
            "--answer-file", str(answer))

        # The web queue treats the local mailbox as the configured one, so an admin can
        # poll it from the Mailboxes page or the API.
        cli(env, tmp_path, "users", "add", "ada", "--role", "admin", "--password-stdin",
            stdin="a long enough password\n")
        mailboxes, queued = _admin_polls_mailbox(web_port, "ada", "a long enough password")
        assert [mailbox["configured"] for mailbox in mailboxes] == [True]
        assert queued == {"status": "queued"}

        outbox = tmp_path / "var" / "outbox"
        wait_until(lambda: any(outbox.glob("*.eml")), 60, "the reply in the outbox")
        reply = message_from_bytes(next(outbox.glob("*.eml")).read_bytes(), policy=policy.default)
        assert reply["In-Reply-To"].strip() == first["message_id"]
        assert "modifier 59 is not needed" in reply.get_body(("plain",)).get_content()
    finally:
        # A plain kill, as a service manager sends, stops the services too.
        dev.send_signal(signal.SIGTERM)
        try:
            dev.wait(timeout=30)
        except subprocess.TimeoutExpired:
            dev.kill()
    assert dev.returncode == 0, output.read_text()[-3000:]
    assert "stopping" in output.read_text()
    assert not (tmp_path / "var" / "dev.toml").exists()
    for port in (imap_port, smtp_port, web_port):
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert oct((tmp_path / "var").stat().st_mode & 0o777) == "0o700"
    assert oct((tmp_path / "var" / "outbox").stat().st_mode & 0o777) == "0o700"
