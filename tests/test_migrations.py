"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from tests.conftest import make_settings
from tracker import create_app, db, migrate


def _sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'migrated.db'}"


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the kind under test: a new file, or a new database on the server."""
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        yield _sqlite_url(tmp_path)
        return
    name = f"tracker_migrate_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_migrations_match_the_models(empty_database_url: str) -> None:
    engine = db.make_engine(empty_database_url)
    migrate.upgrade(engine)
    assert migrate.current(engine) == migrate.head()
    with engine.connect() as connection:
        assert migrate.differences(connection) == []
    # Running it again changes nothing.
    migrate.upgrade(engine)
    assert migrate.current(engine) == migrate.head()
    engine.dispose()


def test_init_db_applies_migrations_and_db_current_reports(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, database_url=_sqlite_url(tmp_path)))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    current = runner.invoke(args=["db", "current"])
    assert f"Database: {migrate.head()}" in current.output
    db.engine_for(app).dispose()


def test_a_database_built_from_the_models_is_adopted(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, database_url=_sqlite_url(tmp_path)))
    db.create_all(app)
    assert migrate.current(db.engine_for(app)) is None
    migrate.upgrade(db.engine_for(app))
    assert migrate.current(db.engine_for(app)) == migrate.head()
    db.engine_for(app).dispose()
