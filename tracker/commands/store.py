"""`flask check-store`: the evidence store and the database agree."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import db
from ..services import integrity
from ..storage import store_for


@click.command("check-store")
@click.option("--repair", is_flag=True, help="Remove orphan and stale staged files.")
@click.option(
    "--grace",
    type=float,
    default=integrity.DEFAULT_GRACE_SECONDS,
    show_default=True,
    help="Seconds a new file is given to be committed before it counts as an orphan.",
)
@with_appcontext
def check_store(repair: bool, grace: float) -> None:
    """Report files with no record, records with no file, and leftovers of interrupted uploads."""
    store = store_for(current_app)
    with db.session_scope(current_app) as session:
        report = integrity.check_store(session, store, grace)
    for sha in report.orphan_files:
        click.echo(f"orphan file (no record): {sha}")
    for sha in report.missing_files:
        click.echo(f"MISSING file for a record: {sha} (restore it from a backup)")
    for path in report.stale_staged:
        click.echo(f"interrupted upload left: {path.name}")
    if repair and (report.orphan_files or report.stale_staged):
        removed = integrity.repair_store(store, report)
        click.echo(f"Removed {removed} leftover file(s).")
        report.orphan_files, report.stale_staged = [], []
    if report.clean:
        click.echo("Evidence store and database agree.")
        return
    sys.exit(1)


COMMANDS = [check_store]
