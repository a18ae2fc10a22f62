from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from tests import factories
from tracker import db
from tracker.models import Entry, Role, TextStatus
from tracker.models.readiness import EvidenceCategory, SelfScore, TimelineDate, TimelineKey
from tracker.services import framework, readiness
from tracker.storage import store_for
from tracker.templating import today


def test_gap_list_links_to_each_fix(app, as_role, tmp_path: Path):
    with db.session_scope(app) as s:
        team = factories.user(s, Role.ASSURANCE, "seed@example.gov.uk")
        ir5 = factories.item(s, 5, statements=("1A",))
        factories.item(s, 6, "Unfiled item", statements=("1B",))
        doc = factories.document(s, store_for(app), team, tmp_path, "Scanned plan", [ir5])
        doc.review_by = today() - timedelta(days=5)
        doc.current.stored_file.text_status = TextStatus.MISSING
        doc.current.stored_file.text_reason = "No text layer"
        entry = factories.entry(s, "1A", "Cites wrongly", how_we_know="[LR 33]")
        action = factories.action(s, "2A", "Late action", due=today() - timedelta(days=1))
        s.flush()
        ids = (doc.id, entry.id, action.id)
    page = as_role(Role.DIRECTOR).text("/readiness/gaps")
    assert 'href="/statements/1A"' in page
    assert 'href="/evidence/6"' in page
    assert f'href="/documents/{ids[0]}"' in page and "No text layer" in page
    assert f'href="/assessment/entries/{ids[1]}"' in page
    assert f'href="/actions/{ids[2]}"' in page
    assert "Documents past their review-by date (1)" in page


def test_scoring_flow_and_history(app, as_role):
    team = as_role(Role.ASSURANCE)
    form = team.text("/readiness/scores/1A/new")
    assert "Score 1A Assessing needs" in form
    refused = team.post("/readiness/scores/1A/new", {"rationale": ""}, status=400)
    text = refused.get_data(as_text=True)
    assert "Choose a score" in text and "Enter the reasons for this score" in text
    team.post("/readiness/scores/1A/new", {"score": "2", "rationale": "Long waits"})
    team.post("/readiness/scores/1A/new", {"score": "3", "rationale": "Waits now shorter"})
    with db.session_scope(app) as s:
        assert [r.score for r in s.exec(select(SelfScore).order_by(SelfScore.id))] == [2, 3]
    scores = as_role(Role.DIRECTOR).text("/readiness/scores")
    assert "3 out of 4 (75.0%)" in scores and "Good" in scores
    assert "Only 1 of 9 quality statements are scored" in scores
    assert "Scored 3, but no entry for this statement is approved" in scores
    assert "/readiness/scores/1A/new" not in scores  # directors read, the team scores
    history = as_role(Role.DIRECTOR).text("/readiness/scores/1A")
    assert history.index("Waits now shorter") < history.index("Long waits")


def test_out_of_range_score_is_refused(app, as_role):
    page = as_role(Role.ASSURANCE).post(
        "/readiness/scores/1A/new", {"score": "7", "rationale": "x"}, status=400
    )
    assert "Choose a score from 1 to 4" in page.get_data(as_text=True)


def test_timeline_edit_flow(app, as_role):
    team = as_role(Role.ASSURANCE)
    team.text("/readiness/timeline/edit")
    notified = today() - timedelta(days=30)
    data = {
        "notification-day": notified.day,
        "notification-month": notified.month,
        "notification-year": notified.year,
    }
    team.post("/readiness/timeline/edit", data)
    page = as_role(Role.DIRECTOR).text("/readiness/timeline")
    assert "Overdue by 9 days" in page  # IR due 21 days after notification
    assert "(3 weeks after notification)" in page
    assert "Notification from CQC" in page and "History of changes (1)" in page
    done = dict(data, ir_due_done="y")
    team.post("/readiness/timeline/edit", done)
    assert "Done" in as_role(Role.DIRECTOR).text("/readiness/timeline")
    with db.session_scope(app) as s:
        row = s.get(TimelineDate, TimelineKey.IR_DUE)
        assert row is not None and row.done and row.on is None


