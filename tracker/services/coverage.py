"""Where evidence is thin: counts per quality statement."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from ..models import (
    Action,
    ActionStatus,
    Citation,
    DocumentEvidenceLink,
    Entry,
    EntryStatus,
    EvidenceItem,
    EvidenceItemStatementLink,
    QualityStatement,
)
from ..models.readiness import DocumentCategoryLink, EntryCategoryLink, EvidenceCategory
from .framework import list_statements


@dataclass
class StatementCoverage:
    """The evidence held for one quality statement."""

    statement: QualityStatement
    items: int = 0
    items_without_documents: int = 0
    documents: int = 0
    entries: dict[EntryStatus, int] = field(default_factory=dict)
    open_actions: int = 0
    overdue_actions: int = 0
    citation_problems: int = 0

    @property
    def approved(self) -> int:
        """Approved entries."""
        return self.entries.get(EntryStatus.APPROVED, 0)

    @property
    def total_entries(self) -> int:
        """All entries."""
        return sum(self.entries.values())

    @property
    def thin(self) -> list[str]:
        """Plain reasons the evidence for this statement is thin (empty when it is not)."""
        reasons = []
        if not self.items:
            reasons.append("no IR items")
        elif self.items_without_documents:
            reasons.append(f"{self.items_without_documents} IR item(s) with no documents")
        if not self.approved:
            reasons.append("no approved entry")
        if self.citation_problems:
            reasons.append(f"{self.citation_problems} citation problem(s)")
        return reasons


def coverage(session: Session, today: date) -> list[StatementCoverage]:
    """Coverage for every quality statement, in framework order."""
    rows = {qs.id: StatementCoverage(qs) for qs in list_statements(session)}
    doc_counts = dict(
        session.exec(
            select(DocumentEvidenceLink.evidence_item_id, func.count()).group_by(
                col(DocumentEvidenceLink.evidence_item_id)
            )
        ).all()
    )
    for qs_id, item_id in session.exec(
        select(
            EvidenceItemStatementLink.quality_statement_id,
            EvidenceItemStatementLink.evidence_item_id,
        )
    ):
        row = rows[qs_id]
        row.items += 1
        if not doc_counts.get(item_id):
            row.items_without_documents += 1
    for qs_id, count in session.exec(
        select(
            EvidenceItemStatementLink.quality_statement_id,
            func.count(func.distinct(DocumentEvidenceLink.document_id)),
        )
        .join(
            DocumentEvidenceLink,
            col(DocumentEvidenceLink.evidence_item_id)
            == col(EvidenceItemStatementLink.evidence_item_id),
        )
        .group_by(col(EvidenceItemStatementLink.quality_statement_id))
    ):
        rows[qs_id].documents = count
    for qs_id, status, count in session.exec(
        select(Entry.quality_statement_id, Entry.status, func.count()).group_by(
            col(Entry.quality_statement_id), col(Entry.status)
        )
    ):
        rows[qs_id].entries[EntryStatus(status)] = count
    for action in session.exec(select(Action).where(Action.status != ActionStatus.COMPLETE)):
        row = rows[action.quality_statement_id]
        row.open_actions += 1
        if action.is_overdue(today):
            row.overdue_actions += 1
    for qs_id, count in session.exec(
        select(Entry.quality_statement_id, func.count())
        .join(Citation)
        .where(col(Citation.problem).is_not(None))
        .group_by(col(Entry.quality_statement_id))
    ):
        rows[qs_id].citation_problems = count
    return list(rows.values())


@dataclass
class ItemRow:
    """One IR item in the statements x items matrix: its documents and the statements it serves."""

    item: EvidenceItem
    documents: int
    statement_ids: set[int]


def item_matrix(session: Session) -> list[ItemRow]:
    """Every IR item with its document count and linked statements, by item number."""
    doc_counts = dict(
        session.exec(
            select(DocumentEvidenceLink.evidence_item_id, func.count()).group_by(
                col(DocumentEvidenceLink.evidence_item_id)
            )
        ).all()
    )
    links: dict[int, set[int]] = {}
    for item_id, qs_id in session.exec(
        select(
            EvidenceItemStatementLink.evidence_item_id,
            EvidenceItemStatementLink.quality_statement_id,
        )
    ):
        links.setdefault(item_id or 0, set()).add(qs_id or 0)
    items = session.exec(select(EvidenceItem).order_by(col(EvidenceItem.number)))
    return [
        ItemRow(item, doc_counts.get(item.id, 0), links.get(item.id or 0, set())) for item in items
    ]


@dataclass
class CategoryCount:
    """Entries and documents tagged with one evidence category for one statement."""

    entries: int = 0
    documents: int = 0

    @property
    def total(self) -> int:
        """Entries and documents together."""
        return self.entries + self.documents


def category_matrix(session: Session) -> dict[int, dict[EvidenceCategory, CategoryCount]]:
    """Per statement id and evidence category, how many entries and documents are tagged.

    A document counts for a statement through the IR items it is filed under.
    """
    matrix: dict[int, dict[EvidenceCategory, CategoryCount]] = {
        qs.id or 0: {c: CategoryCount() for c in EvidenceCategory}
        for qs in list_statements(session)
    }
    for qs_id, category, count in session.exec(
        select(Entry.quality_statement_id, EntryCategoryLink.category, func.count())
        .join(EntryCategoryLink, col(EntryCategoryLink.entry_id) == col(Entry.id))
        .group_by(col(Entry.quality_statement_id), col(EntryCategoryLink.category))
    ):
        matrix[qs_id][EvidenceCategory(category)].entries = count
    for link_qs_id, category, count in session.exec(
        select(
            EvidenceItemStatementLink.quality_statement_id,
            DocumentCategoryLink.category,
            func.count(func.distinct(DocumentCategoryLink.document_id)),
        )
        .join(
            DocumentEvidenceLink,
            col(DocumentEvidenceLink.document_id) == col(DocumentCategoryLink.document_id),
        )
        .join(
            EvidenceItemStatementLink,
            col(EvidenceItemStatementLink.evidence_item_id)
            == col(DocumentEvidenceLink.evidence_item_id),
        )
        .group_by(
            col(EvidenceItemStatementLink.quality_statement_id), col(DocumentCategoryLink.category)
        )
    ):
        matrix[link_qs_id or 0][EvidenceCategory(category)].documents = count
    return matrix
