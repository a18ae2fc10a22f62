"""Upload checks and text extraction, on real files made at run time (nothing is mocked)."""

import random
import shutil
import time
import zipfile

import docx
import pptx
import pytest
from pptx.util import Inches
from pypdf import PdfReader, PdfWriter

from tracker import samplefiles
from tracker.ingest import (
    KIND_LABELS,
    KIND_MIMETYPES,
    Extraction,
    IngestError,
    Limits,
    check_upload,
    extract_text,
    sniff,
)
from tracker.ingest import extract as extract_module

LIMITS = Limits()
TABLE = [["Measure", "Value"], ["People waiting for a review", "1,204"]]


# --------------------------------------------------------------------------- builders


def make_docx(tmp_path, name="report.docx"):
    return samplefiles.write_docx(
        tmp_path / name,
        "Self-assessment 2026",
        ["# Assessing needs", "We assess people within 28 days.", "- Carers assessed"],
        [TABLE],
        header_text="OFFICIAL-SENSITIVE",
    )


def rewrite_zip(source, target, replace=None, extra=()):
    """Copy an Office file's parts, swapping some and adding (name, bytes) pairs."""
    replace = replace or {}
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename in replace:
                data = replace[info.filename](data)
            dst.writestr(info.filename, data)
        for name, data in extra:
            dst.writestr(name, data)
    return target


def add_zeros(path, member, mib):
    """Append a compressed member of zeros, the classic zip-bomb payload."""
    chunk = bytes(1024 * 1024)
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open(member, "w", force_zip64=True) as handle,
    ):
        for _ in range(mib):
            handle.write(chunk)
    return path


def with_body(xml_body):
    """Return a document.xml rewriter that puts xml_body at the start of the body."""

    def rewrite(data):
        text = data.decode("utf-8")
        at = text.index("<w:body>") + len("<w:body>")
        return (text[:at] + xml_body + text[at:]).encode("utf-8")

    return rewrite


def run(path, limits=LIMITS, filename=None):
    """Check an upload as the app would, then extract it."""
    kind = check_upload(path, filename or path.name, limits)
    return extract_text(path, kind, limits)


def refused(path, filename=None, limits=LIMITS):
    with pytest.raises(IngestError) as caught:
        check_upload(path, filename or path.name, limits)
    message = str(caught.value)
    assert message == caught.value.message
    return message


# --------------------------------------------------------------------------- extraction per format


def test_pdf_text_and_page_count(tmp_path):
    path = samplefiles.write_pdf(
        tmp_path / "annual.pdf",
        "Safeguarding annual report",
        ["Referrals rose by 12%.", "- Section 42 enquiries"],
        [TABLE],
    )
    result = run(path)
    assert result == Extraction(result.text, "ok", None, False, 1)
    for expected in ("Safeguarding annual report", "Referrals rose by 12%.", "1,204"):
        assert expected in result.text


def test_pdf_page_cap_keeps_first_pages(tmp_path):
    paragraphs = [f"Paragraph {i} on waiting lists for assessments." for i in range(150)]
    path = samplefiles.write_pdf(tmp_path / "long.pdf", "Long report", paragraphs)
    assert len(PdfReader(path).pages) > 2
    result = run(path, Limits(max_pdf_pages=1))
    assert result.status == "ok"
    assert result.truncated
    assert result.pages == len(PdfReader(path).pages)
    assert "Paragraph 0 " in result.text
    assert "Paragraph 149" not in result.text


def test_encrypted_pdf_fails_with_reason(tmp_path):
    path = samplefiles.write_pdf(
        tmp_path / "locked.pdf", "Locked", ["Hidden"], encrypt_password="x"
    )
    result = run(path)
    assert result.status == "failed"
    assert "encrypted" in result.reason
    assert result.text == ""


def test_pdf_with_only_an_owner_password_is_read(tmp_path):
    plain = samplefiles.write_pdf(tmp_path / "plain.pdf", "Restricted", ["Readable words"])
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-256")
    path = tmp_path / "owner-only.pdf"
    with open(path, "wb") as handle:
        writer.write(handle)
    assert PdfReader(path).is_encrypted
    result = run(path)
    assert result.status == "ok"
    assert "Readable words" in result.text


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9])
def test_truncated_pdf_fails_as_damaged(tmp_path, keep):
    data = samplefiles.write_pdf(tmp_path / "full.pdf", "Full", ["Some text"] * 50).read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: int(len(data) * keep)])
    result = run(path)
    assert result.status == "failed"
    assert result.reason == "damaged file or not a real PDF"


