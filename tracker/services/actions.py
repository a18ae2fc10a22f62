"""The improvement plan: actions and their dated progress updates."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import case
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


#: Statuses from most to least in need of attention, for sorting.
STATUS_SEVERITY = (
    ActionStatus.OFF_TRACK,
    ActionStatus.AT_RISK,
    ActionStatus.NOT_STARTED,
    ActionStatus.ON_TRACK,
    ActionStatus.COMPLETE,
)


@dataclass(frozen=True)
class ActionFilters:
    """What the improvement plan can be narrowed by."""

    statement: str | None = None
    status: ActionStatus | None = None
    owner: str | None = None
    overdue: bool = False
    sort: str = "statement"


_STATUS_ORDER = case(
    {s.value: n for n, s in enumerate(STATUS_SEVERITY)}, value=col(Action.status), else_=99
)

#: The orders the improvement plan can be sorted in: key -> (words, columns).
SORTS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "statement": (
        "Quality statement",
        (col(QualityStatement.position), col(Action.due_date), col(Action.id)),
    ),
    "due": ("Due date, soonest first", (col(Action.due_date).nulls_last(), col(Action.id))),
    "status": ("Status, most at risk first", (_STATUS_ORDER, col(Action.due_date), col(Action.id))),
    "owner": ("Owner", (col(Action.owner), col(Action.due_date), col(Action.id))),
    "updated": ("Recently changed", (col(Action.updated_at).desc(), col(Action.id).desc())),
}


def get_action(session: Session, action_id: int) -> Action:
    """An action by id."""
    action = session.get(Action, action_id)
    if action is None:
        raise NotFound("There is no such action")
    return action


def _filtered(query: Any, filters: ActionFilters, today: date) -> Any:
    if filters.statement:
        query = query.where(QualityStatement.code == filters.statement)
    if filters.status:
        query = query.where(Action.status == filters.status)
    if filters.owner:
        query = query.where(Action.owner == filters.owner)
    if filters.overdue:
        query = query.where(col(Action.due_date) < today, Action.status != ActionStatus.COMPLETE)
    return query


def _plan_query(filters: ActionFilters, today: date) -> Any:
    query = (
        select(Action)
        .join(QualityStatement)
        .options(selectinload(Action.updates), selectinload(Action.quality_statement))  # type: ignore[arg-type]
    )
    order = SORTS.get(filters.sort, SORTS["statement"])[1]
    return _filtered(query, filters, today).order_by(*order)


def list_actions(
    session: Session, filters: ActionFilters, today: date, page: int = 1, per_page: int = 50
) -> Page[Action]:
    """Actions filtered and sorted as asked (framework order by default), a page at a time."""
    return paginate(session, _plan_query(filters, today), page, per_page)


def all_actions(session: Session, filters: ActionFilters, today: date) -> list[Action]:
    """Every action matching the filters, in the chosen order (for downloads)."""
    return list(session.exec(_plan_query(filters, today)))


def update_log(
    session: Session, filters: ActionFilters, today: date, page: int = 1, per_page: int = 50
) -> Page[ActionUpdate]:
    """Progress updates on the actions matching the filters, newest first."""
    query = (
        select(ActionUpdate)
        .join(Action)
        .join(QualityStatement)
        .options(
            selectinload(ActionUpdate.action).selectinload(Action.quality_statement),  # type: ignore[arg-type]
            selectinload(ActionUpdate.author),  # type: ignore[arg-type]
        )
    )
    query = _filtered(query, filters, today).order_by(
        col(ActionUpdate.on).desc(), col(ActionUpdate.id).desc()
    )
    return paginate(session, query, page, per_page)


PLAN_COLUMNS = (
    "Quality statement",
    "Action",
    "Detail",
    "Owner",
    "Due date",
    "Status",
    "Overdue",
    "Latest update",
    "Latest update on",
)


def plan_workbook(session: Session, filters: ActionFilters, today: date) -> bytes:
    """The improvement plan as an XLSX workbook: one sheet of actions, one of the update log."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Improvement plan"
    sheet.append(PLAN_COLUMNS)
    rows = all_actions(session, filters, today)
    for action in rows:
        latest = action.updates[0] if action.updates else None
        sheet.append(
            (
                f"{action.quality_statement.code} {action.quality_statement.title}",
                action.title,
                action.detail,
                action.owner,
                action.due_date,
                action.status.label,
                "Yes" if action.is_overdue(today) else "No",
                latest.note if latest else "",
                latest.on if latest else None,
            )
        )
    log = book.create_sheet("Update log")
    log.append(("Date", "Quality statement", "Action", "Update", "By"))
    for action in rows:
        for update in action.updates:
            log.append(
                (
                    update.on,
                    action.quality_statement.code,
                    action.title,
                    update.note,
                    update.author.name if update.author else "",
                )
            )
    for ws, widths in ((sheet, (28, 50, 60, 20, 12, 14, 9, 60, 16)), (log, (12, 9, 50, 70, 20))):
        ws.freeze_panes = "A2"
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for index, width in enumerate(widths):
            ws.column_dimensions[chr(ord("A") + index)].width = width
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, date):
                    cell.number_format = "d mmm yyyy"
                elif isinstance(cell.value, str) and cell.value.startswith("="):
                    # People's text must never run as a spreadsheet formula.
                    cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


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
