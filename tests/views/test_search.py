"""The search page: header box, results, facets, sorting, pages, empty state and access."""

from __future__ import annotations

import io

from tests import factories
from tracker.models import Role


def _upload(browser, tmp_path, text, name, item_id=None):
    data = factories.pdf_bytes(tmp_path, text, name)
    form = {"files": (io.BytesIO(data), name)}
    if item_id:
        form["items"] = [str(item_id)]
    browser.post("/documents/upload", form, status=200, content_type="multipart/form-data")


def test_header_box_points_at_the_search_page(as_role):
    html = as_role(Role.STAFF).text("/")
    assert 'action="/search/"' in html
    assert 'name="q"' in html


def test_results_with_tags_snippets_links_and_facets(app, as_role, session, tmp_path):
    item = factories.item(session, 28, "Safeguarding", statements=("3B",))
    session.commit()
    team = as_role(Role.ASSURANCE)
    _upload(team, tmp_path, "Safeguarding adults procedure", "safeguarding.pdf", item.id)
    _upload(team, tmp_path, "Safeguarding training record", "training.pdf")
    staff = as_role(Role.STAFF)
    html = staff.text("/search/?q=safeguarding")
    assert "2 results for “safeguarding”" in html
    assert "<mark>Safeguarding</mark>" in html
    assert "IR 28" in html and "3B" in html and "PDF" in html
    assert "/documents/1/versions/1/download" in html
    assert 'href="/documents/1"' in html
    # The facet link narrows to the one document filed under IR 28.
    assert "?q=safeguarding&amp;ir=28" in html
    narrowed = staff.text("/search/?q=safeguarding&ir=28")
    assert "1 result for" in narrowed
    assert "IR 28 (1), selected" in narrowed


def test_entries_and_items_are_found(as_role, session):
    factories.entry(session, "1A", "Waiting well", what_we_know="We phone people who wait.")
    session.commit()
    team = as_role(Role.ASSURANCE)
    # Editing through the page indexes the entry.
    team.post(
        "/assessment/entries/1/edit",
        {"title": "Waiting well", "what_we_know": "We telephone everyone waiting."},
    )
    html = as_role(Role.STAFF).text("/search/?q=telephone")
    assert "Waiting well" in html
    assert "Self-assessment entry" in html
    assert 'href="/assessment/entries/1"' in html


def test_empty_state_suggestion_and_shareable_url(as_role, tmp_path):
    team = as_role(Role.ASSURANCE)
    _upload(team, tmp_path, "Safeguarding adults procedure", "safe.pdf")
    html = team.text("/search/?q=safegaurding")
    assert "No results for “safegaurding”" in html
    assert "Did you mean" in html and "?q=safeguarding" in html
    blank = team.text("/search/")
    assert "Search the documents filed under IR items" in blank


def test_sort_by_date_and_pagination(as_role, tmp_path):
    team = as_role(Role.ASSURANCE)
    for n in range(12):
        _upload(team, tmp_path, f"Carers assessment number {n}", f"carers-{n}.pdf")
    first = team.text("/search/?q=carers&sort=date")
    assert "12 results" in first
    assert "Showing 1 to 10 of 12 results" in first
    second = team.text("/search/?q=carers&sort=date&page=2")
    assert "Showing 11 to 12 of 12 results" in second


def test_delete_removes_from_results(as_role, tmp_path):
    team = as_role(Role.ASSURANCE)
    _upload(team, tmp_path, "Hoarding guidance", "hoarding.pdf")
    assert "1 result" in team.text("/search/?q=hoarding")
    team.post("/documents/1/delete", {})
    assert "No results" in team.text("/search/?q=hoarding")


def test_too_long_query_is_an_error(as_role):
    html = as_role(Role.STAFF).text("/search/?q=" + "a" * 600, status=400)
    assert "There is a problem" in html


def test_signed_out_people_see_no_results(browser):
    response = browser.get("/search/?q=safeguarding", status=302)
    assert "/auth/login" in response.headers["Location"]
