"""Kept pages: served again while their data is unchanged, fresh after any worker's change."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlmodel import Session, select

from tests import factories
from tests.conftest import Browser, csrf_token, make_settings
from tracker import create_app, db
from tracker.models import EvidenceItem, Role, User
from tracker.pagecache import PRUNE_EVERY, PageStore


def test_a_kept_page_is_served_again_and_follows_another_workers_change(
    app: Flask, as_role: Any, session: Session, tmp_path: Path
) -> None:
    factories.item(session, 12, "Safeguarding procedures")
    session.commit()
    team = as_role(Role.ASSURANCE)
    team.text("/")  # shows the sign-in message, if any
    with statements_run(app) as first:
        assert "Safeguarding procedures" in team.text("/evidence/")
    assert any("FROM evidenceitem" in sql for sql in first)
    with statements_run(app) as again:
        assert "Safeguarding procedures" in team.text("/evidence/")
    assert not any("evidenceitem" in sql for sql in again)  # the kept HTML: no list query

    # A second app on the same database stands for another gunicorn worker.
    other = create_app(make_settings(tmp_path))
    try:
        with db.session_scope(other) as elsewhere:
            found = elsewhere.exec(select(EvidenceItem)).one()
            found.title = "Safeguarding adults procedures"
    finally:
        db.engine_for(other).dispose()
    assert "Safeguarding adults procedures" in team.text("/evidence/")


def test_workers_share_kept_pages(
    app: Flask, users: dict[Role, User], session: Session, tmp_path: Path
) -> None:
    factories.item(session, 12, "Safeguarding procedures")
    session.commit()
    other = create_app(make_settings(tmp_path))  # another worker: its own memory, same files
    try:
        first, second = Browser(app.test_client()), Browser(other.test_client())
        for browser in (first, second):
            browser.login(users[Role.ASSURANCE])
            browser.text("/")  # shows the sign-in message, if any
        assert "Safeguarding procedures" in first.text("/evidence/")
        with statements_run(other) as run:
            assert "Safeguarding procedures" in second.text("/evidence/")
        assert not any("evidenceitem" in sql for sql in run)
    finally:
        db.engine_for(other).dispose()


def test_the_shared_files_are_pruned_to_their_limit(tmp_path: Path) -> None:
    store = PageStore(tmp_path, entries=2)
    for n in range(120):
        store.put(f"page {n}", {"entry"}, {"entry": "a"}, f"<p>{n}</p>")
    # Pruned to the limit at the 100th write, then 20 more.
    assert len(list(tmp_path.glob("*.html"))) == store.files + 120 % PRUNE_EVERY
    assert store.get("page 119", {"entry": "a"}) == "<p>119</p>"
    fresh = PageStore(tmp_path, entries=2)  # nothing in memory: read from the file
    assert fresh.get("page 119", {"entry": "a"}) == "<p>119</p>"
    assert fresh.get("page 119", {"entry": "b"}) is None  # the table changed since


def test_every_worker_fills_in_the_csrf_tokens_of_pages_the_others_kept(tmp_path: Path) -> None:
    """Workers are separate processes; the placeholder must be the same in all of them."""
    one, two = PageStore(tmp_path, 5, "a secret"), PageStore(tmp_path, 5, "a secret")
    assert one.hole == two.hole
    assert PageStore(tmp_path, 5, "another secret").hole != one.hole


def test_a_page_is_shared_by_a_role_with_each_users_own_name(app: Flask, session: Session) -> None:
    people = [
        ("Asha Patel", "asha@example.gov.uk", Role.ASSURANCE),
        ("<b>Ben</b> O'Duya", "ben@example.gov.uk", Role.ASSURANCE),
        ("Cara Staff", "cara@example.gov.uk", Role.STAFF),
    ]
    for name, email, role in people:
        factories.user(session, role, email=email, name=name)
    session.commit()
    pages, first, second = {}, {}, {}
    for _, email, _ in people:
        browser = Browser(app.test_client())
        browser.post("/auth/login", {"email": email, "password": factories.PASSWORD})
        with statements_run(app) as run:
            browser.text("/")  # shows the sign-in message, if any
        first[email] = [sql for sql in run if "FROM entry" in sql]
        with statements_run(app) as run:
            pages[email] = browser.text("/")
        second[email] = [sql for sql in run if "FROM entry" in sql]
    assert "Signed in as Asha Patel" in pages["asha@example.gov.uk"]
    assert first["asha@example.gov.uk"]  # rendered for her
    # Ben gets the page kept for Asha's role, with his own name, escaped like any text.
    assert not second["ben@example.gov.uk"]
    ben = pages["ben@example.gov.uk"]
    assert "Signed in as &lt;b&gt;Ben&lt;/b&gt; O&#39;Duya" in ben
    assert "Asha" not in ben and "<b>Ben" not in ben
    # Staff see another page altogether.
    assert "Signed in as Cara Staff" in pages["cara@example.gov.uk"]
    assert pages["cara@example.gov.uk"] != ben.replace(
        "&lt;b&gt;Ben&lt;/b&gt; O&#39;Duya", "Cara Staff"
    )


def test_every_session_gets_its_own_working_csrf_token(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, csrf_enabled=True))
    db.create_all(app)
    try:
        with db.session_scope(app) as session:
            factories.user(session, Role.ASSURANCE)
        tokens = []
        for _ in range(2):  # two browsers of the same person: one kept page, two sessions
            client = app.test_client()
            login = client.get("/auth/login").get_data(as_text=True)
            client.post(
                "/auth/login",
                data={
                    "email": "assurance@example.gov.uk",
                    "password": factories.PASSWORD,
                    "csrf_token": csrf_token(login),
                },
            )
            page = client.get("/statements/").get_data(as_text=True)
            assert app.extensions["tracker.pages"].hole not in page
            tokens.append(csrf_token(page))
            signed_out = client.post("/auth/logout", data={"csrf_token": tokens[-1]})
            assert signed_out.status_code == 302
        assert tokens[0] != tokens[1]
    finally:
        db.engine_for(app).dispose()


def test_a_flash_message_shows_once_and_is_never_kept(
    app: Flask, as_role: Any, session: Session
) -> None:
    factories.item(session, 12, "Safeguarding procedures")
    session.commit()
    team = as_role(Role.ASSURANCE)
    team.text("/evidence/12")  # kept before the change
    data = {
        "number": "12",
        "title": "Safeguarding procedures (2025)",
        "statements": [str(framework_id(session, "1A"))],
        "status": "collecting",
    }
    team.post("/evidence/12/edit", data)
    shown = team.text("/evidence/12")
    assert "IR 12 saved." in shown and "Safeguarding procedures (2025)" in shown
    again = team.text("/evidence/12")
    assert "IR 12 saved." not in again and "Safeguarding procedures (2025)" in again


def test_a_renamed_user_sees_the_new_name(
    app: Flask, as_role: Any, users: dict[Role, User]
) -> None:
    team = as_role(Role.ASSURANCE)
    assert "Test Assurance team" in team.text("/actions/")
    with db.session_scope(app) as session:
        me = session.get(User, users[Role.ASSURANCE].id)
        assert me is not None
        me.name = "Asha Patel"
    page = team.text("/actions/")
    assert "Asha Patel" in page and not re.search(r"Signed in as Test Assurance", page)


@contextmanager
def statements_run(app: Flask) -> Iterator[list[str]]:
    """The SQL the app runs inside the block."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    engine = db.engine_for(app)
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def framework_id(session: Session, code: str) -> int:
    from tracker.services import framework

    return framework.get_statement(session, code).id or 0
