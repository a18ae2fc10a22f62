"""The home page: where the council stands, statement by statement."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from ..auth import requires
from ..db import get_session
from ..services import citations
from ..services.coverage import coverage
from ..templating import today

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@requires("view")
def home() -> Any:
    """Coverage per quality statement and the citation problems to fix."""
    session = get_session()
    return render_template(
        "dashboard/home.html",
        rows=coverage(session, today()),
        problems=citations.problems(session),
    )
