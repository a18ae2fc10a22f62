from datetime import date, timedelta
from pathlib import Path

from tests import factories
from tests.readiness_factories import approved_entry
from tracker.models import EntryStatus, Role
from tracker.models.readiness import EvidenceCategory
from tracker.services import readiness
from tracker.services.coverage import category_matrix, coverage, item_matrix

TODAY = date(2025, 6, 30)


def test_counts_per_statement(session, store, tmp_path: Path):
    team = factories.user(session, Role.ASSURANCE)
    shared = factories.item(session, 5, statements=("1A", "1B"))
    factories.item(session, 6, statements=("1A",))
    factories.document(session, store, team, tmp_path, "One", [shared], "one.pdf")
    factories.document(session, store, team, tmp_path, "Two", [shared], "two.pdf")
    approved_entry(session, "1A", "Approved")
    factories.entry(session, "1A", "Draft")
    factories.entry(session, "1A", "Bad cite", how_we_know="[IR 77]")
    factories.action(session, "1A", "Late", due=TODAY - timedelta(days=1))
    factories.action(session, "1A", "Soon", due=TODAY + timedelta(days=1))

    rows = {r.statement.code: r for r in coverage(session, TODAY)}
    a, b = rows["1A"], rows["1B"]
    assert (a.items, a.items_without_documents, a.documents) == (2, 1, 2)
    assert a.entries == {EntryStatus.APPROVED: 1, EntryStatus.DRAFT: 2}
    assert (a.approved, a.total_entries) == (1, 3)
    assert (a.open_actions, a.overdue_actions, a.citation_problems) == (2, 1, 1)
    assert a.thin == ["1 IR item(s) with no documents", "1 citation problem(s)"]
    assert (b.items, b.documents, b.total_entries) == (1, 2, 0)
    assert b.thin == ["no approved entry"]
    assert rows["4B"].thin == ["no IR items", "no approved entry"]


def test_item_matrix_marks_linked_statements_and_documents(session, store, tmp_path: Path):
    team = factories.user(session, Role.ASSURANCE)
    ir5 = factories.item(session, 5, statements=("1A", "3B"))
    factories.item(session, 2, statements=("2A",))
    factories.document(session, store, team, tmp_path, items=[ir5])
    rows = item_matrix(session)
    assert [r.item.number for r in rows] == [2, 5]
    codes = {qs.id: qs.code for qs in (ir5.statements + rows[0].item.statements)}
    assert {codes[i] for i in rows[1].statement_ids} == {"1A", "3B"}
    assert (rows[0].documents, rows[1].documents) == (0, 1)


def test_category_matrix_counts_entries_and_documents_by_statement(session, store, tmp_path):
    team = factories.user(session, Role.ASSURANCE)
    ir5 = factories.item(session, 5, statements=("1A", "1B"))
    entry = factories.entry(session, "1A")
    other = factories.entry(session, "1A", "Second")
    readiness.set_entry_categories(session, entry, {EvidenceCategory.PEOPLE}, team)
    readiness.set_entry_categories(
        session, other, {EvidenceCategory.PEOPLE, EvidenceCategory.STAFF}, team
    )
    doc = factories.document(session, store, team, tmp_path, items=[ir5])
    readiness.set_document_categories(session, doc, {EvidenceCategory.PEOPLE}, team)
    matrix = category_matrix(session)
    qs = {s.code: s.id for s in ir5.statements}
    assert matrix[qs["1A"]][EvidenceCategory.PEOPLE].entries == 2
    assert matrix[qs["1A"]][EvidenceCategory.PEOPLE].documents == 1
    assert matrix[qs["1A"]][EvidenceCategory.STAFF].total == 1
    assert matrix[qs["1B"]][EvidenceCategory.PEOPLE].total == 1  # the document only
    assert matrix[qs["1A"]][EvidenceCategory.PARTNERS].total == 0
    assert len(matrix) == 9
