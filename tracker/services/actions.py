"""The improvement plan: actions and their dated progress updates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from ..models import Action, ActionStatus, ActionUpdate, Entry, QualityStatement, User, utcnow
from . import Invalid, NotFound
from .audit import apply_changes, record, snapshot
from .paging import Page, paginate

ACTION_FIELDS = (
    "title",
    "detail",
    "quality_statement_id",
    "entry_id",
    "owner",
    "due_date",
    "status",
)


@dataclass(frozen=True)
class ActionInput:
    """The editable fields of an action."""

    title: str
    quality_statement_id: int
    detail: str = ""
    entry_id: int | None = None
    owner: str = ""
    due_date: date | None = None
    status: ActionStatus = ActionStatus.NOT_STARTED


@dataclass(frozen=True)
class ActionFilters:
    """What the improvement plan can be narrowed by."""

    statement: str | None = None
    status: ActionStatus | None = None
    owner: str | None = None
    overdue: bool = False


def get_action(session: Session, action_id: int) -> Action:
    """An action by id."""
    action = session.get(Action, action_id)
    if action is None:
        raise NotFound("There is no such action")
    return action


def list_actions(
    session: Session, filters: ActionFilters, today: date, page: int = 1, per_page: int = 50
) -> Page[Action]:
    """Actions in framework order then due date, filtered, a page at a time."""
    query = (
        select(Action)
        .join(QualityStatement)
        .options(selectinload(Action.updates), selectinload(Action.quality_statement))  # type: ignore[arg-type]
    )
    if filters.statement:
        query = query.where(QualityStatement.code == filters.statement)
    if filters.status:
        query = query.where(Action.status == filters.status)
    if filters.owner:
        query = query.where(Action.owner == filters.owner)
    if filters.overdue:
        query = query.where(col(Action.due_date) < today, Action.status != ActionStatus.COMPLETE)
    query = query.order_by(col(QualityStatement.position), col(Action.due_date), col(Action.id))
    return paginate(session, query, page, per_page)


def owners(session: Session) -> list[str]:
    """Distinct action owners, for the owner filter."""
    return list(
        session.exec(
            select(Action.owner).where(Action.owner != "").distinct().order_by(Action.owner)
        )
    )


def _check_entry(session: Session, data: ActionInput) -> None:
    if data.entry_id is None:
        return
    entry = session.get(Entry, data.entry_id)
    if entry is None or entry.quality_statement_id != data.quality_statement_id:
        raise Invalid("Choose an entry from the same quality statement, or none", field="entry_id")


def _values(data: ActionInput) -> dict[str, object]:
    values: dict[str, object] = {name: getattr(data, name) for name in ACTION_FIELDS}
    values["title"] = data.title.strip()
    values["detail"] = data.detail.replace("\r\n", "\n").strip()
    values["owner"] = data.owner.strip()
    return values


def create_action(session: Session, data: ActionInput, actor: User | None) -> Action:
    """Add an improvement action."""
    _check_entry(session, data)
    action = Action(**_values(data))  # type: ignore[arg-type]
    session.add(action)
    session.flush()
    record(session, actor, "create", action, snapshot(action, ACTION_FIELDS))
    return action


def update_action(session: Session, action: Action, data: ActionInput, actor: User) -> Action:
    """Edit an improvement action."""
    _check_entry(session, data)
    changes = apply_changes(action, _values(data))
    if changes:
        action.updated_at = utcnow()
        session.flush()
        record(session, actor, "update", action, changes)
    return action


def add_update(
    session: Session,
    action: Action,
    on: date,
    note: str,
    status: ActionStatus | None,
    actor: User | None,
) -> ActionUpdate:
    """Record a dated progress note, optionally changing the action's status."""
    note = note.replace("\r\n", "\n").strip()
    if not note:
        raise Invalid("Enter what has happened", field="note")
    update = ActionUpdate(
        action_id=action.id or 0, on=on, note=note, author_id=actor.id if actor else None
    )
    session.add(update)
    changes: dict[str, list[object]] = {"update": [None, f"{on.isoformat()}: {note[:200]}"]}
    if status is not None and status != action.status:
        changes["status"] = [action.status.value, status.value]
        action.status = status
    action.updated_at = utcnow()
    session.flush()
    session.refresh(action, ["updates"])
    record(session, actor, "update", action, changes)
    return update


def delete_action(session: Session, action: Action, actor: User) -> None:
    """Delete an action and its updates."""
    record(session, actor, "delete", action, snapshot(action, ACTION_FIELDS))
    session.delete(action)
    session.flush()
