"""Change tokens: which tables a commit stamps."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlmodel import Session, select

from tests import measures_factories as mf
from tracker import db
from tracker.backup import create_backup, restore_backup
from tracker.changes import read_tokens, table_names
from tracker.models.measures import Measure
from tracker.storage import store_for


def _tokens(app: Flask) -> dict[str, str]:
    with Session(db.engine_for(app)) as session:
        return read_tokens(session)


def _changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {name for name, token in after.items() if before.get(name, "") != token}


def test_a_link_table_is_stamped_only_when_its_collection_changes(app: Flask) -> None:
    before = _tokens(app)
    with db.session_scope(app) as session:
        mf.measure(session, code="Local", title="Carers supported", statements=("1A",))
    linked = _tokens(app)
    assert {"measure", "measurestatementlink", "auditevent"} <= _changed(before, linked)

    with db.session_scope(app) as session:
        session.exec(select(Measure)).one().title = "Carers assessed"
    renamed = _tokens(app)
    assert "measure" in _changed(linked, renamed)
    assert "measurestatementlink" not in _changed(linked, renamed)
    assert "qualitystatement" not in _changed(linked, renamed)


def test_reading_writes_nothing(app: Flask) -> None:
    before = _tokens(app)
    with db.session_scope(app) as session:
        list(session.exec(select(Measure)))
    assert _tokens(app) == before


def test_mark_changed_gives_every_table_a_new_token(app: Flask) -> None:
    before = _tokens(app)
    result = app.test_cli_runner().invoke(args=["db", "mark-changed"])
    assert result.exit_code == 0, result.output
    after = _tokens(app)
    assert set(after) == table_names()
    assert all(after[name] != before.get(name, "") for name in after)


def test_a_restore_marks_every_table_changed(app: Flask, tmp_path: Path) -> None:
    with db.session_scope(app) as session:
        mf.measure(session, code="Local", title="Carers supported")
    archive = tmp_path / "backup.tar.gz"
    create_backup(db.engine_for(app), store_for(app), archive)
    before = _tokens(app)
    restore_backup(db.engine_for(app), store_for(app), archive, replace=True)
    after = _tokens(app)
    assert all(after[name] != before.get(name, "") for name in table_names())
