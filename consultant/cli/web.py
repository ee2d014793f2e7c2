"""``caseconsultant web``: serve the reviewers' web queue."""

from __future__ import annotations

import click

from consultant.cli import configure_service_logging
from consultant.config import get_settings


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; keep the loopback default behind a TLS proxy.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True,
              help="TCP port to listen on.")
def web(host: str, port: int) -> None:
    """Serve the web queue (sign in at /login) and its JSON API."""
    from consultant.web.server import run

    configure_service_logging(get_settings().log_level)
    run(host, port, on_start=lambda: click.echo(f"web queue: http://{host}:{port}/login"))
