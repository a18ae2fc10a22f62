"""The self-assessment Word document: opened again with python-docx and checked part by part."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.oxml.ns import qn
from sqlmodel import Session

from tests.export_factories import HOSTILE, council
from tracker import export
from tracker.export import ExportOptions
from tracker.storage import EvidenceStore

MADE = datetime(2025, 3, 5, 14, 30, tzinfo=UTC)


@pytest.fixture
def data(session: Session, store: EvidenceStore, tmp_path: Path) -> dict[str, Any]:
    made = council(session, store, tmp_path)
    session.commit()
    return made


def _build(session: Session, tmp_path: Path, **options: Any) -> Any:
    path = tmp_path / "out.docx"
    export.write(session, ExportOptions(**options), "Dunmere County Council", path, MADE, "Tess")
    return docx.Document(str(path))


def _headings(doc: Any, level: int) -> list[str]:
    return [p.text for p in doc.paragraphs if p.style.name == f"Heading {level}"]


def _header_texts(doc: Any) -> list[str]:
    return [p.text for s in doc.sections for p in s.header.paragraphs]


def _entry_tables(doc: Any) -> list[Any]:
    return [t for t in doc.tables if t.rows[0].cells[0].text == "Ref"]


def _all_text(doc: Any) -> str:
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def test_structure_of_the_full_document(session: Session, data: Any, tmp_path: Path) -> None:
    doc = _build(session, tmp_path)

    assert _headings(doc, 1)[:2] == ["Introduction and foreword", "Theme 1: Working with people"]
    assert "Improvement plan" in _headings(doc, 1)
    assert "Appendix: Information Return evidence" in _headings(doc, 1)
    level2 = _headings(doc, 2)
    assert "1A. Working with people: Assessing needs" in level2
    assert "3B. Ensuring safety: Safeguarding" in level2
    assert len([h for h in level2 if h[:2] in {f"{n}{c}" for n in "1234" for c in "ABC"}]) == 9

    tables = _entry_tables(doc)
    assert len(tables) == 2
    first = tables[0]
    assert [c.text for c in first.rows[0].cells] == list(export.ENTRY_COLUMNS)
    header_row = first.rows[0]._tr
    assert header_row.trPr.find(qn("w:tblHeader")).get(qn("w:val")) == "true"
    shading = first.rows[0].cells[0]._tc.tcPr.find(qn("w:shd"))
    assert shading.get(qn("w:fill")) == export.HEADER_FILL

    ref, know, how, plans = first.rows[1].cells
    assert ref.text.startswith("1.1")
    assert "Draft" in ref.text
    assert know.paragraphs[0].text == "Access to our services"
    bullets = [p.text for p in know.paragraphs if p.style.name == "List Bullet"]
    assert bullets == ["Calls answered quickly", "Safeguarding concerns triaged the same day"]
    assert how.text == (
        "Waiting list extract [IR 5] and [Source: LAS Contacts Activity]; see also IR 28."
    )
    assert plans.text == "Cut the waiting list to 550 by March [IR 28]."


def test_pages_are_a4_with_landscape_entries_and_page_numbers(
    session: Session, data: Any, tmp_path: Path
) -> None:
    doc = _build(session, tmp_path)
    portrait, landscape, appendix = doc.sections
    assert (round(portrait.page_width.mm), round(portrait.page_height.mm)) == (210, 297)
    assert (round(landscape.page_width.mm), round(landscape.page_height.mm)) == (297, 210)
    assert round(appendix.page_width.mm) == 210
    footer = portrait.footer.paragraphs[0]
    instructions = [el.text.strip() for el in footer._p.iter(qn("w:instrText"))]
    assert instructions == ["PAGE", "NUMPAGES"]
    assert footer.text.startswith("Page ")
    body = doc.element.body
    assert any("TOC" in (el.text or "") for el in body.iter(qn("w:instrText")))
    assert doc.settings.element.find(qn("w:updateFields")) is not None


def test_draft_mark_while_an_included_entry_is_not_approved(
    session: Session, data: Any, tmp_path: Path
) -> None:
    doc = _build(session, tmp_path)
    assert all("DRAFT" in text for text in _header_texts(doc)[:1])
    header_xml = doc.sections[0].header._element.xml
    assert 'string="DRAFT"' in header_xml
    # Later sections inherit the header, so the mark is on every page.
    assert all(s.header.is_linked_to_previous for s in doc.sections[1:])
    assert doc.core_properties.content_status == "Draft"


def test_approved_only_leaves_out_drafts_and_drops_the_mark(
    session: Session, data: Any, tmp_path: Path
) -> None:
    doc = _build(session, tmp_path, approved_only=True)
    text = _all_text(doc)
    assert "Enquiries are person-led." in text
    assert "Access to our services" not in text
    assert "DRAFT" not in " ".join(_header_texts(doc))
    assert 'string="DRAFT"' not in doc.sections[0].header._element.xml
    assert doc.core_properties.content_status == "Approved"


def test_chosen_themes_and_no_plan_or_appendix(session: Session, data: Any, tmp_path: Path) -> None:
    doc = _build(session, tmp_path, themes=(3,), include_plan=False, include_appendix=False)
    assert _headings(doc, 1) == ["Introduction and foreword", "Theme 3: Ensuring safety"]
    assert [h[:2] for h in _headings(doc, 2)] == ["3A", "3B"]
    assert len(doc.sections) == 2
    assert not [t for t in doc.tables if t.rows[0].cells[0].text == "Action"]


def test_hostile_text_comes_through_and_control_characters_go(
    session: Session, data: Any, tmp_path: Path
) -> None:
    doc = _build(session, tmp_path)
    cell = _entry_tables(doc)[0].rows[1].cells[1]
    assert f"{HOSTILE} end" in cell.text
    plan = next(t for t in doc.tables if t.rows[0].cells[0].text == "Action")
    assert plan.rows[1].cells[0].text == "Cut waiting times & backlog"


def test_improvement_plan_rows_have_status_words_and_rag_shading(
    session: Session, data: Any, tmp_path: Path
) -> None:
    doc = _build(session, tmp_path)
    plan = next(t for t in doc.tables if t.rows[0].cells[0].text == "Action")
    assert [c.text for c in plan.rows[0].cells] == list(export.PLAN_COLUMNS)
    rows = [[c.text for c in r.cells] for r in plan.rows[1:]]
    assert rows[0] == [
        "Cut waiting times & backlog",
        "1A",
        "Head of Assessment",
        "31 March 2025",
        "Off track (red)",
        "10 January 2025: Two agency workers started",
    ]
    assert rows[1][0] == "Audit DoLS backlog"
    assert rows[1][4] == "Not started"
    assert rows[1][5] == "No updates yet"
    status_cell = plan.rows[1].cells[4]._tc
    assert status_cell.tcPr.find(qn("w:shd")).get(qn("w:fill")) == "F4CDC6"


def test_appendix_lists_documents_under_each_item(
    session: Session, data: Any, tmp_path: Path
) -> None:
    doc = _build(session, tmp_path)
    assert {"IR 5: Waiting lists for assessments", "IR 28: Safeguarding processes"} <= set(
        _headings(doc, 2)
    )
    appendix = [t for t in doc.tables if t.rows[0].cells[0].text == "Document"]
    assert len(appendix) == 2  # IR 30 has no documents, so a sentence instead of a table
    ir5 = [[c.text for c in r.cells] for r in appendix[0].rows[1:]]
    assert [r[0] for r in ir5] == ["Safeguarding audit 2024", "Waiting Well procedure"]
    assert all(r[1] == "1" and r[2] for r in ir5)
    assert "No documents are filed under this item yet." in _all_text(doc)


def test_cover_foreword_and_core_properties(session: Session, data: Any, tmp_path: Path) -> None:
    doc = _build(session, tmp_path)
    text = _all_text(doc)
    assert "Dunmere County Council" in text
    assert "Version of 5 March 2025" in text
    assert "Status: Draft" in text
    assert "Our foreword." in text
    bullets = [p.text for p in doc.paragraphs if p.style.name == "List Bullet"]
    assert bullets[:2] == ["First point", "Second point"]
    props = doc.core_properties
    assert props.title == "Dunmere County Council: Adult social care self-assessment"
    assert props.author == "Tess"
    assert props.created == MADE


def test_an_empty_database_still_exports_as_a_draft(session: Session, tmp_path: Path) -> None:
    doc = _build(session, tmp_path)
    assert "No entries are included for this quality statement." in _all_text(doc)
    assert "DRAFT" in _header_texts(doc)[0]


def test_options_round_trip_and_describe_themselves() -> None:
    options = ExportOptions(approved_only=True, themes=(1, 3), include_appendix=False)
    assert ExportOptions.from_dict(options.to_dict()) == options
    assert options.describe() == (
        "approved entries only; themes 1, 3; with measures; with improvement plan; without appendix"
    )


def test_clean_keeps_emoji_and_markup_but_drops_forbidden_characters() -> None:
    assert export.clean("a\x00b\x1fc\td\ne 😀 <&>") == "abc\td\ne 😀 <&>"


def _measure(session: Session, code: str, title: str, values: list[tuple[str, float]]) -> None:
    from tracker.judgements import Aim, Unit
    from tracker.models.measures import Layer
    from tracker.services import framework, measures

    qs = framework.get_statement(session, "1A")
    measure = measures.create_measure(
        session,
        measures.MeasureInput(
            code=code,
            title=title,
            aim=Aim.HIGHER,
            unit=Unit.PERCENT,
            layer=Layer.REDUCE,
            statement_ids=(qs.id or 0,),
        ),
        None,
    )
    for period, value in values:
        measures.record_value(
            session, measure, measures.ValueInput(period=period, value=value, benchmark=79.4), None
        )


def test_measures_with_judgements_and_a_chart_each(
    session: Session, data: Any, tmp_path: Path
) -> None:
    _measure(
        session,
        "ASCOF 2A",
        "No ongoing services after reablement",
        [("2022/23", 80.1), ("2023/24", 87.2)],
    )
    _measure(
        session,
        "ASCOF 3D",
        "Find it easy to get information & advice",
        [("2022/23", 70.0), ("2023/24", 60.0)],
    )
    session.commit()
    doc = _build(session, tmp_path)
    assert "Measures for 1A" in _headings(doc, 3)
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "Measure")
    assert [c.text for c in table.rows[0].cells] == list(export.MEASURE_COLUMNS)
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in table.rows[1:]}
    reablement = rows["ASCOF 2A No ongoing services after reablement"]
    assert reablement[1].startswith("87.2%")
    assert reablement[2].startswith("79.4%")
    assert reablement[3] == "▲ Better than benchmark"
    assert reablement[4] == "▲ Improved"
    assert rows["ASCOF 3D Find it easy to get information & advice"][3] == (
        "▼ Worse than benchmark"
    )
    assert len(doc.inline_shapes) == 2
    assert _build(session, tmp_path, include_measures=False).inline_shapes.__len__() == 0
