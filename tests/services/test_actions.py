from datetime import date

import pytest

from tests import factories
from tracker.models import ActionStatus
from tracker.services import Invalid, actions, audit, framework

TODAY = date(2026, 3, 1)


def test_update_changes_status_and_is_logged(session):
    user = factories.user(session)
    action = factories.action(session)
    actions.add_update(
        session, action, date(2026, 2, 1), "Recruited two assessors", ActionStatus.ON_TRACK, user
    )
    actions.add_update(session, action, date(2026, 2, 20), "Backlog down 12%", None, user)
    assert action.status == ActionStatus.ON_TRACK
    assert [u.note for u in action.updates] == ["Backlog down 12%", "Recruited two assessors"]
    changes = audit.history(session, "Action", action.id)[1].changes
    assert changes["status"] == ["not_started", "on_track"]


def test_empty_update_is_refused(session):
    user = factories.user(session)
    with pytest.raises(Invalid):
        actions.add_update(session, factories.action(session), TODAY, "   ", None, user)


def test_entry_must_belong_to_the_same_statement(session):
    entry = factories.entry(session, "1A")
    other = framework.get_statement(session, "2B")
    with pytest.raises(Invalid) as error:
        actions.create_action(
            session,
            actions.ActionInput(title="x", quality_statement_id=other.id, entry_id=entry.id),
            None,
        )
    assert error.value.field == "entry_id"


def test_filters_and_overdue(session):
    factories.action(session, "1A", "Late", due=date(2026, 1, 1))
    factories.action(session, "3B", "Later", due=date(2026, 6, 1))
    done = factories.action(session, "1A", "Done", due=date(2026, 1, 1))
    done.status = ActionStatus.COMPLETE

    def titles(**kw):
        return [
            a.title for a in actions.list_actions(session, actions.ActionFilters(**kw), TODAY).items
        ]

    assert titles(overdue=True) == ["Late"]
    assert titles(statement="3B") == ["Later"]
    assert titles(status=ActionStatus.COMPLETE) == ["Done"]
