"""Security headers, cookie flags, sign-in throttling and safe downloads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask
from sqlmodel import Session

from tests import factories
from tests.conftest import make_settings
from tracker import create_app, db
from tracker.models import Role, User
from tracker.services import accounts, framework
from tracker.storage import store_for

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_every_page_carries_the_security_headers(as_role: Any) -> None:
    response = as_role(Role.ASSURANCE).get("/")
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-store"


def test_no_template_has_inline_script_or_event_handlers() -> None:
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag:
                offenders.append(f"{path.name}: {tag}")
        if re.search(r"\son[a-z]+\s*=", text):
            offenders.append(f"{path.name}: inline event handler")
    assert offenders == []


def test_session_cookie_flags(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, session_cookie_secure=True))
    db.create_all(app)
    with db.session_scope(app) as s:
        framework.seed_framework(s)
        factories.user(s, Role.STAFF)
    client = app.test_client()
    response = client.post(
        "/auth/login", data={"email": "staff@example.gov.uk", "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" in cookie
    assert "max-age=31536000" in client.get("/").headers["Strict-Transport-Security"]
    db.engine_for(app).dispose()


def test_sign_in_is_throttled_after_repeated_failures(
    app: Flask, users: dict[Role, User], session: Session
) -> None:
    client = app.test_client()
    email = users[Role.STAFF].email
    for _ in range(accounts.LOGIN_LIMIT_PER_EMAIL):
        bad = client.post("/auth/login", data={"email": email, "password": "wrong-password"})
        assert bad.status_code == 400
    # Even the right password is refused while the email is throttled, with a clear message.
    blocked = client.post("/auth/login", data={"email": email, "password": factories.PASSWORD})
    assert blocked.status_code == 429
    assert "Too many failed attempts" in blocked.get_data(as_text=True)
    # Another account is unaffected.
    other = client.post(
        "/auth/login", data={"email": users[Role.DIRECTOR].email, "password": factories.PASSWORD}
    )
    assert other.status_code == 302


def test_a_success_clears_earlier_failures(app: Flask, users: dict[Role, User]) -> None:
    client = app.test_client()
    email = users[Role.STAFF].email
    for _ in range(accounts.LOGIN_LIMIT_PER_EMAIL - 1):
        client.post("/auth/login", data={"email": email, "password": "wrong-password"})
    good = client.post("/auth/login", data={"email": email, "password": factories.PASSWORD})
    assert good.status_code == 302
    client.post("/auth/logout")
    again = client.post("/auth/login", data={"email": email, "password": "wrong-password"})
    assert again.status_code == 400


def test_downloads_are_attachments_with_safe_names(
    app: Flask, as_role: Any, session: Session, users: dict[Role, User], tmp_path: Path
) -> None:
    document = factories.document(
        session,
        store_for(app),
        users[Role.ASSURANCE],
        tmp_path,
        filename="..evil\r\nname.pdf",
    )
    session.commit()
    response = as_role(Role.STAFF).get(f"/documents/{document.id}/versions/1/download")
    disposition = response.headers["Content-Disposition"]
    response.close()
    assert disposition.startswith("attachment;")
    assert "\r" not in disposition and "\n" not in disposition
    assert "/" not in disposition.split("filename", 1)[1]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
