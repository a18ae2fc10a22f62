"""Small real PDF, Word, Excel and PowerPoint files with given content, for tests and demo data.

Output is deterministic where the format allows: the same input gives the same bytes,
except for encrypted PDFs, whose keys are random by design.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

FIXED_TIME = datetime(2026, 1, 5, 9, 0, 0)
_ZIP_TIME = FIXED_TIME.timetuple()[:6]
_W3CDTF = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
AUTHOR = "CQC Assurance Tracker sample files"

PathLike = str | os.PathLike[str]
Table = Sequence[Sequence[str]]


def write_pdf(
    path: PathLike,
    title: str,
    paragraphs: Iterable[str],
    tables: Iterable[Table] = (),
    encrypt_password: str | None = None,
) -> Path:
    """Write an A4 PDF with a title, paragraphs ("# " heading, "- " bullet) and tables."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
    from reportlab.platypus import Table as PdfTable

    styles = getSampleStyleSheet()
    story: list[Any] = [Paragraph(escape(title), styles["Title"])]
    for text in paragraphs:
        if text.startswith("# "):
            story.append(Paragraph(escape(text[2:]), styles["Heading2"]))
        elif text.startswith("- "):
            story.append(Paragraph(escape(text[2:]), styles["BodyText"], bulletText="•"))
        else:
            story.append(Paragraph(escape(text), styles["BodyText"]))
    for rows in tables:
        cells = [[Paragraph(escape(str(cell)), styles["BodyText"]) for cell in row] for row in rows]
        grid = PdfTable(cells, repeatRows=1)
        grid.setStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey)])
        story += [Spacer(1, 12), grid]

    buffer = io.BytesIO()
    # invariant=1 pins the creation date and document ID so output is repeatable.
    document = SimpleDocTemplate(
        buffer, pagesize=A4, title=title, author=AUTHOR, creator=AUTHOR, invariant=1
    )
    document.build(story)
    data = buffer.getvalue()
    if encrypt_password is not None:
        data = _encrypt_pdf(data, encrypt_password)
    path = Path(path)
    path.write_bytes(data)
    return path


def write_image_only_pdf(path: PathLike, title: str = "Scanned page") -> Path:
    """Write a one-page PDF with drawn shapes and no text layer, like a scan without OCR."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(os.fspath(path), pagesize=A4, invariant=1)
    canvas.setTitle(title)
    canvas.setAuthor(AUTHOR)
    canvas.setFillGray(0.85)
    canvas.rect(60, 500, 470, 280, stroke=1, fill=1)
    for y in range(440, 100, -24):
        canvas.line(60, y, 530, y)
    canvas.showPage()
    canvas.save()
    return Path(path)


def _encrypt_pdf(data: bytes, password: str) -> bytes:
    """Return the PDF encrypted with AES-256 so it cannot be read without the password."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=password, owner_password=password, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def write_docx(
    path: PathLike,
    title: str,
    paragraphs: Iterable[str],
    tables: Iterable[Table] = (),
    header_text: str | None = None,
) -> Path:
    """Write a Word document with a title, paragraphs ("# " heading, "- " bullet) and tables."""
    import docx

    document = docx.Document()
    _set_core_properties(document.core_properties, title)
    if header_text is not None:
        document.sections[0].header.paragraphs[0].text = header_text
    document.add_heading(title, level=0)
    for text in paragraphs:
        if text.startswith("# "):
            document.add_heading(text[2:], level=1)
        elif text.startswith("- "):
            document.add_paragraph(text[2:], style="List Bullet")
        else:
            document.add_paragraph(text)
    for rows in tables:
        width = max((len(row) for row in rows), default=0)
        if not width:
            continue
        table = document.add_table(rows=len(rows), cols=width)
        table.style = "Table Grid"
        for row_cells, row in zip(table.rows, rows, strict=True):
            for cell, value in zip(row_cells.cells, row, strict=False):
                cell.text = str(value)
    path = Path(path)
    document.save(os.fspath(path))
    _pin_zip(path)
    return path


def write_xlsx(
    path: PathLike, sheets: dict[str, Sequence[Sequence[Any]]], title: str | None = None
) -> Path:
    """Write an Excel workbook with one worksheet per entry of sheets (name to rows)."""
    import openpyxl

    if not sheets:
        raise ValueError("a workbook needs at least one sheet")
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(title=name)
        for row in rows:
            sheet.append(list(row))
    _set_core_properties(workbook.properties, title or next(iter(sheets)))
    path = Path(path)
    workbook.save(os.fspath(path))
    _pin_zip(path)
    return path


def write_pptx(
    path: PathLike,
    slides: Iterable[tuple[str, str, str | None]],
    title: str | None = None,
) -> Path:
    """Write a PowerPoint deck; each slide is (title, body with one point a line, notes)."""
    from pptx import Presentation

    presentation = Presentation()
    layout = presentation.slide_layouts[1]  # "Title and Content"
    first_title = None
    for slide_title, body, notes in slides:
        first_title = first_title or slide_title
        slide = presentation.slides.add_slide(layout)
        slide.shapes.title.text = slide_title
        slide.placeholders[1].text_frame.text = body
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    _set_core_properties(presentation.core_properties, title or first_title or "Presentation")
    path = Path(path)
    presentation.save(os.fspath(path))
    _pin_zip(path)
    return path


def _set_core_properties(properties: Any, title: str) -> None:
    """Set title, author and fixed dates on a library's core-properties object."""
    properties.title = title
    # python-docx and python-pptx call dc:creator "author"; openpyxl calls it "creator".
    if hasattr(type(properties), "author"):
        properties.author = AUTHOR
    else:
        properties.creator = AUTHOR
    properties.last_modified_by = AUTHOR
    properties.created = FIXED_TIME
    properties.modified = FIXED_TIME


_CORE_DATES = re.compile(rb"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)")


def _pin_zip(path: Path) -> None:
    """Rewrite an Office file with fixed entry times (and core dates) so output is repeatable."""
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            if name == "docProps/core.xml":
                # openpyxl stamps "modified" with the time of saving, whatever it was set to.
                data = _CORE_DATES.sub(rb"\g<1>" + _W3CDTF.encode() + rb"\g<3>", data)
            target.writestr(zipfile.ZipInfo(name, date_time=_ZIP_TIME), data, zipfile.ZIP_DEFLATED)