def test_pdf_header_over_junk_fails_as_damaged(tmp_path):
    path = tmp_path / "fake.pdf"
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 20)
    result = run(path)
    assert (result.status, result.reason) == ("failed", "damaged file or not a real PDF")


def test_pdf_without_text_layer_is_empty(tmp_path):
    result = run(samplefiles.write_image_only_pdf(tmp_path / "scan.pdf"))
    assert result.status == "empty"
    assert "no text layer" in result.reason
    assert result.pages == 1


def test_docx_body_table_and_header(tmp_path):
    result = run(make_docx(tmp_path))
    assert result.status == "ok"
    lines = result.text.splitlines()
    assert lines[0] == "OFFICIAL-SENSITIVE"
    assert "We assess people within 28 days." in lines
    assert "Carers assessed" in lines
    assert "People waiting for a review\t1,204" in lines


def test_docx_keeps_body_order_and_reads_nested_and_merged_cells_once(tmp_path):
    document = docx.Document()
    document.add_paragraph("Before the table")
    table = document.add_table(rows=2, cols=3)
    merged = table.cell(0, 0).merge(table.cell(0, 2))
    merged.text = "Merged heading"
    table.cell(1, 0).text = "Left"
    inner = table.cell(1, 1).add_table(rows=1, cols=1)
    inner.cell(0, 0).text = "Nested value"
    document.add_paragraph("After the table")
    document.sections[0].footer.paragraphs[0].text = "Page footer"
    path = tmp_path / "order.docx"
    document.save(path)

    text = run(path).text
    assert text.count("Merged heading") == 1
    order = ["Before the table", "Merged heading", "Left", "Nested value", "After the table"]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)
    assert text.endswith("Page footer")


def test_xlsx_reads_every_sheet(tmp_path):
    path = samplefiles.write_xlsx(
        tmp_path / "measures.xlsx",
        {
            "Referrals": [["Month", "Count", "Rate"], ["January", 12, 0.25], ["February", 7, 1.0]],
            "Notes": [["Source: short and long term support return"]],
        },
    )
    result = run(path)
    assert result.status == "ok"
    lines = result.text.splitlines()
    assert lines[:4] == ["Referrals", "Month\tCount\tRate", "January\t12\t0.25", "February\t7\t1"]
    assert "Notes" in lines
    assert "Source: short and long term support return" in lines


def test_xlsx_cell_cap(tmp_path):
    rows = [[f"r{i}c{j}" for j in range(5)] for i in range(100)]
    path = samplefiles.write_xlsx(tmp_path / "wide.xlsx", {"Data": rows, "Later": [["never"]]})
    result = run(path, Limits(max_xlsx_cells=50))
    assert result.status == "ok"
    assert result.truncated
    assert "r9c4" in result.text
    assert "r10c0" not in result.text
    assert "never" not in result.text


def test_pptx_slides_notes_groups_and_tables(tmp_path):
    path = samplefiles.write_pptx(
        tmp_path / "deck.pptx",
        [
            ("Waiting lists", "Assessments\nReviews", "Say the backlog halved"),
            ("Next steps", "Recruit two social workers", None),
        ],
    )
    deck = pptx.Presentation(path)
    slide = deck.slides[1]
    group = slide.shapes.add_group_shape()
    box = group.shapes.add_textbox(Inches(1), Inches(5), Inches(3), Inches(1))
    box.text_frame.text = "Text inside a group"
    grid = slide.shapes.add_table(2, 2, Inches(5), Inches(5), Inches(4), Inches(1)).table
    grid.cell(0, 0).text = "Team"
    grid.cell(1, 1).text = "Forty"
    deck.save(path)

    result = run(path)
    assert result.status == "ok"
    assert result.pages == 2
    for expected in (
        "Waiting lists",
        "Reviews",
        "Say the backlog halved",
        "Text inside a group",
        "Team",
        "Forty",
    ):
        assert expected in result.text


def test_cp1252_csv(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes("Team,Café visits,Cost\r\nNorth,“twelve”,£5\r\n".encode("cp1252"))
    result = run(path)
    assert result.status == "ok"
    assert result.text == "Team,Café visits,Cost\nNorth,“twelve”,£5"


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("notes.txt", "Unicode text é\r\n".encode("utf-16"), "Unicode text é"),
        ("notes.txt", "\ufeffWith a BOM ✓".encode(), "With a BOM ✓"),
        ("README.md", b"# Heading\n\n* item\n", "# Heading\n\n* item"),
    ],
)
def test_plain_text_encodings(tmp_path, name, data, expected):
    path = tmp_path / name
    path.write_bytes(data)
    assert run(path).text == expected


