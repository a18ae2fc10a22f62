from datetime import timedelta
from pathlib import Path

from tests import factories
from tests.readiness_factories import approved_entry
from tracker import db
from tracker.models import Role
from tracker.models.readiness import EvidenceCategory, TimelineKey
from tracker.services import framework, readiness
from tracker.storage import store_for
from tracker.templating import today


def _seed(app, tmp_path: Path) -> None:
    with db.session_scope(app) as s:
        team = factories.user(s, Role.ASSURANCE, "seed@example.gov.uk")
        ir5 = factories.item(s, 5, "Waiting lists", statements=("1A",))
        factories.item(s, 9, "Carers strategy", statements=("1B",))
        doc = factories.document(s, store_for(app), team, tmp_path, items=[ir5])
        readiness.set_document_categories(s, doc, {EvidenceCategory.PARTNERS}, team)
        approved_entry(s, "1A")
        readiness.record_score(s, framework.get_statement(s, "1A"), 3, "Good", team)
        readiness.record_score(s, framework.get_statement(s, "1B"), 2, "Some gaps", team)
        readiness.set_timeline(
            s,
            {TimelineKey.NOTIFICATION: readiness.KeyDateInput(today() - timedelta(days=10))},
            team,
        )


def test_team_and_directors_get_the_readiness_home(app, as_role, tmp_path):
    _seed(app, tmp_path)
    for role in (Role.ASSURANCE, Role.DIRECTOR):
        page = as_role(role).text("/")
        assert '<h1 class="govuk-heading-l">Readiness for CQC assessment</h1>' in page
        # overall: 5 out of 8 = 62.5%, between RI and Good, shown as the lower band
        assert "5 out of 8 (62.5%)" in page
        assert "Requires improvement" in page and "Between bands" in page
        assert "Due in 11 days" in page  # IR due, 3 weeks after notification 10 days ago
        assert "Scored 2, but no entry for this statement is approved" in page
        assert "IR items against quality statements" in page
        assert 'href="/evidence/9"' in page
        assert "0 entries, 1 doc" in page
        assert "See the gap list" in page


def test_staff_get_a_finding_home_without_scores(app, as_role, tmp_path):
    _seed(app, tmp_path)
    for role in (Role.STAFF, Role.ADMIN):
        page = as_role(role).text("/")
        assert "Find our CQC evidence" in page
        assert "Browse all documents" in page
        assert "1A Assessing needs" in page
        assert "Indicative rating" not in page
        assert "Readiness for CQC assessment" not in page


def test_empty_home_still_renders(as_role):
    page = as_role(Role.DIRECTOR).text("/")
    assert "No statement is scored yet" in page
    assert "There are no IR items yet." in page
