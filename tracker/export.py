"""Build the self-assessment Word document from the database (python-docx, A4; no Flask).

`collect` reads what the document needs through the services; `build` lays it out. The
document has a cover page, a contents field, the foreword, one landscape part with a table of
entries and the measures for each quality statement, the improvement plan, and an appendix of
IR items with their documents. While any included entry is not approved, every page carries a
"DRAFT" mark in its header and a diagonal watermark.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from docx import Document as new_document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from . import richtext
from .models import (
    Action,
    ActionStatus,
    Document,
    Entry,
    EntryStatus,
    EvidenceItem,
    QualityStatement,
    Theme,
)
from .services import assessment, framework

TITLE = "Adult social care self-assessment"
ENTRY_COLUMNS = ("Ref", "What do we know", "How do we know it", "Our plans")
PLAN_COLUMNS = ("Action", "Quality statement", "Owner", "Due date", "Status", "Latest update")
APPENDIX_COLUMNS = ("Document", "Version", "Date")
HEADER_FILL = "1D70B8"
# Light fills keep black text readable; the status word carries the meaning, not the colour.
STATUS_FILLS: dict[ActionStatus, str] = {
    ActionStatus.NOT_STARTED: "F3F2F1",
    ActionStatus.ON_TRACK: "CCE2D8",
    ActionStatus.AT_RISK: "FFF7BF",
    ActionStatus.OFF_TRACK: "F4CDC6",
    ActionStatus.COMPLETE: "BBD4EA",
}
RAG_WORDS: dict[ActionStatus, str] = {
    ActionStatus.NOT_STARTED: "Not started",
    ActionStatus.ON_TRACK: "On track (green)",
    ActionStatus.AT_RISK: "At risk (amber)",
    ActionStatus.OFF_TRACK: "Off track (red)",
    ActionStatus.COMPLETE: "Complete",
}

# Characters XML 1.0 forbids (and lone surrogates); everything else, emoji included, is kept.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(text: str | None) -> str:
    """Text safe for a Word document: XML-forbidden control characters removed, nothing else."""
    return XML_ILLEGAL.sub("", text or "")


def long_date(value: date | datetime | None) -> str:
    """A date as '5 March 2025', or empty."""
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


@dataclass(frozen=True)
class ExportOptions:
    """What goes into the document."""

    approved_only: bool = False
    themes: tuple[int, ...] = ()  # theme numbers; empty means every theme
    include_plan: bool = True
    include_appendix: bool = True
    include_measures: bool = True

    def to_dict(self) -> dict[str, Any]:
        """The options as stored with an export record."""
        return {
            "approved_only": self.approved_only,
            "themes": list(self.themes),
            "include_plan": self.include_plan,
            "include_appendix": self.include_appendix,
            "include_measures": self.include_measures,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExportOptions:
        """Options read back from an export record."""
        return cls(
            approved_only=bool(data.get("approved_only", False)),
            themes=tuple(sorted(int(t) for t in data.get("themes", ()))),
            include_plan=bool(data.get("include_plan", True)),
            include_appendix=bool(data.get("include_appendix", True)),
            include_measures=bool(data.get("include_measures", True)),
        )

    def describe(self) -> str:
        """The options in words, for lists of exports."""
        parts = ["approved entries only" if self.approved_only else "all entries"]
        if self.themes:
            label = "theme" if len(self.themes) == 1 else "themes"
            parts.append(f"{label} {', '.join(str(t) for t in self.themes)}")
        else:
            parts.append("all themes")
        parts.append("with measures" if self.include_measures else "without measures")
        parts.append("with improvement plan" if self.include_plan else "without improvement plan")
        parts.append("with appendix" if self.include_appendix else "without appendix")
        return "; ".join(parts)


@dataclass
class StatementPart:
    """One quality statement as the document shows it."""

    statement: QualityStatement
    entries: list[Entry]
    measures: list[Any] = field(default_factory=list)


@dataclass
class ExportData:
    """Everything the document shows, read from the database in one go."""

    council_name: str
    made_at: datetime
    author: str
    foreword: str
    themes: list[tuple[Theme, list[StatementPart]]]
    refs: dict[int, str]
    actions: list[Action]
    items: list[EvidenceItem]
    options: ExportOptions

    @property
    def entries(self) -> list[Entry]:
        """Every included entry in document order."""
        return [e for _, parts in self.themes for p in parts for e in p.entries]

    @property
    def draft(self) -> bool:
        """Whether the document is a draft: an included entry is not approved, or none are."""
        entries = self.entries
        return not entries or any(e.status != EntryStatus.APPROVED for e in entries)


# The measures area supplies one summary list per quality statement code.
MeasureSource = Callable[[Session, str], list[Any]]


def _measure_source() -> MeasureSource | None:
    try:
        from .services import measures
    except ImportError:
        return None
    return getattr(measures, "measure_summaries", None)


def collect(
    session: Session,
    options: ExportOptions,
    council_name: str,
    made_at: datetime,
    author: str = "",
) -> ExportData:
    """Read the entries, plan, IR items and foreword the document needs."""
    chosen = set(options.themes)
    refs = assessment.ref_codes(session)
    by_statement: dict[int, list[Entry]] = {}
    for entry in assessment.ordered_entries(session):
        if options.approved_only and entry.status != EntryStatus.APPROVED:
            continue
        by_statement.setdefault(entry.quality_statement_id, []).append(entry)
    source = _measure_source() if options.include_measures else None
    themes: list[tuple[Theme, list[StatementPart]]] = []
    for theme in framework.list_themes(session):
        if chosen and theme.number not in chosen:
            continue
        parts = []
        for qs in sorted(theme.statements, key=lambda s: s.position):
            measures = source(session, qs.code) if source else []
            parts.append(StatementPart(qs, by_statement.get(qs.id or 0, []), list(measures)))
        themes.append((theme, parts))
    codes = {p.statement.code for _, parts in themes for p in parts}
    actions = _plan(session) if options.include_plan else []
    return ExportData(
        council_name=council_name,
        made_at=made_at,
        author=author or council_name,
        foreword=framework.get_text(session, framework.FOREWORD),
        themes=themes,
        refs=refs,
        actions=[a for a in actions if a.quality_statement.code in codes],
        items=_items(session) if options.include_appendix else [],
        options=options,
    )


def _plan(session: Session) -> list[Action]:
    query = (
        select(Action)
        .join(QualityStatement)
        .options(selectinload(Action.updates), selectinload(Action.quality_statement))  # type: ignore[arg-type]
        .order_by(col(QualityStatement.position), col(Action.due_date), col(Action.id))
    )
    return list(session.exec(query))


def _items(session: Session) -> list[EvidenceItem]:
    query = (
        select(EvidenceItem)
        .options(
            selectinload(EvidenceItem.documents).selectinload(Document.versions)  # type: ignore[arg-type]
        )
        .order_by(col(EvidenceItem.number))
    )
    return list(session.exec(query))


# --- low-level Word XML: fields, shading, repeated headers, watermark --------------------------


def _add_field(paragraph: Paragraph, instruction: str, placeholder: str) -> None:
    """A complex field (PAGE, NUMPAGES, TOC) with cached text shown until it is updated."""
    for kind in ("begin", "instr", "separate", "text", "end"):
        run = paragraph.add_run()
        if kind == "instr":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = f" {instruction} "
            run._r.append(instr)
        elif kind == "text":
            run.text = placeholder
        else:
            run._r.append(parse_xml(f'<w:fldChar {nsdecls("w")} w:fldCharType="{kind}"/>'))


def _shade(cell: _Cell, fill: str) -> None:
    cell._tc.get_or_add_tcPr().append(
        parse_xml(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="{fill}"/>')
    )


def _repeat_header(table: Table) -> None:
    """Mark the first row as a header row, repeated at the top of every page."""
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    tr_pr.append(parse_xml(f'<w:tblHeader {nsdecls("w")} w:val="true"/>'))


def _no_split(table: Table) -> None:
    """Keep the header row whole; long entry rows may still break across pages."""
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    tr_pr.append(parse_xml(f'<w:cantSplit {nsdecls("w")} w:val="true"/>'))


WATERMARK = (
    '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    ' xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office">'
    "<w:rPr><w:noProof/></w:rPr><w:pict>"
    '<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800"'
    ' path="m@7,l@8,m@5,21600l@6,21600e">'
    '<v:formulas><v:f eqn="sum #0 0 10800"/><v:f eqn="prod #0 2 1"/><v:f eqn="sum 21600 0 @1"/>'
    '<v:f eqn="sum 0 0 @2"/><v:f eqn="sum 21600 0 @3"/><v:f eqn="if @0 @3 0"/>'
    '<v:f eqn="if @0 21600 @1"/><v:f eqn="if @0 0 @2"/><v:f eqn="if @0 @4 21600"/>'
    '<v:f eqn="mid @5 @6"/><v:f eqn="mid @8 @5"/><v:f eqn="mid @7 @8"/><v:f eqn="mid @6 @7"/>'
    '<v:f eqn="sum @6 0 @5"/></v:formulas>'
    '<v:path textpathok="t" o:connecttype="custom"/><v:textpath on="t" fitshape="t"/>'
    '<o:lock v:ext="edit" text="t" shapetype="t"/></v:shapetype>'
    '<v:shape id="DraftWatermark" o:spid="_x0000_s2049" type="#_x0000_t136"'
    ' style="position:absolute;margin-left:0;margin-top:0;width:420pt;height:140pt;'
    "rotation:315;z-index:-251654144;mso-position-horizontal:center;"
    "mso-position-horizontal-relative:margin;mso-position-vertical:center;"
    'mso-position-vertical-relative:margin" o:allowincell="f" fillcolor="silver" stroked="f">'
    '<v:fill opacity=".5"/>'
    '<v:textpath style="font-family:&quot;Calibri&quot;;font-size:1pt" string="DRAFT"/>'
    "</v:shape></w:pict></w:r>"
)


def _ask_to_update_fields(doc: DocxDocument) -> None:
    """Ask Word to refresh fields on opening, so the contents list fills itself in."""
    settings = doc.settings.element
    setting = parse_xml(f'<w:updateFields {nsdecls("w")} w:val="true"/>')
    compat = settings.find(qn("w:compat"))
    if compat is not None:
        compat.addprevious(setting)  # the schema puts updateFields just before compat
    else:
        settings.append(setting)


# --- text --------------------------------------------------------------------------------------


def _paragraph(container: Any, text: str, style: str | None = None, bold: bool = False) -> Any:
    """Add a paragraph of cleaned text to a document or cell."""
    paragraph = container.add_paragraph(style=style)
    if text:
        paragraph.add_run(clean(text)).bold = bold or None
    return paragraph


def _fill_cell(cell: _Cell, text: str, bold: bool = False) -> None:
    """Put plain text in a cell's first paragraph."""
    paragraph = cell.paragraphs[0]
    if text:
        paragraph.add_run(clean(text)).bold = bold or None