def test_html_drops_tags_scripts_and_styles(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(
        "<!DOCTYPE html><html><head><title>Care &amp; support</title>"
        "<style>body { color: red }</style><script>var secret = 'do-not-index';</script></head>"
        "<body><h1>Waiting   lists</h1><p>One line\nof text</p>"
        "<table><tr><td>A</td><td>B</td></tr></table><script>alert('x')</script></body></html>",
        encoding="utf-8",
    )
    result = run(path)
    assert result.status == "ok"
    assert result.text == "Care & support\n\nWaiting lists\n\nOne line of text\n\nA\tB"


def test_whitespace_only_text_is_empty(tmp_path):
    path = tmp_path / "blank.txt"
    path.write_text("  \n\n\t\n", encoding="utf-8")
    result = run(path)
    assert (result.status, result.reason, result.text) == ("empty", "no text found", "")


def test_output_is_capped(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("word " * 10_000, encoding="utf-8")
    result = run(path, Limits(max_text_chars=1000))
    assert result.status == "ok"
    assert result.truncated
    assert result.reason.startswith("too large to index")
    assert len(result.text) <= 1000


def test_docx_output_cap(tmp_path):
    paragraphs = [f"Paragraph number {i}" for i in range(300)]
    path = samplefiles.write_docx(tmp_path / "long.docx", "Long", paragraphs)
    result = run(path, Limits(max_text_chars=500))
    assert result.truncated
    assert len(result.text) <= 500
    assert "Paragraph number 299" not in result.text


def test_billion_laughs_docx_fails_cleanly(tmp_path):
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
            for i in range(1, 10)
        )
        + "]>"
    )

    def bomb(data):
        text = data.decode("utf-8")
        body = text[text.index("<w:document") :]
        return (laughs + body.replace("Self-assessment 2026", "&lol9;")).encode("utf-8")

    path = rewrite_zip(
        make_docx(tmp_path, "src.docx"), tmp_path / "lol.docx", {"word/document.xml": bomb}
    )
    started = time.monotonic()
    result = run(path)
    assert result.status == "failed"
    assert result.reason == "damaged file or not a real Word document"
    assert time.monotonic() - started < 5


@pytest.mark.slow
def test_memory_limit_gives_a_reason_not_a_crash(tmp_path):
    body = "<w:p><w:r><w:t>alpha beta gamma</w:t></w:r></w:p>" * 400_000
    path = rewrite_zip(
        make_docx(tmp_path, "src.docx"),
        tmp_path / "big.docx",
        {"word/document.xml": with_body(body)},
    )
    result = extract_text(path, "docx", Limits(memory_mb=128))
    assert (result.status, result.reason, result.text) == ("failed", "ran out of memory", "")


@pytest.mark.slow
def test_timeout_gives_a_reason_not_a_crash(tmp_path):
    body = "<w:p><w:r><w:t>alpha beta gamma</w:t></w:r></w:p>" * 400_000
    path = rewrite_zip(
        make_docx(tmp_path, "src.docx"),
        tmp_path / "big.docx",
        {"word/document.xml": with_body(body)},
    )
    started = time.monotonic()
    result = extract_text(path, "docx", Limits(timeout_s=0.3))
    assert (result.status, result.reason) == ("failed", "timed out")
    assert time.monotonic() - started < 2


def test_soft_deadline_keeps_partial_text():
    sink = extract_module._Sink(max_chars=100, deadline=time.monotonic() - 1)
    with pytest.raises(extract_module._Full):
        sink.add("late")
    assert sink.truncated


def test_missing_file_fails_without_raising(tmp_path):
    result = extract_text(tmp_path / "gone.pdf", "pdf", LIMITS)
    assert result.status == "failed"
    assert result.reason == "the file could not be read"


def test_unknown_kind_is_a_programming_error(tmp_path):
    with pytest.raises(ValueError):
        extract_text(tmp_path / "x.exe", "exe", LIMITS)


