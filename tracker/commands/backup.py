"""Backup commands: `flask backup [PATH]` and `flask restore PATH`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import db
from ..backup import BackupError, check_backup, create_backup, restore_backup
from ..storage import store_for


def default_path(now: datetime) -> Path:
    """A timestamped archive name under the instance folder's backups/."""
    folder = current_app.config["SETTINGS"].instance_dir / "backups"
    return folder / f"tracker-backup-{now:%Y%m%d-%H%M%S}Z.tar.gz"


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


@click.command("backup")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup(path: Path | None) -> None:
    """Write every record and evidence file to one archive (default: instance/backups/)."""
    now = datetime.now(UTC)
    target = path or default_path(now)
    try:
        summary = create_backup(db.engine_for(current_app), store_for(current_app), target, now=now)
    except BackupError as error:
        raise click.ClickException(error.message) from None
    click.echo(
        f"Backup written to {summary.path}: {summary.rows} row(s) in "
        f"{sum(1 for n in summary.tables.values() if n)} table(s), {summary.files} evidence "
        f"file(s) ({_megabytes(summary.file_bytes)}); archive {_megabytes(summary.archive_bytes)}, "
        f"{summary.seconds:.1f} s."
    )
    click.echo(
        "The archive holds personal data and password hashes: keep it as safe as the database."
    )


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--replace",
    is_flag=True,
    help="Delete every record already in the database (and files only they used) first.",
)
@click.option("--check", is_flag=True, help="Only check the archive; change nothing.")
@with_appcontext
def restore(path: Path, replace: bool, check: bool) -> None:
    """Put back every record and evidence file from a backup archive."""
    try:
        if check:
            summary = check_backup(path)
        else:
            summary = restore_backup(
                db.engine_for(current_app), store_for(current_app), path, replace=replace
            )
    except BackupError as error:
        raise click.ClickException(error.message) from None
    verb = "holds" if summary.checked_only else "restored:"
    click.echo(
        f"Backup of {summary.created_at} {verb} {summary.rows} row(s), {summary.files} "
        f"evidence file(s) ({_megabytes(summary.file_bytes)}); {summary.seconds:.1f} s."
    )
    if summary.checked_only:
        click.echo("Every member and checksum is correct; nothing was changed.")
        return
    if summary.removed_files:
        click.echo(f"{summary.removed_files} evidence file(s) no record uses were removed.")
    click.echo("The search index is not in the backup: run `flask reindex` to rebuild it.")


COMMANDS = [backup, restore]
