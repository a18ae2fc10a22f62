"""Every route refuses the roles it should: the matrix is built from the URL map."""

import pytest

from tests import factories
from tracker import create_app, db
from tracker.models import Role
from tracker.services.accounts import PERMISSIONS
from tracker.storage import store_for

PUBLIC = {"auth.login", "auth.logout", "static"}


@pytest.fixture
def records(app, tmp_path):
    with db.session_scope(app) as s:
        item = factories.item(s, 5)
        entry = factories.entry(s)
        action = factories.action(s)
        author = factories.user(s, Role.ASSURANCE, "author@example.gov.uk")
        doc = factories.document(s, store_for(app), author, tmp_path, items=[item])
        s.flush()
        return {
            "number": 5,
            "code": "1A",
            "entry_id": entry.id,
            "action_id": action.id,
            "document_id": doc.id,
            "user_id": author.id,
            "number_v": 1,
        }


def routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        yield rule


def url_for_rule(rule, records):
    # An argument the fixture does not know (a newer area's id) gets 1: allowed roles may then
    # see 404, which still proves the permission check let them through.
    values = {
        name: records.get("number_v" if name == "number" and "versions" in rule.rule else name, 1)
        for name in rule.arguments
    }
    return rule.build(values)[1]


def test_every_protected_view_names_a_permission(settings):
    app = create_app(settings)
    missing = [
        r.endpoint for r in routes(app) if not hasattr(app.view_functions[r.endpoint], "permission")
    ]
    assert missing == []


def _cases():
    import tempfile
    from pathlib import Path

    from tests.conftest import make_settings

    app = create_app(make_settings(Path(tempfile.mkdtemp())))
    for rule in routes(app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method


CASES = sorted(set(_cases()))


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(("endpoint", "method"), CASES)
def test_role_matrix(app, as_role, records, role, endpoint, method):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    url = url_for_rule(rule, records)
    permission = app.view_functions[endpoint].permission
    browser = as_role(role)
    response = browser.client.open(url, method=method, data={})
    response.close()
    allowed = role in PERMISSIONS[permission]
    if allowed:
        assert response.status_code != 403, f"{role} refused {method} {url}"
    else:
        assert response.status_code == 403, f"{role} got {response.status_code} for {method} {url}"


@pytest.mark.parametrize(("endpoint", "method"), CASES)
def test_anonymous_is_sent_to_sign_in(app, records, endpoint, method):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    response = app.test_client().open(url_for_rule(rule, records), method=method, data={})
    response.close()
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
