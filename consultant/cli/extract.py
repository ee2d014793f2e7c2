"""``caseconsultant extract``: print the code references found in text on stdin."""

import json
import sys

import click

from consultant.extraction import extract


@click.command("extract")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
def extract_command(as_json: bool) -> None:
    """Read text on stdin and print the code references found in it."""
    references = extract(sys.stdin.read())
    if as_json:
        click.echo(json.dumps([reference.to_dict() for reference in references], indent=2))
        return
    for reference in references:
        extras = []
        if reference.modifiers:
            extras.append("modifiers " + ",".join(reference.modifiers))
        if reference.units:
            extras.append(f"units {reference.units}")
        click.echo(f"{reference.system:9} {reference.code:10} {'; '.join(extras)}".rstrip())
