"""Database tables and enums of the tracker; no Flask here."""

import enum
from datetime import UTC, date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, Relationship, SQLModel


def utcnow() -> datetime:
    """Now, as an aware UTC datetime (the form every timestamp column stores)."""
    return datetime.now(UTC)


def enum_type(enum_cls: type[enum.Enum]) -> SAEnum:
    """Store an enum by its value in a plain string column (no database enum types)."""
    return SAEnum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=20,
        values_callable=lambda members: [m.value for m in members],
    )


class Role(str, enum.Enum):
    """What a user may do."""

    ASSURANCE = "assurance"
    STAFF = "staff"
    DIRECTOR = "director"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        """Human name of the role."""
        return {
            "assurance": "Assurance team",
            "staff": "Staff",
            "director": "Director",
            "admin": "Administrator",
        }[self.value]


class EvidenceStatus(str, enum.Enum):
    """Where an IR evidence item is in its collection."""

    NOT_STARTED = "not_started"
    COLLECTING = "collecting"
    READY_FOR_CHECK = "ready_for_check"
    CHECKED = "checked"
    SUBMITTED = "submitted"

    @property
    def label(self) -> str:
        """Human name of the status."""
        return self.value.replace("_", " ").capitalize()

    @property
    def is_done(self) -> bool:
        """Whether the item no longer needs chasing."""
        return self in (EvidenceStatus.CHECKED, EvidenceStatus.SUBMITTED)


class EntryStatus(str, enum.Enum):
    """Workflow state of a self-assessment entry."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"

    @property
    def label(self) -> str:
        """Human name of the status."""
        return self.value.replace("_", " ").capitalize()


class ActionStatus(str, enum.Enum):
    """Progress of an improvement action."""

    NOT_STARTED = "not_started"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    COMPLETE = "complete"

    @property
    def label(self) -> str:
        """Human name of the status."""
        return self.value.replace("_", " ").capitalize()


class CitationKind(str, enum.Enum):
    """What a citation in an entry points at."""

    IR = "ir"
    SOURCE = "source"


class CitationProblem(str, enum.Enum):
    """Why a citation cannot be trusted."""

    UNKNOWN_ITEM = "unknown_item"
    MALFORMED = "malformed"


class TextStatus(str, enum.Enum):
    """Whether a stored file's text has been extracted for search."""

    PENDING = "pending"
    EXTRACTED = "extracted"
    MISSING = "missing"

    @property
    def label(self) -> str:
        """Words for the status."""
        return {"pending": "Not yet read", "extracted": "Text read", "missing": "No text"}[
            self.value
        ]


class Theme(SQLModel, table=True):
    """One of CQC's four assessment themes."""

    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(unique=True)
    title: str = Field(max_length=200)

    statements: list["QualityStatement"] = Relationship(back_populates="theme")


class EvidenceItemStatementLink(SQLModel, table=True):
    """Which quality statements an IR evidence item supports."""

    evidence_item_id: int | None = Field(
        default=None, foreign_key="evidenceitem.id", primary_key=True, ondelete="CASCADE"
    )
    quality_statement_id: int | None = Field(
        default=None, foreign_key="qualitystatement.id", primary_key=True, ondelete="CASCADE"
    )


class DocumentEvidenceLink(SQLModel, table=True):
    """Which IR evidence items a document is filed under."""

    document_id: int | None = Field(
        default=None, foreign_key="document.id", primary_key=True, ondelete="CASCADE"
    )
    evidence_item_id: int | None = Field(
        default=None, foreign_key="evidenceitem.id", primary_key=True, ondelete="CASCADE"
    )


