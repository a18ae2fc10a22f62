"""The fictional demo council (Dunmere): loaded through the same services the app uses.

The figures and words live in data/demo_council.json inside the package, so the demo
never depends on anything outside it. Dates in that file are relative to the day the demo
is loaded, so the demo always has some items due soon, some overdue and some documents
past their review date.
"""

from __future__ import annotations

import json
import secrets
import tempfile
from dataclasses import dataclass, replace
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from flask import Flask
from sqlmodel import Session, select

from . import samplefiles
from .dashboard_file import ParsedDashboard, parse_dashboard
from .models import ActionStatus, EntryStatus, EvidenceItem, EvidenceStatus, Role, User
from .services import (
    accounts,
    actions,
    assessment,
    documents,
    evidence,
    framework,
    measures,
    readiness,
)
from .storage import store_for

#: One demo login per role: (role, name, email local part).
DEMO_USERS = (
    (Role.ASSURANCE, "Sarah Whitfield", "assurance"),
    (Role.STAFF, "Daniel Mensah", "staff"),
    (Role.DIRECTOR, "Helen Okafor", "director"),
    (Role.ADMIN, "Lucy Brennan", "admin"),
)
DEMO_DOMAIN = "dunmere.example"


@dataclass(frozen=True)
class Login:
    """A demo login, printed once so people can sign in."""

    role: str
    email: str
    password: str


