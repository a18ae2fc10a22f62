"""Whole flows through the web app: upload, duplicates, refusals, entries, approval, CSRF."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from flask import Flask
from sqlmodel import Session, func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests import factories
from tests.conftest import Browser, csrf_token, make_settings
from tracker import create_app, db
from tracker.models import (
    AuditEvent,
    Document,
    DocumentVersion,
    Entry,
    EntryStatus,
    Role,
    StoredFile,
    User,
)
from tracker.services import framework
from tracker.storage import store_for


def _count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def _upload(browser: Browser, files: list[tuple[bytes, str]], items: list[int], status: int) -> str:
    data: dict[str, Any] = {"files": [(io.BytesIO(b), name) for b, name in files]}
    data["items"] = [str(i) for i in items]
    response = browser.post(
        "/documents/upload", data, status=status, content_type="multipart/form-data"
    )
    return str(response.get_data(as_text=True))


def test_upload_several_files_then_duplicate_then_spoofed(
    app: Flask, as_role: Any, session: Session, tmp_path: Path
) -> None:
    item = factories.item(session, 12, "Safeguarding procedures")
    session.commit()
    team = as_role(Role.ASSURANCE)
    pdf = factories.pdf_bytes(tmp_path, "Safeguarding adults procedure")
    page = _upload(team, [(pdf, "procedure.pdf"), (b"a,b\n1,2\n", "figures.csv")], [item.id], 200)
    assert "procedure.pdf uploaded" in page
    assert "figures.csv uploaded" in page
    session.expire_all()
    assert _count(session, Document) == 2
    assert {i.number for d in session.exec(select(Document)) for i in d.evidence_items} == {12}

    again = _upload(team, [(pdf, "copy-of-procedure.pdf")], [item.id], 200)
    assert "already" in again.lower()
    session.expire_all()
    assert _count(session, Document) == 2
    assert _count(session, StoredFile) == 2

    refused = _upload(team, [(b"MZ\x90\x00 not really a pdf", "report.pdf")], [], 400)
    assert "report.pdf" in refused
    session.expire_all()
    assert _count(session, Document) == 2
    assert len(store_for(app).stored_checksums()) == 2


def test_upload_over_the_limit_is_refused_with_the_limit(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, max_upload_mb=1))
    db.create_all(app)
    with db.session_scope(app) as s:
        framework.seed_framework(s)
        factories.user(s, Role.ASSURANCE)
    browser = Browser(app.test_client())
    with db.session_scope(app) as s:
        user = s.exec(select(User)).one()
        s.expunge(user)
    browser.login(user)
    # Encoded in memory: the test client would otherwise spool it to a file it never closes.
    boundary, body = encode_multipart(
        MultiDict({"files": FileStorage(io.BytesIO(b"x" * (2 * 1024 * 1024)), "big.txt")})
    )
    response = browser.client.post(
        "/documents/upload", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "big.txt" in page and "1 MB" in page
    # A request far over the limit is cut off before it is read, with the same advice.
    body = b"--b\r\n" + b"x" * (6 * 1024 * 1024) + b"\r\n--b--\r\n"
    response = browser.client.post(
        "/documents/upload", data=body, content_type="multipart/form-data; boundary=b"
    )
    assert response.status_code == 413
    assert "1 MB" in response.get_data(as_text=True)
    with db.session_scope(app) as s:
        assert _count(s, Document) == 0
    db.engine_for(app).dispose()


def test_new_version_keeps_the_old_one_downloadable(
    app: Flask, as_role: Any, session: Session, users: dict[Role, User], tmp_path: Path
) -> None:
    document = factories.document(
        session, store_for(app), users[Role.ASSURANCE], tmp_path, "Version one"
    )
    session.commit()
    team = as_role(Role.ASSURANCE)
    v2 = factories.pdf_bytes(tmp_path, "Version two", "v2.pdf")
    team.post(
        f"/documents/{document.id}/versions/new",
        {"file": (io.BytesIO(v2), "policy-v2.pdf"), "note": "Annual refresh"},
        content_type="multipart/form-data",
    )
    first = team.get(f"/documents/{document.id}/versions/1/download")
    second = team.get(f"/documents/{document.id}/versions/2/download")
    assert first.data != second.data
    assert second.data == v2
    assert "attachment" in second.headers["Content-Disposition"]
    assert "policy-v2.pdf" in second.headers["Content-Disposition"]
    first.close()
    second.close()
    session.expire_all()
    assert _count(session, DocumentVersion) == 2
    page = team.text(f"/documents/{document.id}")
    assert "Review status" in page and "policy-v2.pdf" in page


def test_delete_asks_first_and_keeps_shared_files(
    app: Flask, as_role: Any, session: Session, users: dict[Role, User], tmp_path: Path
) -> None:
    document = factories.document(session, store_for(app), users[Role.ASSURANCE], tmp_path)
    session.commit()
    team = as_role(Role.ASSURANCE)
    confirm = team.text(f"/documents/{document.id}/delete")
    assert "cannot be undone" in confirm.lower() or "are you sure" in confirm.lower()
    session.expire_all()
    assert _count(session, Document) == 1
    team.post(f"/documents/{document.id}/delete", {"confirm": "y"})
    session.expire_all()
    assert _count(session, Document) == 0
    assert store_for(app).stored_checksums() == set()


def test_entry_with_citation_problem_is_flagged_and_director_approves(
    app: Flask, as_role: Any, session: Session
) -> None:
    factories.item(session, 28, "Waiting lists")
    session.commit()
    team = as_role(Role.ASSURANCE)
    team.post(
        "/assessment/1A/new",
        {
            "title": "Waiting for assessment",
            "what_we_know": "The list fell by 12% [IR 28].\n\n- North on track\n- West behind",
            "how_we_know": "Monthly reports [LR 33] and <script>alert(1)</script>",
            "our_plans": "Triage in every locality.",
        },
    )
    entry = session.exec(select(Entry)).one()
    page = team.text(f"/assessment/entries/{entry.id}")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    assert "<li>North on track</li>" in page
    assert "/evidence/28" in page
    assert "[LR 33]" in page
    assert "citation problem" in page.lower()

    team.post(f"/assessment/entries/{entry.id}/status", {"status": "in_review"})
    # The assurance team cannot approve; a director can.
    team.post(f"/assessment/entries/{entry.id}/status", {"status": "approved"}, status=403)
    director = as_role(Role.DIRECTOR)
    director.post(f"/assessment/entries/{entry.id}/status", {"status": "approved"})
    session.expire_all()
    entry = session.get(Entry, entry.id)
    assert entry is not None and entry.status == EntryStatus.APPROVED
    approvals = session.exec(select(AuditEvent).where(AuditEvent.verb == "approve")).all()
    assert len(approvals) == 1
    history = director.text(f"/assessment/entries/{entry.id}")
    assert "Test Director" in history


def test_staff_can_read_but_not_change(as_role: Any, session: Session) -> None:
    factories.item(session, 3, "Carers strategy")
    session.commit()
    staff = as_role(Role.STAFF)
    assert "Carers strategy" in staff.text("/evidence/3")
    staff.get("/evidence/3/edit", status=403)
    staff.post("/evidence/3/delete", {"confirm": "y"}, status=403)
    staff.post("/assessment/1A/new", {"title": "Sneaky"}, status=403)
    session.expire_all()
    assert _count(session, Entry) == 0


def test_login_logout_and_wrong_password(app: Flask, users: dict[Role, User]) -> None:
    browser = Browser(app.test_client())
    page = browser.post(
        "/auth/login", {"email": users[Role.STAFF].email, "password": "wrong-password"}, status=400
    ).get_data(as_text=True)
    assert "error" in page.lower()
    browser.get("/evidence/", status=302)
    browser.login(users[Role.STAFF])
    browser.get("/evidence/")
    browser.post("/auth/logout")
    browser.get("/evidence/", status=302)


def test_csrf_is_required_on_every_form(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, csrf_enabled=True))
    db.create_all(app)
    with db.session_scope(app) as s:
        framework.seed_framework(s)
        factories.user(s, Role.ASSURANCE)
    client = app.test_client()
    login = client.get("/auth/login").get_data(as_text=True)
    credentials = {"email": "assurance@example.gov.uk", "password": factories.PASSWORD}
    assert client.post("/auth/login", data=credentials).status_code == 400
    response = client.post("/auth/login", data={**credentials, "csrf_token": csrf_token(login)})
    assert response.status_code == 302
    form = client.get("/evidence/new").get_data(as_text=True)
    item = {"number": "7", "title": "Carers", "status": "not_started"}
    refused = client.post("/evidence/new", data=item)
    assert refused.status_code == 400
    # The refusal page keeps what was typed so that nothing is lost.
    assert "Carers" in refused.get_data(as_text=True)
    accepted = client.post("/evidence/new", data={**item, "csrf_token": csrf_token(form)})
    assert accepted.status_code == 302
    db.engine_for(app).dispose()
