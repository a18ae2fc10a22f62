"""Export records: timestamped files, checksums, options, audit, and frozen pack versions."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from tests import factories
from tests.export_factories import council
from tracker import ingest
from tracker.export import ExportOptions
from tracker.models import AuditEvent
from tracker.models.exports import ExportKind
from tracker.services import Conflict, Invalid, NotFound, documents, exports
from tracker.storage import EvidenceStore

NOW = datetime(2025, 3, 5, 14, 30, 0, tzinfo=UTC)


def test_document_export_is_saved_hashed_and_recorded(
    session: Session, store: EvidenceStore, tmp_path: Path
) -> None:
    made = council(session, store, tmp_path / "files")
    out = tmp_path / "exports"
    options = ExportOptions(themes=(1,), include_appendix=False)
    row = exports.create_document(session, out, options, "Dunmere", made["director"], NOW)
    session.commit()

    assert row.filename == "self-assessment-20250305-143000.docx"
    path = exports.export_file(out, row)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == row.sha256
    assert row.size == path.stat().st_size
    assert row.kind == ExportKind.DOCUMENT
    assert row.options == options.to_dict()
    assert row.created_by_name == "Dana Director"
    assert row.draft is True
    assert row.summary.startswith("1 entry; all entries; theme 1;")
    event = session.exec(select(AuditEvent).where(AuditEvent.record_type == "Export")).one()
    assert event.verb == "create" and event.record_id == row.id


def test_exports_in_the_same_second_get_their_own_files(
    session: Session, store: EvidenceStore, tmp_path: Path
) -> None:
    first = exports.create_document(session, tmp_path, ExportOptions(), "Dunmere", None, NOW)
    second = exports.create_document(session, tmp_path, ExportOptions(), "Dunmere", None, NOW)
    assert first.filename != second.filename
    assert second.filename == "self-assessment-20250305-143000-2.docx"
    assert first.created_by_name == "Command line"
    assert [e.id for e in exports.list_exports(session).items] == [second.id, first.id]


def test_unknown_theme_is_refused_and_leaves_no_file(session: Session, tmp_path: Path) -> None:
    with pytest.raises(Invalid) as error:
        exports.create_document(session, tmp_path / "x", ExportOptions(themes=(9,)), "D", None, NOW)
    assert error.value.field == "themes"
    assert not (tmp_path / "x").exists()


def test_pack_freezes_the_versions_it_held(
    session: Session, store: EvidenceStore, tmp_path: Path
) -> None:
    made = council(session, store, tmp_path / "files")
    team = made["team"]
    out = tmp_path / "exports"
    first = exports.create_pack(session, store.path_for, out, "Dunmere", team, NOW)
    session.commit()
    policy = made["documents"][0]
    old_sha = policy.current.stored_file.sha256

    data = factories.pdf_bytes(tmp_path, "Waiting well procedure, second edition", "v2.pdf")
    documents.add_version(
        session, store, policy, "waiting-well-v2.pdf", io.BytesIO(data), "", team, ingest.Limits()
    )
    policy.title = "Renamed procedure"
    session.commit()
    second = exports.create_pack(
        session, store.path_for, out, "Dunmere", team, datetime(2025, 4, 1, tzinfo=UTC)
    )
    session.commit()

    session.expire_all()
    frozen = exports.get_export(session, first.id or 0)
    held = [p for p in frozen.packed if p.document_id == policy.id]
    assert [(p.version_number, p.sha256, p.document_title) for p in held] == [
        (1, old_sha, "Waiting Well procedure")
    ]
    now_held = [
        p for p in exports.get_export(session, second.id or 0).packed if p.document_id == policy.id
    ]
    assert [(p.version_number, p.document_title) for p in now_held] == [(2, "Renamed procedure")]
    assert [p.export_id for p in exports.submissions_of(session, policy.id or 0)] == [
        second.id,
        first.id,
    ]

    archive = zipfile.ZipFile(exports.export_file(out, frozen))
    assert hashlib.sha256(exports.export_file(out, frozen).read_bytes()).hexdigest() == first.sha256
    assert len([n for n in archive.namelist() if not n.startswith(("manifest", "README"))]) == 3
    assert first.summary == "3 files under 2 IR items"
    assert re.fullmatch(r"ir-submission-pack-20250305-143000\.zip", first.filename)


def test_pack_with_nothing_filed_is_refused(
    session: Session, store: EvidenceStore, tmp_path: Path
) -> None:
    factories.item(session, 5)
    with pytest.raises(Invalid):
        exports.create_pack(session, store.path_for, tmp_path, "Dunmere", None, NOW)


def test_pack_refuses_when_a_stored_file_is_missing(
    session: Session, store: EvidenceStore, tmp_path: Path
) -> None:
    made = council(session, store, tmp_path / "files")
    store.delete(made["documents"][0].current.stored_file.sha256)
    out = tmp_path / "exports"
    with pytest.raises(Conflict):
        exports.create_pack(session, store.path_for, out, "Dunmere", None, NOW)
    assert not out.exists() or list(out.iterdir()) == []


def test_export_file_refuses_odd_names_and_missing_files(session: Session, tmp_path: Path) -> None:
    row = exports.create_document(session, tmp_path, ExportOptions(), "Dunmere", None, NOW)
    row.filename = "../outside.docx"
    with pytest.raises(NotFound):
        exports.export_file(tmp_path, row)
    row.filename = "gone.docx"
    with pytest.raises(NotFound):
        exports.export_file(tmp_path, row)
    with pytest.raises(NotFound):
        exports.get_export(session, 999)
