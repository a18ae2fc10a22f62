"""Evidence documents: uploads, duplicates, versions, metadata, links to IR items, deletion."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath, PureWindowsPath
from typing import IO

from sqlalchemy import func
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from .. import ingest
from ..models import (
    Document,
    DocumentEvidenceLink,
    DocumentVersion,
    EvidenceItem,
    StoredFile,
    TextStatus,
    User,
    utcnow,
)
from ..storage import EvidenceStore, Staged, TooLarge
from . import Conflict, Invalid, NotFound
from .audit import apply_changes, record, snapshot
from .paging import Page, paginate

META_FIELDS = ("title", "description", "document_date", "review_by", "owner")


@dataclass(frozen=True)
class DocumentInput:
    """The editable metadata of a document."""

    title: str
    description: str = ""
    document_date: date | None = None
    review_by: date | None = None
    owner: str = ""


@dataclass(frozen=True)
class UploadOutcome:
    """What happened to one uploaded file."""

    filename: str
    status: str  # "created", "duplicate" or "rejected"
    message: str
    document: Document | None = None


@dataclass(frozen=True)
class DocumentFilters:
    """What the document list can be narrowed by."""

    title: str | None = None
    item_number: int | None = None
    kind: str | None = None


def display_filename(name: str) -> str:
    """A file name safe to show and to offer for download: no folders, no control characters."""
    name = PureWindowsPath(PurePosixPath(name or "").name).name
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip(" .") or "file"
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:200]
    return name


def title_from_filename(name: str) -> str:
    """A readable default title: 'waiting_list-policy v2.pdf' becomes 'Waiting list policy v2'."""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    words = re.sub(r"[_\-]+", " ", stem).split()
    text = " ".join(words) or "Untitled document"
    return text[0].upper() + text[1:]


def get_document(session: Session, document_id: int) -> Document:
    """A document by id."""
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound("There is no such document")
    return document


def get_version(session: Session, document: Document, number: int) -> DocumentVersion:
    """One version of a document by its number."""
    for version in document.versions:
        if version.number == number:
            return version
    raise NotFound(f"Document {document.id} has no version {number}")


def list_documents(
    session: Session, filters: DocumentFilters, page: int = 1, per_page: int = 25
) -> Page[Document]:
    """Documents, newest first, filtered, a page at a time."""
    query = select(Document).options(
        selectinload(Document.evidence_items),  # type: ignore[arg-type]
        selectinload(Document.versions).selectinload(DocumentVersion.stored_file),  # type: ignore[arg-type]
    )
    if filters.title:
        query = query.where(col(Document.title).ilike(f"%{filters.title.strip()}%"))
    if filters.item_number is not None:
        query = query.where(
            col(Document.id).in_(
                select(DocumentEvidenceLink.document_id)
                .join(EvidenceItem)
                .where(EvidenceItem.number == filters.item_number)
            )
        )
    if filters.kind:
        latest = (
            select(DocumentVersion.document_id, func.max(DocumentVersion.number).label("n"))
            .group_by(col(DocumentVersion.document_id))
            .subquery()
        )
        query = query.where(
            col(Document.id).in_(
                select(DocumentVersion.document_id)
                .join(
                    latest,
                    (latest.c.document_id == DocumentVersion.document_id)
                    & (latest.c.n == DocumentVersion.number),
                )
                .join(StoredFile)
                .where(StoredFile.kind == filters.kind)
            )
        )
    query = query.order_by(col(Document.updated_at).desc(), col(Document.id).desc())
    return paginate(session, query, page, per_page)


def _items(session: Session, item_ids: Iterable[int]) -> list[EvidenceItem]:
    ids = list(item_ids)
    if not ids:
        return []
    return list(session.exec(select(EvidenceItem).where(col(EvidenceItem.id).in_(ids))))


def _stage_and_check(
    store: EvidenceStore, filename: str, stream: IO[bytes], limits: ingest.Limits
) -> tuple[Staged, str]:
    """Write the upload to a temporary file and check its type and shape; raise Invalid if bad."""
    try:
        staged = store.stage(stream, limits.max_bytes)
    except TooLarge:
        mb = limits.max_bytes // (1024 * 1024)
        raise Invalid(f"{filename} is larger than {mb} MB. Upload a smaller file.") from None
    try:
        kind = ingest.check_upload(staged.path, filename, limits)
    except ingest.IngestError as error:
        store.discard(staged)
        raise Invalid(str(error)) from None
    return staged, kind


def _stored_file(
    session: Session, staged: Staged, kind: str, limits: ingest.Limits, extract: bool
) -> StoredFile:
    existing = session.exec(select(StoredFile).where(StoredFile.sha256 == staged.sha256)).first()
    if existing:
        return existing
    stored = StoredFile(sha256=staged.sha256, size=staged.size, kind=kind)
    if extract:
        apply_extraction(stored, ingest.extract_text(staged.path, kind, limits))
    session.add(stored)
    session.flush()
    return stored


def apply_extraction(stored: StoredFile, extraction: ingest.Extraction) -> None:
    """Record a file's extracted text, or the reason it has none, on its stored-file row."""
    stored.text = extraction.text if extraction.searchable else ""
    stored.text_status = TextStatus.EXTRACTED if extraction.searchable else TextStatus.MISSING
    stored.text_reason = (extraction.reason or "")[:300]
    stored.pages = extraction.pages
    stored.extracted_at = utcnow()


