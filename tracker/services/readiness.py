"""Readiness: self-scores and CQC's rating arithmetic, the timeline, evidence categories, gaps."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from ..judgements import Rating
from ..models import (
    Action,
    ActionStatus,
    AuditEvent,
    Citation,
    Document,
    DocumentEvidenceLink,
    DocumentVersion,
    Entry,
    EntryStatus,
    EvidenceItem,
    QualityStatement,
    StoredFile,
    TextStatus,
    User,
    utcnow,
)
from ..models.readiness import (
    DocumentCategoryLink,
    EntryCategoryLink,
    EvidenceCategory,
    SelfScore,
    TimelineDate,
    TimelineKey,
)
from . import Invalid, measures
from .audit import record
from .coverage import StatementCoverage, coverage
from .framework import list_statements
from .measures import MeasureSummary

# --- Scoring ------------------------------------------------------------------------------

MAX_SCORE = 4
SCORE_WORDS = {
    1: "Evidence shows significant shortfalls",
    2: "Evidence shows some shortfalls",
    3: "Evidence shows a good standard",
    4: "Evidence shows an exceptional standard",
}


@dataclass(frozen=True)
class Band:
    """An indicative rating and the whole percentages CQC publishes for it."""

    rating: str
    lowest: int
    highest: int | None
    colour: str


# CQC's published bands: 25-38 Inadequate, 39-62 RI, 63-87 Good, 88 and above Outstanding.
BANDS = (
    Band("Inadequate", 25, 38, "red"),
    Band("Requires improvement", 39, 62, "orange"),
    Band("Good", 63, 87, "green"),
    Band("Outstanding", 88, None, "purple"),
)


@dataclass(frozen=True)
class Overall:
    """The overall percentage and indicative rating from the scores given so far."""

    total: int
    maximum: int
    scored: int
    statements: int
    band: Band | None
    between: Band | None = None

    @property
    def percentage(self) -> Fraction | None:
        """Exact percentage (None when nothing is scored)."""
        return Fraction(100 * self.total, self.maximum) if self.maximum else None

    @property
    def percent_text(self) -> str:
        """The percentage to one decimal place, e.g. '69.4%'."""
        pct = self.percentage
        return "Not scored" if pct is None else f"{float(pct):.1f}%"

    @property
    def complete(self) -> bool:
        """Whether every quality statement has a score."""
        return self.scored == self.statements


def rating_band(percentage: Fraction) -> tuple[Band, Band | None]:
    """The indicative band for a percentage, and the higher band when it falls between two.

    CQC publishes the bands in whole percentages (..38, 39.., ..62, 63.., ..87, 88..), so some
    exact percentages fall in a gap: 14/36 = 38.9% lies between 38% and 39%. Our rule: a
    percentage reaches a band only at or above that band's published lowest value, so a
    gap percentage takes the lower band (38.9% is Inadequate). It never claims a rating the
    published figures do not support; the higher band is returned so the page can say the
    result sits between bands and that rounding up would give the higher rating.
    """
    reached = BANDS[0]
    for band in BANDS:
        if percentage >= band.lowest:
            reached = band
    higher = BANDS.index(reached) + 1
    between = None
    if reached.highest is not None and percentage > reached.highest and higher < len(BANDS):
        between = BANDS[higher]
    return reached, between


def overall(scores: Iterable[int], statements: int = 9) -> Overall:
    """Combine quality statement scores (all weighted equally) into CQC's overall percentage.

    The denominator is the number of statements scored x 4, as CQC divides by the statements
    assessed; `complete` says whether all of them were.
    """
    values = list(scores)
    for value in values:
        if not 1 <= value <= MAX_SCORE:
            raise Invalid("A score must be 1, 2, 3 or 4", field="score")
    total, maximum = sum(values), len(values) * MAX_SCORE
    if not maximum:
        return Overall(0, 0, 0, statements, None)
    band, between = rating_band(Fraction(100 * total, maximum))
    return Overall(total, maximum, len(values), statements, band, between)


def record_score(
    session: Session, qs: QualityStatement, score: int | None, rationale: str, actor: User | None
) -> SelfScore:
    """Score a quality statement 1-4 with a rationale; earlier scores stay as history."""
    if score not in SCORE_WORDS:
        raise Invalid("Choose a score from 1 to 4", field="score")
    rationale = rationale.replace("\r\n", "\n").strip()
    if not rationale:
        raise Invalid("Enter the reasons for this score", field="rationale")
    previous = current_scores(session).get(qs.id or 0)
    row = SelfScore(
        quality_statement_id=qs.id or 0,
        score=score,
        rationale=rationale,
        scored_by_id=actor.id if actor else None,
        scored_by_name=actor.name if actor else "system",
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor,
        "create",
        row,
        {"score": [previous.score if previous else None, score], "rationale": [None, rationale]},
        label=f"Self-score for {qs.code} {qs.title}",
    )
    return row


def current_scores(session: Session) -> dict[int, SelfScore]:
    """The latest score of each scored quality statement, by statement id."""
    latest: dict[int, SelfScore] = {}
    query = select(SelfScore).order_by(col(SelfScore.scored_at), col(SelfScore.id))
    for row in session.exec(query):
        latest[row.quality_statement_id] = row
    return latest


def score_history(session: Session, qs: QualityStatement) -> list[SelfScore]:
    """Every score given to a quality statement, newest first."""
    query = (
        select(SelfScore)
        .where(SelfScore.quality_statement_id == qs.id)
        .order_by(col(SelfScore.scored_at).desc(), col(SelfScore.id).desc())
    )
    return list(session.exec(query))


@dataclass
class StatementScore:
    """A quality statement with its current score and any warning about its backing."""

    statement: QualityStatement
    coverage: StatementCoverage
    score: SelfScore | None

    @property
    def warnings(self) -> list[str]:
        """Why the score is not (yet) backed by the self-assessment."""
        if self.score is None:
            return []
        found = []
        if not self.coverage.approved:
            found.append(f"Scored {self.score.score}, but no entry for this statement is approved")
        elif self.score.score == MAX_SCORE and self.coverage.approved < 2:
            found.append("Scored 4 (exceptional) on a single approved entry")
        return found


@dataclass
class Scoring:
    """Every statement's score and the overall result."""

    rows: list[StatementScore]
    overall: Overall

    @property
    def warnings(self) -> int:
        """How many statements carry a warning."""
        return sum(1 for row in self.rows if row.warnings)


