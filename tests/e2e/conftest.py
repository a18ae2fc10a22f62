"""Real-browser fixtures: the app served on loopback, and headless Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

from tests import factories
from tests.conftest import make_settings
from tracker import create_app, db
from tracker.models import Role
from tracker.services import framework

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """Debian's Chromium (scripts/system-packages installs it)."""
    found = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not found:
        raise RuntimeError("Chromium is needed for browser tests: run scripts/system-packages")
    return found


@dataclass
class LiveApp:
    """The tracker served for real, with one user per role."""

    url: str
    app: Any


@pytest.fixture
def live_app(tmp_path: Path) -> Iterator[LiveApp]:
    app = create_app(make_settings(tmp_path, csrf_enabled=True))
    db.create_all(app)
    with db.session_scope(app) as session:
        framework.seed_framework(session)
        for role in Role:
            factories.user(session, role)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveApp(f"http://127.0.0.1:{server.server_port}", app)
    server.shutdown()
    thread.join(timeout=10)
    db.engine_for(app).dispose()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    # axe-core is injected with evaluate(): the page's own CSP still forbids inline script.
    context = chromium.new_context(accept_downloads=True, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page: Page, live: LiveApp, role: Role) -> None:
    """Sign in through the real form."""
    page.goto(f"{live.url}/auth/login")
    page.get_by_label("Email address").fill(f"{role.value}@example.gov.uk")
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live.url}/")


def sign_out(page: Page) -> None:
    """Sign out with the header button."""
    page.get_by_role("button", name="Sign out").click()
