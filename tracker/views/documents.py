"""Evidence documents: list, upload, view, edit, new version, download, delete."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from .. import ingest
from ..auth import actor, requires
from ..db import get_session
from ..forms.evidence import ConfirmForm, DocumentForm, UploadForm, VersionForm
from ..forms.fields import SelectChoice, choices
from ..pagecache import kept_page
from ..search import update_index
from ..services import DomainError, documents, evidence
from ..services.audit import history
from ..storage import store_for
from ._helpers import arg, attach_error, page_number, settings

bp = Blueprint("documents", __name__, url_prefix="/documents")


def _item_choices(session: Any) -> list[SelectChoice]:
    return choices((i.id, f"IR {i.number}: {i.title}") for i in evidence.all_items(session))


@bp.route("/")
@requires("view")
@kept_page
def index() -> Any:
    """All documents, newest first, with filters."""
    session = get_session()
    filters = documents.DocumentFilters(
        title=arg("title"),
        item_number=request.args.get("item", type=int),
        kind=arg("kind") if arg("kind") in ingest.KIND_LABELS else None,
    )
    return render_template(
        "documents/index.html",
        page=documents.list_documents(session, filters, page_number(), settings().page_size),
        filters=filters,
        items=evidence.all_items(session),
        kinds=ingest.KIND_LABELS,
    )


@bp.route("/upload", methods=["GET", "POST"])
@requires("edit")
def upload() -> Any:
    """Upload one or more files and file them under IR items."""
    session = get_session()
    form = UploadForm()
    form.items.choices = _item_choices(session)
    item_arg = request.args.get("item", "")
    if request.method == "GET" and item_arg.isdigit():
        chosen = evidence.get_item(session, int(item_arg))
        form.items.data = [chosen.id]
    if form.validate_on_submit():
        files = [f for f in request.files.getlist(form.files.name) if f and f.filename]
        if not files:
            form.files.errors = ["Select one or more files to upload"]
        else:
            outcomes = documents.upload_documents(
                session,
                store_for(current_app),
                [(f.filename or "", f.stream) for f in files],
                form.items.data or [],
                actor(),
                settings().upload_limits(),
            )
            session.commit()
            update_index(session, documents=[o.document.id for o in outcomes if o.document])
            status = 200 if any(o.status != "rejected" for o in outcomes) else 400
            return render_template("documents/uploaded.html", outcomes=outcomes), status
    return render_template(
        "documents/upload.html",
        form=form,
        limit_mb=settings().max_upload_mb,
        kinds=ingest.KIND_LABELS,
    ), 400 if form.errors else 200


@bp.route("/<int:document_id>")
@requires("view")
@kept_page
def show(document_id: int) -> Any:
    """One document: metadata, where it is filed, every version."""
    session = get_session()
    document = documents.get_document(session, document_id)
    return render_template(
        "documents/show.html",
        document=document,
        kinds=ingest.KIND_LABELS,
        history=history(session, "Document", document_id),
    )


@bp.route("/<int:document_id>/edit", methods=["GET", "POST"])
@requires("edit")
def edit(document_id: int) -> Any:
    """Edit metadata and the IR items a document is filed under."""
    session = get_session()
    document = documents.get_document(session, document_id)
    form = DocumentForm(obj=document, data={"items": [i.id for i in document.evidence_items]})
    form.items.choices = _item_choices(session)
    if form.validate_on_submit():
        data = documents.DocumentInput(
            title=(form.title.data or "").strip(),
            description=(form.description.data or "").strip(),
            document_date=form.document_date.data,
            review_by=form.review_by.data,
            owner=(form.owner.data or "").strip(),
        )
        try:
            documents.update_document(session, document, data, form.items.data or [], actor())
            session.commit()
            update_index(session, documents=[document_id])
            flash("Document saved.", "success")
            return redirect(url_for(".show", document_id=document.id))
        except DomainError as error:
            session.rollback()
            attach_error(form, error)
    return render_template("documents/edit.html", form=form, document=document)


@bp.route("/<int:document_id>/versions/new", methods=["GET", "POST"])
@requires("edit")
def new_version(document_id: int) -> Any:
    """Replace a document's file, keeping earlier versions."""
    session = get_session()
    document = documents.get_document(session, document_id)
    form = VersionForm()
    if form.validate_on_submit():
        upload = request.files.get(form.file.name)
        if not upload or not upload.filename:
            form.file.errors = ["Select the new version of the file"]
        else:
            try:
                version = documents.add_version(
                    session,
                    store_for(current_app),
                    document,
                    upload.filename,
                    upload.stream,
                    form.note.data or "",
                    actor(),
                    settings().upload_limits(),
                )
                session.commit()
                update_index(session, documents=[document_id])
                flash(f"Version {version.number} uploaded. Earlier versions are kept.", "success")
                return redirect(url_for(".show", document_id=document.id))
            except DomainError as error:
                session.rollback()
                form.file.errors = [error.message]
    return render_template(
        "documents/new_version.html",
        form=form,
        document=document,
        limit_mb=settings().max_upload_mb,
    ), 400 if form.errors else 200


@bp.route("/<int:document_id>/versions/<int:number>/download")
@requires("view")
def download(document_id: int, number: int) -> Any:
    """Send one version's file as an attachment under its original name."""
    session = get_session()
    version = documents.get_version(session, documents.get_document(session, document_id), number)
    path = store_for(current_app).path_for(version.stored_file.sha256)
    return send_file(
        path,
        mimetype=ingest.KIND_MIMETYPES.get(version.stored_file.kind, "application/octet-stream"),
        as_attachment=True,
        download_name=version.filename,
        max_age=0,
    )


@bp.route("/<int:document_id>/delete", methods=["GET", "POST"])
@requires("edit")
def delete(document_id: int) -> Any:
    """Confirm, then delete a document and all its versions."""
    session = get_session()
    document = documents.get_document(session, document_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        title = document.title
        orphaned = documents.delete_document(session, document, actor())
        session.commit()
        update_index(session, documents=[document_id])
        documents.remove_files(session, store_for(current_app), orphaned)
        flash(f"“{title}” deleted.", "success")
        return redirect(url_for(".index"))
    return render_template("documents/delete.html", form=form, document=document)