def scoring(
    session: Session, today: date, rows: Sequence[StatementCoverage] | None = None
) -> Scoring:
    """Current scores against coverage, and the overall percentage and band."""
    rows = list(rows) if rows is not None else coverage(session, today)
    scores = current_scores(session)
    items = [StatementScore(r.statement, r, scores.get(r.statement.id or 0)) for r in rows]
    return Scoring(items, overall((i.score.score for i in items if i.score), len(items)))


# --- Timeline -----------------------------------------------------------------------------

IR_WEEKS = 3


@dataclass(frozen=True)
class KeyDate:
    """One key date as shown: its day, whether it was worked out, and its countdown."""

    key: TimelineKey
    on: date | None
    done: bool = False
    note: str = ""
    derived: bool = False

    def days_left(self, today: date) -> int | None:
        """Days from today to the date (negative once passed)."""
        return None if self.on is None else (self.on - today).days

    def is_overdue(self, today: date) -> bool:
        """A deadline that has passed without being marked done."""
        left = self.days_left(today)
        return bool(self.key.is_deadline and not self.done and left is not None and left < 0)

    def countdown(self, today: date) -> tuple[str, str]:
        """Words and a tag colour: 'Due in 5 days', 'Overdue by 2 days', 'Done' ..."""
        left = self.days_left(today)
        if left is None:
            return "Not set", "grey"
        if self.key.is_deadline and self.done:
            return "Done", "green"

        def days(n: int) -> str:
            return f"{n} day{'' if n == 1 else 's'}"

        if left < 0:
            if self.key.is_deadline:
                return f"Overdue by {days(-left)}", "red"
            return f"{days(-left)} ago", "grey"
        if left == 0:
            return ("Due today" if self.key.is_deadline else "Today"), "orange"
        colour = "orange" if left <= 7 else "blue"
        return (f"Due in {days(left)}" if self.key.is_deadline else f"In {days(left)}"), colour


@dataclass(frozen=True)
class KeyDateInput:
    """An edited key date."""

    on: date | None
    done: bool = False
    note: str = ""


