"""`flask db ...`: schema migrations."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from .. import changes, db, migrate

group = AppGroup("db", help="Database schema migrations.")


@group.command("upgrade")
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (the newest by default)."""
    engine = db.engine_for(current_app)
    try:
        migrate.upgrade(engine, revision)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Database at revision {migrate.current(engine)}.")


@group.command("current")
def show_current() -> None:
    """Print the revision the database is at and the newest one available."""
    engine = db.engine_for(current_app)
    click.echo(f"Database: {migrate.current(engine) or 'none'}; newest: {migrate.head()}")


@group.command("stamp")
@click.argument("revision", default="head")
def stamp(revision: str) -> None:
    """Record REVISION as applied without running it (for a database built without migrations)."""
    migrate.stamp(db.engine_for(current_app), revision)
    click.echo(f"Database stamped at {revision}.")


@group.command("mark-changed")
def mark_changed() -> None:
    """Mark every table changed, so kept pages and figures are built afresh.

    Needed only after editing the database by hand: the app marks its own changes.
    """
    with db.engine_for(current_app).begin() as connection:
        changes.stamp_all(connection)
    click.echo("Every table marked changed; pages will be rendered afresh.")


@group.command("revision")
@click.option("-m", "--message", required=True, help="What the change is.")
def new_revision(message: str) -> None:
    """Write a new migration by comparing the models with an up-to-date database."""
    migrate.revision(db.engine_for(current_app), message)


COMMANDS = [group]