class QualityStatement(SQLModel, table=True):
    """One of CQC's nine quality statements, such as 1A Assessing needs."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=4)
    theme_id: int = Field(foreign_key="theme.id")
    position: int = 0
    title: str = Field(max_length=200)
    we_statement: str = Field(default="", sa_type=Text)

    theme: "Theme" = Relationship(back_populates="statements")
    evidence_items: list["EvidenceItem"] = Relationship(
        back_populates="statements", link_model=EvidenceItemStatementLink
    )
    entries: list["Entry"] = Relationship(
        back_populates="quality_statement",
        sa_relationship_kwargs={"order_by": "Entry.position"},
    )
    actions: list["Action"] = Relationship(back_populates="quality_statement")

    @property
    def heading(self) -> str:
        """The self-assessment heading, e.g. '1A. Working with people: Assessing needs'."""
        return f"{self.code}. {self.theme.title}: {self.title}"


class EvidenceItem(SQLModel, table=True):
    """A numbered item of CQC's Information Return, under which documents are filed."""

    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(unique=True, index=True)
    title: str = Field(max_length=300)
    description: str = Field(default="", sa_type=Text)
    owner: str = Field(default="", max_length=120)
    due_date: date | None = None
    status: EvidenceStatus = Field(
        default=EvidenceStatus.NOT_STARTED, sa_type=enum_type(EvidenceStatus)
    )
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    statements: list["QualityStatement"] = Relationship(
        back_populates="evidence_items", link_model=EvidenceItemStatementLink
    )
    documents: list["Document"] = Relationship(
        back_populates="evidence_items", link_model=DocumentEvidenceLink
    )

    @property
    def label(self) -> str:
        """Short reference, e.g. 'IR 5'."""
        return f"IR {self.number}"

    def is_overdue(self, today: date) -> bool:
        """Whether the due date has passed and the item is not yet checked or submitted."""
        return bool(self.due_date and self.due_date < today and not self.status.is_done)


class StoredFile(SQLModel, table=True):
    """A file held once in the evidence store, addressed by its SHA-256."""

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(unique=True, max_length=64)
    size: int
    kind: str = Field(max_length=10)
    created_at: datetime = Field(default_factory=utcnow)
    # Extracted text is kept so the search index can be rebuilt without re-reading files.
    text: str = Field(default="", sa_type=Text)
    text_status: TextStatus = Field(default=TextStatus.PENDING, sa_type=enum_type(TextStatus))
    text_reason: str = Field(default="", max_length=300)
    pages: int | None = None
    extracted_at: datetime | None = None


class Document(SQLModel, table=True):
    """An evidence document: metadata plus a history of uploaded versions."""

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=300)
    description: str = Field(default="", sa_type=Text)
    document_date: date | None = None
    review_by: date | None = None
    owner: str = Field(default="", max_length=120)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")

    evidence_items: list["EvidenceItem"] = Relationship(
        back_populates="documents", link_model=DocumentEvidenceLink
    )
    versions: list["DocumentVersion"] = Relationship(
        back_populates="document",
        sa_relationship_kwargs={
            "order_by": "DocumentVersion.number.desc()",
            "cascade": "all, delete-orphan",
        },
    )

    @property
    def current(self) -> Optional["DocumentVersion"]:
        """The newest version, which is the one in use."""
        return self.versions[0] if self.versions else None


class DocumentVersion(SQLModel, table=True):
    """One uploaded version of a document."""

    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", ondelete="CASCADE", index=True)
    number: int = 1
    stored_file_id: int = Field(foreign_key="storedfile.id", index=True)
    filename: str = Field(max_length=255)
    uploaded_at: datetime = Field(default_factory=utcnow)
    uploaded_by_id: int | None = Field(default=None, foreign_key="user.id")
    note: str = Field(default="", max_length=500)

    document: "Document" = Relationship(back_populates="versions")
    stored_file: "StoredFile" = Relationship()
    uploaded_by: Optional["User"] = Relationship()


class Entry(SQLModel, table=True):
    """A numbered self-assessment entry: what we know, how we know it, our plans."""

    id: int | None = Field(default=None, primary_key=True)
    quality_statement_id: int = Field(foreign_key="qualitystatement.id", index=True)
    position: int = 0
    title: str = Field(max_length=200)
    what_we_know: str = Field(default="", sa_type=Text)
    how_we_know: str = Field(default="", sa_type=Text)
    our_plans: str = Field(default="", sa_type=Text)
    status: EntryStatus = Field(default=EntryStatus.DRAFT, sa_type=enum_type(EntryStatus))
    owner: str = Field(default="", max_length=120)
    last_reviewed: date | None = None
    approved_at: datetime | None = None
    approved_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    quality_statement: "QualityStatement" = Relationship(back_populates="entries")
    citations: list["Citation"] = Relationship(
        back_populates="entry",
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "order_by": "Citation.id"},
    )
    actions: list["Action"] = Relationship(back_populates="entry")
    approved_by: Optional["User"] = Relationship()

    @property
    def problems(self) -> list["Citation"]:
        """Citations on this entry that cannot be trusted."""
        return [c for c in self.citations if c.problem is not None]


