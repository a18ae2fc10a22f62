"""A worker killed with SIGKILL in the middle of uploads leaves nothing half-written."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlmodel import Session, select

from tests.served import gunicorn, sign_in, upload, wait_for
from tracker import db
from tracker.models import Document, DocumentVersion, StoredFile
from tracker.search import index_for
from tracker.services import integrity
from tracker.storage import store_for


def _workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[int, subprocess.Popen[bytes], Flask]]:
    with gunicorn(tmp_path, workers=1) as served:
        yield served


@pytest.mark.slow
def test_sigkill_mid_upload_leaves_no_half_written_record(
    served: tuple[int, subprocess.Popen[bytes], Flask],
) -> None:
    port, server, app = served
    cookie = sign_in(port)
    row = b"area,month,people waiting,notes about the waiting list\n"
    statuses: list[int] = []
    accepted: list[str] = []
    for n, delay in enumerate((0.05, 0.15, 0.3, 0.5, 0.8, 1.2)):
        # A different file each time (about 24 MB), so every upload is new work for the worker.
        content = row * 10 + (f"{n},".encode() + row) * 400_000
        outcome: list[int] = []
        sending = threading.Thread(
            target=upload, args=(port, cookie, f"waiting-{n}.csv", content, outcome)
        )
        sending.start()
        time.sleep(delay)
        for pid in _workers(server.pid):
            os.kill(pid, signal.SIGKILL)
        sending.join(timeout=120)
        statuses.extend(outcome)
        if outcome == [200]:
            accepted.append(f"waiting-{n}.csv")
        wait_for(port)
        time.sleep(0.5)  # the master starts a new worker
        cookie = sign_in(port)

    assert len(statuses) == 6
    assert 0 in statuses, "no upload was interrupted: the test did not exercise a crash"
    store = store_for(app)  # type: ignore[arg-type]
    with Session(db.engine_for(app)) as session:  # type: ignore[arg-type]
        # Nothing in the database is half-written: every document has a version and a file.
        for document in session.exec(select(Document)):
            assert document.versions, f"document {document.id} has no version"
        for version in session.exec(select(DocumentVersion)):
            assert store.path_for(version.stored_file.sha256).is_file()
        # Every upload the server answered is kept whole. A worker killed after its commit but
        # before its answer leaves a complete upload the sender never heard about: kept too.
        names = {v.filename for v in session.exec(select(DocumentVersion))}
        assert set(accepted) <= names
        assert names <= {f"waiting-{n}.csv" for n in range(6)}
        stored = len(session.exec(select(StoredFile)).all())
        assert len(accepted) <= stored == len(names)
        # What a killed worker can leave on disk is found, and tidied, by check-store.
        report = integrity.check_store(session, store, grace_seconds=0)
        assert report.missing_files == []
        integrity.repair_store(store, report)
        assert integrity.check_store(session, store, grace_seconds=0).clean
        # The index holds nothing the database does not; a document whose worker died
        # between its commit and its index update is reported, and `reindex` mends it.
        index_report = index_for(app).check(session)
        assert index_report.extra == []
    runner = app.test_cli_runner()
    if not index_report.clean:
        assert runner.invoke(args=["check-index"]).exit_code == 1
        assert runner.invoke(args=["reindex"]).exit_code == 0
    result = runner.invoke(args=["check-index"])
    assert result.exit_code == 0, result.output
