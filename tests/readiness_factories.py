"""Builders for readiness tests: approved entries, documents with review dates, set-ups."""

from __future__ import annotations

from sqlmodel import Session

from tests import factories
from tracker.models import Entry, EntryStatus, Role, User
from tracker.services import assessment


def approved_entry(session: Session, code: str = "1A", title: str = "Approved entry") -> Entry:
    """An entry moved through review to approval."""
    entry = factories.entry(session, code, title)
    director = _user(session, Role.DIRECTOR)
    team = _user(session, Role.ASSURANCE)
    assessment.set_status(session, entry, EntryStatus.IN_REVIEW, team)
    assessment.set_status(session, entry, EntryStatus.APPROVED, director)
    return entry


def _user(session: Session, role: Role) -> User:
    from sqlmodel import select

    found = session.exec(select(User).where(User.role == role)).first()
    return found or factories.user(session, role, f"readiness-{role.value}@example.gov.uk")
