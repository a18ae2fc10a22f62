"""Bulk import: folder names, refusals of hostile archives, and a full run with its report."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlmodel import select

from tests import factories
from tests.search_factories import zip_bomb_bytes, zip_bytes
from tracker import db, ingest, samplefiles
from tracker.models import Document
from tracker.models.imports import ImportStatus
from tracker.search import SearchRequest, index_for
from tracker.services import Invalid, bulk_import
from tracker.storage import store_for


@pytest.mark.parametrize(
    ("name", "number"),
    [
        ("IR 05 - Waiting lists", 5),
        ("05", 5),
        ("IR5", 5),
        ("ir_28 safeguarding", 28),
        ("IR-7", 7),
        ("Waiting lists", None),
        ("2024 reports", None),
        ("0", None),
    ],
)
def test_folder_names_give_item_numbers(name, number):
    assert bulk_import.item_number_from_folder(name) == number


def _zip(tmp_path: Path, files: dict[str, bytes], **kwargs) -> Path:
    path = tmp_path / "import.zip"
    path.write_bytes(zip_bytes(files, **kwargs))
    return path


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        ("../IR 05/escape.txt", "climb out"),
        ("/etc/IR 05/abs.txt", "absolute"),
        ("C:/IR 05/abs.txt", "absolute"),
    ],
)
def test_unsafe_paths_refuse_the_whole_zip(session, tmp_path, member, expected):
    path = _zip(tmp_path, {member: b"text"})
    with pytest.raises(Invalid, match=expected):
        bulk_import.plan_zip(session, path)


def test_symlink_member_refuses_the_zip(session, tmp_path):
    path = _zip(tmp_path, {"IR 05/a.txt": b"hello"}, symlinks=("IR 05/link.txt",))
    with pytest.raises(Invalid, match="symbolic link"):
        bulk_import.plan_zip(session, path)


def test_zip_bomb_is_refused_before_reading(session, tmp_path):
    path = tmp_path / "bomb.zip"
    path.write_bytes(zip_bomb_bytes(64))
    assert path.stat().st_size < 1024 * 1024
    with pytest.raises(Invalid, match="zip bomb"):
        bulk_import.plan_zip(session, path)


def test_not_a_zip_is_refused(session, tmp_path):
    path = tmp_path / "x.zip"
    path.write_bytes(b"not a zip at all")
    with pytest.raises(Invalid, match="not a zip"):
        bulk_import.plan_zip(session, path)


def test_plan_skips_with_reasons(session, tmp_path):
    factories.item(session, 5)
    session.commit()
    path = _zip(
        tmp_path,
        {
            "IR 05 - Waiting/a.txt": b"waiting list text",
            "loose.txt": b"no folder",
            "Misc/b.txt": b"no number",
            "IR 09/c.txt": b"no such item",
            "IR 05 - Waiting/inner.zip": zip_bytes({"x.txt": b"x"}),
        },
    )
    plan = bulk_import.plan_zip(session, path)
    assert [f.path for f in plan.files] == ["IR 05 - Waiting/a.txt"]
    reasons = {s["path"]: s["reason"] for s in plan.skipped}
    assert "not in a folder" in reasons["loose.txt"]
    assert "does not name an IR item" in reasons["Misc/b.txt"]
    assert "no IR 9" in reasons["IR 09/c.txt"]
    assert "archives inside" in reasons["IR 05 - Waiting/inner.zip"]


def test_folder_import_skips_symlinks(session, tmp_path):
    factories.item(session, 5)
    session.commit()
    root = tmp_path / "drive"
    (root / "IR5").mkdir(parents=True)
    (root / "IR5" / "real.txt").write_text("real text")
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    os.symlink(outside, root / "IR5" / "link.txt")
    plan = bulk_import.plan_folder(session, root)
    assert [f.path for f in plan.files] == ["IR5/real.txt"]
    assert plan.skipped == [{"path": "IR5/link.txt", "reason": "symbolic links are not followed"}]


def test_run_job_stores_links_indexes_and_reports(app, session, tmp_path):
    item = factories.item(session, 5)
    actor = factories.user(session)
    session.commit()
    pdf = samplefiles.write_pdf(tmp_path / "p.pdf", "Waiting well", ["Quokka waiting list."])
    path = _zip(
        tmp_path,
        {
            "IR 05/waiting.pdf": pdf.read_bytes(),
            "IR 05/copy.pdf": pdf.read_bytes(),
            "IR 05/program.exe": b"MZ\x90\x00binary",
            "loose.txt": b"x",
        },
    )
    plan = bulk_import.plan_zip(session, path)
    job = bulk_import.create_job(session, "import.zip", plan, actor)
    session.commit()
    progress = []
    bulk_import.run_job(
        db.engine_for(app),
        store_for(app),
        index_for(app),
        job.id,
        path,
        ingest.Limits(),
        on_progress=lambda j: progress.append(j.processed),
    )
    session.expire_all()
    job = bulk_import.get_job(session, job.id)
    assert job.status == ImportStatus.DONE
    assert (job.total, job.processed, job.created, job.duplicates) == (3, 3, 1, 1)
    assert progress == [1, 2, 3]
    reasons = {s["path"]: s["reason"] for s in job.skipped}
    assert set(reasons) == {"loose.txt", "IR 05/program.exe"}
    assert "Windows program" in reasons["IR 05/program.exe"]
    documents = session.exec(select(Document)).all()
    assert len(documents) == 1
    assert [i.number for i in documents[0].evidence_items] == [item.number]
    hits = index_for(app).search(SearchRequest("quokka")).hits
    assert [h.key for h in hits] == [f"document-{documents[0].id}"]


def test_import_docs_command(app, session, tmp_path):
    factories.item(session, 5)
    session.commit()
    root = tmp_path / "drive"
    (root / "IR 05 - Waiting").mkdir(parents=True)
    (root / "IR 05 - Waiting" / "notes.txt").write_text("Wombat waiting notes")
    (root / "stray.txt").write_text("x")
    result = app.test_cli_runner().invoke(args=["import-docs", str(root)])
    assert result.exit_code == 0, result.output
    assert "1 added" in result.output
    assert "skipped stray.txt: not in a folder" in result.output
    assert index_for(app).search(SearchRequest("wombat")).total == 1


def test_import_docs_command_refuses_a_bomb(app, tmp_path):
    path = tmp_path / "bomb.zip"
    path.write_bytes(zip_bomb_bytes(64))
    result = app.test_cli_runner().invoke(args=["import-docs", str(path)])
    assert result.exit_code == 1
    assert "zip bomb" in result.output
