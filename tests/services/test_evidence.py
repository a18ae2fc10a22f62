from datetime import date

import pytest

from tests import factories
from tracker.models import EvidenceStatus
from tracker.services import Conflict, audit, evidence
from tracker.services.coverage import coverage

TODAY = date(2026, 3, 1)


def test_number_is_unique(session):
    factories.item(session, 5)
    with pytest.raises(Conflict) as error:
        factories.item(session, 5)
    assert error.value.field == "number"


def test_filters(session):
    factories.item(session, 1, statements=("1A",), owner="Ann", due_date=date(2026, 2, 1))
    factories.item(
        session,
        2,
        statements=("3B",),
        owner="Bob",
        due_date=date(2026, 2, 1),
        status=EvidenceStatus.SUBMITTED,
    )
    factories.item(session, 3, statements=("1A", "3B"), owner="Ann", due_date=date(2026, 4, 1))

    def numbers(**kw):
        return [
            i.number for i in evidence.list_items(session, evidence.ItemFilters(**kw), TODAY).items
        ]

    assert numbers() == [1, 2, 3]
    assert numbers(statement="3B") == [2, 3]
    assert numbers(owner="Ann") == [1, 3]
    assert numbers(status=EvidenceStatus.SUBMITTED) == [2]
    assert numbers(overdue=True) == [1]  # 2 is submitted, 3 not yet due


def test_pagination(session):
    for n in range(1, 8):
        factories.item(session, n)
    page = evidence.list_items(session, evidence.ItemFilters(), TODAY, page=2, per_page=3)
    assert [i.number for i in page.items] == [4, 5, 6]
    assert (page.pages, page.total, page.first_index, page.last_index) == (3, 7, 4, 6)
    past_end = evidence.list_items(session, evidence.ItemFilters(), TODAY, page=99, per_page=3)
    assert past_end.number == 3 and [i.number for i in past_end.items] == [7]


def test_update_records_before_and_after(session):
    user = factories.user(session)
    item = factories.item(session, 5, title="Old", statements=("1A",))
    qs = [s.id for s in item.statements]
    data = evidence.ItemInput(
        number=5, title="New", statement_ids=(*qs, 9), status=EvidenceStatus.COLLECTING
    )
    evidence.update_item(session, item, data, user)
    event = audit.history(session, "EvidenceItem", item.id)[0]
    assert event.verb == "update" and event.user_name == user.name
    assert event.changes["title"] == ["Old", "New"]
    assert event.changes["status"] == ["not_started", "collecting"]
    assert event.changes["statements"][0] == ["1A"]


def test_renumbering_rechecks_citations(session):
    user = factories.user(session)
    item = factories.item(session, 5)
    entry = factories.entry(session, how_we_know="[IR 6]")
    assert entry.problems
    evidence.update_item(session, item, evidence.ItemInput(number=6, title=item.title), user)
    session.refresh(entry)
    assert entry.problems == []


def test_overdue_rule():
    item = evidence.EvidenceItem(number=1, title="x", due_date=date(2026, 1, 1))
    assert item.is_overdue(TODAY)
    item.status = EvidenceStatus.CHECKED
    assert not item.is_overdue(TODAY)


def test_coverage_shows_thin_statements(session, store, tmp_path):
    user = factories.user(session)
    with_doc = factories.item(session, 1, statements=("1A",))
    factories.item(session, 2, statements=("1A",))
    factories.document(session, store, user, tmp_path, items=[with_doc])
    factories.entry(session, "1A", how_we_know="[IR 99]")
    rows = {r.statement.code: r for r in coverage(session, TODAY)}
    assert (rows["1A"].items, rows["1A"].items_without_documents, rows["1A"].documents) == (2, 1, 1)
    assert rows["1A"].citation_problems == 1
    assert "no approved entry" in rows["1A"].thin
    assert rows["4B"].thin[0] == "no IR items"
    assert len(rows) == 9


def test_document_counts_per_item(session, store, tmp_path):
    from tracker.models import Role

    team = factories.user(session, Role.ASSURANCE)
    filed = factories.item(session, 5)
    busy = factories.item(session, 6)
    empty = factories.item(session, 7)
    factories.document(session, store, team, tmp_path, "Policy", [filed, busy])
    factories.document(session, store, team, tmp_path, "Plan", [busy], filename="plan.pdf")
    session.flush()
    counts = evidence.document_counts(session)
    assert counts == {filed.id: 1, busy.id: 2}
    assert empty.id not in counts
