"""Exports: the self-assessment Word document and the IR submission pack, kept as records."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, send_file, url_for

from ..auth import actor, requires
from ..db import get_session
from ..export import ExportOptions
from ..forms.exports import ExportForm, PackForm
from ..forms.fields import choices
from ..models.exports import ExportKind
from ..services import DomainError, exports, framework
from ..storage import store_for
from ._helpers import attach_error, page_number, settings

bp = Blueprint("exports", __name__, url_prefix="/exports")


@bp.route("/")
@requires("view")
def index() -> Any:
    """Every export made, newest first, with who made it and its checksum."""
    page = exports.list_exports(get_session(), page_number(), settings().page_size)
    return render_template("exports/index.html", page=page)


def _options(form: ExportForm) -> ExportOptions:
    return ExportOptions(
        approved_only=form.entries.data == "approved",
        themes=tuple(sorted(form.themes.data or [])),
        include_plan=bool(form.include_plan.data),
        include_appendix=bool(form.include_appendix.data),
        include_measures=bool(form.include_measures.data),
    )


@bp.route("/new", methods=["GET", "POST"])
@requires("export")
def new() -> Any:
    """Choose the options, then build and keep the self-assessment Word document."""
    session = get_session()
    form = ExportForm()
    form.themes.choices = choices(
        (t.number, f"{t.number}. {t.title}") for t in framework.list_themes(session)
    )
    if form.validate_on_submit():
        try:
            row = exports.create_document(
                session, settings().exports_dir, _options(form), settings().council_name, actor()
            )
            session.commit()
            flash(f"{row.filename} is ready to download.", "success")
            return redirect(url_for(".show", export_id=row.id))
        except DomainError as error:
            session.rollback()
            attach_error(form, error)
    return render_template("exports/new.html", form=form), 400 if form.errors else 200


@bp.route("/pack", methods=["GET", "POST"])
@requires("export")
def pack() -> Any:
    """Confirm, then build the IR submission pack and freeze the versions it holds."""
    session = get_session()
    form = PackForm()
    if form.validate_on_submit():
        try:
            row = exports.create_pack(
                session,
                store_for(current_app).path_for,
                settings().exports_dir,
                settings().council_name,
                actor(),
            )
            session.commit()
            flash(f"{row.filename} is ready to download.", "success")
            return redirect(url_for(".show", export_id=row.id))
        except DomainError as error:
            session.rollback()
            attach_error(form, error)
    return render_template("exports/pack.html", form=form), 400 if form.errors else 200


@bp.route("/<int:export_id>")
@requires("view")
def show(export_id: int) -> Any:
    """One export: options, checksum and, for a pack, exactly which versions it held."""
    row = exports.get_export(get_session(), export_id)
    return render_template("exports/show.html", export=row, kinds=ExportKind)


@bp.route("/<int:export_id>/download")
@requires("export")
def download(export_id: int) -> Any:
    """Send the export's file as an attachment under its stored, safe name."""
    row = exports.get_export(get_session(), export_id)
    return send_file(
        exports.export_file(settings().exports_dir, row),
        mimetype=exports.MIMETYPES[row.kind],
        as_attachment=True,
        download_name=row.filename,
        max_age=0,
    )