def _rich(container: Any, text: str, first: Paragraph | None = None) -> None:
    """Paragraphs and bullet lists as the app shows them (same parsing as the HTML)."""
    for block in richtext.blocks(clean(text)):
        style = "List Bullet" if block.kind == "ul" else None
        for item in block.items:
            if first is not None:
                first.add_run(item)
                if style:
                    first.style = style
                first = None
            else:
                container.add_paragraph(item, style=style)


def _table(container: Any, headings: tuple[str, ...], widths: tuple[float, ...]) -> Table:
    """A grid table whose shaded header row repeats on every page."""
    table = container.add_table(rows=1, cols=len(headings))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Mm(width)
    for cell, heading, width in zip(table.rows[0].cells, headings, widths, strict=True):
        cell.width = Mm(width)
        run = cell.paragraphs[0].add_run(heading)
        run.bold = True
        run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
        _shade(cell, HEADER_FILL)
    _repeat_header(table)
    _no_split(table)
    return table


def _row(table: Table, widths: tuple[float, ...]) -> list[_Cell]:
    cells = table.add_row().cells
    for cell, width in zip(cells, widths, strict=True):
        cell.width = Mm(width)
    return cells


# --- page layout --------------------------------------------------------------------------------

PORTRAIT = (Mm(210), Mm(297))
MARGIN = Mm(20)
ENTRY_WIDTHS = (16.0, 80.0, 81.0, 80.0)  # landscape A4 less margins: 257 mm
PLAN_WIDTHS = (70.0, 22.0, 35.0, 28.0, 32.0, 70.0)
APPENDIX_WIDTHS = (110.0, 20.0, 40.0)  # portrait A4 less margins: 170 mm


