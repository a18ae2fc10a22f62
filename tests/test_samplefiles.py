"""The sample-file builders make real files that each format's own library reads back."""

from pathlib import Path

import docx
import openpyxl
import pptx
import pytest
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError

from tracker import samplefiles

TABLE = [["Measure", "Value"], ["People waiting for an assessment", "312"]]


def test_pdf_has_title_paragraphs_and_table(tmp_path):
    path = samplefiles.write_pdf(
        tmp_path / "report.pdf",
        "Safeguarding annual report",
        ["# Summary", "Referrals rose by 12% & waits <fell>.", "- Section 42 enquiries"],
        [TABLE],
    )
    assert path == tmp_path / "report.pdf"
    reader = PdfReader(path)
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert reader.metadata.title == "Safeguarding annual report"
    for expected in ("Summary", "Referrals rose by 12% & waits <fell>.", "Section 42", "312"):
        assert expected in text


def test_encrypted_pdf_needs_its_password(tmp_path):
    path = samplefiles.write_pdf(
        tmp_path / "locked.pdf", "Locked", ["Secret"], encrypt_password="pw"
    )
    reader = PdfReader(path)
    assert reader.is_encrypted
    assert reader.decrypt("") == 0
    with pytest.raises(FileNotDecryptedError):
        reader.pages[0].extract_text()
    reader = PdfReader(path, password="pw")
    assert "Secret" in reader.pages[0].extract_text()


def test_image_only_pdf_has_a_page_but_no_text(tmp_path):
    reader = PdfReader(samplefiles.write_image_only_pdf(tmp_path / "scan.pdf"))
    assert len(reader.pages) == 1
    assert reader.pages[0].extract_text().strip() == ""


def test_docx_has_headings_bullets_tables_and_header(tmp_path):
    path = samplefiles.write_docx(
        tmp_path / "sa.docx",
        "Self-assessment",
        ["# Theme 1", "Plain paragraph.", "- A bullet"],
        [TABLE],
        header_text="OFFICIAL-SENSITIVE",
    )
    document = docx.Document(path)
    paragraphs = [(p.style.name, p.text) for p in document.paragraphs]
    assert paragraphs == [
        ("Title", "Self-assessment"),
        ("Heading 1", "Theme 1"),
        ("Normal", "Plain paragraph."),
        ("List Bullet", "A bullet"),
    ]
    assert [[c.text for c in row.cells] for row in document.tables[0].rows] == TABLE
    assert document.sections[0].header.paragraphs[0].text == "OFFICIAL-SENSITIVE"
    assert document.core_properties.title == "Self-assessment"


def test_xlsx_has_every_sheet(tmp_path):
    path = samplefiles.write_xlsx(
        tmp_path / "data.xlsx",
        {"Referrals": [["Month", "Count"], ["Jan", 12]], "Notes": [["Source: ASC-FR"]]},
    )
    workbook = openpyxl.load_workbook(path)
    try:
        assert workbook.sheetnames == ["Referrals", "Notes"]
        assert [list(r) for r in workbook["Referrals"].values] == [["Month", "Count"], ["Jan", 12]]
        assert workbook.properties.title == "Referrals"
    finally:
        workbook.close()


def test_xlsx_needs_a_sheet(tmp_path):
    with pytest.raises(ValueError):
        samplefiles.write_xlsx(tmp_path / "none.xlsx", {})


def test_pptx_has_titles_bodies_and_notes(tmp_path):
    path = samplefiles.write_pptx(
        tmp_path / "deck.pptx",
        [("Waiting lists", "Assessments\nReviews", "Mention the backlog"), ("Next", "Plan", None)],
    )
    deck = pptx.Presentation(path)
    slides = list(deck.slides)
    assert [s.shapes.title.text for s in slides] == ["Waiting lists", "Next"]
    assert slides[0].placeholders[1].text_frame.text == "Assessments\nReviews"
    assert slides[0].notes_slide.notes_text_frame.text == "Mention the backlog"
    assert not slides[1].has_notes_slide
    assert deck.core_properties.title == "Waiting lists"


@pytest.mark.parametrize(
    "build",
    [
        lambda p: samplefiles.write_pdf(p, "Same", ["Text"], [TABLE]),
        lambda p: samplefiles.write_image_only_pdf(p),
        lambda p: samplefiles.write_docx(p, "Same", ["Text"], [TABLE], header_text="H"),
        lambda p: samplefiles.write_xlsx(p, {"S": [["a", 1]]}),
        lambda p: samplefiles.write_pptx(p, [("T", "B", "N")]),
    ],
    ids=["pdf", "image-pdf", "docx", "xlsx", "pptx"],
)
def test_same_input_gives_same_bytes(tmp_path, build):
    first = build(tmp_path / "one").read_bytes()
    second = build(tmp_path / "two").read_bytes()
    assert first == second


def test_string_paths_are_accepted_and_a_path_returned(tmp_path):
    for path in (
        samplefiles.write_docx(str(tmp_path / "a.docx"), "A", []),
        samplefiles.write_pdf(str(tmp_path / "a.pdf"), "A", []),
        samplefiles.write_xlsx(str(tmp_path / "a.xlsx"), {"S": []}),
        samplefiles.write_pptx(str(tmp_path / "a.pptx"), []),
    ):
        assert isinstance(path, Path)
        assert path.stat().st_size > 0
