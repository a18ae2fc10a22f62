"""The Word document renders: LibreOffice converts it to PDF; poppler reads pages and text."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session

from tests.export_factories import HOSTILE, council
from tracker import export
from tracker.export import ExportOptions
from tracker.storage import EvidenceStore


def _run(args: list[str]) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=180).stdout


def test_document_converts_to_pdf_with_pages_and_key_text(
    session: Session, store: EvidenceStore, tmp_path: Path
) -> None:
    assert shutil.which("soffice"), (
        "LibreOffice (soffice) must be installed: scripts/system-packages"
    )
    assert shutil.which("pdftotext") and shutil.which("pdfinfo"), "poppler-utils must be installed"
    council(session, store, tmp_path / "files")
    session.commit()
    source = tmp_path / "self-assessment.docx"
    made = datetime(2025, 3, 5, tzinfo=UTC)
    export.write(session, ExportOptions(), "Dunmere County Council", source, made)

    profile = (tmp_path / "lo-profile").as_uri()  # own profile: parallel runs must not collide
    _run(
        [
            "soffice",
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ]
    )
    pdf = tmp_path / "self-assessment.pdf"
    assert pdf.is_file()
    info = _run(["pdfinfo", str(pdf)])
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))  # type: ignore[union-attr]
    # Cover, contents, foreword, at least two landscape pages of statements and plan, appendix.
    assert 6 <= pages <= 12
    text = _run(["pdftotext", str(pdf), "-"])
    flat = " ".join(text.split())
    assert f"Page 1 of {pages}" in flat and f"Page {pages} of {pages}" in flat
    assert text.count("DRAFT") >= pages
    assert "1A. Working with people: Assessing needs" in flat
    assert all(heading in flat for heading in export.ENTRY_COLUMNS)
    assert "[Source: LAS Contacts Activity]" in flat
    assert "[IR 28]" in flat
    assert "Fish & chips <b>not bold</b>" in flat
    assert HOSTILE.split("😀")[0].strip() in flat
    assert "Off track (red)" in flat
    assert "Appendix: Information Return evidence" in flat
    assert re.search(r"A4", info) or "595" in info  # A4 is 595 x 842 points