def _page(section: Any, landscape: bool) -> None:
    width, height = PORTRAIT
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (height, width) if landscape else (width, height)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, MARGIN)


def _header_and_footer(section: Any, draft: bool, council_name: str) -> None:
    """Header: council and title, plus the DRAFT mark; footer: 'Page X of Y'."""
    header = section.header.paragraphs[0]
    header.add_run(clean(f"{council_name}: {TITLE}")).font.size = Pt(9)
    if draft:
        mark = header.add_run("    DRAFT")
        mark.bold = True
        mark.font.size = Pt(11)
        mark.font.color.rgb = RGBColor(0xD4, 0x35, 0x1C)
        header._p.append(parse_xml(WATERMARK))
    footer = section.footer.paragraphs[0]
    footer.add_run("Page ")
    _add_field(footer, "PAGE", "1")
    footer.add_run(" of ")
    _add_field(footer, "NUMPAGES", "1")


def _cover(doc: DocxDocument, data: ExportData) -> None:
    status = (
        "Draft: includes entries not yet approved"
        if data.draft
        else "Approved: every included entry is approved"
    )
    doc.add_paragraph(clean(data.council_name), style="Subtitle")
    doc.add_paragraph(TITLE, style="Title")
    _paragraph(doc, f"Version of {long_date(data.made_at)}", bold=True)
    _paragraph(doc, f"Status: {status}")
    _paragraph(doc, f"Contents: {data.options.describe()}.")
    if data.draft:
        mark = doc.add_paragraph().add_run("DRAFT")
        mark.bold = True
        mark.font.size = Pt(48)
        mark.font.color.rgb = RGBColor(0xD4, 0x35, 0x1C)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _contents(doc: DocxDocument) -> None:
    doc.add_paragraph("Contents", style="TOC Heading")
    _add_field(
        doc.add_paragraph(),
        'TOC \\o "1-3" \\h \\z \\u',
        "Update this field to show the contents (in Word: right-click, Update Field).",
    )
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _foreword(doc: DocxDocument, data: ExportData) -> None:
    doc.add_heading("Introduction and foreword", level=1)
    if data.foreword.strip():
        _rich(doc, data.foreword)
    else:
        _paragraph(doc, "The foreword has not been written yet.")


