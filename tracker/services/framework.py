"""CQC's themes and quality statements, seeded from package data and editable."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from ..models import (
    Document,
    DocumentEvidenceLink,
    EvidenceItemStatementLink,
    QualityStatement,
    SiteText,
    Theme,
    User,
    utcnow,
)
from . import NotFound
from .audit import apply_changes, record


def framework_data() -> dict[str, Any]:
    """The framework as shipped in tracker/data/framework.json."""
    text = resources.files("tracker").joinpath("data/framework.json").read_text("utf-8")
    return json.loads(text)


def seed_framework(session: Session) -> int:
    """Create any missing theme or quality statement; return how many statements were added."""
    added = 0
    position = 0
    for theme_data in framework_data()["themes"]:
        theme = session.exec(select(Theme).where(Theme.number == theme_data["number"])).first()
        if theme is None:
            theme = Theme(number=theme_data["number"], title=theme_data["title"])
            session.add(theme)
            session.flush()
        for qs in theme_data["statements"]:
            position += 1
            exists = session.exec(
                select(QualityStatement).where(QualityStatement.code == qs["code"])
            ).first()
            if exists is None:
                assert theme.id is not None
                session.add(
                    QualityStatement(
                        code=qs["code"],
                        theme_id=theme.id,
                        position=position,
                        title=qs["title"],
                        we_statement=qs["we_statement"],
                    )
                )
                added += 1
    session.flush()
    return added


def list_statements(session: Session) -> list[QualityStatement]:
    """All quality statements in framework order, with their themes loaded."""
    query = (
        select(QualityStatement)
        .options(selectinload(QualityStatement.theme))  # type: ignore[arg-type]
        .order_by(col(QualityStatement.position))
    )
    return list(session.exec(query))


def list_themes(session: Session) -> list[Theme]:
    """All themes in order, with their statements."""
    query = (
        select(Theme)
        .options(selectinload(Theme.statements))  # type: ignore[arg-type]
        .order_by(col(Theme.number))
    )
    return list(session.exec(query))


def get_statement(session: Session, code: str) -> QualityStatement:
    """A quality statement by its code, such as '1A'."""
    qs = session.exec(select(QualityStatement).where(QualityStatement.code == code.upper())).first()
    if qs is None:
        raise NotFound(f"There is no quality statement {code}")
    return qs


def statement_documents(session: Session, qs: QualityStatement) -> list[Document]:
    """Documents filed under any IR item linked to a quality statement, by title."""
    query = (
        select(Document)
        .where(
            col(Document.id).in_(
                select(DocumentEvidenceLink.document_id)
                .join(
                    EvidenceItemStatementLink,
                    col(EvidenceItemStatementLink.evidence_item_id)
                    == col(DocumentEvidenceLink.evidence_item_id),
                )
                .where(EvidenceItemStatementLink.quality_statement_id == qs.id)
            )
        )
        .options(selectinload(Document.evidence_items))  # type: ignore[arg-type]
        .order_by(col(Document.title))
    )
    return list(session.exec(query))


def update_statement(
    session: Session, qs: QualityStatement, title: str, we_statement: str, actor: User
) -> QualityStatement:
    """Edit a quality statement's title and we statement."""
    changes = apply_changes(qs, {"title": title.strip(), "we_statement": we_statement.strip()})
    if changes:
        record(session, actor, "update", qs, changes, label=f"{qs.code} {qs.title}")
    return qs


FOREWORD = "foreword"


def get_text(session: Session, key: str) -> str:
    """An editable text block, or empty."""
    row = session.get(SiteText, key)
    return row.value if row else ""


def set_text(session: Session, key: str, value: str, actor: User | None) -> None:
    """Save an editable text block such as the foreword."""
    row = session.get(SiteText, key)
    if row is None:
        row = SiteText(key=key, value="")
        session.add(row)
    before = row.value
    if before != value:
        row.value = value
        row.updated_at = utcnow()
        session.flush()
        # Text blocks are keyed by name, so they are recorded under id 0 with the name as label.
        record(session, actor, "update", row, {"value": [before, value]}, label=key, record_id=0)