# --------------------------------------------------------------------------- upload checks


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("report.pdf", "pdf"),
        ("report.docx", "docx"),
        ("Data.XLSX", "xlsx"),
        ("deck.pptx", "pptx"),
        ("data.csv", "csv"),
        ("notes.txt", "txt"),
        ("notes.md", "md"),
        ("page.htm", "html"),
    ],
)
def test_allowed_types_are_recognised(tmp_path, name, kind):
    builders = {
        "pdf": lambda p: samplefiles.write_pdf(p, "T", ["x"]),
        "docx": lambda p: samplefiles.write_docx(p, "T", ["x"]),
        "xlsx": lambda p: samplefiles.write_xlsx(p, {"S": [["x"]]}),
        "pptx": lambda p: samplefiles.write_pptx(p, [("T", "x", None)]),
    }
    path = tmp_path / name
    if kind in builders:
        builders[kind](path)
    else:
        path.write_text("a,b\n1,2\n", encoding="utf-8")
    assert check_upload(path, name, LIMITS) == kind
    assert kind in KIND_LABELS and kind in KIND_MIMETYPES


def test_pdf_named_docx_is_refused(tmp_path):
    path = samplefiles.write_pdf(tmp_path / "upload", "T", ["x"])
    message = refused(path, "report.docx")
    assert message == (
        "report.docx is not a real Word document: its content is a PDF. "
        "Rename it or upload the right file."
    )


def test_random_bytes_named_pdf_are_refused(tmp_path):
    path = tmp_path / "upload"
    path.write_bytes(bytes(range(256)) * 16)
    assert refused(path, "minutes.pdf").startswith("minutes.pdf is not a real PDF")


@pytest.mark.parametrize("name", ["minutes.pdf", "setup.exe"])
def test_windows_program_is_refused(tmp_path, name):
    path = tmp_path / "upload"
    path.write_bytes(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(200))
    message = refused(path, name)
    assert message.startswith(name)
    assert "a Windows program" in message


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.pdf"
    path.touch()
    assert refused(path) == "empty.pdf is empty. Check the file and upload it again."
    with pytest.raises(IngestError, match="is empty"):
        sniff(path, "empty.pdf")


def test_oversized_file_is_refused(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 3 * 1024 * 1024)
    assert refused(path, limits=Limits(max_bytes=2 * 1024 * 1024)) == (
        "big.txt is too big (3 MB). Upload a file smaller than 2 MB."
    )


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(64), "photo.png is a PNG image."),
        (
            "old.doc",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512),
            "old.doc is password-protected",
        ),
        ("notes.rtf", b"{\\rtf1\\ansi hello}", "notes.rtf is a Rich Text (RTF) document."),
        ("data.json", b'{"a": 1}', "data.json is not a type of file the tracker accepts."),
        ("notes.txt", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "notes.txt is not a real text file"),
    ],
)
def test_other_types_are_refused_by_name(tmp_path, name, data, expected):
    path = tmp_path / "upload"
    path.write_bytes(data)
    assert refused(path, name).startswith(expected)


def test_plain_zip_is_refused(tmp_path):
    path = tmp_path / "upload"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("evidence.txt", "hello")
    assert refused(path, "bundle.zip").startswith("bundle.zip is a zip file.")
    assert "its content is a zip file" in refused(path, "report.docx")


def test_office_type_mismatch_is_refused(tmp_path):
    path = make_docx(tmp_path)
    assert refused(path, "figures.xlsx").startswith(
        "figures.xlsx is not a real Excel spreadsheet: its content is a Word document."
    )


def test_macro_enabled_document_is_refused(tmp_path):
    def macro(data):
        return data.replace(
            b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
            b"application/vnd.ms-word.document.macroEnabled.main+xml",
        )

    path = rewrite_zip(
        make_docx(tmp_path, "src.docx"), tmp_path / "macro.docx", {"[Content_Types].xml": macro}
    )
    assert "contains macros" in refused(path)


def test_text_without_extension_and_html_by_content(tmp_path):
    path = tmp_path / "upload"
    path.write_text("plain words", encoding="utf-8")
    assert sniff(path, "README") == "txt"
    path.write_text("<!doctype html><p>Hello</p>", encoding="utf-8")
    assert sniff(path, "saved-page") == "html"


def test_pdf_with_an_unknown_extension_asks_for_a_rename(tmp_path):
    path = samplefiles.write_pdf(tmp_path / "upload", "T", ["x"])
    assert refused(path, "scan.dat") == (
        "scan.dat is a PDF, but its name does not end in .pdf. Rename it and upload it again."
    )


