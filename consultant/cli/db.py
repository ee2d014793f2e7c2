"""``caseconsultant db``: database migrations."""

import click

from consultant.storage import migrate


@click.group()
def db() -> None:
    """Manage the database schema."""


@db.command()
def upgrade() -> None:
    """Apply every Alembic migration up to the newest."""
    migrate.upgrade()
    click.echo("database is at the newest revision")
