"""The IR submission pack: a zip with a folder per IR item and a manifest (CSV and XLSX).

`plan` decides which file goes where (the current version of every document under every
item, with safe and unique names); `write` streams the zip to any binary file object, copying
each stored file in chunks, so memory use does not grow with the pack.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from .models import Document, DocumentVersion, EvidenceItem

MANIFEST_HEADINGS = (
    "IR item",
    "Item title",
    "Document",
    "File name",
    "SHA-256",
    "Version",
    "Document date",
    "Uploaded",
)
# Files that are already compressed gain nothing from deflating; text does.
DEFLATE_KINDS = {"csv", "txt", "md", "html"}
CHUNK = 1024 * 1024
UNSAFE = re.compile(r"[^\w .,()&+'@-]+")
SPACES = re.compile(r"\s+")
SPREADSHEET_FORMULA = ("=", "+", "-", "@", "\t", "\r")
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def safe_name(name: str, limit: int = 80, fallback: str = "file") -> str:
    """One path component safe on Windows, macOS and Linux: no folders, dots or odd characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("/", " ").replace("\\", " ")
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = SPACES.sub(" ", UNSAFE.sub("_", name)).strip(" ._")
    if len(name) > limit:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: limit - len(ext) - 1].rstrip(" ._") + "." + ext
        else:
            name = name[:limit].rstrip(" ._")
    if not name or name.upper().split(".")[0] in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT1"}:
        name = f"{fallback}-{name}" if name else fallback
    return name


def _unique(name: str, taken: set[str]) -> str:
    """Add ' (2)', ' (3)' … before the extension until the name is free (ignoring case)."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    candidate, n = name, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{stem} ({n}){dot}{ext}"
    taken.add(candidate.lower())
    return candidate


@dataclass(frozen=True)
class PackFile:
    """One file as it goes into the pack, with where it comes from."""

    item_number: int
    item_title: str
    document_id: int
    document_title: str
    version_id: int
    version_number: int
    document_date: date | None
    uploaded_at: datetime | None
    original_filename: str
    path_in_pack: str
    sha256: str
    size: int
    kind: str
    source: Path


def folder_name(item: EvidenceItem) -> str:
    """The item's folder in the pack, e.g. 'IR 05 - Waiting lists'."""
    return safe_name(f"IR {item.number:02d} - {item.title}", limit=70, fallback=f"IR {item.number}")


def plan(session: Session, path_for: Callable[[str], Path]) -> list[PackFile]:
    """The current version of every document under every IR item, in item then title order."""
    query = (
        select(EvidenceItem)
        .options(
            selectinload(EvidenceItem.documents)  # type: ignore[arg-type]
            .selectinload(Document.versions)  # type: ignore[arg-type]
            .selectinload(DocumentVersion.stored_file)  # type: ignore[arg-type]
        )
        .order_by(col(EvidenceItem.number))
    )
    files: list[PackFile] = []
    for item in session.exec(query):
        folder = folder_name(item)
        taken: set[str] = set()
        for document in sorted(item.documents, key=lambda d: (d.title.lower(), d.id or 0)):
            version = document.current
            if version is None:
                continue
            stored = version.stored_file
            name = _unique(safe_name(version.filename, fallback=f"document-{document.id}"), taken)
            files.append(
                PackFile(
                    item_number=item.number,
                    item_title=item.title,
                    document_id=document.id or 0,
                    document_title=document.title,
                    version_id=version.id or 0,
                    version_number=version.number,
                    document_date=document.document_date,
                    uploaded_at=version.uploaded_at,
                    original_filename=version.filename,
                    path_in_pack=f"{folder}/{name}",
                    sha256=stored.sha256,
                    size=stored.size,
                    kind=stored.kind,
                    source=path_for(stored.sha256),
                )
            )
    return files


def _cell(value: str) -> str:
    """Manifest text that a spreadsheet will show as text, never run as a formula."""
    value = XML_ILLEGAL.sub("", value)
    return "'" + value if value.startswith(SPREADSHEET_FORMULA) else value


def manifest_rows(files: Iterable[PackFile]) -> list[list[str]]:
    """The manifest as rows of text, headings first."""
    rows = [list(MANIFEST_HEADINGS)]
    for f in files:
        rows.append(
            [
                f"IR {f.item_number}",
                _cell(f.item_title),
                _cell(f.document_title),
                _cell(f.path_in_pack),
                f.sha256,
                str(f.version_number),
                f.document_date.isoformat() if f.document_date else "",
                f.uploaded_at.date().isoformat() if f.uploaded_at else "",
            ]
        )
    return rows


def manifest_csv(files: Iterable[PackFile]) -> bytes:
    """The manifest as UTF-8 CSV with a byte-order mark, so Excel reads the accents."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(manifest_rows(files))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def manifest_xlsx(files: Iterable[PackFile]) -> bytes:
    """The manifest as an Excel workbook, every cell stored as text."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Manifest"
    for r, row in enumerate(manifest_rows(files), start=1):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c)
            cell.value = value
            cell.data_type = "s"  # never a formula, whatever the text starts with
            if r == 1:
                cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFGH", (8, 40, 50, 60, 66, 8, 14, 12), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _info(name: str, made_at: datetime, deflate: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=made_at.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def write(files: list[PackFile], out: BinaryIO, made_at: datetime, readme: str = "") -> None:
    """Stream the pack to out: one folder per item, the files, manifest.csv and manifest.xlsx."""
    with zipfile.ZipFile(out, "w", allowZip64=True) as archive:
        if readme:
            archive.writestr(_info("README.txt", made_at, True), readme.encode("utf-8"))
        archive.writestr(_info("manifest.csv", made_at, True), manifest_csv(files))
        archive.writestr(_info("manifest.xlsx", made_at, False), manifest_xlsx(files))
        for f in files:
            info = _info(f.path_in_pack, made_at, f.kind in DEFLATE_KINDS)
            with open(f.source, "rb") as source, archive.open(info, "w") as target:
                shutil.copyfileobj(source, target, CHUNK)
