"""IR evidence items: the numbered list CQC asks documents under."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from ..models import (
    DocumentEvidenceLink,
    EvidenceItem,
    EvidenceItemStatementLink,
    EvidenceStatus,
    QualityStatement,
    User,
    utcnow,
)
from . import Conflict, NotFound
from .audit import apply_changes, record, snapshot
from .citations import refresh_all
from .paging import Page, paginate


@dataclass(frozen=True)
class ItemInput:
    """The editable fields of an evidence item."""

    number: int
    title: str
    description: str = ""
    owner: str = ""
    due_date: date | None = None
    status: EvidenceStatus = EvidenceStatus.NOT_STARTED
    statement_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ItemFilters:
    """What the evidence item list can be narrowed by."""

    statement: str | None = None
    status: EvidenceStatus | None = None
    owner: str | None = None
    overdue: bool = False


def get_item(session: Session, number: int) -> EvidenceItem:
    """An evidence item by its IR number."""
    item = session.exec(select(EvidenceItem).where(EvidenceItem.number == number)).first()
    if item is None:
        raise NotFound(f"There is no IR item {number}")
    return item


def list_items(
    session: Session, filters: ItemFilters, today: date, page: int = 1, per_page: int = 50
) -> Page[EvidenceItem]:
    """IR items in number order, filtered, one page at a time."""
    query = select(EvidenceItem).options(
        selectinload(EvidenceItem.statements),  # type: ignore[arg-type]
    )
    if filters.statement:
        query = query.where(
            col(EvidenceItem.id).in_(
                select(EvidenceItemStatementLink.evidence_item_id)
                .join(QualityStatement)
                .where(QualityStatement.code == filters.statement)
            )
        )
    if filters.status:
        query = query.where(EvidenceItem.status == filters.status)
    if filters.owner:
        query = query.where(EvidenceItem.owner == filters.owner)
    if filters.overdue:
        query = query.where(
            col(EvidenceItem.due_date) < today,
            col(EvidenceItem.status).not_in([EvidenceStatus.CHECKED, EvidenceStatus.SUBMITTED]),
        )
    return paginate(session, query.order_by(col(EvidenceItem.number)), page, per_page)


def all_items(session: Session) -> list[EvidenceItem]:
    """Every IR item in number order (for pickers)."""
    return list(session.exec(select(EvidenceItem).order_by(col(EvidenceItem.number))))


def owners(session: Session) -> list[str]:
    """Distinct owners of IR items, for the owner filter."""
    rows = session.exec(
        select(EvidenceItem.owner)
        .where(EvidenceItem.owner != "")
        .distinct()
        .order_by(EvidenceItem.owner)
    )
    return list(rows)


def _statements(session: Session, ids: tuple[int, ...]) -> list[QualityStatement]:
    if not ids:
        return []
    return list(session.exec(select(QualityStatement).where(col(QualityStatement.id).in_(ids))))


def _check_number_free(session: Session, number: int, item_id: int | None) -> None:
    clash = session.exec(select(EvidenceItem).where(EvidenceItem.number == number)).first()
    if clash is not None and clash.id != item_id:
        raise Conflict(f"IR {number} already exists: {clash.title}", field="number")


ITEM_FIELDS = ("number", "title", "description", "owner", "due_date", "status")


def create_item(session: Session, data: ItemInput, actor: User | None) -> EvidenceItem:
    """Add an IR evidence item; citations of its number stop being problems."""
    _check_number_free(session, data.number, None)
    item = EvidenceItem(**{name: getattr(data, name) for name in ITEM_FIELDS})
    item.statements = _statements(session, data.statement_ids)
    session.add(item)
    session.flush()
    changes = snapshot(item, ITEM_FIELDS)
    changes["statements"] = [None, sorted(s.code for s in item.statements)]
    record(session, actor, "create", item, changes, label=f"IR {item.number} {item.title}")
    refresh_all(session)
    return item


def update_item(session: Session, item: EvidenceItem, data: ItemInput, actor: User) -> EvidenceItem:
    """Change an IR item; renumbering re-checks every citation."""
    _check_number_free(session, data.number, item.id)
    old_number = item.number
    changes = apply_changes(item, {name: getattr(data, name) for name in ITEM_FIELDS})
    new_statements = _statements(session, data.statement_ids)
    before = sorted(s.code for s in item.statements)
    after = sorted(s.code for s in new_statements)
    if before != after:
        item.statements = new_statements
        changes["statements"] = [before, after]
    if changes:
        item.updated_at = utcnow()
        session.flush()
        record(session, actor, "update", item, changes, label=f"IR {item.number} {item.title}")
    if item.number != old_number:
        refresh_all(session)
    return item


def set_status(session: Session, item: EvidenceItem, status: EvidenceStatus, actor: User) -> None:
    """Move an item along its collection workflow."""
    changes = apply_changes(item, {"status": status})
    if changes:
        item.updated_at = utcnow()
        record(session, actor, "update", item, changes, label=f"IR {item.number} {item.title}")


def delete_item(session: Session, item: EvidenceItem, actor: User) -> None:
    """Delete an IR item; its documents stay, and entries citing it are flagged."""
    changes = snapshot(item, ITEM_FIELDS)
    record(session, actor, "delete", item, changes, label=f"IR {item.number} {item.title}")
    session.delete(item)
    session.flush()
    refresh_all(session)


def document_counts(session: Session) -> dict[int, int]:
    """How many documents are filed under each item id."""
    rows = session.exec(
        select(DocumentEvidenceLink.evidence_item_id, func.count()).group_by(
            col(DocumentEvidenceLink.evidence_item_id)
        )
    )
    return {item_id: count for item_id, count in rows if item_id is not None}


def today_default() -> date:
    """Today's date in UTC (callers pass 'today' in so tests can fix it)."""
    return utcnow().date()
