"""The self-assessment: entries per quality statement, their workflow and the foreword."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..auth import actor, requires
from ..db import get_session
from ..forms.assessment import EntryForm, ForewordForm
from ..forms.evidence import ConfirmForm
from ..models import EntryStatus
from ..pagecache import kept_page
from ..search import update_index
from ..services import DomainError, assessment, framework
from ..services.audit import history
from ._helpers import attach_error

bp = Blueprint("assessment", __name__, url_prefix="/assessment")
FOREWORD = framework.FOREWORD


def _input(form: EntryForm) -> assessment.EntryInput:
    return assessment.EntryInput(
        title=form.title.data or "",
        what_we_know=form.what_we_know.data or "",
        how_we_know=form.how_we_know.data or "",
        our_plans=form.our_plans.data or "",
        owner=form.owner.data or "",
        last_reviewed=form.last_reviewed.data,
    )


@bp.route("/")
@requires("view")
@kept_page
def index() -> Any:
    """The whole self-assessment in document order."""
    session = get_session()
    entries = assessment.ordered_entries(session)
    by_statement: dict[int, list[Any]] = {}
    for entry in entries:
        by_statement.setdefault(entry.quality_statement_id, []).append(entry)
    return render_template(
        "assessment/index.html",
        statements=framework.list_statements(session),
        by_statement=by_statement,
        refs=assessment.ref_codes(session),
        foreword=framework.get_text(session, FOREWORD),
    )


@bp.route("/entries/<int:entry_id>")
@requires("view")
@kept_page
def show(entry_id: int) -> Any:
    """One entry in full with its citations, workflow and history."""
    session = get_session()
    entry = assessment.get_entry(session, entry_id)
    return render_template(
        "assessment/show.html",
        entry=entry,
        ref=assessment.ref_codes(session).get(entry_id, ""),
        moves=assessment.allowed_moves(entry, actor()),
        history=history(session, "Entry", entry_id),
    )


@bp.route("/<code>/new", methods=["GET", "POST"])
@requires("edit")
def new(code: str) -> Any:
    """Add an entry to a quality statement."""
    session = get_session()
    qs = framework.get_statement(session, code)
    form = EntryForm()
    if form.validate_on_submit():
        try:
            entry = assessment.create_entry(session, qs, _input(form), actor())
            session.commit()
            update_index(session, entries=[entry.id])
            _flash_saved(entry)
            return redirect(url_for(".show", entry_id=entry.id))
        except DomainError as error:
            session.rollback()
            attach_error(form, error)
    return render_template("assessment/form.html", form=form, qs=qs, entry=None)


@bp.route("/entries/<int:entry_id>/edit", methods=["GET", "POST"])
@requires("edit")
def edit(entry_id: int) -> Any:
    """Edit an entry's words."""
    session = get_session()
    entry = assessment.get_entry(session, entry_id)
    form = EntryForm(obj=entry)
    if form.validate_on_submit():
        was_approved = entry.status == EntryStatus.APPROVED
        try:
            assessment.update_entry(session, entry, _input(form), actor())
            session.commit()
            update_index(session, entries=[entry_id])
            _flash_saved(entry, was_approved)
            return redirect(url_for(".show", entry_id=entry.id))
        except DomainError as error:
            session.rollback()
            attach_error(form, error)
    return render_template(
        "assessment/form.html", form=form, qs=entry.quality_statement, entry=entry
    )


def _flash_saved(entry: Any, was_approved: bool = False) -> None:
    message = "Entry saved."
    if was_approved and entry.status == EntryStatus.DRAFT:
        message += (
            " It was approved; because its words changed it is a draft again and needs approving."
        )
    if entry.problems:
        message += f" It has {len(entry.problems)} citation problem(s) to fix."
    flash(message, "success")


@bp.route("/entries/<int:entry_id>/status", methods=["POST"])
@requires("review")
def set_status(entry_id: int) -> Any:
    """Move an entry through review (the service checks who may)."""
    session = get_session()
    entry = assessment.get_entry(session, entry_id)
    try:
        status = EntryStatus(request.form.get("status", ""))
    except ValueError:
        abort(400)
    assessment.set_status(session, entry, status, actor())
    session.commit()
    update_index(session, entries=[entry_id])
    flash(f"Entry marked as {status.label.lower()}.", "success")
    return redirect(url_for(".show", entry_id=entry.id))


@bp.route("/entries/<int:entry_id>/move", methods=["POST"])
@requires("edit")
def move(entry_id: int) -> Any:
    """Move an entry up or down; ref codes follow the order."""
    session = get_session()
    entry = assessment.get_entry(session, entry_id)
    assessment.move_entry(
        session, entry, -1 if request.form.get("direction") == "up" else 1, actor()
    )
    session.commit()
    return redirect(url_for(".index", _anchor=f"statement-{entry.quality_statement.code}"))


@bp.route("/entries/<int:entry_id>/delete", methods=["GET", "POST"])
@requires("edit")
def delete(entry_id: int) -> Any:
    """Confirm, then delete an entry."""
    session = get_session()
    entry = assessment.get_entry(session, entry_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        assessment.delete_entry(session, entry, actor())
        session.commit()
        update_index(session, entries=[entry_id])
        flash("Entry deleted.", "success")
        return redirect(url_for(".index"))
    return render_template("assessment/delete.html", form=form, entry=entry)


@bp.route("/foreword", methods=["GET", "POST"])
@requires("edit")
def foreword() -> Any:
    """Edit the introduction and foreword of the self-assessment."""
    session = get_session()
    form = ForewordForm(data={"foreword": framework.get_text(session, FOREWORD)})
    if form.validate_on_submit():
        framework.set_text(session, FOREWORD, (form.foreword.data or "").strip(), actor())
        session.commit()
        flash("Foreword saved.", "success")
        return redirect(url_for(".index"))
    return render_template("assessment/foreword.html", form=form)
