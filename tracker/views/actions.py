"""The improvement plan: actions, their progress updates, create, edit, delete."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for

from ..auth import actor, requires
from ..db import get_session
from ..forms.assessment import ActionForm, ActionUpdateForm
from ..forms.evidence import ConfirmForm
from ..forms.fields import choices
from ..models import ActionStatus
from ..pagecache import kept_page
from ..services import DomainError, actions, assessment, framework
from ..services.audit import history
from ..templating import today
from ._helpers import arg, attach_error, page_number

bp = Blueprint("actions", __name__, url_prefix="/actions")


def _action_form(session: Any, **kwargs: Any) -> ActionForm:
    form = ActionForm(**kwargs)
    form.quality_statement_id.choices = choices(
        (qs.id, f"{qs.code} {qs.title}") for qs in framework.list_statements(session)
    )
    refs = assessment.ref_codes(session)
    form.entry_id.choices = choices(
        [(0, "None")]
        + [
            (e.id or 0, f"{refs[e.id or 0]} {e.quality_statement.code}: {e.title}")
            for e in assessment.ordered_entries(session)
        ]
    )
    return form


def _input(form: ActionForm) -> actions.ActionInput:
    return actions.ActionInput(
        title=form.title.data or "",
        detail=form.detail.data or "",
        quality_statement_id=form.quality_statement_id.data or 0,
        entry_id=form.entry_id.data or None,
        owner=form.owner.data or "",
        due_date=form.due_date.data,
        status=ActionStatus(form.status.data),
    )


def _filters() -> actions.ActionFilters:
    """The improvement plan filters and sort order from the query string."""
    status = arg("status")
    sort = arg("sort", "statement")
    return actions.ActionFilters(
        statement=arg("statement"),
        status=ActionStatus(status) if status in {s.value for s in ActionStatus} else None,
        owner=arg("owner"),
        overdue=arg("overdue") == "yes",
        sort=sort if sort in actions.SORTS else "statement",
    )


def _filter_choices(session: Any) -> dict[str, Any]:
    return {
        "statements": framework.list_statements(session),
        "owners": actions.owners(session),
        "statuses": list(ActionStatus),
        "sorts": actions.SORTS,
    }


@bp.route("/")
@requires("view")
@kept_page
def index() -> Any:
    """The improvement plan with filters and a choice of order."""
    session = get_session()
    filters = _filters()
    return render_template(
        "actions/index.html",
        page=actions.list_actions(session, filters, today(), page_number()),
        filters=filters,
        **_filter_choices(session),
    )


@bp.route("/updates")
@requires("view")
@kept_page
def updates() -> Any:
    """The update log: every progress note on the filtered actions, newest first."""
    session = get_session()
    filters = _filters()
    return render_template(
        "actions/updates.html",
        page=actions.update_log(session, filters, today(), page_number()),
        filters=filters,
        **_filter_choices(session),
    )


@bp.route("/improvement-plan.xlsx")
@requires("export")
def download() -> Any:
    """The filtered improvement plan and its update log as an Excel workbook."""
    data = actions.plan_workbook(get_session(), _filters(), today())
    return send_file(
        io.BytesIO(data),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"improvement-plan-{today().isoformat()}.xlsx",
    )


@bp.route("/<int:action_id>")
@requires("view")
@kept_page
def show(action_id: int) -> Any:
    """One action with its progress updates."""
    session = get_session()
    return _render_show(
        session, actions.get_action(session, action_id), ActionUpdateForm(data={"on": today()})
    )


def _render_show(session: Any, action: Any, form: ActionUpdateForm) -> Any:
    return render_template(
        "actions/show.html", action=action, form=form, history=history(session, "Action", action.id)
    ), 400 if form.errors else 200


@bp.route("/<int:action_id>/updates", methods=["POST"])
@requires("edit")
def add_update(action_id: int) -> Any:
    """Record a dated progress update, optionally changing the status."""
    session = get_session()
    action = actions.get_action(session, action_id)
    form = ActionUpdateForm()
    if not form.validate_on_submit():
        return _render_show(session, action, form)
    status = ActionStatus(form.status.data) if form.status.data else None
    assert form.on.data is not None  # the field is required
    actions.add_update(session, action, form.on.data, form.note.data or "", status, actor())
    session.commit()
    flash("Update added.", "success")
    return redirect(url_for(".show", action_id=action.id))


@bp.route("/new", methods=["GET", "POST"])
@requires("edit")
def new() -> Any:
    """Add an action to the improvement plan."""
    session = get_session()
    defaults: dict[str, Any] = {}
    if request.method == "GET" and arg("statement"):
        defaults["quality_statement_id"] = framework.get_statement(session, arg("statement")).id
        defaults["entry_id"] = request.args.get("entry", 0, type=int)
    form = _action_form(session, data=defaults)
    if form.validate_on_submit():
        try:
            action = actions.create_action(session, _input(form), actor())
            session.commit()
            flash("Action added.", "success")
            return redirect(url_for(".show", action_id=action.id))
        except DomainError as error:
            session.rollback()
            attach_error(form, error)
    return render_template("actions/form.html", form=form, action=None)


@bp.route("/<int:action_id>/edit", methods=["GET", "POST"])
@requires("edit")
def edit(action_id: int) -> Any:
    """Edit an action."""
    session = get_session()
    action = actions.get_action(session, action_id)
    form = _action_form(
        session, obj=action, data={"entry_id": action.entry_id or 0, "status": action.status.value}
    )
    if form.validate_on_submit():
        try:
            actions.update_action(session, action, _input(form), actor())
            session.commit()
            flash("Action saved.", "success")
            return redirect(url_for(".show", action_id=action.id))
        except DomainError as error:
            session.rollback()
            attach_error(form, error)
    return render_template("actions/form.html", form=form, action=action)


@bp.route("/<int:action_id>/delete", methods=["GET", "POST"])
@requires("edit")
def delete(action_id: int) -> Any:
    """Confirm, then delete an action."""
    session = get_session()
    action = actions.get_action(session, action_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        actions.delete_action(session, action, actor())
        session.commit()
        flash("Action deleted.", "success")
        return redirect(url_for(".index"))
    return render_template("actions/delete.html", form=form, action=action)
