"""Change tokens per table, so results built from the database can be kept until it changes.

Every commit that wrote a table gives that table a new random token (`ChangeStamp`), in the
same transaction: a commit from any worker or command is seen by every other one, and a
rolled-back write never publishes its token. Deleting rows also stamps the tables the database
itself changes through ON DELETE rules. A cache reads the tokens before it builds a result and
keeps them with it (see `read_tokens` and `tables_read`); the result is current for as long as
those tokens are.

Writes made behind the ORM (plain SQL) are not stamped by themselves: restore calls
`stamp_all`, and so does `flask db mark-changed` after editing the database by hand.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, SessionTransaction
from sqlmodel import SQLModel

from .models.stamps import ChangeStamp

_WRITTEN = "tracker.tables_written"
_reading: ContextVar[set[str] | None] = ContextVar("tracker_tables_read", default=None)
_WORD = re.compile(r"[a-z_][a-z0-9_]*")


@cache
def table_names() -> frozenset[str]:
    """Every table of the tracker except the stamps themselves."""
    return frozenset(SQLModel.metadata.tables) - {ChangeStamp.__tablename__}  # type: ignore[operator]


@cache
def _changed_by_deleting() -> dict[str, frozenset[str]]:
    """Per table, the tables whose rows the database changes when its rows are deleted."""
    direct: dict[str, set[str]] = {}
    for table in SQLModel.metadata.tables.values():
        for key in table.foreign_keys:
            if key.ondelete:
                direct.setdefault(key.column.table.name, set()).add(table.name)
    closed: dict[str, frozenset[str]] = {}
    for name in direct:
        seen: set[str] = set()
        todo = [name]
        while todo:
            for child in direct.get(todo.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        closed[name] = frozenset(seen)
    return closed


def wrote(session: Session) -> bool:
    """Whether the session's open transaction has written anything yet."""
    return bool(session.info.get(_WRITTEN))


@event.listens_for(Session, "after_flush")
def _note_written(session: Session, _context: Any) -> None:
    written: set[str] = session.info.setdefault(_WRITTEN, set())
    cascades = _changed_by_deleting()
    for obj in (*session.new, *session.dirty, *session.deleted):
        state = inspect(obj)
        deleted = obj in session.deleted
        names = {table.name for table in state.mapper.tables}
        for rel in state.mapper.relationships:
            # A link table is written when the collection changed (or its owner went).
            if rel.secondary is not None and (
                deleted or state.attrs[rel.key].history.has_changes()
            ):
                names.add(rel.secondary.name)  # type: ignore[union-attr]
        written.update(names)
        if deleted:
            for name in names:
                written.update(cascades.get(name, ()))


@event.listens_for(Session, "before_commit")
def _stamp_written(session: Session) -> None:
    """Give every table the transaction wrote a new token, just before it commits.

    Stamping at commit rather than at each flush holds the stamp rows' locks only for the
    commit itself, so concurrent writers on PostgreSQL do not queue behind each other.
    """
    session.flush()
    names = session.info.get(_WRITTEN)
    if names:
        stamp(session.connection(), names)


def stamp(connection: Connection, names: Iterable[str]) -> None:
    """Give these tables new tokens, in the connection's transaction."""
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    for name in sorted(names):  # one order everywhere: two writers never deadlock
        token = secrets.token_hex(16)
        statement = insert(ChangeStamp).values(table_name=name, token=token)
        connection.execute(
            statement.on_conflict_do_update(index_elements=["table_name"], set_={"token": token})
        )


def stamp_all(connection: Connection) -> None:
    """Mark every table changed (after rows were written with plain SQL, as restore does)."""
    stamp(connection, table_names())


@event.listens_for(Session, "after_transaction_end")
def _transaction_over(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_WRITTEN, None)


def read_tokens(session: Session) -> dict[str, str]:
    """Every table's current token ('' for a table not written since stamps began)."""
    rows = session.connection().execute(
        ChangeStamp.__table__.select()  # type: ignore[attr-defined]
    )
    return {name: token for name, token in rows}


def unchanged(read: Iterable[tuple[str, str]], tokens: dict[str, str]) -> bool:
    """Whether every (table, token) pair kept with a result is still current."""
    return all(tokens.get(table, "") == token for table, token in read)


@lru_cache(maxsize=4096)
def _tables_in(statement: str) -> frozenset[str]:
    return frozenset(_WORD.findall(statement.lower())) & table_names()


@event.listens_for(Engine, "before_cursor_execute")
def _note_read(
    _conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
) -> None:
    note_read(_tables_in(statement))


def note_read(tables: Iterable[str]) -> None:
    """Count these tables as read by the enclosing `tables_read` block (for a kept result)."""
    seen = _reading.get()
    if seen is not None:
        seen.update(tables)


@contextmanager
def tables_read() -> Iterator[set[str]]:
    """Collect the name of every table any SQL run inside the block mentions.

    Blocks nest: what an inner block reads counts for the outer one too.
    """
    outer = _reading.get()
    seen: set[str] = set()
    token = _reading.set(seen)
    try:
        yield seen
    finally:
        _reading.reset(token)
        if outer is not None:
            outer.update(seen)
