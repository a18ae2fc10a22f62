"""Small builders for rows, with sensible defaults."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from sqlmodel import Session

from tracker import ingest, samplefiles
from tracker.models import Action, Document, Entry, EvidenceItem, Role, User
from tracker.services import accounts, actions, assessment, documents, evidence, framework
from tracker.storage import EvidenceStore

PASSWORD = "correct-horse-battery"


def user(
    session: Session, role: Role = Role.ASSURANCE, email: str | None = None, name: str | None = None
) -> User:
    """A user with the standard test password."""
    email = email or f"{role.value}@example.gov.uk"
    return accounts.create_user(session, email, name or f"Test {role.label}", role, PASSWORD)


def item(
    session: Session,
    number: int = 5,
    title: str | None = None,
    statements: tuple[str, ...] = ("1A",),
    **fields: object,
) -> EvidenceItem:
    """An IR evidence item linked to quality statements by code."""
    ids = tuple(framework.get_statement(session, code).id or 0 for code in statements)
    data = evidence.ItemInput(
        number=number, title=title or f"Evidence item {number}", statement_ids=ids, **fields
    )  # type: ignore[arg-type]
    return evidence.create_item(session, data, None)


def entry(
    session: Session, code: str = "1A", title: str = "Access to our services", **fields: str
) -> Entry:
    """A draft self-assessment entry."""
    qs = framework.get_statement(session, code)
    return assessment.create_entry(session, qs, assessment.EntryInput(title=title, **fields), None)  # type: ignore[arg-type]


def action(
    session: Session, code: str = "1A", title: str = "Cut waiting times", due: date | None = None
) -> Action:
    """An improvement action."""
    qs = framework.get_statement(session, code)
    return actions.create_action(
        session,
        actions.ActionInput(title=title, quality_statement_id=qs.id or 0, due_date=due),
        None,
    )


def pdf_bytes(
    tmp: Path, text: str = "Safeguarding adults procedure", name: str = "doc.pdf"
) -> bytes:
    """The bytes of a real one-page PDF containing text."""
    path = samplefiles.write_pdf(tmp / name, text, [text + " paragraph."])
    return path.read_bytes()


def document(
    session: Session,
    store: EvidenceStore,
    actor: User,
    tmp: Path,
    text: str = "Policy",
    items: list[EvidenceItem] | None = None,
    filename: str = "policy.pdf",
    extract: bool = False,
) -> Document:
    """A real uploaded PDF document filed under items (text extracted only when asked)."""
    data = pdf_bytes(tmp, text, filename)
    outcome = documents.upload_documents(
        session,
        store,
        [(filename, io.BytesIO(data))],
        [i.id or 0 for i in items or []],
        actor,
        ingest.Limits(),
        extract=extract,
    )[0]
    assert outcome.document is not None, outcome.message
    return outcome.document
