"""The audit trail: who created, changed, deleted or approved what, and when."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from ..models import AuditEvent, User


def _plain(value: Any) -> Any:
    """Turn a field value into something JSON can hold and people can read."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | set):
        return sorted(_plain(v) for v in value)
    return value


def apply_changes(obj: Any, values: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Set attributes on obj and return {field: [before, after]} for those that changed."""
    changes: dict[str, list[Any]] = {}
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            changes[name] = [_plain(old), _plain(new)]
            setattr(obj, name, new)
    return changes


def snapshot(obj: Any, names: Iterable[str]) -> dict[str, list[Any]]:
    """The fields of a new or deleted record, in the same shape as a change list."""
    return {name: [None, _plain(getattr(obj, name))] for name in names}


def record(
    session: Session,
    actor: User | None,
    verb: str,
    obj: Any,
    changes: Mapping[str, Any] | None = None,
    label: str | None = None,
    record_id: int | None = None,
) -> AuditEvent:
    """Add an audit event for obj; obj must already have an id (flush first)."""
    event = AuditEvent(
        user_id=actor.id if actor else None,
        user_name=actor.name if actor else "system",
        verb=verb,
        record_type=type(obj).__name__,
        record_id=obj.id if record_id is None else record_id,
        record_label=(label or getattr(obj, "title", None) or str(obj.id))[:300],
        changes=dict(changes or {}),
    )
    session.add(event)
    return event


def history(
    session: Session, record_type: str, record_id: int, limit: int = 50
) -> list[AuditEvent]:
    """The newest events of one record."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.record_type == record_type, AuditEvent.record_id == record_id)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
    )
    return list(session.exec(query))


def recent(session: Session, offset: int = 0, limit: int = 50) -> tuple[list[AuditEvent], int]:
    """A page of the newest events across the whole tracker, and the total count."""
    total = session.exec(select(func.count()).select_from(AuditEvent)).one()
    query = (
        select(AuditEvent)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return list(session.exec(query)), total
