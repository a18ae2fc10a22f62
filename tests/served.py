"""The tracker served by real gunicorn workers on loopback, for crash and concurrency tests."""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask

from tests import factories
from tests.conftest import make_settings
from tracker import create_app, db
from tracker.models import Role
from tracker.services import framework

BIN = Path(sys.executable).parent


def free_port() -> int:
    """A loopback port nobody is listening on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(port: int) -> None:
    """Wait until something accepts connections on the port."""
    for _ in range(150):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


@contextmanager
def gunicorn(tmp_path: Path, workers: int) -> Iterator[tuple[int, subprocess.Popen[bytes], Flask]]:
    """A fresh instance with the framework and an assurance user, served by gunicorn.

    Yields the port, the gunicorn master process and an app on the same instance (for checks).
    """
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
    port = free_port()
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "tracker:create_app()",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(port)
        yield port, server, app
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        db.engine_for(app).dispose()


def sign_in(port: int) -> str:
    """Sign the assurance user in through the real form; returns the session cookie."""
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


def upload(port: int, cookie: str, name: str, content: bytes, outcome: list[int]) -> None:
    """Upload one CSV file; appends the status, or 0 when the connection died."""
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
