import pytest

from tests import factories
from tracker.models import Role
from tracker.services import Conflict, Invalid, accounts


def test_password_is_hashed_and_checked(session):
    user = factories.user(session, Role.STAFF, "Staff@Example.gov.uk")
    assert factories.PASSWORD not in user.password_hash
    assert accounts.authenticate(session, " staff@example.gov.uk ", factories.PASSWORD) is user
    assert accounts.authenticate(session, "staff@example.gov.uk", "wrong password") is None
    assert accounts.authenticate(session, "nobody@example.gov.uk", factories.PASSWORD) is None


def test_deactivated_user_cannot_sign_in(session):
    admin = factories.user(session, Role.ADMIN)
    user = factories.user(session, Role.STAFF)
    accounts.update_user(session, user, user.name, user.role, False, admin)
    assert accounts.authenticate(session, user.email, factories.PASSWORD) is None


def test_duplicate_email_and_short_password_refused(session):
    factories.user(session, Role.STAFF)
    with pytest.raises(Conflict):
        factories.user(session, Role.STAFF)
    with pytest.raises(Invalid):
        accounts.create_user(session, "a@b.gov.uk", "A", Role.STAFF, "short")


def test_last_admin_cannot_be_demoted(session):
    admin = factories.user(session, Role.ADMIN)
    other = factories.user(session, Role.ADMIN, "second@example.gov.uk")
    accounts.update_user(session, other, other.name, Role.STAFF, True, admin)
    with pytest.raises(Invalid):
        accounts.update_user(session, admin, admin.name, Role.STAFF, True, other)


def test_permissions():
    assert accounts.PERMISSIONS["edit"] == {Role.ASSURANCE}
    assert accounts.PERMISSIONS["approve"] == {Role.DIRECTOR}
    assert not accounts.can(None, "view")
