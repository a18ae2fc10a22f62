"""In-process cost of each page the load test visits, without a server in the way.

Usage: .venv/bin/python bench/pages.py [--runs 30] [--kept] [--only PATH] [--profile]

Builds a throwaway demo instance (SQLite unless DATABASE_URL is set), signs in as the
assurance team, staff and a director through Flask's test client, and prints the median CPU
milliseconds per page and role. Pages are rendered every time unless --kept, which measures
serving kept pages (tracker/pagecache.py). With --profile it also prints the functions that
took the most time over every page, so a slow page can be traced to its cause.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import PAGES, SEARCHES, TOKEN  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--profile", action="store_true", help="print the top functions")
    parser.add_argument("--only", help="time only this page (a path)")
    parser.add_argument("--kept", action="store_true", help="serve kept pages")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tracker-pages-") as tmp:
        os.environ.update(
            TRACKER_INSTANCE_DIR=tmp,
            TRACKER_EVIDENCE_DIR=f"{tmp}/evidence",
            TRACKER_EXPORTS_DIR=f"{tmp}/exports",
            TRACKER_INDEX_DIR=f"{tmp}/index",
            TRACKER_SECRET_KEY=secrets.token_hex(32),
            TRACKER_PAGE_CACHE_ENTRIES="400" if args.kept else "0",
        )
        from tracker import create_app, db, demo, migrate, search
        from tracker.services import framework

        app = create_app()
        migrate.upgrade(db.engine_for(app))
        with db.session_scope(app) as session:
            framework.seed_framework(session)
            logins = demo.load(session, app)
        with db.session_scope(app) as session:
            search.rebuild_from_database(search.index_for(app), session)
        paths = [*PAGES, *(f"/search/?q={q.replace(' ', '+')}" for q in SEARCHES[:3])]
        if args.only:
            paths = [p for p in paths if p == args.only or p.startswith(args.only + "?")]
        profiler = cProfile.Profile() if args.profile else None
        print(f"{'page':<36} " + " ".join(f"{login.role:>10}" for login in logins[:3]))
        timings: dict[str, dict[str, float]] = {p: {} for p in paths}
        for login in logins:
            if login.role == "admin":
                continue
            client = app.test_client()
            page = client.get("/auth/login").get_data(as_text=True)
            token = TOKEN.search(page)
            client.post(
                "/auth/login",
                data={
                    "email": login.email,
                    "password": login.password,
                    "csrf_token": token.group(1) if token else "",
                },
            )
            for path in paths:
                client.get(path)  # warm caches and templates
                runs = []
                for _ in range(args.runs):
                    began = time.process_time()
                    if profiler:
                        profiler.enable()
                    response = client.get(path)
                    if profiler:
                        profiler.disable()
                    runs.append((time.process_time() - began) * 1000)
                    assert response.status_code == 200, (path, response.status_code)
                timings[path][login.role] = statistics.median(runs)
        roles = [login.role for login in logins if login.role != "admin"]
        for path in paths:
            print(f"{path:<36} " + " ".join(f"{timings[path][r]:>10.1f}" for r in roles))
        means = [statistics.mean(timings[p].values()) for p in paths]
        print(f"{'mean of pages':<36} {statistics.mean(means):>10.1f}")
        if profiler:
            pstats.Stats(profiler).sort_stats("tottime").print_stats(40)
    return 0


if __name__ == "__main__":
    sys.exit(main())
