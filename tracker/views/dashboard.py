"""The home page: readiness for the assurance team and directors, a way in for everyone else."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from ..auth import actor, requires
from ..db import get_session
from ..models import EntryStatus
from ..models.readiness import EvidenceCategory
from ..pagecache import kept_page
from ..services import framework, readiness
from ..services.accounts import can
from ..services.coverage import category_matrix, item_matrix
from ..templating import today

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@requires("view")
@kept_page
def home() -> Any:
    """How ready the council is (team and directors), or where to find evidence (staff)."""
    session = get_session()
    if not can(actor(), "review"):
        return render_template("dashboard/staff.html", themes=framework.list_themes(session))
    return render_template(
        "dashboard/home.html",
        ready=readiness.readiness(session, today()),
        items=item_matrix(session),
        categories=category_matrix(session),
        category_list=list(EvidenceCategory),
        entry_statuses=list(EntryStatus),
    )
