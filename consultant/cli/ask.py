"""``caseconsultant ask``: draft an answer to a question typed on stdin."""

from __future__ import annotations

import json
import sys

import click

from consultant.drafting.services import compose_reply
from consultant.parsing import ParsedMessage
from consultant.storage import session_scope


@click.command()
@click.option("--subject", default="", help="Subject line to answer, as in an email.")
@click.option("--json", "as_json", is_flag=True, help="Print the draft and its codes as JSON.")
def ask(subject: str, as_json: bool) -> None:
    """Read a question on stdin and print the draft the email path would produce.

    Nothing is stored and nothing is sent.
    """
    text = sys.stdin.read()
    question = ParsedMessage(
        message_id="<ask@localhost>", subject=subject, sender=None, reply_to=None,
        in_reply_to=None, references=[], date=None, body=text, question=text.strip(),
    )
    with session_scope() as session:
        reply = compose_reply(session, question, case_token=None)
    if as_json:
        click.echo(json.dumps({"subject": reply.subject, "body": reply.body_text,
                               "codes": reply.codes}, indent=2))
    else:
        click.echo(f"Subject: {reply.subject}\n")
        click.echo(reply.body_text)
