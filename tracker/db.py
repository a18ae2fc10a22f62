"""The database engine and sessions: one engine per app, one session per request."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, SQLModel, create_engine

from . import (
    changes,  # noqa: F401  (stamps every commit's tables for the caches)
    models,  # noqa: F401  (registers the tables on SQLModel.metadata)
)

EXTENSION_KEY = "tracker.engine"

# Control characters other than tab, newline and carriage return: PostgreSQL refuses NUL in
# text and the rest cannot appear in a Word document, so no stored text keeps them.
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_control_chars(text: str) -> str:
    """Text without the control characters no database or document format accepts."""
    return CONTROL_CHARS.sub("", text)


@event.listens_for(OrmSession, "before_flush")
def _clean_text_before_flush(session: OrmSession, _context: Any, _instances: Any) -> None:
    """Every string written by any session loses its control characters, on every database.

    Only values about to be written are looked at: all of a new row's, and the changed ones of
    an existing row (reading an unchanged, expired attribute would reload the row).
    """
    for obj in (*session.new, *session.dirty):
        state = inspect(obj)
        columns = state.mapper.column_attrs
        written = state.dict if obj in session.new else state.committed_state
        for key in [k for k in written if k in columns]:
            value = state.dict.get(key)
            if isinstance(value, str) and CONTROL_CHARS.search(value):
                setattr(obj, key, strip_control_chars(value))


def make_engine(database_url: str) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL and a busy timeout for several workers."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return create_engine(database_url, pool_pre_ping=True)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(database_url, connect_args={"timeout": 15})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def init_app(app: Flask) -> None:
    """Create the app's engine and close the request session at teardown."""
    app.extensions[EXTENSION_KEY] = make_engine(app.config["SETTINGS"].database_url)
    app.teardown_appcontext(_close_session)


def engine_for(app: Flask) -> Engine:
    """The engine that belongs to an app."""
    return app.extensions[EXTENSION_KEY]


def get_session() -> Session:
    """The current request's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = Session(engine_for(current_app))
    return g.db_session


def _close_session(exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is None:
        return
    if exc is not None:
        session.rollback()
    session.close()


@contextmanager
def session_scope(app: Flask) -> Iterator[Session]:
    """A session for commands and tests: commits on success, rolls back on error."""
    session = Session(engine_for(app))
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def create_all(app: Flask) -> None:
    """Create every table that does not exist yet."""
    SQLModel.metadata.create_all(engine_for(app))
