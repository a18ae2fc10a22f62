"""Performance measures: the committee dashboard, one measure, editing, import and export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from .. import charts, dashboard_file
from ..auth import actor, requires
from ..db import get_session
from ..forms.evidence import ConfirmForm
from ..forms.fields import choices
from ..forms.measures import (
    AIM_LABELS,
    UNIT_LABELS,
    ConfirmImportForm,
    ImportForm,
    MeasureForm,
    ValueForm,
)
from ..judgements import Aim, Progress, Rating, Unit
from ..models.measures import Layer, ToleranceKind
from ..pagecache import kept_page
from ..services import DomainError, framework
from ..services import measures as service
from ..services.audit import history
from ._helpers import arg, attach_error, settings

bp = Blueprint("measures", __name__, url_prefix="/measures")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload_folder() -> Path:
    return Path(settings().instance_dir) / "measure-imports"


def _enum(cls: Any, value: str | None) -> Any:
    return cls(value) if value in {m.value for m in cls} else None


@bp.route("/")
@requires("view")
@kept_page
def index() -> Any:
    """The committee dashboard: measures by layer and plan outcome, with filters."""
    session = get_session()
    statement = arg("statement")
    filters = service.MeasureFilters(
        layer=_enum(Layer, arg("layer")),
        statement=statement if statement and len(statement) <= 4 else None,
        rating=_enum(Rating, arg("rating")),
        progress=_enum(Progress, arg("progress")),
    )
    summaries = service.measure_summaries(session, filters=filters)
    return render_template(
        "measures/index.html",
        groups=service.group_summaries(summaries),
        total=len(summaries),
        filters=filters,
        statements=framework.list_statements(session),
        layers=list(Layer),
        ratings=list(Rating),
        progresses=list(Progress),
        chart=charts.kept_trend_svg,
    )


@bp.route("/<int:measure_id>")
@requires("view")
@kept_page
def show(measure_id: int) -> Any:
    """One measure: judgements with their reasons, trend chart and every period's figures."""
    session = get_session()
    summary = service.get_summary(session, measure_id)
    return render_template(
        "measures/show.html",
        s=summary,
        m=summary.measure,
        chart=charts.trend_svg(summary, f"chart-{measure_id}"),
        history=history(session, "Measure", measure_id),
        describe_value=service.describe_value,
        describe_benchmark=service.describe_benchmark,
        aim_labels=AIM_LABELS,
        unit_labels=UNIT_LABELS,
    )


@bp.route("/<int:measure_id>/download/chart.png")
@requires("view")
def chart_png(measure_id: int) -> Any:
    """The measure's trend chart as a PNG image."""
    summary = service.get_summary(get_session(), measure_id)
    return Response(charts.trend_png(summary), mimetype="image/png")


@bp.route("/export.xlsx")
@requires("export")
def export() -> Any:
    """The dashboard as an Excel workbook."""
    data = dashboard_file.dashboard_xlsx(service.measure_summaries(get_session()))
    return Response(
        data,
        mimetype=XLSX,
        headers={"Content-Disposition": 'attachment; filename="measures-dashboard.xlsx"'},
    )


