"""Derived data remembered between requests: reused until its tables change, in any process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlmodel import Session, select

from tests import measures_factories as mf
from tests.conftest import make_settings
from tracker import create_app, db
from tracker.changes import read_tokens, tables_read
from tracker.models.measures import Measure
from tracker.models.stamps import ChangeStamp
from tracker.services import measures
from tracker.services.remembered import remember


class Counter:
    """A computation that counts how often it really ran and reads the measure titles."""

    def __init__(self) -> None:
        self.runs = 0

    def __call__(self, session: Session) -> list[str]:
        self.runs += 1
        return sorted(m.title for m in session.exec(select(Measure)))


def _titles(app: Flask, compute: Counter) -> list[str]:
    with Session(db.engine_for(app)) as session:
        return remember(session, "titles", compute)


def _add(app: Flask, title: str) -> None:
    with db.session_scope(app) as session:
        mf.measure(session, code="Local", title=title)


def test_result_is_reused_until_a_watched_table_changes(app: Flask) -> None:
    _add(app, "Carers supported")
    compute = Counter()
    assert _titles(app, compute) == ["Carers supported"]
    assert _titles(app, compute) == ["Carers supported"]
    assert compute.runs == 1

    _add(app, "Reviews on time")
    assert _titles(app, compute) == ["Carers supported", "Reviews on time"]
    assert compute.runs == 2


def test_a_change_from_another_process_is_seen(tmp_path, app: Flask) -> None:  # type: ignore[no-untyped-def]
    """Two apps on one database stand for two gunicorn workers, each with its own memory."""
    other = create_app(make_settings(tmp_path))
    try:
        _add(app, "Carers supported")
        compute = Counter()
        assert _titles(app, compute) == ["Carers supported"]
        with db.session_scope(other) as session:
            found = session.exec(select(Measure)).one()
            found.title = "Carers assessed"
        assert _titles(app, compute) == ["Carers assessed"]
        assert compute.runs == 2
    finally:
        db.engine_for(other).dispose()


def test_uncommitted_writes_are_seen_by_their_own_session_only(app: Flask) -> None:
    _add(app, "Carers supported")
    compute = Counter()
    assert _titles(app, compute) == ["Carers supported"]
    with Session(db.engine_for(app)) as session:
        mf.measure(session, code="Local", title="Draft measure")
        session.flush()
        mine = remember(session, "titles", compute)
        assert mine == ["Carers supported", "Draft measure"]
        session.rollback()
    # Computing with unsaved data stored nothing, and the rollback published no token.
    runs = compute.runs
    assert _titles(app, compute) == ["Carers supported"]
    assert compute.runs == runs


def test_a_rolled_back_write_leaves_the_stamp_as_it_was(app: Flask) -> None:
    _add(app, "Carers supported")
    with Session(db.engine_for(app)) as session:
        before = session.get(ChangeStamp, "measure")
        assert before is not None
        token = before.token
    with Session(db.engine_for(app)) as session:
        mf.measure(session, code="Local", title="Never kept")
        session.flush()
        session.rollback()
    with Session(db.engine_for(app)) as session:
        after = session.get(ChangeStamp, "measure")
        assert after is not None and after.token == token


def test_a_table_read_by_a_kept_result_counts_for_the_enclosing_block(app: Flask) -> None:
    """A page built around a kept figure depends on the figure's tables, hit or miss."""
    _add(app, "Carers supported")
    compute = Counter()
    for _ in range(2):  # a miss, then a hit
        with Session(db.engine_for(app)) as session, tables_read() as read:
            remember(session, "titles", compute)
        assert "measure" in read
    assert compute.runs == 1


def test_deleting_stamps_the_tables_the_database_cascades_to(app: Flask) -> None:
    with db.session_scope(app) as session:
        made = mf.measure(session, code="Local", title="Carers supported", statements=("1A",))
        measures.record_value(session, made, measures.ValueInput("2024/25", value=1.0), None)
    with Session(db.engine_for(app)) as session:
        before = read_tokens(session)
    with db.session_scope(app) as session:
        session.delete(session.exec(select(Measure)).one())
    with Session(db.engine_for(app)) as session:
        after = read_tokens(session)
    # Values and statement links go by ON DELETE CASCADE, which the ORM never sees.
    for table in ("measure", "measurevalue", "measurestatementlink"):
        assert after[table] != before[table], table
    assert after["qualitystatement"] == before["qualitystatement"]


@pytest.fixture
def summaries_app(app: Flask) -> Iterator[Flask]:
    with db.session_scope(app) as session:
        made = mf.measure(session, statements=("1A",))
        measures.record_value(
            session, made, measures.ValueInput("2023/24", value=80.0, benchmark=75.0), None
        )
    yield app


def test_remembered_summaries_follow_a_new_value_and_read_detached(summaries_app: Flask) -> None:
    app = summaries_app
    with Session(db.engine_for(app)) as session:
        first = measures.measure_summaries(session, "1a")
    with Session(db.engine_for(app)) as session:
        again = measures.measure_summaries(session, "1A")
    assert again[0] is first[0]  # the same summary, not rebuilt
    # Detached, yet everything a page reads is loaded.
    assert again[0].statement_codes == ["1A"]
    assert again[0].value_text.startswith("80")
    with db.session_scope(app) as session:
        found = session.exec(select(Measure)).one()
        measures.record_value(
            session, found, measures.ValueInput("2024/25", value=70.0, benchmark=75.0), None
        )
    with Session(db.engine_for(app)) as session:
        newer = measures.measure_summaries(session, "1A")
    assert newer[0] is not first[0]
    assert newer[0].value_text.startswith("70")
