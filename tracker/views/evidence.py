"""IR evidence items: list with filters, one item, create, edit, delete."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for

from ..auth import actor, requires
from ..db import get_session
from ..forms.evidence import ConfirmForm, ItemForm
from ..forms.fields import choices
from ..models import EvidenceStatus
from ..pagecache import kept_page
from ..search import update_index
from ..services import DomainError, evidence, framework
from ..services.audit import history
from ..services.citations import citing_entries
from ..templating import today
from ._helpers import arg, attach_error, page_number

bp = Blueprint("evidence", __name__, url_prefix="/evidence")


def _item_form(session: Any, **kwargs: Any) -> ItemForm:
    form = ItemForm(**kwargs)
    form.statements.choices = choices(
        (qs.id, f"{qs.code} {qs.title}") for qs in framework.list_statements(session)
    )
    return form


def _input(form: ItemForm) -> evidence.ItemInput:
    return evidence.ItemInput(
        number=form.number.data or 0,
        title=(form.title.data or "").strip(),
        description=(form.description.data or "").strip(),
        owner=(form.owner.data or "").strip(),
        due_date=form.due_date.data,
        status=EvidenceStatus(form.status.data),
        statement_ids=tuple(form.statements.data or ()),
    )


@bp.route("/")
@requires("view")
@kept_page
def index() -> Any:
    """The IR item list, filtered by statement, status, owner or overdue."""
    session = get_session()
    status = arg("status")
    filters = evidence.ItemFilters(
        statement=arg("statement"),
        status=EvidenceStatus(status) if status in {s.value for s in EvidenceStatus} else None,
        owner=arg("owner"),
        overdue=arg("overdue") == "yes",
    )
    page = evidence.list_items(session, filters, today(), page_number())
    return render_template(
        "evidence/index.html",
        page=page,
        documents=evidence.document_counts(session),
        filters=filters,
        statements=framework.list_statements(session),
        owners=evidence.owners(session),
        statuses=list(EvidenceStatus),
    )


@bp.route("/<int:number>")
@requires("view")
@kept_page
def show(number: int) -> Any:
    """One IR item with its documents, the entries that cite it and its statements."""
    session = get_session()
    item = evidence.get_item(session, number)
    return render_template(
        "evidence/show.html",
        item=item,
        entries=citing_entries(session, item),
        history=history(session, "EvidenceItem", item.id or 0),
    )


@bp.route("/new", methods=["GET", "POST"])
@requires("edit")
def new() -> Any:
    """Add an IR item."""
    session = get_session()
    form = _item_form(session)
    if form.validate_on_submit():
        try:
            item = evidence.create_item(session, _input(form), actor())
            session.commit()
            update_index(session, items=[item.id])
            flash(f"IR {item.number} added.", "success")
            return redirect(url_for(".show", number=item.number))
        except DomainError as error:
            session.rollback()
            attach_error(form, error)
    return render_template("evidence/form.html", form=form, item=None)


@bp.route("/<int:number>/edit", methods=["GET", "POST"])
@requires("edit")
def edit(number: int) -> Any:
    """Edit an IR item."""
    session = get_session()
    item = evidence.get_item(session, number)
    form = _item_form(
        session,
        obj=item,
        data={"statements": [s.id for s in item.statements], "status": item.status.value},
    )
    if form.validate_on_submit():
        try:
            evidence.update_item(session, item, _input(form), actor())
            session.commit()
            # The item's statements are facets of its documents, so they are re-indexed too.
            update_index(session, items=[item.id], documents=[d.id for d in item.documents])
            flash(f"IR {item.number} saved.", "success")
            return redirect(url_for(".show", number=item.number))
        except DomainError as error:
            session.rollback()
            attach_error(form, error)
    return render_template("evidence/form.html", form=form, item=item)


@bp.route("/<int:number>/delete", methods=["GET", "POST"])
@requires("edit")
def delete(number: int) -> Any:
    """Confirm, then delete an IR item (its documents stay)."""
    session = get_session()
    item = evidence.get_item(session, number)
    form = ConfirmForm()
    if form.validate_on_submit():
        item_id, document_ids = item.id, [d.id for d in item.documents]
        evidence.delete_item(session, item, actor())
        session.commit()
        update_index(session, items=[item_id], documents=document_ids)
        flash(f"IR {number} deleted. Its documents are still in the document list.", "success")
        return redirect(url_for(".index"))
    return render_template(
        "evidence/delete.html", form=form, item=item, entries=citing_entries(session, item)
    )