def extract_pending(
    session: Session, store: EvidenceStore, limits: ingest.Limits, retry_missing: bool = False
) -> int:
    """Extract the text of stored files not read yet (and, if asked, those that failed)."""
    wanted = [TextStatus.PENDING, TextStatus.MISSING] if retry_missing else [TextStatus.PENDING]
    rows = list(session.exec(select(StoredFile).where(col(StoredFile.text_status).in_(wanted))))
    for stored in rows:
        path = store.path_for(stored.sha256)
        if not path.is_file():
            continue
        apply_extraction(stored, ingest.extract_text(path, stored.kind, limits))
    session.flush()
    return len(rows)


def _document_holding(session: Session, sha256: str) -> Document | None:
    """The document whose current version has this content, if any."""
    versions = session.exec(
        select(DocumentVersion)
        .join(StoredFile)
        .where(StoredFile.sha256 == sha256)
        .order_by(col(DocumentVersion.id))
    )
    for version in versions:
        if version.document.current is version:
            return version.document
    return None


def upload_documents(
    session: Session,
    store: EvidenceStore,
    uploads: Iterable[tuple[str, IO[bytes]]],
    item_ids: Iterable[int],
    actor: User | None,
    limits: ingest.Limits,
    extract: bool = True,
) -> list[UploadOutcome]:
    """Store each uploaded file once and file it under the chosen IR items.

    A file whose content is already the current version of a document is not stored again:
    that document is linked to the chosen items instead. A bad file is refused with a reason
    and does not stop the others. Text is extracted (in a child process) before anything is
    written to the database, so no database lock is held while a file is read; a file whose
    text cannot be read is still stored, with the reason.
    """
    items = _items(session, item_ids)
    outcomes = []
    for raw_name, stream in uploads:
        filename = display_filename(raw_name)
        try:
            staged, kind = _stage_and_check(store, filename, stream, limits)
        except Invalid as error:
            outcomes.append(UploadOutcome(filename, "rejected", error.message))
            continue
        existing = _document_holding(session, staged.sha256)
        if existing is not None:
            store.discard(staged)
            added = link_items(session, existing, items, actor)
            where = ", ".join(f"IR {i.number}" for i in added)
            message = f"{filename} is already uploaded as “{existing.title}”"
            message += f", and is now also filed under {where}." if added else "."
            outcomes.append(UploadOutcome(filename, "duplicate", message, existing))
            continue
        stored = _stored_file(session, staged, kind, limits, extract)
        store.keep(staged)
        document = Document(
            title=title_from_filename(filename), created_by_id=actor.id if actor else None
        )
        document.evidence_items = list(items)
        document.versions = [
            DocumentVersion(  # type: ignore[call-arg]  # keys set by the relationships
                number=1,
                stored_file=stored,
                filename=filename,
                uploaded_by_id=actor.id if actor else None,
            )
        ]
        session.add(document)
        session.flush()
        changes = snapshot(document, ["title"])
        changes["file"] = [None, filename]
        changes["evidence_items"] = [None, sorted(f"IR {i.number}" for i in items)]
        record(session, actor, "create", document, changes)
        outcomes.append(UploadOutcome(filename, "created", f"{filename} uploaded.", document))
    return outcomes


