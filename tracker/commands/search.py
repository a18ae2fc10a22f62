"""`flask reindex`, `flask check-index` and `flask import-docs`: search index and bulk import."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlmodel import select

from .. import db
from ..models import User
from ..search import count_records, index_for, rebuild_from_database
from ..services import DomainError, bulk_import, documents
from ..storage import store_for


@click.command("reindex")
@click.option("--procs", type=int, default=None, help="Writer processes (default: 2 for big sets).")
@click.option("--extract", is_flag=True, help="First read the text of files not read yet.")
@with_appcontext
def reindex(procs: int | None, extract: bool) -> None:
    """Rebuild the search index from the database, showing progress."""
    search_index = index_for(current_app)
    with db.session_scope(current_app) as session:
        if extract:
            limits = current_app.config["SETTINGS"].upload_limits()
            read = documents.extract_pending(session, store_for(current_app), limits)
            session.commit()
            click.echo(f"Read the text of {read} file(s).")
        total = count_records(session)
        with click.progressbar(length=total, label="Indexing", show_pos=True) as bar:
            count = rebuild_from_database(search_index, session, procs, bar.update)
    click.echo(f"Indexed {count} record(s).")


@click.command("check-index")
@with_appcontext
def check_index() -> None:
    """Report records missing from, stale in, or left over in the index; exit 1 if any."""
    with db.session_scope(current_app) as session:
        report = index_for(current_app).check(session)
    for key in report.missing:
        click.echo(f"missing from the index: {key}")
    for key in report.stale:
        click.echo(f"stale in the index: {key}")
    for key in report.extra:
        click.echo(f"in the index but not the database: {key}")
    if report.clean:
        click.echo(f"Search index and database agree ({report.checked} record(s)).")
        return
    click.echo("Run `flask reindex` to rebuild the index.")
    sys.exit(1)


@click.command("import-docs")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--user", "email", default=None, help="Email of the user to record as uploader.")
@with_appcontext
def import_docs(path: Path, email: str | None) -> None:
    """Import a folder or zip file whose top-level folders name IR items."""
    app = current_app
    settings = app.config["SETTINGS"]
    with db.session_scope(app) as session:
        user = None
        if email:
            user = session.exec(select(User).where(User.email == email.lower())).first()
            if user is None:
                raise click.ClickException(f"There is no user {email}")
        try:
            plan = bulk_import.plan_source(session, path)
        except DomainError as error:
            raise click.ClickException(error.message) from None
        job = bulk_import.create_job(session, path.name, plan, user)
        session.flush()
        job_id = job.id or 0
    limits = settings.upload_limits()
    with click.progressbar(length=len(plan.files), label="Importing", show_pos=True) as bar:
        bulk_import.run_job(
            db.engine_for(app),
            store_for(app),
            index_for(app),
            job_id,
            path,
            limits,
            on_progress=lambda _job: bar.update(1),
        )
    with db.session_scope(app) as session:
        job = bulk_import.get_job(session, job_id)
        click.echo(
            f"{job.status.label}: {job.created} added, {job.duplicates} already held, "
            f"{len(job.skipped)} skipped."
        )
        for skipped in job.skipped:
            click.echo(f"skipped {skipped['path']}: {skipped['reason']}")
        if job.error:
            raise click.ClickException(job.error)


COMMANDS = [reindex, check_index, import_docs]