def test_timeline_refuses_a_date_before_notification(app, as_role):
    team = as_role(Role.ASSURANCE)
    bad = {
        "notification-day": 10,
        "notification-month": 6,
        "notification-year": 2025,
        "site_visit-day": 1,
        "site_visit-month": 6,
        "site_visit-year": 2025,
    }
    page = team.post("/readiness/timeline/edit", bad, status=400).get_data(as_text=True)
    assert "Site visit starts must be on or after the notification date" in page
    assert 'href="#site_visit-day"' in page
    with db.session_scope(app) as s:
        assert s.get(TimelineDate, TimelineKey.NOTIFICATION) is None


def test_entry_categories_and_staleness_on_the_entry_page(app, as_role):
    with db.session_scope(app) as s:
        entry = factories.entry(s, "1A", "Waiting well")
        entry.last_reviewed = today() - timedelta(days=200)
        s.flush()
        entry_id = entry.id
    team = as_role(Role.ASSURANCE)
    page = team.text(f"/assessment/entries/{entry_id}")
    assert "Review due" in page and "last reviewed 200 days ago" in page
    assert "None tagged" in page
    assert f"/readiness/entries/{entry_id}/categories" in page
    team.text(f"/readiness/entries/{entry_id}/categories")
    team.post(f"/readiness/entries/{entry_id}/categories", {"categories": ["people", "staff"]})
    page = team.text(f"/assessment/entries/{entry_id}")
    assert "People&#39;s experience, Feedback from staff and leaders" in page
    listing = team.text("/assessment/")
    assert "Review due" in listing
    with db.session_scope(app) as s:
        assert readiness.entry_categories(s, s.get(Entry, entry_id)) == {
            EvidenceCategory.PEOPLE,
            EvidenceCategory.STAFF,
        }


def test_never_reviewed_entry_shows_words_not_colour_alone(app, as_role):
    with db.session_scope(app) as s:
        entry = factories.entry(s)
        s.flush()
        entry_id = entry.id
    page = as_role(Role.STAFF).text(f"/assessment/entries/{entry_id}")
    assert "Never reviewed" in page
    assert "/categories" not in page  # staff cannot tag


def test_document_categories_page(app, as_role, tmp_path):
    with db.session_scope(app) as s:
        team = factories.user(s, Role.ASSURANCE, "seed@example.gov.uk")
        doc = factories.document(s, store_for(app), team, tmp_path, filename="carers-strategy.pdf")
        s.flush()
        doc_id = doc.id
    browser = as_role(Role.ASSURANCE)
    assert "Evidence categories for Carers strategy" in browser.text(
        f"/readiness/documents/{doc_id}/categories"
    )
    response = browser.post(
        f"/readiness/documents/{doc_id}/categories", {"categories": ["partners"]}
    )
    assert response.headers["Location"].endswith(f"/documents/{doc_id}")
    bad = browser.post(
        f"/readiness/documents/{doc_id}/categories", {"categories": ["observation"]}, status=400
    )
    assert "Choose from the list" in bad.get_data(as_text=True)
    with db.session_scope(app) as s:
        from tracker.models import Document

        assert readiness.document_categories(s, s.get(Document, doc_id)) == {
            EvidenceCategory.PARTNERS
        }


def test_staff_cannot_reach_readiness_pages(as_role):
    staff = as_role(Role.STAFF)
    for url in ("/readiness/gaps", "/readiness/scores", "/readiness/timeline"):
        staff.get(url, status=403)
    staff.post("/readiness/scores/1A/new", {"score": "3", "rationale": "x"}, status=403)


def test_unknown_statement_is_404(as_role):
    as_role(Role.DIRECTOR).get("/readiness/scores/9Z", status=404)


def test_director_may_read_but_not_score(app, as_role):
    as_role(Role.DIRECTOR).post(
        "/readiness/scores/2B/new", {"score": "4", "rationale": "x"}, status=403
    )
    with db.session_scope(app) as s:
        assert framework.get_statement(s, "2B").id not in readiness.current_scores(s)
