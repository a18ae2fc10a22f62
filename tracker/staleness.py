"""How long since an entry or document was last reviewed, and whether that is too long."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .settings import Settings


class Freshness(str, enum.Enum):
    """Fresh, getting old (amber) or too old (red); never reviewed counts as red."""

    FRESH = "fresh"
    AMBER = "amber"
    RED = "red"

    @property
    def colour(self) -> str:
        """The GOV.UK tag colour (the words always go with it)."""
        return {"fresh": "green", "amber": "yellow", "red": "red"}[self.value]


@dataclass(frozen=True)
class Staleness:
    """Days since the last review and the level that gives."""

    level: Freshness
    days: int | None

    @property
    def tag(self) -> str:
        """The words on the tag."""
        if self.days is None:
            return "Never reviewed"
        return {"fresh": "Up to date", "amber": "Review due", "red": "Review overdue"}[
            self.level.value
        ]

    @property
    def age(self) -> str:
        """'today', '1 day ago', '200 days ago' or 'never'."""
        if self.days is None:
            return "never"
        if self.days <= 0:
            return "today"
        return f"{self.days} day{'' if self.days == 1 else 's'} ago"

    @property
    def label(self) -> str:
        """Tag and age in one phrase, e.g. 'Review due: last reviewed 200 days ago'."""
        if self.days is None:
            return self.tag
        return f"{self.tag}: last reviewed {self.age}"


def _as_date(value: date | datetime | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def staleness(reviewed: date | datetime | None, today: date, settings: Settings) -> Staleness:
    """Fresh, amber or red for a review date, by the amber and red ages in settings."""
    day = _as_date(reviewed)
    if day is None:
        return Staleness(Freshness.RED, None)
    days = (today - day).days
    if days >= settings.review_red_days:
        level = Freshness.RED
    elif days >= settings.review_amber_days:
        level = Freshness.AMBER
    else:
        level = Freshness.FRESH
    return Staleness(level, days)


def reviewed_on(record: Any) -> date | None:
    """When a record was last reviewed.

    An entry says so itself. A document has no review field: the newest of its document
    date and its current version's upload stands for the last time someone looked at it.
    """
    if hasattr(record, "last_reviewed"):
        return _as_date(record.last_reviewed)
    dates = [d for d in (_as_date(getattr(record, "document_date", None)),) if d]
    current = getattr(record, "current", None)
    if current is not None:
        dates.append(current.uploaded_at.date())
    return max(dates) if dates else None
