"""The ``caseconsultant`` command line."""

from __future__ import annotations

import logging
import sys

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from consultant.config import get_settings
from consultant.errors import ConsultantError


def _missing_table(error: Exception) -> bool:
    text = str(error)
    return "no such table" in text or ("relation" in text and "does not exist" in text)


class _Group(click.Group):
    """Prints a ConsultantError as one line and exits 1 instead of showing a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ConsultantError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(1)
        except (OperationalError, ProgrammingError) as error:
            if _missing_table(error):
                database = make_url(get_settings().resolved_database_url)
                click.echo(f"error: the database {database.render_as_string()} has no tables "
                           "yet; run 'caseconsultant db upgrade' first, or run this command "
                           "from the folder that holds the service's data (see "
                           "CASECONSULTANT_DATA_DIR)", err=True)
                sys.exit(1)
            raise


@click.group(cls=_Group)
@click.version_option(package_name="caseconsultant")
def main() -> None:
    """Answer emailed medical coding questions, with a reviewer in the loop."""
    # Long-running commands raise this to CASECONSULTANT_LOG_LEVEL; one-off commands stay quiet.
    logging.basicConfig(
        level=logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def configure_service_logging(level: str) -> None:
    """Log at *level* for the long-running commands; aiosmtpd's per-connection lines stay off."""
    logging.getLogger().setLevel(level)
    logging.getLogger("mail.log").setLevel(logging.WARNING)


def _register() -> None:
    from consultant.cli import (
        ask,
        codes,
        db,
        dev,
        extract,
        idle,
        parse,
        purge,
        quarantine,
        review,
        services,
        users,
        web,
    )

    main.add_command(db.db)
    main.add_command(codes.codes)
    main.add_command(extract.extract_command)
    main.add_command(ask.ask)
    main.add_command(review.review)
    main.add_command(services.worker)
    main.add_command(services.beat)
    main.add_command(services.poll)
    main.add_command(dev.dev)
    main.add_command(parse.parse_command)
    main.add_command(quarantine.quarantine)
    main.add_command(users.users)
    main.add_command(web.web)
    main.add_command(idle.idle)
    main.add_command(purge.purge_command)


_register()
