"""Commands for performance measures: import a dashboard file."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import db
from ..dashboard_file import parse_dashboard
from ..services import measures


@click.command("import-measures")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Show what would change without saving anything.")
@click.option("--old-codes", is_flag=True, help="Map ASCOF codes from before April 2023.")
def import_measures(path: str, dry_run: bool, old_codes: bool) -> None:
    """Import a dashboard CSV or XLSX: all rows or, if any has a problem, none."""
    parsed = parse_dashboard(path)
    with db.session_scope(current_app) as session:
        plan = measures.plan_import(session, parsed, old_codes)
        for problem in plan.errors:
            click.echo(problem.message, err=True)
        for warning in plan.warnings:
            click.echo(f"Warning: {warning.message}")
        if not plan.ok:
            raise click.ClickException(f"{len(plan.errors)} problem(s); nothing imported.")
        if not dry_run:
            measures.import_dashboard(session, parsed, None, old_codes)
    verb = "Would add" if dry_run else "Added"
    click.echo(
        f"{verb} {plan.creates} measure(s); {plan.updates} updated; {plan.unchanged} unchanged."
    )


COMMANDS = [import_measures]
