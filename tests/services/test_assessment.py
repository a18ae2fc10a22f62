import pytest

from tests import factories
from tracker.models import EntryStatus, Role
from tracker.services import Conflict, Forbidden, Invalid, assessment, audit


def test_ref_codes_are_numbered_through_each_theme_in_order(session):
    a = factories.entry(session, "1A", "First")
    b = factories.entry(session, "1A", "Second")
    c = factories.entry(session, "1B", "Third")
    d = factories.entry(session, "2A", "Fourth")
    refs = assessment.ref_codes(session)
    assert [refs[e.id] for e in (a, b, c, d)] == ["1.1", "1.2", "1.3", "2.1"]


def test_moving_an_entry_renumbers_refs(session):
    user = factories.user(session)
    a = factories.entry(session, "1A", "First")
    b = factories.entry(session, "1A", "Second")
    assessment.move_entry(session, b, -1, user)
    refs = assessment.ref_codes(session)
    assert (refs[b.id], refs[a.id]) == ("1.1", "1.2")


def test_moving_past_the_end_does_nothing(session):
    user = factories.user(session)
    a = factories.entry(session, "1A", "Only")
    assessment.move_entry(session, a, -1, user)
    assert assessment.ref_codes(session)[a.id] == "1.1"


def test_duplicate_title_in_one_statement_is_refused(session):
    factories.entry(session, "1A", "Access")
    with pytest.raises(Conflict):
        factories.entry(session, "1A", "access")
    factories.entry(session, "1B", "Access")  # another statement may reuse it


def test_workflow_only_directors_approve(session):
    team = factories.user(session, Role.ASSURANCE)
    director = factories.user(session, Role.DIRECTOR)
    entry = factories.entry(session)
    assessment.set_status(session, entry, EntryStatus.IN_REVIEW, team)
    with pytest.raises(Forbidden):
        assessment.set_status(session, entry, EntryStatus.APPROVED, team)
    assessment.set_status(session, entry, EntryStatus.APPROVED, director)
    assert entry.status == EntryStatus.APPROVED
    assert entry.approved_by_id == director.id
    events = audit.history(session, "Entry", entry.id)
    assert events[0].verb == "approve" and events[0].user_name == director.name


def test_impossible_move_is_invalid(session):
    director = factories.user(session, Role.DIRECTOR)
    entry = factories.entry(session)
    assessment.set_status(session, entry, EntryStatus.APPROVED, director)
    with pytest.raises(Invalid):
        assessment.set_status(session, entry, EntryStatus.IN_REVIEW, director)


def test_staff_cannot_move_an_entry(session):
    staff = factories.user(session, Role.STAFF)
    entry = factories.entry(session)
    with pytest.raises(Forbidden):
        assessment.set_status(session, entry, EntryStatus.IN_REVIEW, staff)
    assert assessment.allowed_moves(entry, staff) == []


def test_editing_approved_words_returns_it_to_draft(session):
    team = factories.user(session, Role.ASSURANCE)
    director = factories.user(session, Role.DIRECTOR)
    entry = factories.entry(session, what_we_know="Old")
    assessment.set_status(session, entry, EntryStatus.APPROVED, director)
    data = assessment.EntryInput(title=entry.title, what_we_know="New words")
    assessment.update_entry(session, entry, data, team)
    assert entry.status == EntryStatus.DRAFT and entry.approved_by_id is None
    changes = audit.history(session, "Entry", entry.id)[0].changes
    assert changes["what_we_know"] == ["Old", "New words"]
    assert changes["status"] == ["approved", "draft"]


def test_editing_only_the_owner_keeps_approval(session):
    team = factories.user(session, Role.ASSURANCE)
    director = factories.user(session, Role.DIRECTOR)
    entry = factories.entry(session, what_we_know="Same")
    assessment.set_status(session, entry, EntryStatus.APPROVED, director)
    data = assessment.EntryInput(title=entry.title, what_we_know="Same", owner="Sam")
    assessment.update_entry(session, entry, data, team)
    assert entry.status == EntryStatus.APPROVED


def test_update_recomputes_citations(session):
    team = factories.user(session)
    factories.item(session, 5)
    entry = factories.entry(session, how_we_know="[IR 99]")
    assert len(entry.problems) == 1
    assessment.update_entry(
        session, entry, assessment.EntryInput(title=entry.title, how_we_know="[IR 5]"), team
    )
    assert entry.problems == [] and [c.ir_number for c in entry.citations] == [5]


def test_delete_keeps_linked_actions(session):
    team = factories.user(session)
    entry = factories.entry(session)
    action = factories.action(session)
    action.entry_id = entry.id
    session.flush()
    assessment.delete_entry(session, entry, team)
    session.refresh(action)
    assert action.entry_id is None


def test_status_counts(session):
    director = factories.user(session, Role.DIRECTOR)
    e = factories.entry(session, "1A", "One")
    factories.entry(session, "1A", "Two")
    assessment.set_status(session, e, EntryStatus.APPROVED, director)
    counts = assessment.status_counts(session)
    assert counts["1A"] == {EntryStatus.APPROVED: 1, EntryStatus.DRAFT: 1}


def test_control_characters_never_reach_the_database(session):
    # PostgreSQL refuses NUL in text and Word refuses the other C0 controls: none is stored.
    entry = factories.entry(session, what_we_know="safe\x00 and\x0b sound\tstill\nhere")
    session.commit()
    session.expire_all()
    assert entry.what_we_know == "safe and sound\tstill\nhere"
    entry.our_plans = "later\x07 edit"
    session.commit()
    session.expire_all()
    assert entry.our_plans == "later edit"
