"""``caseconsultant worker|beat|poll``: the long-running processes and a one-off poll."""

from __future__ import annotations

import click

from consultant.cli import configure_service_logging
from consultant.config import get_settings

# Settings without which the worker cannot poll, draft or send.
WORKER_SETTINGS = ("imap_host", "imap_username", "imap_password", "smtp_host", "from_address")

# Mingle, gossip and event heartbeats are messages between workers for monitoring, and
# the service needs none of them.  With them on, a Celery 5.7 worker on Redis stopped
# consuming when a second broker outage hit its reconnect, in 4 of 4 runs of
# tests/faults/test_redis_restart.py.  With them off it recovered in every run.  Remote
# control (``celery inspect``) stays on.
WITHOUT_PEER_MESSAGES = ("--without-mingle", "--without-gossip", "--without-heartbeat")


@click.command(context_settings={"ignore_unknown_options": True})
@click.option("--concurrency", type=int, default=2, show_default=True,
              help="Number of tasks run at once.")
@click.option("--pool", type=click.Choice(["prefork", "threads", "solo"]), default="prefork",
              show_default=True, help="Celery execution pool.")
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def worker(concurrency: int, pool: str, celery_args: tuple[str, ...]) -> None:
    """Run a Celery worker that processes, drafts and sends (extra arguments go to Celery)."""
    settings = get_settings()
    configure_service_logging(settings.log_level)
    settings.require(*WORKER_SETTINGS)
    from workers.app import app

    app.worker_main(["worker", f"--loglevel={settings.log_level}", f"--concurrency={concurrency}",
                     f"--pool={pool}", *WITHOUT_PEER_MESSAGES, *celery_args])


@click.command()
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def beat(celery_args: tuple[str, ...]) -> None:
    """Run Celery beat, which schedules a mailbox poll every CASECONSULTANT_POLL_INTERVAL
    seconds."""
    settings = get_settings()
    configure_service_logging(settings.log_level)
    settings.require("imap_host", "imap_username", "imap_password")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    from workers.app import app

    schedule = settings.data_dir.resolve() / "celerybeat-schedule"
    app.start(["beat", f"--loglevel={settings.log_level}", f"--schedule={schedule}", *celery_args])


@click.command()
def poll() -> None:
    """Poll the IMAP mailbox once now and enqueue processing of what is new."""
    from consultant.intake.poller import poll_mailbox

    settings = get_settings()
    configure_service_logging(settings.log_level)
    result = poll_mailbox(settings)
    if result.skipped:
        click.echo("another poll is running for this mailbox; nothing done")
        return
    click.echo(f"fetched {result.fetched}, stored {result.stored}, "
               f"already stored {result.duplicates}")
