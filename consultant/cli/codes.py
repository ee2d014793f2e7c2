"""``caseconsultant codes``: load, import and look up code sets."""

import click


@click.group()
def codes() -> None:
    """Load, import and look up code sets."""
