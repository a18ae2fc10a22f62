"""Commands that make exports: the self-assessment Word document and the IR submission pack."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import db
from ..export import ExportOptions
from ..models.exports import Export
from ..services import DomainError, exports
from ..storage import store_for


def _show(row: Export) -> None:
    path = current_app.config["SETTINGS"].exports_dir / row.filename
    click.echo(f"{path}\n  {row.summary}\n  SHA-256 {row.sha256} ({row.size} bytes)")


@click.command("export")
@with_appcontext
@click.option("--approved-only", is_flag=True, help="Include approved entries only.")
@click.option(
    "--theme", "themes", type=int, multiple=True, help="Theme number to include (repeatable)."
)
@click.option("--no-measures", is_flag=True, help="Leave out the performance measures.")
@click.option("--no-plan", is_flag=True, help="Leave out the improvement plan.")
@click.option("--no-appendix", is_flag=True, help="Leave out the appendix of IR items.")
def export_command(
    approved_only: bool,
    themes: tuple[int, ...],
    no_measures: bool,
    no_plan: bool,
    no_appendix: bool,
) -> None:
    """Build the self-assessment Word document under exports/ and record it."""
    options = ExportOptions(
        approved_only=approved_only,
        themes=tuple(sorted(set(themes))),
        include_measures=not no_measures,
        include_plan=not no_plan,
        include_appendix=not no_appendix,
    )
    settings = current_app.config["SETTINGS"]
    try:
        with db.session_scope(current_app) as session:
            row = exports.create_document(
                session, settings.exports_dir, options, settings.council_name, None
            )
            _show(row)
    except DomainError as error:
        raise click.ClickException(error.message) from error


@click.command("pack")
@with_appcontext
def pack_command() -> None:
    """Build the IR submission pack zip under exports/ and freeze the versions it holds."""
    settings = current_app.config["SETTINGS"]
    try:
        with db.session_scope(current_app) as session:
            row = exports.create_pack(
                session,
                store_for(current_app).path_for,
                settings.exports_dir,
                settings.council_name,
                None,
            )
            _show(row)
    except DomainError as error:
        raise click.ClickException(error.message) from error


COMMANDS = [export_command, pack_command]
