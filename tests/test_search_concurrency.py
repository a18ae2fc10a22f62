"""Four gunicorn workers writing to one index at once lose nothing."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.served import gunicorn, sign_in, upload
from tracker import db
from tracker.search import index_for


@pytest.mark.slow
def test_concurrent_uploads_to_four_workers_are_all_indexed(tmp_path: Path) -> None:
    with gunicorn(tmp_path, workers=4) as (port, _server, app):
        cookie = sign_in(port)
        statuses: list[int] = []
        threads = []
        for n in range(24):
            words = " ".join(f"word{n}x{k}" for k in range(2000))
            content = f"area,notes\nteam {n},marker{n} {words}\n".encode()
            thread = threading.Thread(
                target=upload, args=(port, cookie, f"figures-{n}.csv", content, statuses)
            )
            threads.append(thread)
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert statuses == [200] * 24
        # Indexing finishes just after each response; give the last ones a moment.
        search = index_for(app)
        for _ in range(100):
            with db.session_scope(app) as session:
                report = search.check(session)
            if report.clean:
                break
            time.sleep(0.1)
        assert report.clean, (report.missing, report.stale)
        assert report.checked == 24
        result = app.test_cli_runner().invoke(args=["check-index"])
        assert result.exit_code == 0, result.output
