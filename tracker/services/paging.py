"""One page of a longer list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import func
from sqlmodel import Session, select

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """A page of results with what a pagination control needs."""

    items: list[T]
    total: int
    number: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def first_index(self) -> int:
        """The 1-based position of the first item on this page (0 when empty)."""
        return 0 if not self.total else (self.number - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        """The 1-based position of the last item on this page."""
        return min(self.total, self.number * self.per_page)


def paginate(session: Session, query: Any, number: int, per_page: int) -> Page[Any]:
    """Run query for one page; a page number past the end gives the last page."""
    total = session.exec(select(func.count()).select_from(query.order_by(None).subquery())).one()
    pages = max(1, -(-total // per_page))
    number = min(max(1, number), pages)
    items = list(session.exec(query.offset((number - 1) * per_page).limit(per_page)))
    return Page(items=items, total=total, number=number, per_page=per_page)