class DataSource(SQLModel, table=True):
    """A named data source cited as [Source: …]."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=200)


class Citation(SQLModel, table=True):
    """A reference found in an entry's text, linked to what it names."""

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="entry.id", ondelete="CASCADE", index=True)
    column: str = Field(max_length=20)
    raw: str = Field(max_length=200)
    kind: CitationKind | None = Field(default=None, sa_type=enum_type(CitationKind))
    ir_number: int | None = None
    evidence_item_id: int | None = Field(
        default=None, foreign_key="evidenceitem.id", ondelete="SET NULL", index=True
    )
    data_source_id: int | None = Field(
        default=None, foreign_key="datasource.id", ondelete="SET NULL"
    )
    problem: CitationProblem | None = Field(default=None, sa_type=enum_type(CitationProblem))
    message: str = Field(default="", max_length=300)

    entry: "Entry" = Relationship(back_populates="citations")
    evidence_item: Optional["EvidenceItem"] = Relationship()
    data_source: Optional["DataSource"] = Relationship()


class Action(SQLModel, table=True):
    """An improvement plan action."""

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=300)
    detail: str = Field(default="", sa_type=Text)
    quality_statement_id: int = Field(foreign_key="qualitystatement.id", index=True)
    entry_id: int | None = Field(default=None, foreign_key="entry.id", ondelete="SET NULL")
    owner: str = Field(default="", max_length=120)
    due_date: date | None = None
    status: ActionStatus = Field(default=ActionStatus.NOT_STARTED, sa_type=enum_type(ActionStatus))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    quality_statement: "QualityStatement" = Relationship(back_populates="actions")
    entry: Optional["Entry"] = Relationship(back_populates="actions")
    updates: list["ActionUpdate"] = Relationship(
        back_populates="action",
        sa_relationship_kwargs={
            "cascade": "all, delete-orphan",
            "order_by": "ActionUpdate.on.desc(), ActionUpdate.id.desc()",
        },
    )

    def is_overdue(self, today: date) -> bool:
        """Whether the due date has passed and the action is not complete."""
        return bool(
            self.due_date and self.due_date < today and self.status != ActionStatus.COMPLETE
        )


class ActionUpdate(SQLModel, table=True):
    """A dated progress note on an improvement action."""

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", ondelete="CASCADE", index=True)
    on: date
    note: str = Field(sa_type=Text)
    author_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)

    action: "Action" = Relationship(back_populates="updates")
    author: Optional["User"] = Relationship()


class LoginFailure(SQLModel, table=True):
    """A failed sign-in, kept for a short while so that password guessing can be slowed."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, index=True)
    address: str = Field(default="", max_length=64, index=True)
    at: datetime = Field(default_factory=utcnow, index=True)


class User(SQLModel, table=True):
    """Someone who logs in."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, max_length=254)
    name: str = Field(max_length=120)
    role: Role = Field(sa_type=enum_type(Role))
    password_hash: str = Field(max_length=255)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None

    # The four members below are what the login manager expects of a user object.
    @property
    def is_authenticated(self) -> bool:
        """A loaded user is always an authenticated one."""
        return True

    @property
    def is_active(self) -> bool:
        """Deactivated users cannot log in."""
        return self.active

    @property
    def is_anonymous(self) -> bool:
        """Real users are never anonymous."""
        return False

    def get_id(self) -> str:
        """The id kept in the session cookie."""
        return str(self.id)


class AuditEvent(SQLModel, table=True):
    """Who changed what, when: one row per create, update, delete or approval."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    user_name: str = Field(default="", max_length=120)
    verb: str = Field(max_length=20)
    record_type: str = Field(max_length=40, index=True)
    record_id: int = Field(index=True)
    record_label: str = Field(default="", max_length=300)
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class SiteText(SQLModel, table=True):
    """Editable text blocks, such as the self-assessment foreword."""

    key: str = Field(primary_key=True, max_length=40)
    value: str = Field(default="", sa_type=Text)
    updated_at: datetime = Field(default_factory=utcnow)


# Tables for later areas live in their own modules; importing them here registers them.
from . import exports, imports, measures, readiness, stamps  # noqa: E402,F401