def council_data() -> dict[str, Any]:
    """The demo council's data file."""
    text = resources.files("tracker").joinpath("data/demo_council.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def has_data(session: Session) -> bool:
    """Whether the database already holds evidence items (so the demo is not loaded twice)."""
    return session.exec(select(EvidenceItem.id).limit(1)).first() is not None


def _users(session: Session) -> tuple[list[Login], dict[Role, User]]:
    logins: list[Login] = []
    users: dict[Role, User] = {}
    for role, name, local in DEMO_USERS:
        email = f"{local}@{DEMO_DOMAIN}"
        existing = session.exec(select(User).where(User.email == email)).first()
        if existing is not None:
            users[role] = existing
            continue
        password = secrets.token_urlsafe(12)
        users[role] = accounts.create_user(session, email, name, role, password)
        logins.append(Login(role.value, email, password))
    return logins, users


def _items(session: Session, data: dict[str, Any], today: date, actor: User) -> dict[int, int]:
    codes = {qs.code: qs.id or 0 for qs in framework.list_statements(session)}
    ids: dict[int, int] = {}
    for row in data["evidence_items"]:
        item = evidence.create_item(
            session,
            evidence.ItemInput(
                number=row["number"],
                title=row["title"],
                description=row["description"],
                owner=row["owner"],
                due_date=today + timedelta(days=row["due_in_days"]),
                status=EvidenceStatus(row["status"]),
                statement_ids=tuple(codes[c] for c in row["statements"] if codes.get(c)),
            ),
            actor,
        )
        ids[item.number] = item.id or 0
    return ids


def _write_file(folder: Path, row: dict[str, Any], earlier: bool) -> Path:
    """Write one demo document as a real PDF, DOCX or XLSX file."""
    kind = row["kind"]
    path = folder / f"{row['slug']}{'-earlier' if earlier else ''}.{kind}"
    content = row["content"]
    if kind == "xlsx":
        sheets = content["sheets"]
        if earlier:
            # The earlier version carries the same sheets with the last data row missing.
            sheets = {name: rows[:-1] if len(rows) > 2 else rows for name, rows in sheets.items()}
        return samplefiles.write_xlsx(path, sheets, title=row["title"])
    paragraphs = list(content["paragraphs"])
    if earlier:
        paragraphs = [
            "Earlier version, superseded. Kept so that readers can see what changed.",
            *paragraphs[:-1],
        ]
    tables = content.get("tables", [])
    if kind == "pdf":
        return samplefiles.write_pdf(path, row["title"], paragraphs, tables)
    return samplefiles.write_docx(path, row["title"], paragraphs, tables)


def _documents(
    session: Session,
    app: Flask,
    data: dict[str, Any],
    item_ids: dict[int, int],
    today: date,
    actor: User,
) -> int:
    store = store_for(app)
    limits = app.config["SETTINGS"].upload_limits()
    count = 0
    with tempfile.TemporaryDirectory(prefix="demo-documents-") as tmp:
        folder = Path(tmp)
        for row in data["documents"]:
            first = _write_file(folder, row, earlier=row.get("versions", 1) > 1)
            with first.open("rb") as stream:
                outcome = documents.upload_documents(
                    session,
                    store,
                    [(f"{row['slug']}.{row['kind']}", stream)],
                    [item_ids[n] for n in row["items"] if n in item_ids],
                    actor,
                    limits,
                )[0]
            if outcome.document is None:
                raise RuntimeError(f"demo document {row['slug']} was refused: {outcome.message}")
            document = outcome.document
            if row.get("versions", 1) > 1:
                current = _write_file(folder, row, earlier=False)
                with current.open("rb") as stream:
                    documents.add_version(
                        session,
                        store,
                        document,
                        current.name.replace("-earlier", ""),
                        stream,
                        "Updated after review.",
                        actor,
                        limits,
                    )
            document_date = today - timedelta(days=row["document_age_days"])
            review_by = today + timedelta(days=row["review_in_days"])
            documents.update_document(
                session,
                document,
                documents.DocumentInput(
                    title=row["title"],
                    description=row["description"],
                    document_date=document_date,
                    review_by=max(review_by, document_date),
                    owner=row["owner"],
                ),
                [item.id or 0 for item in document.evidence_items],
                actor,
            )
            count += 1
    return count


def _entries(
    session: Session, data: dict[str, Any], today: date, users: dict[Role, User]
) -> dict[tuple[str, str], int]:
    statements = {qs.code: qs for qs in framework.list_statements(session)}
    author = users[Role.ASSURANCE]
    ids: dict[tuple[str, str], int] = {}
    for row in data["entries"]:
        entry = assessment.create_entry(
            session,
            statements[row["statement"]],
            assessment.EntryInput(
                title=row["title"],
                what_we_know=row["what_we_know"],
                how_we_know=row["how_we_know"],
                our_plans=row["our_plans"],
                owner=row["owner"],
                last_reviewed=today - timedelta(days=row["reviewed_days_ago"]),
            ),
            author,
        )
        status = EntryStatus(row["status"])
        if status in (EntryStatus.IN_REVIEW, EntryStatus.APPROVED):
            assessment.set_status(session, entry, EntryStatus.IN_REVIEW, author)
        if status == EntryStatus.APPROVED:
            assessment.set_status(session, entry, EntryStatus.APPROVED, users[Role.DIRECTOR])
            entry.last_reviewed = today - timedelta(days=row["reviewed_days_ago"])
        ids[(row["statement"], row["title"])] = entry.id or 0
    return ids


def _actions(
    session: Session,
    data: dict[str, Any],
    entry_ids: dict[tuple[str, str], int],
    today: date,
    actor: User,
) -> None:
    statements = {qs.code: qs.id or 0 for qs in framework.list_statements(session)}
    for row in data["actions"]:
        final = ActionStatus(row["status"])
        action = actions.create_action(
            session,
            actions.ActionInput(
                title=row["title"],
                quality_statement_id=statements[row["statement"]],
                detail=row["detail"],
                entry_id=entry_ids.get((row["statement"], row["entry_title"] or "")),
                owner=row["owner"],
                due_date=today + timedelta(days=row["due_in_days"]),
                status=ActionStatus.NOT_STARTED if row["updates"] else final,
            ),
            actor,
        )
        updates = sorted(row["updates"], key=lambda u: -u["days_ago"])
        for position, update in enumerate(updates):
            last = position == len(updates) - 1
            actions.add_update(
                session,
                action,
                today - timedelta(days=update["days_ago"]),
                update["note"],
                final if last else ActionStatus.ON_TRACK,
                actor,
            )


def load(session: Session, app: Flask, today: date | None = None) -> list[Login]:
    """Load the demo council; returns the logins created (passwords are random)."""
    today = today or date.today()
    data = council_data()
    framework.seed_framework(session)
    logins, users = _users(session)
    author = users[Role.ASSURANCE]
    framework.set_text(session, framework.FOREWORD, data["council"]["foreword"], author)
    item_ids = _items(session, data, today, author)
    _documents(session, app, data, item_ids, today, author)
    entry_ids = _entries(session, data, today, users)
    _actions(session, data, entry_ids, today, author)
    _measures(session, author)
    readiness.seed_demo_readiness(session, author, today)
    session.flush()
    return logins


#: The two published dashboards the demo council carries, oldest first.
DASHBOARDS = ("dashboard-2022-11.csv", "dashboard-2024-11.csv")

#: Renames beyond the ASCOF code mapping, so a measure's two dashboards meet as one measure.
#: Old 1C part 2a became 3D part 2a; the 2024 dashboard calls it plain 3D. The two local
#: visit counts dropped "(including website visits)" from their names.
_DEMO_RENAMES = {
    ("ASCOF 3D pt 2a", "Adults aged 18+ receiving direct payments"): ("ASCOF 3D", None),
    ("Local", "Heritage visits (including website visits)"): (None, "Heritage visits"),
    ("Local", "Library visits (including website visits)"): (None, "Library visits"),
}

#: Quality statements a measure informs, by words in its title (first match wins).
_STATEMENT_LINKS = (
    ("find information", ("1B",)),
    ("social contact", ("1B", "2B")),
    ("sequels", ("1A", "1B")),
    ("awaiting a care assessment", ("1A",)),
    ("annual review", ("1A",)),
    ("learning disability", ("1C", "2A")),
    ("self-directed support", ("1A", "2A")),
    ("direct payments", ("1A", "2A")),
    ("reablement", ("3A", "2A")),
    ("hospital discharge", ("3A",)),
    ("permanent admissions", ("2A",)),
    ("safe", ("3B",)),
    ("safeguarding", ("3B",)),
    ("volunteering", ("2B",)),
    ("library", ("2B",)),
    ("loans", ("2B",)),
    ("heritage", ("2B",)),
    ("creative learning", ("2B",)),
    ("adult learning", ("1B",)),
)


def _dashboard(name: str, old_codes: bool) -> ParsedDashboard:
    data = resources.files("tracker").joinpath(f"data/dashboards/{name}").read_bytes()
    parsed = parse_dashboard(data, name)
    if not old_codes:
        return parsed
    rows = []
    for row in measures.map_old_codes(parsed.rows):
        code, title = _DEMO_RENAMES.get((row.measure_code, row.description), (None, None))
        rows.append(
            replace(
                row, measure_code=code or row.measure_code, description=title or row.description
            )
        )
    return ParsedDashboard(parsed.filename, parsed.format, rows, parsed.errors, parsed.warnings)


def _measures(session: Session, author: User) -> None:
    """Import both shared dashboards as periods of the same measures, then link statements."""
    for name in DASHBOARDS:
        measures.import_dashboard(
            session, _dashboard(name, old_codes=name < "dashboard-2023"), author
        )
    for summary in measures.measure_summaries(session):
        title = summary.measure.title.lower()
        for words, codes in _STATEMENT_LINKS:
            if words in title:
                measures.link_statements(session, summary.measure, codes, author)
                break
