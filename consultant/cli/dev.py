"""``caseconsultant dev``: the whole service on one machine, with local mail servers."""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import signal
import smtplib
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import click

from consultant.cli import configure_service_logging
from consultant.config import get_settings, reset_settings
from consultant.devserver.imap import LOOPBACK, port_is_free, start_imap_server
from consultant.devserver.smtp import DevMailHandler, start_smtp_server
from consultant.errors import ConsultantError
from consultant.storage import migrate, session_scope
from consultant.web.server import start_in_thread

DEV_USERNAME = "coding-help"
DEV_POLL_INTERVAL = "10"
# The example username of the banner's first account, an admin, as in the README.
FIRST_ACCOUNT = "rcoder"
# A TCP port number. 0 (any free port) is rejected because the SMTP port goes to the
# services and into the banner as given.
PORT = click.IntRange(1, 65535)


def _child_environment(service_address: str, imap_port: int, imap_password: str,
                       smtp_port: int, data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "CASECONSULTANT_DATA_DIR": str(data_dir),
        "CASECONSULTANT_IMAP_HOST": LOOPBACK,
        "CASECONSULTANT_IMAP_PORT": str(imap_port),
        "CASECONSULTANT_IMAP_USERNAME": DEV_USERNAME,
        "CASECONSULTANT_IMAP_PASSWORD": imap_password,
        "CASECONSULTANT_IMAP_TLS": "none",
        "CASECONSULTANT_SMTP_HOST": LOOPBACK,
        "CASECONSULTANT_SMTP_PORT": str(smtp_port),
        "CASECONSULTANT_SMTP_TLS": "none",
        "CASECONSULTANT_FROM_ADDRESS": service_address,
    })
    env.setdefault("CASECONSULTANT_POLL_INTERVAL", DEV_POLL_INTERVAL)
    return env