def timeline(session: Session) -> list[KeyDate]:
    """The key dates in order; the IR is due 3 weeks after notification unless set."""
    stored = {row.key: row for row in session.exec(select(TimelineDate))}
    out = []
    for key in TimelineKey:
        row = stored.get(key)
        if row is not None and row.on is not None:
            out.append(KeyDate(key, row.on, row.done, row.note))
            continue
        on, derived = None, False
        notified = stored.get(TimelineKey.NOTIFICATION)
        if key == TimelineKey.IR_DUE and notified is not None and notified.on is not None:
            on, derived = notified.on + timedelta(weeks=IR_WEEKS), True
        out.append(KeyDate(key, on, row.done if row else False, row.note if row else "", derived))
    return out


def set_timeline(
    session: Session, values: Mapping[TimelineKey, KeyDateInput], actor: User | None
) -> list[KeyDate]:
    """Save key dates; none may come before notification."""
    notified = values.get(TimelineKey.NOTIFICATION)
    if notified is None:
        row = session.get(TimelineDate, TimelineKey.NOTIFICATION)
        start = row.on if row else None
    else:
        start = notified.on
    for key, data in values.items():
        if start and data.on and data.on < start:
            raise Invalid(f"{key.label} must be on or after the notification date", field=key.value)
    for position, key in enumerate(TimelineKey, start=1):
        if key not in values:
            continue
        data = values[key]
        row = session.get(TimelineDate, key) or TimelineDate(key=key)
        before = (row.on, row.done, row.note)
        after = (data.on, data.done and key.is_deadline, data.note.strip())
        if before == after:
            continue
        row.on, row.done, row.note = after
        row.updated_at = utcnow()
        session.add(row)
        session.flush()
        changes: dict[str, list[Any]] = {}
        for name, old, new in zip(("date", "done", "note"), before, after, strict=True):
            if old != new:
                changes[name] = [
                    old.isoformat() if isinstance(old, date) else old,
                    new.isoformat() if isinstance(new, date) else new,
                ]
        record(session, actor, "update", row, changes, label=key.label, record_id=position)
    return timeline(session)


