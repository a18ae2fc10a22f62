"""Self-assessment entries and their draft → in review → approved workflow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from ..models import Entry, EntryStatus, QualityStatement, Role, Theme, User, utcnow
from . import Conflict, Forbidden, Invalid, NotFound
from .audit import apply_changes, record, snapshot
from .citations import refresh_entry

CONTENT_FIELDS = ("title", "what_we_know", "how_we_know", "our_plans")
ENTRY_FIELDS = (*CONTENT_FIELDS, "owner", "last_reviewed")


@dataclass(frozen=True)
class EntryInput:
    """The editable fields of an entry."""

    title: str
    what_we_know: str = ""
    how_we_know: str = ""
    our_plans: str = ""
    owner: str = ""
    last_reviewed: date | None = None


def get_entry(session: Session, entry_id: int) -> Entry:
    """An entry by id."""
    entry = session.get(Entry, entry_id)
    if entry is None:
        raise NotFound("There is no such entry")
    return entry


def ordered_entries(session: Session) -> list[Entry]:
    """Every entry in document order, with statement, theme and citations loaded."""
    query = (
        select(Entry)
        .join(QualityStatement)
        .options(
            selectinload(Entry.quality_statement).selectinload(QualityStatement.theme),  # type: ignore[arg-type]
            selectinload(Entry.citations),  # type: ignore[arg-type]
        )
        .order_by(col(QualityStatement.position), col(Entry.position), col(Entry.id))
    )
    return list(session.exec(query))


def ref_codes(session: Session) -> dict[int, str]:
    """Ref codes such as '1.3', numbered through each theme in document order; never typed.

    Reads only the ids and theme numbers (in the order of `ordered_entries`): many pages
    show refs, and loading every entry with its citations for them cost 7 ms a page.
    """
    rows = session.exec(
        select(Entry.id, Theme.number)
        .join(QualityStatement, col(Entry.quality_statement_id) == col(QualityStatement.id))
        .join(Theme, col(QualityStatement.theme_id) == col(Theme.id))
        .order_by(col(QualityStatement.position), col(Entry.position), col(Entry.id))
    )
    codes: dict[int, str] = {}
    counters: dict[int, int] = {}
    for entry_id, theme in rows:
        assert entry_id is not None
        counters[theme] = counters.get(theme, 0) + 1
        codes[entry_id] = f"{theme}.{counters[theme]}"
    return codes


def _clean(data: EntryInput) -> dict[str, object]:
    values: dict[str, object] = {name: getattr(data, name) for name in ENTRY_FIELDS}
    for name in ("title", "owner", *CONTENT_FIELDS[1:]):
        values[name] = str(values[name]).replace("\r\n", "\n").strip()
    return values


def _check_title_free(session: Session, qs_id: int, title: str, entry_id: int | None) -> None:
    clash = session.exec(
        select(Entry).where(
            Entry.quality_statement_id == qs_id, func.lower(Entry.title) == title.lower()
        )
    ).first()
    if clash is not None and clash.id != entry_id:
        raise Conflict(
            f"This quality statement already has an entry called “{title}”", field="title"
        )


def create_entry(
    session: Session, qs: QualityStatement, data: EntryInput, actor: User | None
) -> Entry:
    """Add an entry at the end of a quality statement, as a draft."""
    values = _clean(data)
    _check_title_free(session, qs.id or 0, str(values["title"]), None)
    last = session.exec(
        select(func.max(Entry.position)).where(Entry.quality_statement_id == qs.id)
    ).one()
    entry = Entry(quality_statement_id=qs.id or 0, position=(last or 0) + 1, **values)  # type: ignore[arg-type]
    session.add(entry)
    session.flush()
    refresh_entry(session, entry)
    record(session, actor, "create", entry, snapshot(entry, ENTRY_FIELDS))
    return entry


def update_entry(session: Session, entry: Entry, data: EntryInput, actor: User) -> Entry:
    """Edit an entry; changing the words of an approved entry sends it back to draft."""
    values = _clean(data)
    _check_title_free(session, entry.quality_statement_id, str(values["title"]), entry.id)
    changes = apply_changes(entry, values)
    if not changes:
        return entry
    if entry.status == EntryStatus.APPROVED and set(changes) & set(CONTENT_FIELDS):
        changes["status"] = [entry.status.value, EntryStatus.DRAFT.value]
        entry.status = EntryStatus.DRAFT
        entry.approved_at = None
        entry.approved_by_id = None
    entry.updated_at = utcnow()
    session.flush()
    refresh_entry(session, entry)
    record(session, actor, "update", entry, changes)
    return entry


TRANSITIONS: dict[tuple[EntryStatus, EntryStatus], frozenset[Role]] = {
    (EntryStatus.DRAFT, EntryStatus.IN_REVIEW): frozenset({Role.ASSURANCE}),
    (EntryStatus.IN_REVIEW, EntryStatus.DRAFT): frozenset({Role.ASSURANCE, Role.DIRECTOR}),
    (EntryStatus.IN_REVIEW, EntryStatus.APPROVED): frozenset({Role.DIRECTOR}),
    (EntryStatus.DRAFT, EntryStatus.APPROVED): frozenset({Role.DIRECTOR}),
    (EntryStatus.APPROVED, EntryStatus.DRAFT): frozenset({Role.DIRECTOR, Role.ASSURANCE}),
}


def allowed_moves(entry: Entry, user: User | None) -> list[EntryStatus]:
    """The statuses this user may move the entry to."""
    if user is None:
        return []
    return [
        to for (frm, to), roles in TRANSITIONS.items() if frm == entry.status and user.role in roles
    ]


def set_status(session: Session, entry: Entry, status: EntryStatus, actor: User) -> Entry:
    """Move an entry through review; only directors approve, and the move is audited."""
    if status == entry.status:
        return entry
    roles = TRANSITIONS.get((entry.status, status))
    if roles is None:
        raise Invalid(
            f"An entry that is {entry.status.label.lower()} cannot become {status.label.lower()}"
        )
    if actor.role not in roles:
        raise Forbidden(f"Your role cannot mark an entry as {status.label.lower()}")
    changes = {"status": [entry.status.value, status.value]}
    entry.status = status
    if status == EntryStatus.APPROVED:
        entry.approved_at = utcnow()
        entry.approved_by_id = actor.id
        entry.last_reviewed = entry.approved_at.date()
        verb = "approve"
    else:
        entry.approved_at = None
        entry.approved_by_id = None
        verb = "update"
    entry.updated_at = utcnow()
    session.flush()
    record(session, actor, verb, entry, changes)
    return entry


def move_entry(session: Session, entry: Entry, direction: int, actor: User) -> None:
    """Move an entry up (-1) or down (+1) within its quality statement; refs follow."""
    siblings = list(
        session.exec(
            select(Entry)
            .where(Entry.quality_statement_id == entry.quality_statement_id)
            .order_by(col(Entry.position), col(Entry.id))
        )
    )
    index = siblings.index(entry)
    target = index + direction
    if not 0 <= target < len(siblings):
        return
    siblings[index], siblings[target] = siblings[target], siblings[index]
    for position, sibling in enumerate(siblings, start=1):
        sibling.position = position
    session.flush()
    record(session, actor, "update", entry, {"position": [index + 1, target + 1]})


def delete_entry(session: Session, entry: Entry, actor: User) -> None:
    """Delete an entry; actions linked to it stay, unlinked."""
    record(session, actor, "delete", entry, snapshot(entry, ENTRY_FIELDS))
    for action in entry.actions:
        action.entry_id = None
    session.delete(entry)
    session.flush()


def status_counts(session: Session) -> dict[str, dict[EntryStatus, int]]:
    """Entries per quality statement code and status."""
    rows = session.exec(
        select(QualityStatement.code, Entry.status, func.count())
        .join(QualityStatement)
        .group_by(QualityStatement.code, Entry.status)
    )
    counts: dict[str, dict[EntryStatus, int]] = {}
    for code, status, count in rows:
        counts.setdefault(code, {})[EntryStatus(status)] = count
    return counts
