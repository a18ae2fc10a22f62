"""Exports in the web app and on the command line: make, list, show, download."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import docx
from flask import Flask
from sqlmodel import Session, select

from tests.export_factories import council
from tracker.models import Role
from tracker.models.exports import Export, ExportKind
from tracker.storage import EvidenceStore


def _setup(session: Session, store: EvidenceStore, tmp_path: Path) -> None:
    council(session, store, tmp_path / "files")
    session.commit()


def test_director_makes_lists_and_downloads_the_document(
    app: Flask, as_role: Any, session: Session, store: EvidenceStore, tmp_path: Path
) -> None:
    _setup(session, store, tmp_path)
    director = as_role(Role.DIRECTOR)
    page = director.text("/exports/new")
    assert "Approved entries only" in page
    response = director.post(
        "/exports/new",
        {"entries": "approved", "themes": ["3"], "include_plan": "y", "include_measures": "y"},
    )
    row = session.exec(select(Export)).one()
    assert response.headers["Location"].endswith(f"/exports/{row.id}")
    assert row.options["approved_only"] is True and row.options["themes"] == [3]
    assert row.options["include_appendix"] is False
    assert row.draft is False

    shown = director.text(f"/exports/{row.id}")
    assert row.sha256 in shown
    listing = director.text("/exports/")
    assert row.filename in listing and "Test Director" in listing

    download = director.get(f"/exports/{row.id}/download")
    assert download.mimetype.endswith("wordprocessingml.document")
    assert f"filename={row.filename}" in download.headers["Content-Disposition"]
    assert download.headers["Content-Disposition"].startswith("attachment")
    body = download.get_data()
    download.close()
    doc = docx.Document(io.BytesIO(body))
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert "Theme 3: Ensuring safety" in headings and "Theme 1: Working with people" not in headings


def test_bad_theme_choice_shows_the_form_again(as_role: Any, session: Session) -> None:
    team = as_role(Role.ASSURANCE)
    page = team.post("/exports/new", {"entries": "all", "themes": ["7"]}, status=400)
    assert "Choose from the list" in page.get_data(as_text=True)
    assert session.exec(select(Export)).first() is None


def test_team_makes_a_pack_and_sees_what_it_held(
    as_role: Any, session: Session, store: EvidenceStore, tmp_path: Path
) -> None:
    _setup(session, store, tmp_path)
    team = as_role(Role.ASSURANCE)
    assert "Make the pack" in team.text("/exports/pack")
    team.post("/exports/pack", {})
    row = session.exec(select(Export)).one()
    assert row.kind == ExportKind.PACK
    shown = team.text(f"/exports/{row.id}")
    assert "IR 05 - Waiting lists for assessments/waiting-well.pdf" in shown
    assert "Waiting Well procedure" in shown
    download = team.get(f"/exports/{row.id}/download")
    assert download.mimetype == "application/zip"
    body = download.get_data()
    download.close()
    names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    assert "manifest.xlsx" in names


def test_empty_pack_is_refused_on_the_page(as_role: Any, session: Session) -> None:
    page = as_role(Role.ASSURANCE).post("/exports/pack", {}, status=400)
    assert "nothing to pack" in page.get_data(as_text=True)
    assert session.exec(select(Export)).first() is None


def test_staff_see_the_list_without_controls(as_role: Any) -> None:
    staff = as_role(Role.STAFF)
    page = staff.text("/exports/")
    assert "Make the self-assessment document" not in page
    staff.get("/exports/new", status=403)


def test_export_and_pack_commands(
    app: Flask, session: Session, store: EvidenceStore, tmp_path: Path
) -> None:
    _setup(session, store, tmp_path)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["export", "--theme", "1", "--no-plan", "--approved-only"])
    assert result.exit_code == 0, result.output
    assert "self-assessment-" in result.output and "SHA-256" in result.output
    result = runner.invoke(args=["pack"])
    assert result.exit_code == 0, result.output
    rows = session.exec(select(Export).order_by(Export.id)).all()
    assert [r.kind for r in rows] == [ExportKind.DOCUMENT, ExportKind.PACK]
    assert rows[0].options["themes"] == [1] and rows[0].options["include_plan"] is False
    assert rows[0].created_by_name == "Command line"
    bad = runner.invoke(args=["export", "--theme", "8"])
    assert bad.exit_code != 0 and "There is no theme 8" in bad.output
