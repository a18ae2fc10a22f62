"""Time the self-assessment export and the IR pack for the full demo council.

Run: python bench/export_bench.py [--runs 5]
Target: the Word export in 1 second or less on a 2-core machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tracker import create_app, db, demo  # noqa: E402
from tracker.export import ExportOptions  # noqa: E402
from tracker.services import exports  # noqa: E402
from tracker.settings import Settings  # noqa: E402
from tracker.storage import store_for  # noqa: E402


def main() -> None:
    """Load the demo council into a temporary folder and time exports of it."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        settings = Settings(
            env="testing",
            secret_key="bench",
            instance_dir=root / "instance",
            evidence_dir=root / "evidence",
            exports_dir=root / "exports",
            index_dir=root / "index",
            password_hash_method="pbkdf2:sha256:1000",
        )
        app = create_app(settings)
        db.create_all(app)
        with db.session_scope(app) as session:
            demo.load(session, app)

        timings: list[float] = []
        for _ in range(runs):
            with db.session_scope(app) as session:
                start = time.perf_counter()
                row = exports.create_document(
                    session, settings.exports_dir, ExportOptions(), settings.council_name, None
                )
                timings.append(time.perf_counter() - start)
                summary, size = row.summary, row.size
        print(f"Word export, full demo council ({summary}), {size:,} bytes")
        print(
            f"  {runs} runs: best {min(timings):.3f} s, median {statistics.median(timings):.3f} s,"
            f" worst {max(timings):.3f} s (target <= 1 s)"
        )

        with db.session_scope(app) as session:
            start = time.perf_counter()
            pack = exports.create_pack(
                session,
                store_for(app).path_for,
                settings.exports_dir,
                settings.council_name,
                None,
            )
            elapsed = time.perf_counter() - start
            summary, size = pack.summary, pack.size
        print(f"IR pack ({summary}), {size:,} bytes: {elapsed:.3f} s")
        db.engine_for(app).dispose()


if __name__ == "__main__":
    main()