def _entries_table(doc: DocxDocument, part: StatementPart, refs: dict[int, str]) -> None:
    table = _table(doc, ENTRY_COLUMNS, ENTRY_WIDTHS)
    for entry in part.entries:
        ref, know, how, plans = _row(table, ENTRY_WIDTHS)
        _fill_cell(ref, refs.get(entry.id or 0, ""), bold=True)
        if entry.status != EntryStatus.APPROVED:
            _paragraph(ref, entry.status.label)
        _fill_cell(know, entry.title, bold=True)
        _rich(know, entry.what_we_know)
        _rich(how, entry.how_we_know, first=how.paragraphs[0])
        _rich(plans, entry.our_plans, first=plans.paragraphs[0])


MEASURE_COLUMNS = ("Measure", "Value", "Benchmark", "Rating", "Progress")
MEASURE_WIDTHS = (81.0, 44.0, 44.0, 44.0, 44.0)
CHART_SIZE = (720, 312)  # pixels; drawn at 150 mm wide (about 120 dpi)


def _chart_png(summary: Any) -> bytes | None:
    """The measure's trend chart from the charts module, or None when it is not available."""
    try:
        from .charts import trend_png
    except ImportError:
        return None
    return trend_png(summary, *CHART_SIZE)


def measures_section(
    doc: DocxDocument, part: StatementPart, charts: dict[int, bytes | None] | None = None
) -> None:
    """The quality statement's measures: value, benchmark, rating, progress, trend chart.

    charts caches each measure's PNG by id, since a measure can serve several statements.
    """
    charts = {} if charts is None else charts
    if not part.measures:
        return
    doc.add_heading(f"Measures for {part.statement.code}", level=3)
    table = _table(doc, MEASURE_COLUMNS, MEASURE_WIDTHS)
    for summary in part.measures:
        measure = summary.measure
        name, value, benchmark, rating, progress = _row(table, MEASURE_WIDTHS)
        _fill_cell(name, f"{measure.code} {measure.title}".strip(), bold=True)
        _fill_cell(value, summary.value_text)
        if summary.latest is not None and summary.latest.period:
            _paragraph(value, summary.latest.period)
        _fill_cell(benchmark, summary.benchmark_text)
        _fill_cell(rating, summary.rating.label)
        _fill_cell(progress, summary.progress.label)
    for summary in part.measures:
        key = summary.measure.id or 0
        if key not in charts:
            charts[key] = _chart_png(summary)
        png = charts[key]
        if png is None:
            break
        measure = summary.measure
        _paragraph(doc, f"Trend: {measure.code} {measure.title}".strip(), bold=True)
        doc.add_picture(io.BytesIO(png), width=Mm(150))


