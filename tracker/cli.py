"""Operational commands: flask --app tracker <command>."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from . import commands, db, migrate
from .models import Role
from .services import DomainError, accounts, citations, framework


def init_app(app: Flask) -> None:
    """Register the core commands and the COMMANDS of every module in tracker.commands."""
    for command in (init_db, seed_demo, create_user, check_citations):
        app.cli.add_command(command)
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        for command in getattr(module, "COMMANDS", []):
            app.cli.add_command(command)


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Apply the schema migrations and add the CQC framework (safe to run again)."""
    try:
        migrate.upgrade(db.engine_for(current_app))
    except RuntimeError as error:
        raise click.ClickException(str(error)) from None
    with db.session_scope(current_app) as session:
        added = framework.seed_framework(session)
    click.echo(f"Database ready; {added} quality statement(s) added.")


@click.command("seed-demo")
@with_appcontext
@click.option(
    "--if-empty", is_flag=True, help="Do nothing when the database already holds IR items."
)
@click.option(
    "--logins-file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write the demo logins to this file.",
)
def seed_demo(if_empty: bool, logins_file: str | None) -> None:
    """Load the fictional demo council: IR items, real documents, entries, actions, users."""
    from . import demo, search

    with db.session_scope(current_app) as session:
        framework.seed_framework(session)
        if if_empty and demo.has_data(session):
            click.echo("The database already holds data; demo not loaded.")
            return
        logins = demo.load(session, current_app)
    with db.session_scope(current_app) as session:
        indexed = search.rebuild_from_database(search.index_for(current_app), session)
    click.echo(f"Search index built ({indexed} records).")
    lines = [f"  {x.role:<10} {x.email:<32} {x.password}" for x in logins]
    text = "Demo logins (role, email, password):\n" + "\n".join(lines)
    if logins_file:
        with open(logins_file, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        click.echo(f"Demo council loaded; logins written to {logins_file}.")
    else:
        click.echo(text)


@click.command("create-user")
@with_appcontext
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.password_option()
def create_user(email: str, name: str, role: str, password: str) -> None:
    """Add a user who can sign in."""
    try:
        with db.session_scope(current_app) as session:
            user = accounts.create_user(session, email, name, Role(role), password)
            click.echo(f"Created {user.email} ({user.role.label}).")
    except DomainError as error:
        raise click.ClickException(error.message) from None


@click.command("check-citations")
@with_appcontext
def check_citations() -> None:
    """Re-check every citation; exit 1 when any problem remains."""
    with db.session_scope(current_app) as session:
        citations.refresh_all(session)
        problems = citations.problems(session)
        for c in problems:
            entry = c.entry
            click.echo(
                f"{entry.quality_statement.code} “{entry.title}” "
                f"({c.column.replace('_', ' ')}): {c.message}"
            )
        click.echo(f"{len(problems)} citation problem(s).")
    if problems:
        sys.exit(1)