def add_version(
    session: Session,
    store: EvidenceStore,
    document: Document,
    raw_name: str,
    stream: IO[bytes],
    note: str,
    actor: User,
    limits: ingest.Limits,
    extract: bool = True,
) -> DocumentVersion:
    """Replace a document's file with a new version; earlier versions stay downloadable."""
    filename = display_filename(raw_name)
    staged, kind = _stage_and_check(store, filename, stream, limits)
    current = document.current
    if current is not None and current.stored_file.sha256 == staged.sha256:
        store.discard(staged)
        raise Conflict(
            f"{filename} is identical to the current version, so nothing changed.", field="file"
        )
    stored = _stored_file(session, staged, kind, limits, extract)
    store.keep(staged)
    number = (current.number if current else 0) + 1
    assert document.id is not None
    version = DocumentVersion(  # type: ignore[call-arg]  # stored_file set by the relationship
        document_id=document.id,
        number=number,
        stored_file=stored,
        filename=filename,
        uploaded_by_id=actor.id,
        note=note.strip()[:500],
    )
    session.add(version)
    document.updated_at = utcnow()
    session.flush()
    session.refresh(document, ["versions"])
    record(
        session,
        actor,
        "update",
        document,
        {
            "version": [number - 1, number],
            "file": [current.filename if current else None, filename],
        },
    )
    return version


def update_document(
    session: Session, document: Document, data: DocumentInput, item_ids: Iterable[int], actor: User
) -> Document:
    """Edit a document's metadata and the IR items it is filed under."""
    if data.review_by and data.document_date and data.review_by < data.document_date:
        raise Invalid("Review-by date must be on or after the document date", field="review_by")
    changes = apply_changes(document, {name: getattr(data, name) for name in META_FIELDS})
    new_items = _items(session, item_ids)
    before = sorted(f"IR {i.number}" for i in document.evidence_items)
    after = sorted(f"IR {i.number}" for i in new_items)
    if before != after:
        document.evidence_items = new_items
        changes["evidence_items"] = [before, after]
    if changes:
        document.updated_at = utcnow()
        session.flush()
        record(session, actor, "update", document, changes)
    return document


def link_items(
    session: Session, document: Document, items: Iterable[EvidenceItem], actor: User | None
) -> list[EvidenceItem]:
    """File a document under more IR items; return those newly added."""
    have = {i.id for i in document.evidence_items}
    added = [i for i in items if i.id not in have]
    if added:
        before = sorted(f"IR {i.number}" for i in document.evidence_items)
        document.evidence_items.extend(added)
        document.updated_at = utcnow()
        session.flush()
        after = sorted(f"IR {i.number}" for i in document.evidence_items)
        record(session, actor, "update", document, {"evidence_items": [before, after]})
    return added


def unlink_item(session: Session, document: Document, item: EvidenceItem, actor: User) -> None:
    """Take a document out of one IR item, keeping the document itself."""
    if item not in document.evidence_items:
        return
    before = sorted(f"IR {i.number}" for i in document.evidence_items)
    document.evidence_items.remove(item)
    document.updated_at = utcnow()
    session.flush()
    after = sorted(f"IR {i.number}" for i in document.evidence_items)
    record(session, actor, "update", document, {"evidence_items": [before, after]})


def delete_document(session: Session, document: Document, actor: User) -> list[str]:
    """Delete a document and all its versions; return checksums of files no record uses now.

    The caller removes those files from the store only after the database commit, so a failed
    commit never leaves a record pointing at a missing file.
    """
    stored_ids = {v.stored_file_id for v in document.versions}
    changes = snapshot(document, META_FIELDS)
    changes["versions"] = [len(document.versions), None]
    record(session, actor, "delete", document, changes)
    session.delete(document)
    session.flush()
    orphaned = []
    for stored_id in stored_ids:
        still_used = session.exec(
            select(func.count())
            .select_from(DocumentVersion)
            .where(DocumentVersion.stored_file_id == stored_id)
        ).one()
        if not still_used:
            stored = session.get(StoredFile, stored_id)
            if stored is not None:
                orphaned.append(stored.sha256)
                session.delete(stored)
    session.flush()
    return orphaned


def remove_files(session: Session, store: EvidenceStore, checksums: Iterable[str]) -> None:
    """After a commit, delete stored files that no record uses (re-checked, to be safe)."""
    for sha in checksums:
        if session.exec(select(StoredFile).where(StoredFile.sha256 == sha)).first() is None:
            store.delete(sha)
