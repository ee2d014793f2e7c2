"""The ``caseconsultant`` command line."""

from __future__ import annotations

import logging
import sys

import click

from consultant.errors import ConsultantError


class _Group(click.Group):
    """Prints a ConsultantError as one line and exits 1 instead of showing a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ConsultantError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(1)


@click.group(cls=_Group)
@click.version_option(package_name="caseconsultant")
def main() -> None:
    """Answer emailed medical coding questions, with a reviewer in the loop."""
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _register() -> None:
    from consultant.cli import codes, db, extract

    main.add_command(db.db)
    main.add_command(codes.codes)
    main.add_command(extract.extract_command)


_register()
