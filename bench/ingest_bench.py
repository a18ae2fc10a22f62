"""Ingest benchmark: import a folder of 300 mixed real files end to end.

    python bench/ingest_bench.py [--files 300]

Generates PDF, DOCX and XLSX files (real, via tracker.samplefiles) in IR folders, then runs
the same path as `flask import-docs`: check, store, extract text in a child process, link
to the IR item, commit and index each file. Prints the wall time and the rate.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tracker import create_app, db, ingest, samplefiles  # noqa: E402
from tracker.search import index_for  # noqa: E402
from tracker.services import bulk_import, evidence, framework  # noqa: E402
from tracker.settings import Settings  # noqa: E402
from tracker.storage import store_for  # noqa: E402

WORDS = [
    "safeguarding",
    "assessment",
    "review",
    "carers",
    "waiting",
    "list",
    "reablement",
    "direct",
    "payments",
    "hospital",
    "discharge",
    "prevention",
    "wellbeing",
    "advocacy",
    "commissioning",
    "workforce",
    "training",
    "quality",
    "audit",
    "survey",
    "feedback",
    "outcomes",
    "housing",
    "transitions",
    "partnership",
    "strategy",
]


def make_files(root: Path, count: int) -> None:
    """Write count files spread over ten IR folders, a third each PDF, DOCX and XLSX."""
    rng = random.Random(7)
    for n in range(count):
        folder = root / f"IR {1 + n % 10:02d} - Evidence"
        folder.mkdir(parents=True, exist_ok=True)
        paragraphs = [
            " ".join(rng.choice(WORDS) for _ in range(60)).capitalize() + "." for _ in range(12)
        ]
        title = f"Report {n} " + " ".join(rng.sample(WORDS, 3))
        if n % 3 == 0:
            samplefiles.write_pdf(folder / f"report-{n}.pdf", title, paragraphs)
        elif n % 3 == 1:
            samplefiles.write_docx(
                folder / f"report-{n}.docx", title, paragraphs, tables=[[["Area", "Count"]]]
            )
        else:
            rows = [[rng.choice(WORDS), rng.randint(1, 999)] for _ in range(200)]
            samplefiles.write_xlsx(folder / f"report-{n}.xlsx", {"Data": rows, "Notes": [[title]]})


def main() -> None:
    """Generate the files, import them and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        source = base / "source"
        start = time.perf_counter()
        make_files(source, args.files)
        generated = time.perf_counter() - start
        settings = Settings(
            env="testing",
            instance_dir=base / "instance",
            evidence_dir=base / "evidence",
            exports_dir=base / "exports",
            index_dir=base / "index",
        )
        app = create_app(settings)
        db.create_all(app)
        with db.session_scope(app) as session:
            framework.seed_framework(session)
            for number in range(1, 11):
                evidence.create_item(
                    session, evidence.ItemInput(number=number, title=f"Item {number}"), None
                )
        with db.session_scope(app) as session:
            plan = bulk_import.plan_folder(session, source)
            job = bulk_import.create_job(session, "bench", plan, None)
            session.flush()
            job_id = job.id or 0
        start = time.perf_counter()
        bulk_import.run_job(
            db.engine_for(app), store_for(app), index_for(app), job_id, source, ingest.Limits()
        )
        elapsed = time.perf_counter() - start
        with db.session_scope(app) as session:
            job = bulk_import.get_job(session, job_id)
            report = index_for(app).check(session)
            print(f"generated {args.files} files in {generated:.1f} s")
            print(
                f"imported {job.created} of {job.total} files ({len(job.skipped)} skipped) in "
                f"{elapsed:.1f} s: {job.total / elapsed:.1f} files/s, "
                f"{elapsed / max(job.total, 1) * 1000:.0f} ms per file"
            )
            problems = [k for k in report.missing + report.stale if k.startswith("document-")]
            print(f"documents missing or stale in the index: {len(problems)}")
        db.engine_for(app).dispose()


if __name__ == "__main__":
    main()
