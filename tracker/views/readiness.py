"""Readiness: the gap list, self-scoring, the assessment timeline and evidence categories."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for

from ..auth import actor, requires
from ..db import get_session
from ..forms.readiness import CategoriesForm, ScoreForm, TimelineForm
from ..models.readiness import EvidenceCategory, TimelineKey
from ..pagecache import kept_page
from ..services import DomainError, assessment, documents, framework, readiness
from ..staleness import Staleness, reviewed_on, staleness
from ..templating import today
from ._helpers import attach_error, settings

bp = Blueprint("readiness", __name__, url_prefix="/readiness")


@bp.app_template_global("staleness_of")
def staleness_of(record: Any) -> Staleness:
    """Staleness of an entry, a document or a review date, for templates."""
    value = record if record is None or not hasattr(record, "id") else reviewed_on(record)
    return staleness(value, today(), settings())


@bp.app_template_global("evidence_categories_of")
def evidence_categories_of(record: Any) -> list[EvidenceCategory]:
    """The evidence categories an entry or document is tagged with, for templates."""
    session = get_session()
    if hasattr(record, "last_reviewed"):
        found = readiness.entry_categories(session, record)
    else:
        found = readiness.document_categories(session, record)
    return sorted(found, key=list(EvidenceCategory).index)


@bp.route("/gaps")
@requires("review")
@kept_page
def gaps() -> Any:
    """Every gap in the evidence, each with a link to fix it."""
    return render_template("readiness/gaps.html", gaps=readiness.gaps(get_session(), today()))


@bp.route("/scores")
@requires("review")
@kept_page
def scores() -> Any:
    """Current self-scores, the overall percentage and the indicative rating."""
    return render_template(
        "readiness/scores.html", scoring=readiness.scoring(get_session(), today())
    )


@bp.route("/scores/<code>")
@requires("review")
def score_history(code: str) -> Any:
    """Every score given to one quality statement, newest first."""
    session = get_session()
    qs = framework.get_statement(session, code)
    return render_template(
        "readiness/score_history.html", qs=qs, scores=readiness.score_history(session, qs)
    )


@bp.route("/scores/<code>/new", methods=["GET", "POST"])
@requires("edit")
def score(code: str) -> Any:
    """Give a quality statement a new score with its reasons."""
    session = get_session()
    qs = framework.get_statement(session, code)
    current = readiness.current_scores(session).get(qs.id or 0)
    form = ScoreForm(data={"score": str(current.score) if current else None})
    if form.validate_on_submit():
        try:
            value = int(form.score.data) if str(form.score.data).isdigit() else None
            readiness.record_score(session, qs, value, form.rationale.data or "", actor())
            session.commit()
            flash(f"Score for {qs.code} saved.", "success")
            return redirect(url_for(".scores"))
        except DomainError as error:
            session.rollback()
            attach_error(form, error)
    page = render_template("readiness/score_form.html", form=form, qs=qs, current=current)
    return page, 400 if form.errors else 200


@bp.route("/timeline")
@requires("review")
def timeline() -> Any:
    """The assessment's key dates with countdowns."""
    session = get_session()
    return render_template(
        "readiness/timeline.html",
        dates=readiness.timeline(session),
        history=readiness.timeline_history(session),
    )


def _timeline_input(form: TimelineForm) -> dict[TimelineKey, readiness.KeyDateInput]:
    values = {}
    for key in TimelineKey:
        done = form[f"{key.value}_done"].data if f"{key.value}_done" in form else False
        values[key] = readiness.KeyDateInput(form[key.value].data, bool(done))
    return values


@bp.route("/timeline/edit", methods=["GET", "POST"])
@requires("edit")
def edit_timeline() -> Any:
    """Set or change the key dates."""
    session = get_session()
    data: dict[str, Any] = {}
    for key_date in readiness.timeline(session):
        if not key_date.derived:
            data[key_date.key.value] = key_date.on
        data[f"{key_date.key.value}_done"] = key_date.done
    form = TimelineForm(data=data)
    if form.validate_on_submit():
        try:
            readiness.set_timeline(session, _timeline_input(form), actor())
            session.commit()
            flash("Assessment timeline saved.", "success")
            return redirect(url_for(".timeline"))
        except DomainError as error:
            session.rollback()
            attach_error(form, error)
    page = render_template("readiness/timeline_form.html", form=form)
    return page, 400 if form.errors else 200


def _chosen(form: CategoriesForm) -> set[EvidenceCategory]:
    return {EvidenceCategory(value) for value in form.categories.data or []}


@bp.route("/entries/<int:entry_id>/categories", methods=["GET", "POST"])
@requires("edit")
def entry_categories(entry_id: int) -> Any:
    """Tag a self-assessment entry with CQC evidence categories."""
    session = get_session()
    entry = assessment.get_entry(session, entry_id)
    current = readiness.entry_categories(session, entry)
    form = CategoriesForm(data={"categories": [c.value for c in current]})
    if form.validate_on_submit():
        readiness.set_entry_categories(session, entry, _chosen(form), actor())
        session.commit()
        flash("Evidence categories saved.", "success")
        return redirect(url_for("assessment.show", entry_id=entry.id))
    page = render_template(
        "readiness/categories.html",
        form=form,
        caption=f"Self-assessment entry, {entry.quality_statement.code}",
        name=entry.title,
        back=url_for("assessment.show", entry_id=entry.id),
    )
    return page, 400 if form.errors else 200


@bp.route("/documents/<int:document_id>/categories", methods=["GET", "POST"])
@requires("edit")
def document_categories(document_id: int) -> Any:
    """Tag a document with CQC evidence categories."""
    session = get_session()
    document = documents.get_document(session, document_id)
    current = readiness.document_categories(session, document)
    form = CategoriesForm(data={"categories": [c.value for c in current]})
    if form.validate_on_submit():
        readiness.set_document_categories(session, document, _chosen(form), actor())
        session.commit()
        flash("Evidence categories saved.", "success")
        return redirect(url_for("documents.show", document_id=document.id))
    page = render_template(
        "readiness/categories.html",
        form=form,
        caption="Document",
        name=document.title,
        back=url_for("documents.show", document_id=document.id),
    )
    return page, 400 if form.errors else 200
