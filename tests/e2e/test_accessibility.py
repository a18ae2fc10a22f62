"""axe-core in real Chromium finds no serious or critical WCAG 2.2 AA problem on any main page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page
from werkzeug.routing import Rule

from tests.e2e.conftest import LiveApp, sign_in
from tracker import db, demo
from tracker.models import Role

AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}
# Record ids in the demo council used for pages that show one record.
SAMPLE_ARGUMENTS = {"code": "1A", "number": 1}
SKIP = {"static", "auth.logout"}


def _pages(app: Any) -> list[str]:
    """One URL per GET page: every route, with sample ids for those that show a record."""
    urls = set()
    for rule in app.url_map.iter_rules():
        assert isinstance(rule, Rule)
        if rule.endpoint in SKIP or "GET" not in (rule.methods or ()):
            continue
        if any(w in rule.rule for w in ("download", ".xlsx", ".csv", ".zip", ".docx", ".png")):
            continue
        values = {name: SAMPLE_ARGUMENTS.get(name, 1) for name in rule.arguments}
        urls.add(rule.build(values)[1])
    return sorted(urls)


@pytest.fixture
def demo_app(live_app: LiveApp) -> Iterator[LiveApp]:
    with db.session_scope(live_app.app) as session:
        demo.load(session, live_app.app)
    yield live_app


def _serious(page: Page) -> list[str]:
    results = Axe().run(page, options=AXE_OPTIONS)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in ("serious", "critical"):
            targets = [node["target"] for node in violation["nodes"][:3]]
            found.append(f"{violation['id']} ({violation['impact']}): {targets}")
    return found


@pytest.mark.parametrize("role", [Role.ASSURANCE, Role.DIRECTOR, Role.STAFF, Role.ADMIN])
def test_main_pages_have_no_serious_violations(
    chromium: Browser, demo_app: LiveApp, role: Role, tmp_path: Path
) -> None:
    context = chromium.new_context(bypass_csp=True)
    page = context.new_page()
    sign_in(page, demo_app, role)
    problems: dict[str, list[str]] = {}
    checked = 0
    for path in _pages(demo_app.app):
        response = page.goto(demo_app.url + path)
        assert response is not None
        if response.status != 200:
            continue
        checked += 1
        found = _serious(page)
        if found:
            problems[path] = found
    context.close()
    assert checked >= 10
    assert problems == {}