def test_message_uses_only_the_base_name(tmp_path):
    path = tmp_path / "upload"
    path.write_bytes(b"MZ" + bytes(100))
    assert refused(path, "C:\\Users\\sam\\Desktop\\tool.pdf").startswith("tool.pdf is not")


# --------------------------------------------------------------------------- zip bombs


@pytest.mark.slow
def test_zip_bomb_docx_is_refused_quickly(tmp_path):
    path = make_docx(tmp_path, "bomb.docx")
    add_zeros(path, "word/media/padding.bin", 300)
    assert path.stat().st_size < 2 * 1024 * 1024
    started = time.monotonic()
    message = refused(path)
    assert time.monotonic() - started < 0.5
    assert message.startswith("bomb.docx looks like a zip bomb: it would expand to 301 MB.")


def test_one_highly_compressed_part_is_refused(tmp_path):
    path = add_zeros(make_docx(tmp_path, "ratio.docx"), "word/media/image1.bin", 20)
    message = refused(path)
    assert "looks like a zip bomb: one part inside it would expand" in message


def test_too_many_parts_is_refused(tmp_path):
    path = make_docx(tmp_path, "parts.docx")
    message = refused(path, limits=Limits(max_zip_entries=5))
    assert message.startswith("parts.docx has too many parts inside it")


def test_zip_that_lies_about_a_part_size_fails_extraction_cleanly(tmp_path):
    path = rewrite_zip(make_docx(tmp_path, "src.docx"), tmp_path / "liar.docx")
    data = bytearray(path.read_bytes())
    # The last copy of the name is in the central directory, after a 46-byte header.
    at = data.rindex(b"word/document.xml") - 46
    assert data[at : at + 4] == b"PK\x01\x02"
    data[at + 24 : at + 28] = (100).to_bytes(4, "little")  # the declared uncompressed size
    path.write_bytes(bytes(data))
    assert check_upload(path, path.name, LIMITS) == "docx"
    result = extract_text(path, "docx", LIMITS)
    assert (result.status, result.reason) == ("failed", "damaged file or not a real Word document")


def test_damaged_zip_is_refused(tmp_path):
    data = make_docx(tmp_path, "src.docx").read_bytes()
    path = tmp_path / "broken.docx"
    path.write_bytes(data[: len(data) // 2])
    assert (
        refused(path)
        == "broken.docx is damaged and cannot be opened. Upload a new copy of the file."
    )


def test_copy_of_good_docx_passes_archive_check(tmp_path):
    path = shutil.copy(make_docx(tmp_path), tmp_path / "copy.docx")
    assert check_upload(path, "copy.docx", Limits(max_zip_uncompressed=1024 * 1024)) == "docx"


def test_long_file_name_is_shortened_but_keeps_its_extension(tmp_path):
    path = tmp_path / "upload"
    path.write_bytes(b"MZ" + bytes(100))
    message = refused(path, "a" * 300 + ".pdf")
    name = message.split(" is not a real PDF")[0]
    assert len(name) == 120
    assert name.endswith("….pdf")


def test_opendocument_file_is_refused_with_advice(tmp_path):
    path = tmp_path / "upload"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    assert refused(path, "minutes.odt") == (
        "minutes.odt is an OpenDocument file (.odt, .ods or .odp). "
        "Save it as a .docx, .xlsx or .pptx file and upload it again."
    )


def test_empty_sheets_are_not_named(tmp_path):
    path = samplefiles.write_xlsx(tmp_path / "s.xlsx", {"Blank": [], "Data": [["value"]]})
    assert run(path).text == "Data\nvalue"


def test_limits_must_be_positive():
    with pytest.raises(ValueError):
        Limits(timeout_s=0)


def test_mangled_office_files_give_a_kind_or_a_message(tmp_path):
    sources = [
        make_docx(tmp_path, "src.docx").read_bytes(),
        samplefiles.write_xlsx(tmp_path / "src.xlsx", {"S": [["a", 1]]}).read_bytes(),
    ]
    rng = random.Random(20261124)
    path = tmp_path / "mangled.docx"
    for attempt in range(300):
        data = bytearray(sources[attempt % 2])
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if attempt % 3 == 0:
            del data[rng.randrange(len(data)) :]
        path.write_bytes(bytes(data))
        try:
            check_upload(path, path.name, LIMITS)
        except IngestError as error:
            assert error.message.startswith("mangled.docx ")