def _write_settings_file(path: Path, env: dict[str, str]) -> None:
    """Write the settings dev gives its services as a TOML file only the owner can read.

    Other commands point at it with CASECONSULTANT_CONFIG_FILE to use the local servers,
    whose IMAP password changes on every start.
    """
    lines = [
        f"{name.removeprefix('CASECONSULTANT_').lower()} = {json.dumps(value)}"
        for name, value in env.items()
        if name.startswith("CASECONSULTANT_") and name != "CASECONSULTANT_CONFIG_FILE"
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as output:
        output.write("# Written by caseconsultant dev while it runs; removed when it stops.\n")
        output.write("\n".join(sorted(lines)) + "\n")


def _spawn(args: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as output:
        # This interpreter runs this package; the arguments are dev's own.
        return subprocess.Popen([sys.executable, "-m", "consultant", *args], env=env,  # noqa: S603
                                stdout=output, stderr=subprocess.STDOUT)


def _deliver_samples(smtp_port: int, service_address: str) -> int:
    from consultant.samples import sample_paths

    delivered = 0
    with smtplib.SMTP(LOOPBACK, smtp_port, timeout=30) as client:
        for path in sample_paths():
            # SMTP lines end in CRLF (RFC 5321 2.3.8); some sample files use bare LF.
            data = path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            try:
                client.sendmail("samples@example.com", [service_address], data)
            except smtplib.SMTPException as error:
                click.echo(f"sample {path.name} was not delivered: {error}", err=True)
            else:
                delivered += 1
    return delivered


def _program() -> str:
    """Return how to run this command again: the venv's script when it exists."""
    script = Path(sys.executable).parent / "caseconsultant"
    return str(script) if script.is_file() else "caseconsultant"


def _banner(service_address: str, imap_port: int, smtp_port: int, data_dir: Path,
            web_url: str, settings_file: Path) -> str:
    # A fresh Message-ID on each run, so the reply is threaded and a second run is no
    # duplicate of the first.
    headers = (f"From: coder@example.com\\r\\nTo: {service_address}\\r\\n"
               "Message-ID: ' + make_msgid() + '\\r\\n"
               "Subject: 59001 with 76946?\\r\\n\\r\\n")
    send = (f"python3 -c \"import smtplib; from email.utils import make_msgid; "
            f"smtplib.SMTP('{LOOPBACK}', {smtp_port}).sendmail("
            f"'coder@example.com', ['{service_address}'], ('{headers}"
            f"Can we bill 59001 with 76946? Dx O40.3XX0').encode())\"")
    program = _program()
    return "\n".join([
        "CaseConsultant is running on this machine.",
        f"  service mailbox  {service_address} (IMAP {LOOPBACK}:{imap_port}, user {DEV_USERNAME})",
        f"  SMTP server      {LOOPBACK}:{smtp_port}: mail to the service address goes to the"
        " mailbox; every other message is written to the outbox",
        f"  outbox (replies) {data_dir / 'outbox'}",
        f"  review queue     {web_url}/login (sign in with the account made below)",
        f"  database         {get_settings().resolved_database_url}",
        f"  logs             {data_dir / 'logs'}",
        "",
        "Send a question:",
        f"  {send}",
        "Review it (from this folder, in another terminal):",
        f"  {program} users add {FIRST_ACCOUNT} --role admin   (once, the first account; asks "
        "for a password twice)",
        f"  {program} review list",
        f"  {program} review show ID",
        f"  {program} review approve ID --reviewer {FIRST_ACCOUNT} --answer-file ANSWER.txt",
        "Run a command that needs the local mail servers, such as poll:",
        f"  CASECONSULTANT_CONFIG_FILE={settings_file} {program} poll",
        "Press Ctrl-C to stop.",
    ])


@click.command()
@click.option("--imap-port", type=PORT, default=8143, show_default=True,
              help="TCP port of the local IMAP server on 127.0.0.1.")
@click.option("--smtp-port", type=PORT, default=8025, show_default=True,
              help="TCP port of the local SMTP server on 127.0.0.1.")
@click.option("--service-address", default="coding-help@example.org", show_default=True,
              help="Address questions are sent to; replies come from it.")
@click.option("--web-port", type=PORT, default=8000, show_default=True,
              help="TCP port of the web review queue on 127.0.0.1.")
@click.option("--load-samples", is_flag=True, help="Also deliver the bundled sample questions.")
def dev(imap_port: int, smtp_port: int, web_port: int, service_address: str,
        load_samples: bool) -> None:
    """Run everything locally: IMAP and SMTP servers, a worker, beat, IDLE and the web queue."""
    settings = get_settings()
    configure_service_logging(settings.log_level)
    # Mail contains protected health information: what dev and its services write (the
    # database, the mailbox, the outbox, the logs) is readable by this user only.
    os.umask(0o077)
    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    # Files made before dev started, by another command, are closed off by the folder.
    data_dir.chmod(0o700)
    lock = _lock_data_dir(data_dir)
    # A plain kill stops dev the way Ctrl-C does, so its services stop with it.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        _run(data_dir, imap_port, smtp_port, web_port, service_address, load_samples)
    finally:
        lock.close()


def _interrupt(_signal: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _lock_data_dir(data_dir: Path) -> IO[str]:
    """Hold a lock on *data_dir* while dev runs; raise if another dev holds it.

    Two dev instances on one data folder would share its database and mailbox while
    each gave the mailbox its own password, so the second locks the first out.
    """
    lock = open(data_dir / "dev.lock", "w")  # noqa: SIM115 - held until dev stops
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise ConsultantError(
            f"another caseconsultant dev is running with the data folder {data_dir}; stop "
            "it first, or give this one its own folder with CASECONSULTANT_DATA_DIR"
        ) from None
    return lock


def _check_ports(imap_port: int, smtp_port: int, web_port: int) -> None:
    """Raise, before anything starts, when a port is given twice or is in use."""
    ports = {"--imap-port": imap_port, "--smtp-port": smtp_port, "--web-port": web_port}
    if len(set(ports.values())) < len(ports):
        raise ConsultantError("--imap-port, --smtp-port and --web-port must be three different "
                              f"ports; they are {imap_port}, {smtp_port} and {web_port}")
    in_use = [f"{port} ({option})" for option, port in ports.items() if not port_is_free(port)]
    if in_use:
        raise ConsultantError(
            f"in use on {LOOPBACK}: port {', '.join(in_use)}; another program, or another "
            "caseconsultant dev, listens there. Stop it, or choose other ports with the "
            "options named"
        )


def _run(data_dir: Path, imap_port: int, smtp_port: int, web_port: int,
         service_address: str, load_samples: bool) -> None:
    _check_ports(imap_port, smtp_port, web_port)
    migrate.upgrade()
    _load_code_sets_once()

    imap_password = secrets.token_urlsafe(16)
    try:
        imap = start_imap_server(data_dir / "imap", DEV_USERNAME, imap_password, port=imap_port,
                                 log_file=data_dir / "logs" / "imap.log")
    except ConsultantError as error:
        raise ConsultantError(f"the local IMAP server did not start on port {imap_port} "
                              f"({error}); choose another with --imap-port") from None
    # The banner names the outbox, so it exists before the first reply is written.
    (data_dir / "outbox").mkdir(mode=0o700, exist_ok=True)
    handler = DevMailHandler(service_address, imap, data_dir / "outbox")
    try:
        smtp = start_smtp_server(handler, smtp_port)
    except (OSError, RuntimeError) as error:
        imap.stop()
        raise ConsultantError(f"the local SMTP server did not start on port {smtp_port} "
                              f"({error}); choose another with --smtp-port") from None

    env = _child_environment(service_address, imap.port, imap_password, smtp_port, data_dir)
    # The web queue runs in this process. With the services' settings, its Mailboxes page
    # treats the local mailbox as the configured one and can poll it.
    os.environ.update(env)
    reset_settings()
    try:
        web = start_in_thread(LOOPBACK, web_port)
    except RuntimeError as error:
        smtp.stop()
        imap.stop()
        raise ConsultantError(f"{error} Choose another with --web-port") from None

    children = [
        _spawn(["worker", "--pool", "threads", "--concurrency", "4"], env,
               data_dir / "logs" / "worker.log"),
        _spawn(["beat"], env, data_dir / "logs" / "beat.log"),
        # IMAP IDLE picks a question up within about a second; beat's poll stays as the backstop.
        _spawn(["idle"], env, data_dir / "logs" / "idle.log"),
    ]
    settings_file = data_dir / "dev.toml"
    _write_settings_file(settings_file, env)
    click.echo(_banner(service_address, imap.port, smtp_port, data_dir, web.url, settings_file))
    try:
        if load_samples:
            count = _deliver_samples(smtp_port, service_address)
            click.echo(f"delivered {count} sample questions to {service_address}")
        _wait(children)
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        # First, so that a second Ctrl-C during the shutdown cannot leave the file, which
        # contains the IMAP password, behind.
        settings_file.unlink(missing_ok=True)
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        web.stop()
        smtp.stop()
        imap.stop()


def _wait(children: list[subprocess.Popen[bytes]]) -> None:
    while True:
        for child in children:
            if child.poll() is not None:
                raise ConsultantError(f"a service process exited with code {child.returncode}; "
                                      "see the logs folder")
        time.sleep(1)


def _load_code_sets_once() -> None:
    """Load the bundled ICD-10-CM edition; an edition already loaded is recognised and skipped."""
    from consultant.codes import importers

    with session_scope() as session:
        result = importers.import_icd10cm(session)
    click.echo(result.summary())
