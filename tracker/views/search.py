"""The staff search page: documents, self-assessment entries and IR items."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request

from ..auth import requires
from ..forms.search import SearchForm
from ..search import FACETS, SearchRequest, index_for

bp = Blueprint("search", __name__, url_prefix="/search")

FACET_TITLES = {"qs": "Quality statement", "ir": "IR item", "type": "Type", "year": "Year"}
PER_PAGE = 10


@bp.route("/")
@requires("view")
def index() -> Any:
    """Search with facets, sorting and pages; the query lives in the URL."""
    form = SearchForm(request.args)
    valid = form.validate()
    results = None
    if valid and ((form.q.data or "").strip() or form.filters()):
        results = index_for(current_app).search(
            SearchRequest(
                text=(form.q.data or "").strip(),
                filters=form.filters(),
                sort=form.sort.data if form.sort.data in ("relevance", "date") else "relevance",
                page=form.page.data or 1,
                per_page=PER_PAGE,
            )
        )
    return render_template(
        "search/index.html",
        form=form,
        results=results,
        facet_names=FACETS,
        facet_titles=FACET_TITLES,
    ), 200 if valid else 400
