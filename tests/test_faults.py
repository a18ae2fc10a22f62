"""A worker killed with SIGKILL in the middle of uploads leaves nothing half-written."""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from tests import factories
from tests.conftest import make_settings
from tracker import create_app, db
from tracker.models import Document, DocumentVersion, Role, StoredFile
from tracker.services import framework, integrity
from tracker.storage import store_for

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int) -> None:
    for _ in range(150):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def _workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[int, subprocess.Popen[bytes], object]]:
    settings = make_settings(tmp_path)
    app = create_app(settings)
    db.create_all(app)
    with db.session_scope(app) as session:
        framework.seed_framework(session)
        factories.user(session, Role.ASSURANCE)
    env = dict(
        os.environ,
        TRACKER_INSTANCE_DIR=str(settings.instance_dir),
        TRACKER_EVIDENCE_DIR=str(settings.evidence_dir),
        TRACKER_EXPORTS_DIR=str(settings.exports_dir),
        TRACKER_INDEX_DIR=str(settings.index_dir),
        TRACKER_DATABASE_URL=settings.database_url,
        TRACKER_CSRF_ENABLED="false",
        TRACKER_PASSWORD_HASH_METHOD=settings.password_hash_method,
    )
    port = _free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}", "tracker:create_app()"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port)
        yield port, server, app
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        db.engine_for(app).dispose()


def _sign_in(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = f"email=assurance%40example.gov.uk&password={factories.PASSWORD}"
    conn.request(
        "POST",
        "/auth/login",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    response = conn.getresponse()
    response.read()
    conn.close()
    assert response.status == 302
    cookie = response.getheader("Set-Cookie") or ""
    return cookie.split(";", 1)[0]


def _upload(port: int, cookie: str, name: str, content: bytes, outcome: list[int]) -> None:
    boundary = secrets.token_hex(8)
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(
            "POST",
            "/documents/upload",
            body=body,
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Cookie": cookie,
            },
        )
        response = conn.getresponse()
        response.read()
        outcome.append(response.status)
    except (http.client.HTTPException, OSError):
        outcome.append(0)
    finally:
        conn.close()


@pytest.mark.slow
def test_sigkill_mid_upload_leaves_no_half_written_record(
    served: tuple[int, subprocess.Popen[bytes], object],
) -> None:
    port, server, app = served
    cookie = _sign_in(port)
    row = b"area,month,people waiting,notes about the waiting list\n"
    statuses: list[int] = []
    for n, delay in enumerate((0.05, 0.15, 0.3, 0.5, 0.8, 1.2)):
        # A different file each time (about 24 MB), so every upload is new work for the worker.
        content = row * 10 + (f"{n},".encode() + row) * 400_000
        outcome: list[int] = []
        upload = threading.Thread(
            target=_upload, args=(port, cookie, f"waiting-{n}.csv", content, outcome)
        )
        upload.start()
        time.sleep(delay)
        for pid in _workers(server.pid):
            os.kill(pid, signal.SIGKILL)
        upload.join(timeout=120)
        statuses.extend(outcome)
        _wait_for(port)
        time.sleep(0.5)  # the master starts a new worker
        cookie = _sign_in(port)

    assert len(statuses) == 6
    assert 0 in statuses, "no upload was interrupted: the test did not exercise a crash"
    store = store_for(app)  # type: ignore[arg-type]
    with Session(db.engine_for(app)) as session:  # type: ignore[arg-type]
        # Nothing in the database is half-written: every document has a version and a file.
        for document in session.exec(select(Document)):
            assert document.versions, f"document {document.id} has no version"
        for version in session.exec(select(DocumentVersion)):
            assert store.path_for(version.stored_file.sha256).is_file()
        stored = len(session.exec(select(StoredFile)).all())
        assert stored == sum(1 for s in statuses if s == 200)
        # What a killed worker can leave on disk is found, and tidied, by check-store.
        report = integrity.check_store(session, store, grace_seconds=0)
        assert report.missing_files == []
        integrity.repair_store(store, report)
        assert integrity.check_store(session, store, grace_seconds=0).clean