def _statements(doc: DocxDocument, data: ExportData) -> None:
    charts: dict[int, bytes | None] = {}
    for theme, parts in data.themes:
        doc.add_heading(clean(f"Theme {theme.number}: {theme.title}"), level=1)
        for part in parts:
            doc.add_heading(clean(part.statement.heading), level=2)
            if part.statement.we_statement:
                _paragraph(doc, part.statement.we_statement, style="Quote")
            if part.entries:
                _entries_table(doc, part, data.refs)
            else:
                _paragraph(doc, "No entries are included for this quality statement.")
            measures_section(doc, part, charts)


def _plan_section(doc: DocxDocument, data: ExportData) -> None:
    doc.add_heading("Improvement plan", level=1)
    if not data.actions:
        _paragraph(doc, "There are no improvement actions for the themes included.")
        return
    table = _table(doc, PLAN_COLUMNS, PLAN_WIDTHS)
    for action in data.actions:
        title, code, owner, due, status, latest = _row(table, PLAN_WIDTHS)
        _fill_cell(title, action.title, bold=True)
        _fill_cell(code, action.quality_statement.code)
        _fill_cell(owner, action.owner or "Not set")
        _fill_cell(due, long_date(action.due_date) or "Not set")
        _fill_cell(status, RAG_WORDS[action.status])
        _shade(status, STATUS_FILLS[action.status])
        if action.updates:
            update = action.updates[0]
            _fill_cell(latest, f"{long_date(update.on)}: {update.note}")
        else:
            _fill_cell(latest, "No updates yet")


def _appendix(doc: DocxDocument, data: ExportData) -> None:
    doc.add_heading("Appendix: Information Return evidence", level=1)
    for item in data.items:
        doc.add_heading(clean(f"{item.label}: {item.title}"), level=2)
        documents = sorted(item.documents, key=lambda d: d.title.lower())
        if not documents:
            _paragraph(doc, "No documents are filed under this item yet.")
            continue
        table = _table(doc, APPENDIX_COLUMNS, APPENDIX_WIDTHS)
        for document in documents:
            current = document.current
            title, version, when = _row(table, APPENDIX_WIDTHS)
            _fill_cell(title, document.title)
            _fill_cell(version, str(current.number) if current else "None")
            dated = document.document_date or (current.uploaded_at if current else None)
            _fill_cell(when, long_date(dated))


def build(data: ExportData) -> DocxDocument:
    """Lay the collected data out as a Word document."""
    doc = new_document()
    doc.styles["Normal"].font.size = Pt(10)
    first = doc.sections[0]
    _page(first, landscape=False)
    _header_and_footer(first, data.draft, data.council_name)
    _ask_to_update_fields(doc)

    props = doc.core_properties
    props.title = clean(f"{data.council_name}: {TITLE}")
    props.author = clean(data.author)
    props.last_modified_by = clean(data.author)
    props.created = props.modified = data.made_at.replace(tzinfo=None)
    props.subject = "CQC local authority assessment"
    props.keywords = "CQC; self-assessment; adult social care"
    props.content_status = "Draft" if data.draft else "Approved"
    props.revision = 1

    _cover(doc, data)
    _contents(doc)
    _foreword(doc, data)

    _page(doc.add_section(WD_SECTION.NEW_PAGE), landscape=True)
    _statements(doc, data)
    if data.options.include_plan:
        doc.add_page_break()
        _plan_section(doc, data)

    if data.options.include_appendix:
        _page(doc.add_section(WD_SECTION.NEW_PAGE), landscape=False)
        _appendix(doc, data)
    return doc


def write(
    session: Session,
    options: ExportOptions,
    council_name: str,
    path: Path,
    made_at: datetime,
    author: str = "",
) -> ExportData:
    """Collect, build and save the document to path; returns what it contained."""
    data = collect(session, options, council_name, made_at, author)
    build(data).save(str(path))
    return data