def timeline_history(session: Session, limit: int = 50) -> list[AuditEvent]:
    """The newest changes to any key date."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.record_type == TimelineDate.__name__)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
    )
    return list(session.exec(query))


# --- Evidence categories ------------------------------------------------------------------


def entry_categories(session: Session, entry: Entry) -> set[EvidenceCategory]:
    """The evidence categories an entry is tagged with."""
    query = select(EntryCategoryLink.category).where(EntryCategoryLink.entry_id == entry.id)
    return {EvidenceCategory(c) for c in session.exec(query)}


def document_categories(session: Session, document: Document) -> set[EvidenceCategory]:
    """The evidence categories a document is tagged with."""
    query = select(DocumentCategoryLink.category).where(
        DocumentCategoryLink.document_id == document.id
    )
    return {EvidenceCategory(c) for c in session.exec(query)}


def _labels(categories: Iterable[EvidenceCategory]) -> list[str]:
    return sorted(c.label for c in categories)


def set_entry_categories(
    session: Session, entry: Entry, categories: Iterable[EvidenceCategory], actor: User | None
) -> set[EvidenceCategory]:
    """Tag an entry with exactly these evidence categories."""
    old, new = entry_categories(session, entry), set(categories)
    if old == new:
        return new
    for link in session.exec(
        select(EntryCategoryLink).where(EntryCategoryLink.entry_id == entry.id)
    ):
        if link.category not in new:
            session.delete(link)
    for category in new - old:
        session.add(EntryCategoryLink(entry_id=entry.id, category=category))
    session.flush()
    changes = {"evidence_categories": [_labels(old), _labels(new)]}
    record(session, actor, "update", entry, changes)
    return new


def set_document_categories(
    session: Session, document: Document, categories: Iterable[EvidenceCategory], actor: User | None
) -> set[EvidenceCategory]:
    """Tag a document with exactly these evidence categories."""
    old, new = document_categories(session, document), set(categories)
    if old == new:
        return new
    links = select(DocumentCategoryLink).where(DocumentCategoryLink.document_id == document.id)
    for link in session.exec(links):
        if link.category not in new:
            session.delete(link)
    for category in new - old:
        session.add(DocumentCategoryLink(document_id=document.id, category=category))
    session.flush()
    changes = {"evidence_categories": [_labels(old), _labels(new)]}
    record(session, actor, "update", document, changes)
    return new


# --- Measures (provided by the measures area) ---------------------------------------------


def measures_without_value(session: Session) -> list[MeasureSummary]:
    """Measures whose latest period has no figure, from the measures area."""
    return measures.measures_without_current_value(session)


def measure_judgements(session: Session) -> dict[int, dict[str, int]]:
    """Per statement id, how many of its measures carry each rating ('▲ Better ...': 2)."""
    order = list(Rating)
    counted: dict[int, dict[Rating, tuple[str, int]]] = {}
    for summary in measures.measure_summaries(session):
        result = Rating(summary.rating.result)
        for qs in summary.measure.statements:
            row = counted.setdefault(qs.id or 0, {})
            label, n = row.get(result, (summary.rating.label, 0))
            row[result] = (label, n + 1)
    return {
        qs_id: {
            label: n for _, (label, n) in sorted(row.items(), key=lambda kv: order.index(kv[0]))
        }
        for qs_id, row in counted.items()
    }


# --- Gaps ---------------------------------------------------------------------------------


@dataclass
class Gaps:
    """Everything that leaves the evidence thin, each list fixable from its own page."""

    statements_without_approved: list[QualityStatement] = field(default_factory=list)
    items_without_documents: list[EvidenceItem] = field(default_factory=list)
    documents_past_review: list[Document] = field(default_factory=list)
    entries_with_citation_problems: list[Entry] = field(default_factory=list)
    measures_without_value: list[MeasureSummary] = field(default_factory=list)
    overdue_actions: list[Action] = field(default_factory=list)
    documents_without_text: list[tuple[Document, StoredFile]] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """How many of each kind of gap, by list name."""
        return {name: len(getattr(self, name)) for name in self.__dataclass_fields__}

    @property
    def total(self) -> int:
        """All gaps together."""
        return sum(self.counts.values())


def _current_versions() -> Any:
    """Each document's newest version number, as a subquery."""
    return (
        select(DocumentVersion.document_id, func.max(DocumentVersion.number).label("number"))
        .group_by(col(DocumentVersion.document_id))
        .subquery()
    )


def _gap_queries(today: date) -> dict[str, Any]:
    """The query behind each kind of gap held in the database, in the order the list shows."""
    approved = select(Entry.quality_statement_id).where(Entry.status == EntryStatus.APPROVED)
    current = _current_versions()
    return {
        "statements_without_approved": select(QualityStatement)
        .where(col(QualityStatement.id).not_in(approved))
        .order_by(col(QualityStatement.position)),
        "items_without_documents": select(EvidenceItem)
        .where(col(EvidenceItem.id).not_in(select(DocumentEvidenceLink.evidence_item_id)))
        .order_by(col(EvidenceItem.number)),
        "documents_past_review": select(Document)
        .where(col(Document.review_by) < today)
        .order_by(col(Document.review_by), col(Document.title)),
        "entries_with_citation_problems": select(Entry)
        .where(
            col(Entry.id).in_(select(Citation.entry_id).where(col(Citation.problem).is_not(None)))
        )
        .join(QualityStatement)
        .order_by(col(QualityStatement.position), col(Entry.position)),
        "overdue_actions": select(Action)
        .where(col(Action.due_date) < today, Action.status != ActionStatus.COMPLETE)
        .order_by(col(Action.due_date), col(Action.id)),
        "documents_without_text": select(Document, StoredFile)
        .join(DocumentVersion, col(DocumentVersion.document_id) == col(Document.id))
        .join(
            current,
            (current.c.document_id == col(DocumentVersion.document_id))
            & (current.c.number == col(DocumentVersion.number)),
        )
        .join(StoredFile, col(StoredFile.id) == col(DocumentVersion.stored_file_id))
        .where(StoredFile.text_status == TextStatus.MISSING)
        .order_by(col(Document.title)),
    }


#: What the gap list shows with each record.
_GAP_LOADS = {
    "statements_without_approved": selectinload(QualityStatement.theme),  # type: ignore[arg-type]
    "entries_with_citation_problems": selectinload(Entry.quality_statement),  # type: ignore[arg-type]
    "overdue_actions": selectinload(Action.quality_statement),  # type: ignore[arg-type]
}


