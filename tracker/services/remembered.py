"""Derived figures kept between requests until a table they were built from changes.

`remember` runs a computation once, notes every table its SQL read and the change tokens those
tables had (tracker/changes.py), and hands out the same result until one of the tokens moves.
A session holding its own uncommitted writes always computes afresh in that session: a result
built elsewhere could not see those writes. Results are built in a private session and handed
out detached, with what their callers read already loaded; treat them as read-only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy.engine import Engine
from sqlmodel import Session

from ..changes import note_read, read_tokens, tables_read, unchanged, wrote

T = TypeVar("T")


class Kept(Generic[T]):
    """Results by key, each with the tokens of the tables it read; the oldest go first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[tuple[tuple[str, str], ...], T]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, tokens: dict[str, str]) -> T | None:
        """The result kept for key, if every table it read still has the same token.

        The tables count as read by any enclosing `tables_read` block, as if it had run.
        """
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            read, value = found
            if not unchanged(read, tokens):
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
        note_read(table for table, _ in read)
        return value

    def put(self, key: Hashable, read: set[str], tokens: dict[str, str], value: T) -> None:
        """Keep value under key, valid while the tables it read keep these tokens."""
        if self.size <= 0:
            return
        with self._lock:
            self._entries[key] = (tuple((t, tokens.get(t, "")) for t in sorted(read)), value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


#: Figures kept per database.
MAX_RESULTS = 64
_kept: WeakKeyDictionary[Engine, Kept[Any]] = WeakKeyDictionary()
_lock = threading.Lock()


def remember(session: Session, key: Hashable, compute: Callable[[Session], T]) -> T:
    """compute(session)'s result, reused until a table it read changes in the database."""
    if session.new or session.dirty or session.deleted or wrote(session):
        return compute(session)
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    with _lock:
        kept = _kept.setdefault(engine, Kept(MAX_RESULTS))
    with Session(engine, expire_on_commit=False) as private:
        # Tokens before data: a change committed in between leaves newer data under older
        # tokens, which only makes the result look stale sooner.
        tokens = read_tokens(private)
        found = kept.get(key, tokens)
        if found is not None:
            return found  # type: ignore[no-any-return]
        with tables_read() as read:
            result = compute(private)
    kept.put(key, read, tokens, result)
    return result
