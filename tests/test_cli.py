"""The flask commands: init-db, seed-demo, create-user and check-citations."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlmodel import func, select

from tracker import db
from tracker.models import (
    Action,
    Document,
    DocumentVersion,
    Entry,
    EntryStatus,
    EvidenceItem,
    QualityStatement,
    User,
)
from tracker.models.measures import Measure, MeasureValue
from tracker.services import accounts, citations, measures
from tracker.storage import store_for


def count(app: Flask, model: type) -> int:
    with db.session_scope(app) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_init_db_is_idempotent(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert count(app, QualityStatement) == 9
    assert runner.invoke(args=["init-db"]).exit_code == 0
    assert count(app, QualityStatement) == 9


def test_seed_demo_loads_the_council_once(app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    logins_file = tmp_path / "logins.txt"
    result = runner.invoke(args=["seed-demo", "--if-empty", "--logins-file", str(logins_file)])
    assert result.exit_code == 0, result.output
    assert count(app, EvidenceItem) == 38
    assert count(app, Document) == 60
    assert count(app, DocumentVersion) == 67
    assert count(app, Entry) == 41
    assert count(app, Action) == 32
    # Both shared dashboards (30 and 25 rows) meet in 36 measures once old codes are mapped.
    assert count(app, Measure) == 36
    assert count(app, MeasureValue) == 110
    text = logins_file.read_text()
    for role in ("assurance", "staff", "director", "admin"):
        assert f"{role}@dunmere.example" in text
    # Every stored version is a real file on disk in the evidence store.
    store = store_for(app)
    with db.session_scope(app) as session:
        for version in session.exec(select(DocumentVersion)):
            assert store.path_for(version.stored_file.sha256).is_file()
        direct_payments = measures.find_measure(session, "ASCOF 3D")
        assert direct_payments is not None
        summary = measures.summarise(direct_payments)
        assert [v.period for v in summary.values][0] == "2021/22"  # old 1C pt 2a
        assert summary.statement_codes == ["1A", "2A"]
        statuses = {e.status for e in session.exec(select(Entry))}
        assert statuses == set(EntryStatus)
        # The printed passwords really sign in.
        first = text.splitlines()[1].split()
        assert accounts.authenticate(session, first[1], first[2]) is not None
    # The demo is searchable straight away: the index agrees with the database.
    assert "Search index built" in result.output
    checked = runner.invoke(args=["check-index"])
    assert checked.exit_code == 0, checked.output
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0
    assert "not loaded" in again.output
    assert count(app, EvidenceItem) == 38


def test_check_citations_reports_the_demo_problems(app: Flask) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["check-citations"]).exit_code == 0
    runner.invoke(args=["seed-demo"])
    result = runner.invoke(args=["check-citations"])
    assert result.exit_code == 1
    assert "[LR 33]" in result.output
    assert "IR 41" in result.output
    assert "2 citation problem(s)." in result.output
    with db.session_scope(app) as session:
        assert len(citations.problems(session)) == 2


def test_import_measures_dry_run_then_import_then_bad_file(app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    path = str(Path(__file__).parent / "fixtures" / "dashboard-2024-11.csv")
    dry = runner.invoke(args=["import-measures", path, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Would add 25 measure(s)" in dry.output
    assert count(app, Measure) == 0
    assert runner.invoke(args=["import-measures", path]).exit_code == 0
    assert count(app, Measure) == 25
    again = runner.invoke(args=["import-measures", path])
    assert "25 unchanged" in again.output
    bad = tmp_path / "bad.csv"
    bad.write_text(Path(path).read_text("utf-8").replace("Reduce,", "Later,", 1), "utf-8")
    result = runner.invoke(args=["import-measures", str(bad)])
    assert result.exit_code != 0
    assert "Line 14, column layer" in result.output
    assert count(app, Measure) == 25


def test_create_user(app: Flask) -> None:
    runner = app.test_cli_runner()
    args = ["create-user", "--email", "New@Example.org", "--name", "New Person", "--role", "staff"]
    result = runner.invoke(args=args, input="a-long-password\na-long-password\n")
    assert result.exit_code == 0, result.output
    with db.session_scope(app) as session:
        user = session.exec(select(User).where(User.email == "new@example.org")).one()
        assert accounts.authenticate(session, "new@example.org", "a-long-password") == user
    duplicate = runner.invoke(args=args, input="a-long-password\na-long-password\n")
    assert duplicate.exit_code != 0
    assert "already exists" in duplicate.output
    short = runner.invoke(
        args=["create-user", "--email", "x@example.org", "--name", "X", "--role", "staff"],
        input="short\nshort\n",
    )
    assert short.exit_code != 0
    assert "10 characters" in short.output
