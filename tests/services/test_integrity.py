"""check-store: files without records, records without files, interrupted uploads."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

from flask import Flask
from sqlmodel import Session

from tests import factories
from tracker.models import Role, User
from tracker.services import integrity
from tracker.storage import store_for


def _age(path: Path, seconds: float) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


def test_orphans_and_staged_leftovers_are_found_and_tidied(
    app: Flask, session: Session, users: dict[Role, User], tmp_path: Path
) -> None:
    store = store_for(app)
    document = factories.document(session, store, users[Role.ASSURANCE], tmp_path)
    session.commit()
    kept = store.keep(store.stage(io.BytesIO(b"left by a crash"), 1000))
    staged = store.stage(io.BytesIO(b"half an upload"), 1000)
    # Young files may belong to an upload that is about to commit: they are left alone.
    assert integrity.check_store(session, store).clean
    _age(kept, 7200)
    _age(staged.path, 7200)
    report = integrity.check_store(session, store)
    assert report.orphan_files == [kept.name]
    assert report.stale_staged == [staged.path]
    assert integrity.repair_store(store, report) == 2
    assert integrity.check_store(session, store, grace_seconds=0).clean
    current = document.current
    assert current is not None
    assert store.path_for(current.stored_file.sha256).is_file()


def test_check_store_command_reports_a_missing_file(
    app: Flask, session: Session, users: dict[Role, User], tmp_path: Path
) -> None:
    store = store_for(app)
    document = factories.document(session, store, users[Role.ASSURANCE], tmp_path)
    session.commit()
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["check-store"])
    assert ok.exit_code == 0
    assert "agree" in ok.output
    current = document.current
    assert current is not None
    store.path_for(current.stored_file.sha256).unlink()
    broken = runner.invoke(args=["check-store", "--repair"])
    assert broken.exit_code == 1
    assert "MISSING" in broken.output
