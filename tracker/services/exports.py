"""Export records: self-assessment documents and IR submission packs kept under exports/.

Each export is written to a new timestamped file, hashed, and recorded with who made it, when
and with which options. Making a pack also freezes which document versions it held.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from .. import export as word_export
from .. import pack as ir_pack
from ..models import Theme, User, utcnow
from ..models.exports import Export, ExportKind, PackedDocument
from . import Conflict, Invalid, NotFound
from .audit import record, snapshot
from .paging import Page, paginate

EXPORT_FIELDS = ("kind", "filename", "size", "sha256", "options", "summary", "draft")
STEMS = {ExportKind.DOCUMENT: "self-assessment", ExportKind.PACK: "ir-submission-pack"}
SUFFIXES = {ExportKind.DOCUMENT: ".docx", ExportKind.PACK: ".zip"}
MIMETYPES = {
    ExportKind.DOCUMENT: (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    ),
    ExportKind.PACK: "application/zip",
}


@dataclass(frozen=True)
class Written:
    """A file just written under exports/."""

    path: Path
    sha256: str
    size: int


def _reserve(exports_dir: Path, kind: ExportKind, made_at: datetime) -> Path:
    """Create a new, empty, timestamped file; never reuses or overwrites a name."""
    exports_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{STEMS[kind]}-{made_at:%Y%m%d-%H%M%S}"
    for n in range(1, 1000):
        name = stem + ("" if n == 1 else f"-{n}") + SUFFIXES[kind]
        path = exports_dir / name
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        except FileExistsError:
            continue
        return path
    raise Conflict("Too many exports were made in the same second; try again")


def file_checksum(path: Path) -> tuple[str, int]:
    """SHA-256 and size of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _write(
    exports_dir: Path, kind: ExportKind, made_at: datetime, fill: Callable[[Path], None]
) -> Written:
    path = _reserve(exports_dir, kind, made_at)
    try:
        fill(path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    sha256, size = file_checksum(path)
    return Written(path, sha256, size)


def _record(
    session: Session,
    kind: ExportKind,
    written: Written,
    options: dict[str, object],
    summary: str,
    draft: bool,
    made_at: datetime,
    actor: User | None,
) -> Export:
    row = Export(
        kind=kind,
        filename=written.path.name,
        size=written.size,
        sha256=written.sha256,
        options=options,
        summary=summary[:300],
        draft=draft,
        created_at=made_at,
        created_by_id=actor.id if actor else None,
        created_by_name=actor.name if actor else "Command line",
    )
    session.add(row)
    session.flush()
    record(session, actor, "create", row, snapshot(row, EXPORT_FIELDS))
    return row


def create_document(
    session: Session,
    exports_dir: Path,
    options: word_export.ExportOptions,
    council_name: str,
    actor: User | None,
    now: datetime | None = None,
) -> Export:
    """Build the self-assessment Word document under exports_dir and record it."""
    made_at = now or utcnow()
    known = set(session.exec(select(col(Theme.number))))
    unknown = sorted(set(options.themes) - known)
    if unknown:
        raise Invalid(f"There is no theme {unknown[0]}", field="themes")
    contents: list[word_export.ExportData] = []

    def fill(path: Path) -> None:
        author = actor.name if actor else council_name
        contents.append(
            word_export.write(session, options, council_name, path, made_at, author=author)
        )

    written = _write(exports_dir, ExportKind.DOCUMENT, made_at, fill)
    data = contents[0]
    entries = len(data.entries)
    summary = f"{entries} entr{'y' if entries == 1 else 'ies'}; {options.describe()}"
    return _record(
        session,
        ExportKind.DOCUMENT,
        written,
        options.to_dict(),
        summary,
        data.draft,
        made_at,
        actor,
    )


def create_pack(
    session: Session,
    path_for: Callable[[str], Path],
    exports_dir: Path,
    council_name: str,
    actor: User | None,
    now: datetime | None = None,
) -> Export:
    """Build the IR submission pack zip, record it, and freeze the versions it holds."""
    made_at = now or utcnow()
    files = ir_pack.plan(session, path_for)
    if not files:
        raise Invalid("No documents are filed under any IR item yet, so there is nothing to pack")
    missing = [f for f in files if not f.source.is_file()]
    if missing:
        raise Conflict(
            f"The file of “{missing[0].document_title}” is missing from the evidence store"
        )
    readme = (
        f"{council_name}: Information Return submission pack\n"
        f"Made {made_at:%d %B %Y %H:%M} UTC by {actor.name if actor else 'the command line'}.\n"
        f"{len(files)} files; manifest.csv and manifest.xlsx list each with its SHA-256.\n"
    )

    def fill(path: Path) -> None:
        with open(path, "wb") as out:
            ir_pack.write(files, out, made_at, readme)

    written = _write(exports_dir, ExportKind.PACK, made_at, fill)
    items = len({f.item_number for f in files})
    summary = f"{len(files)} files under {items} IR item{'' if items == 1 else 's'}"
    row = _record(session, ExportKind.PACK, written, {}, summary, False, made_at, actor)
    for position, f in enumerate(files, start=1):
        session.add(
            PackedDocument(
                export_id=row.id or 0,
                position=position,
                item_number=f.item_number,
                item_title=f.item_title[:300],
                document_id=f.document_id,
                document_version_id=f.version_id,
                document_title=f.document_title[:300],
                version_number=f.version_number,
                document_date=f.document_date,
                uploaded_at=f.uploaded_at,
                original_filename=f.original_filename[:255],
                path_in_pack=f.path_in_pack[:400],
                sha256=f.sha256,
                size=f.size,
            )
        )
    session.flush()
    return row


def list_exports(session: Session, page: int = 1, per_page: int = 25) -> Page[Export]:
    """Exports, newest first, a page at a time."""
    query = select(Export).order_by(col(Export.created_at).desc(), col(Export.id).desc())
    return paginate(session, query, page, per_page)


def get_export(session: Session, export_id: int) -> Export:
    """An export record by id, with its packed documents."""
    row = session.exec(
        select(Export).where(Export.id == export_id).options(selectinload(Export.packed))  # type: ignore[arg-type]
    ).first()
    if row is None:
        raise NotFound("There is no such export")
    return row


def export_file(exports_dir: Path, row: Export) -> Path:
    """Where an export's file lives; refuses names that would leave exports_dir."""
    if Path(row.filename).name != row.filename or row.filename.startswith("."):
        raise NotFound("There is no such export file")
    path = exports_dir / row.filename
    if not path.is_file():
        raise NotFound("The file of this export is no longer on the server")
    return path


def submissions_of(session: Session, document_id: int) -> list[PackedDocument]:
    """Every pack a document went into, newest first, with the version each one held."""
    query = (
        select(PackedDocument)
        .join(Export)
        .where(PackedDocument.document_id == document_id)
        .options(selectinload(PackedDocument.export))  # type: ignore[arg-type]
        .order_by(col(Export.created_at).desc(), col(PackedDocument.id))
    )
    return list(session.exec(query))
