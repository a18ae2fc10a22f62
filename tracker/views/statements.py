"""Quality statements: the list, one statement with everything linked to it, and editing."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for

from ..auth import actor, requires
from ..db import get_session
from ..forms.assessment import StatementForm
from ..pagecache import kept_page
from ..services import framework
from ..services.assessment import ref_codes
from ..services.audit import history
from ..services.coverage import coverage
from ..services.measures import measure_summaries
from ..templating import today

bp = Blueprint("statements", __name__, url_prefix="/statements")


@bp.route("/")
@requires("view")
@kept_page
def index() -> Any:
    """The nine quality statements by theme."""
    session = get_session()
    rows = {row.statement.code: row for row in coverage(session, today())}
    return render_template(
        "statements/index.html", themes=framework.list_themes(session), rows=rows
    )


@bp.route("/<code>")
@requires("view")
@kept_page
def show(code: str) -> Any:
    """Everything linked to one quality statement."""
    session = get_session()
    qs = framework.get_statement(session, code)
    return render_template(
        "statements/show.html",
        qs=qs,
        refs=ref_codes(session),
        items=sorted(qs.evidence_items, key=lambda i: i.number),
        documents=framework.statement_documents(session, qs),
        measures=measure_summaries(session, qs.code),
        history=history(session, "QualityStatement", qs.id or 0),
    )


@bp.route("/<code>/edit", methods=["GET", "POST"])
@requires("edit")
def edit(code: str) -> Any:
    """Edit a statement's title and we statement."""
    session = get_session()
    qs = framework.get_statement(session, code)
    form = StatementForm(obj=qs)
    if form.validate_on_submit():
        framework.update_statement(
            session, qs, form.title.data or "", form.we_statement.data or "", actor()
        )
        session.commit()
        flash(f"{qs.code} saved.", "success")
        return redirect(url_for(".show", code=qs.code))
    return render_template("statements/edit.html", form=form, qs=qs)
