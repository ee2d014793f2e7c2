"""``caseconsultant users``: manage the accounts that sign in to the web queue."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from consultant.errors import NotFound
from consultant.storage import session_scope
from consultant.storage.models import Role
from consultant.users import services


def _read_password(from_stdin: bool) -> str:
    """Return the new password, from the first line of stdin or typed at prompts.

    A password read from stdin is checked by the service that sets it. A typed one
    is checked as soon as it is entered, and a short one is asked for again.
    """
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    while True:
        password = str(click.prompt(
            f"Password (at least {services.MIN_PASSWORD_LENGTH} characters)", hide_input=True))
        try:
            services.check_password(password)
        except services.InvalidPassword as error:
            click.echo(f"error: {error}; type another one", err=True)
            continue
        if click.prompt("Repeat the password", hide_input=True) == password:
            return password
        click.echo("error: the two passwords differ; type the password again", err=True)


@contextmanager
def _existing_user_advice() -> Iterator[None]:
    """Raise NotFound for an unknown username again with how to list the usernames."""
    try:
        yield
    except NotFound as error:
        raise NotFound(f"{error}; list the users with 'caseconsultant users list'") from None


@click.group()
def users() -> None:
    """Add web users, change their passwords, unlock and disable them."""


@users.command()
@click.argument("username")
@click.option("--role", type=click.Choice([role.value for role in Role]), default="reviewer",
              show_default=True, help="reviewer works the queue; admin also manages users.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of stdin instead of prompting.")
def add(username: str, role: str, password_stdin: bool) -> None:
    """Create a user; the password is asked for twice unless --password-stdin is given."""
    # An invalid or taken username fails here, before any password is typed.
    with session_scope() as session:
        services.check_new_username(session, username)
    password = _read_password(password_stdin)
    with session_scope() as session:
        user = services.add_user(session, username, password, Role(role))
        name = user.username
    click.echo(f"added {role} {name}")


@users.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of stdin instead of prompting.")
def set_password(username: str, password_stdin: bool) -> None:
    """Replace a user's password, end their open sessions and lift their sign-in lock.

    The lock after too many failed sign-ins from one client address stays.
    """
    with _existing_user_advice(), session_scope() as session:
        services.get_user(session, username)
    password = _read_password(password_stdin)
    with session_scope() as session:
        services.set_password(session, username, password)
    click.echo(f"password of {username} changed; their sessions were signed out and their "
               "failed sign-ins cleared")


@users.command()
@click.argument("username")
def unlock(username: str) -> None:
    """Clear a user's failed sign-ins so they can sign in again at once.

    The web refuses sign-in for 15 minutes after 5 failures for a username. This lifts
    that lock and keeps the password. The lock after too many failures from one client
    address stays.
    """
    with _existing_user_advice(), session_scope() as session:
        user, cleared = services.unlock(session, username)
        name = user.username
    click.echo(f"{name}: {cleared} recent failed sign-ins cleared")


@users.command()
@click.argument("username")
@click.option("--enable", is_flag=True, help="Enable the account again instead.")
def disable(username: str, enable: bool) -> None:
    """Disable a user so they can no longer sign in; their open sessions end."""
    with _existing_user_advice(), session_scope() as session:
        services.set_disabled(session, username, disabled=not enable)
    click.echo(f"{username} {'enabled' if enable else 'disabled'}")


@users.command("list")
def list_command() -> None:
    """List users with their role and status."""
    with session_scope() as session:
        rows = [(user.username, user.role.value, user.disabled)
                for user in services.list_users(session)]
    if not rows:
        click.echo("no users; add the first admin with: caseconsultant users add NAME --role admin")
    for name, role, disabled in rows:
        click.echo(f"{name:<24} {role:<9} {'disabled' if disabled else 'active'}")