@bp.route("/template.csv")
@requires("view")
def template() -> Any:
    """The import template: the header row and one example measure."""
    return Response(
        dashboard_file.template_csv_bytes(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="measures-template.csv"'},
    )


# --- measures --------------------------------------------------------------------------------


def _measure_form(session: Any, **kwargs: Any) -> MeasureForm:
    form = MeasureForm(**kwargs)
    form.statements.choices = choices(
        (qs.id, f"{qs.code} {qs.title}") for qs in framework.list_statements(session)
    )
    return form


def _measure_input(form: MeasureForm) -> service.MeasureInput:
    kind = form.tolerance_kind.data or None
    return service.MeasureInput(
        code=form.code.data or "",
        title=form.title.data or "",
        aim=Aim(form.aim.data),
        unit=Unit(form.unit.data),
        layer=Layer(form.layer.data),
        plan_outcome=form.plan_outcome.data or "",
        data_source=form.data_source.data or "",
        tolerance_kind=ToleranceKind(kind) if kind else None,
        tolerance_amount=form.tolerance_amount.data,
        statement_ids=tuple(form.statements.data or ()),
    )


@bp.route("/new", methods=["GET", "POST"])
@requires("edit")
def new() -> Any:
    """Add a measure."""
    session = get_session()
    form = _measure_form(session)
    if form.validate_on_submit():
        try:
            measure = service.create_measure(session, _measure_input(form), actor())
            session.commit()
            flash("Measure added.", "success")
            return redirect(url_for(".show", measure_id=measure.id))
        except DomainError as error:
            session.rollback()
            attach_error(form, error)
    return render_template("measures/form.html", form=form, m=None), 400 if form.errors else 200


@bp.route("/<int:measure_id>/edit", methods=["GET", "POST"])
@requires("edit")
def edit(measure_id: int) -> Any:
    """Edit a measure, its tolerance and its quality statements."""
    session = get_session()
    measure = service.get_measure(session, measure_id)
    data = {
        "aim": measure.aim.value,
        "unit": measure.unit.value,
        "layer": measure.layer.value,
        "tolerance_kind": measure.tolerance_kind.value if measure.tolerance_kind else "",
        "statements": [qs.id for qs in measure.statements],
    }
    form = _measure_form(session, obj=measure, data=data)
    if form.validate_on_submit():
        try:
            service.update_measure(session, measure, _measure_input(form), actor())
            session.commit()
            flash("Measure saved.", "success")
            return redirect(url_for(".show", measure_id=measure.id))
        except DomainError as error:
            session.rollback()
            attach_error(form, error)
    return render_template("measures/form.html", form=form, m=measure), 400 if form.errors else 200


@bp.route("/<int:measure_id>/delete", methods=["GET", "POST"])
@requires("edit")
def delete(measure_id: int) -> Any:
    """Confirm, then delete a measure and its values."""
    session = get_session()
    measure = service.get_measure(session, measure_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        service.delete_measure(session, measure, actor())
        session.commit()
        flash("Measure deleted.", "success")
        return redirect(url_for(".index"))
    return render_template("measures/delete.html", form=form, m=measure, value=None)


# --- values ----------------------------------------------------------------------------------


def _value_input(form: ValueForm) -> service.ValueInput:
    return service.ValueInput(
        period=form.period.data or "",
        value=form.value.data,
        numerator=form.numerator.data,
        denominator=form.denominator.data,
        benchmark=form.benchmark.data,
        band_low=form.band_low.data,
        band_high=form.band_high.data,
        benchmark_label=form.benchmark_label.data or "",
        note=form.note.data or "",
    )


@bp.route("/<int:measure_id>/values/new", methods=["GET", "POST"])
@requires("edit")
def new_value(measure_id: int) -> Any:
    """Add a measure's figures for a period."""
    session = get_session()
    measure = service.get_measure(session, measure_id)
    form = ValueForm()
    if form.validate_on_submit():
        try:
            service.record_value(session, measure, _value_input(form), actor())
            session.commit()
            flash("Value added.", "success")
            return redirect(url_for(".show", measure_id=measure.id))
        except DomainError as error:
            session.rollback()
            attach_error(form, error)
    return _value_page(form, measure, None)


@bp.route("/<int:measure_id>/values/<int:value_id>/edit", methods=["GET", "POST"])
@requires("edit")
def edit_value(measure_id: int, value_id: int) -> Any:
    """Edit a measure's figures for a period."""
    session = get_session()
    measure = service.get_measure(session, measure_id)
    value = service.get_value(session, measure, value_id)
    form = ValueForm(obj=value)
    if form.validate_on_submit():
        try:
            service.update_value(session, measure, value, _value_input(form), actor())
            session.commit()
            flash("Value saved.", "success")
            return redirect(url_for(".show", measure_id=measure.id))
        except DomainError as error:
            session.rollback()
            attach_error(form, error)
    return _value_page(form, measure, value)


def _value_page(form: ValueForm, measure: Any, value: Any) -> Any:
    return render_template(
        "measures/value_form.html", form=form, m=measure, value=value
    ), 400 if form.errors else 200


@bp.route("/<int:measure_id>/values/<int:value_id>/delete", methods=["GET", "POST"])
@requires("edit")
def delete_value(measure_id: int, value_id: int) -> Any:
    """Confirm, then delete one period's figures."""
    session = get_session()
    measure = service.get_measure(session, measure_id)
    value = service.get_value(session, measure, value_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        service.delete_value(session, measure, value, actor())
        session.commit()
        flash(f"{value.period} deleted.", "success")
        return redirect(url_for(".show", measure_id=measure.id))
    return render_template("measures/delete.html", form=form, m=measure, value=value)


# --- import ----------------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
@requires("edit")
def upload() -> Any:
    """Upload a dashboard file and preview what importing it would do (nothing is written)."""
    form = ImportForm()
    if not form.validate_on_submit():
        return render_template("measures/import.html", form=form), 400 if form.errors else 200
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        form.file.errors = ["Choose a CSV or XLSX file"]
        form._errors = None  # type: ignore[attr-defined]
        return render_template("measures/import.html", form=form), 400
    data = upload.read(dashboard_file.MAX_BYTES + 1)
    parsed = dashboard_file.parse_dashboard(data, upload.filename)
    plan = service.plan_import(get_session(), parsed, bool(form.old_codes.data))
    token = dashboard_file.stash_upload(_upload_folder(), data, upload.filename) if plan.ok else ""
    confirm = ConfirmImportForm(
        data={"token": token, "old_codes": "y" if form.old_codes.data else ""}
    )
    return render_template(
        "measures/preview.html", plan=plan, confirm=confirm
    ), 200 if plan.ok else 400


@bp.route("/import/confirm", methods=["POST"])
@requires("edit")
def confirm_import() -> Any:
    """Import a previewed file, read back from the server by its checksum: all or nothing."""
    session = get_session()
    form = ConfirmImportForm()
    kept = dashboard_file.read_stash(_upload_folder(), form.token.data or "")
    if not form.validate_on_submit() or kept is None:
        flash("That upload has expired or was not found. Upload the file again.", "error")
        return redirect(url_for(".upload"))
    parsed = dashboard_file.parse_dashboard(kept[0], kept[1])
    try:
        plan = service.import_dashboard(session, parsed, actor(), form.old_codes.data == "y")
    except DomainError:
        session.rollback()
        plan = service.plan_import(session, parsed, form.old_codes.data == "y")
        return render_template("measures/preview.html", plan=plan, confirm=form), 400
    session.commit()
    flash(
        f"Imported {plan.filename}: {plan.creates} measure(s) added, {plan.updates} updated, "
        f"{plan.unchanged} unchanged.",
        "success",
    )
    return redirect(url_for(".index"))