def gaps(session: Session, today: date) -> Gaps:
    """Find every gap in the evidence (see Gaps for the kinds)."""
    found = Gaps(measures_without_value=measures_without_value(session))
    for name, query in _gap_queries(today).items():
        if name in _GAP_LOADS:
            query = query.options(_GAP_LOADS[name])
        rows = session.exec(query)
        setattr(
            found,
            name,
            [tuple(r) for r in rows] if name == "documents_without_text" else list(rows),
        )
    return found


def gap_total(session: Session, today: date) -> int:
    """How many gaps there are, counted in the database (the home page shows only this)."""
    counts = [
        select(func.count()).select_from(query.order_by(None).subquery()).scalar_subquery()
        for query in _gap_queries(today).values()
    ]
    in_database = sum(session.exec(select(*counts)).one())
    return in_database + len(measures_without_value(session))


# --- The readiness home page --------------------------------------------------------------


@dataclass
class StatementReadiness:
    """Everything the home page shows for one quality statement."""

    coverage: StatementCoverage
    score: StatementScore
    measures: dict[str, int]


@dataclass
class Readiness:
    """The readiness home page's data."""

    statements: list[StatementReadiness]
    scoring: Scoring
    timeline: list[KeyDate]
    #: How many gaps the gap list holds.
    gap_total: int


def readiness(session: Session, today: date) -> Readiness:
    """Coverage, scores, measures, timeline and gaps for the home page."""
    rows = coverage(session, today)
    scored = scoring(session, today, rows)
    judgements = measure_judgements(session)
    statements = [
        StatementReadiness(row, score, judgements.get(row.statement.id or 0, {}))
        for row, score in zip(rows, scored.rows, strict=True)
    ]
    return Readiness(statements, scored, timeline(session), gap_total(session, today))


# --- Demo ---------------------------------------------------------------------------------

DEMO_SCORES = {
    "1A": (
        2,
        "Waiting lists for assessment have fallen but are still above our target; "
        "reviews are behind schedule for about a fifth of people with long-term support.",
    ),
    "1B": (
        3,
        "Reablement keeps most people at home and prevention services reach "
        "people early; information and advice is well used.",
    ),
    "1C": (
        2,
        "We know too little about the experience of some communities; the equality "
        "data in our case records is incomplete.",
    ),
    "2A": (
        3,
        "Enough local care is available for most needs, with gaps for specialist "
        "dementia nursing care that the market plan addresses.",
    ),
    "2B": (
        3,
        "Partnership boards are active and the voluntary sector co-designs services; "
        "partners report good working relationships.",
    ),
    "3A": (
        3,
        "Hospital discharge and transitions from children's services are planned "
        "jointly; moves between services are recorded and checked.",
    ),
    "3B": (
        3,
        "Safeguarding enquiries are timely and people's desired outcomes are mostly "
        "met; lessons from reviews are shared across teams.",
    ),
    "4A": (
        3,
        "Clear governance from cabinet to team level; budget pressures are managed "
        "with an agreed savings plan and risk register.",
    ),
    "4B": (
        2,
        "Learning from complaints is captured, but improvement work is not yet "
        "followed through consistently across the department.",
    ),
}


def seed_demo_readiness(session: Session, actor: User | None, today: date) -> None:
    """Give the demo council a timeline (notified 10 days ago) and a score per statement."""
    if session.exec(select(SelfScore.id).limit(1)).first() is not None:
        return
    notified = today - timedelta(days=10)
    set_timeline(
        session,
        {
            TimelineKey.NOTIFICATION: KeyDateInput(notified, note="Email to the director"),
            TimelineKey.IR_DUE: KeyDateInput(notified + timedelta(weeks=IR_WEEKS)),
            TimelineKey.CASE_TRACKING: KeyDateInput(notified + timedelta(weeks=4)),
            TimelineKey.SITE_VISIT: KeyDateInput(notified + timedelta(weeks=10)),
        },
        actor,
    )
    for qs in list_statements(session):
        if qs.code in DEMO_SCORES:
            score, rationale = DEMO_SCORES[qs.code]
            record_score(session, qs, score, rationale, actor)
