"""Bulk import of a zip file of documents, run in the background with a progress page."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField

from .. import db
from ..auth import actor, requires
from ..db import get_session
from ..search import index_for
from ..services import DomainError, bulk_import
from ..storage import store_for
from ._helpers import attach_error, settings

bp = Blueprint("imports", __name__, url_prefix="/imports")

# Seconds between automatic reloads of the progress page while the import runs.
POLL_SECONDS = 2


class ImportForm(FlaskForm):
    """Choose a zip file to import."""

    archive = FileField("Zip file of documents")


def _start(job_id: int, path: Path) -> None:
    """Run the job in a background thread with its own session; the zip is removed at the end."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    engine, store, index = db.engine_for(app), store_for(app), index_for(app)
    limits = settings().upload_limits()

    def work() -> None:
        try:
            bulk_import.run_job(engine, store, index, job_id, path, limits)
        finally:
            path.unlink(missing_ok=True)

    threading.Thread(target=work, name=f"import-{job_id}", daemon=True).start()


@bp.route("/", methods=["GET", "POST"])
@requires("edit")
def index() -> Any:
    """Upload a zip file whose top-level folders name IR items; see recent imports."""
    session = get_session()
    form = ImportForm()
    if form.validate_on_submit():
        upload = request.files.get(form.archive.name)
        if not upload or not upload.filename:
            form.archive.errors = ["Select a zip file"]
        else:
            folder = settings().instance_dir / "imports"
            folder.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=folder, suffix=".zip")
            path = Path(name)
            with open(handle, "wb") as out:
                upload.save(out)
            try:
                plan = bulk_import.plan_zip(session, path)
                job = bulk_import.create_job(session, upload.filename, plan, actor())
                session.commit()
                _start(job.id or 0, path)
                return redirect(url_for(".show", job_id=job.id))
            except DomainError as error:
                session.rollback()
                path.unlink(missing_ok=True)
                attach_error(form, error)
    return render_template(
        "imports/index.html", form=form, jobs=bulk_import.recent_jobs(session)
    ), 400 if form.errors else 200


@bp.route("/<int:job_id>")
@requires("edit")
def show(job_id: int) -> Any:
    """An import's progress and its report; reloads itself until the import finishes."""
    job = bulk_import.get_job(get_session(), job_id)
    response = current_app.make_response(render_template("imports/show.html", job=job))
    if not job.finished:
        # A Refresh header keeps the page current without any script.
        response.headers["Refresh"] = str(POLL_SECONDS)
    return response


@bp.route("/<int:job_id>/status")
@requires("edit")
def status(job_id: int) -> Any:
    """An import's progress as JSON, for scripts and progress displays."""
    job = bulk_import.get_job(get_session(), job_id)
    return jsonify(
        status=job.status.value,
        label=job.status.label,
        total=job.total,
        processed=job.processed,
        created=job.created,
        duplicates=job.duplicates,
        skipped=len(job.skipped),
        percent=job.percent,
        finished=job.finished,
        error=job.error,
    )
