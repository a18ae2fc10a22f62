"""Readiness: self-scores, the assessment timeline and CQC evidence categories."""

import enum
from datetime import date, datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from . import enum_type, utcnow


class EvidenceCategory(str, enum.Enum):
    """CQC's evidence categories; observation is not used for local authorities."""

    PEOPLE = "people"
    STAFF = "staff"
    PARTNERS = "partners"
    PROCESSES = "processes"
    OUTCOMES = "outcomes"

    @property
    def label(self) -> str:
        """Words for the category."""
        return {
            "people": "People's experience",
            "staff": "Feedback from staff and leaders",
            "partners": "Feedback from partners",
            "processes": "Processes",
            "outcomes": "Outcomes",
        }[self.value]


class TimelineKey(str, enum.Enum):
    """The key dates of an assessment, in the order they happen."""

    NOTIFICATION = "notification"
    IR_DUE = "ir_due"
    CASE_TRACKING = "case_tracking"
    SITE_VISIT = "site_visit"
    INITIAL_FEEDBACK = "initial_feedback"
    FACTUAL_ACCURACY = "factual_accuracy"

    @property
    def label(self) -> str:
        """Words for the date."""
        return {
            "notification": "Notification from CQC",
            "ir_due": "Information Return due",
            "case_tracking": "Case tracking list due",
            "site_visit": "Site visit starts",
            "initial_feedback": "Initial feedback",
            "factual_accuracy": "Factual accuracy check due",
        }[self.value]

    @property
    def is_deadline(self) -> bool:
        """Whether the council must deliver something by this date (so it can be overdue)."""
        return self in (
            TimelineKey.IR_DUE,
            TimelineKey.CASE_TRACKING,
            TimelineKey.FACTUAL_ACCURACY,
        )


class SelfScore(SQLModel, table=True):
    """The team's score (1-4) for a quality statement; new scores add rows, keeping history."""

    id: int | None = Field(default=None, primary_key=True)
    quality_statement_id: int = Field(
        foreign_key="qualitystatement.id", index=True, ondelete="CASCADE"
    )
    score: int
    rationale: str = Field(default="", sa_type=Text)
    scored_at: datetime = Field(default_factory=utcnow, index=True)
    scored_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    scored_by_name: str = Field(default="", max_length=120)

    @property
    def title(self) -> str:
        """Label used by the audit trail."""
        return f"Self-score {self.score}"


class TimelineDate(SQLModel, table=True):
    """One key date of the assessment; done marks a deadline as met."""

    key: TimelineKey = Field(primary_key=True, sa_type=enum_type(TimelineKey))
    on: date | None = None
    done: bool = False
    note: str = Field(default="", max_length=300)
    updated_at: datetime = Field(default_factory=utcnow)


class EntryCategoryLink(SQLModel, table=True):
    """Which CQC evidence categories a self-assessment entry speaks to."""

    entry_id: int | None = Field(
        default=None, foreign_key="entry.id", primary_key=True, ondelete="CASCADE"
    )
    category: EvidenceCategory = Field(primary_key=True, sa_type=enum_type(EvidenceCategory))


class DocumentCategoryLink(SQLModel, table=True):
    """Which CQC evidence categories a document supplies."""

    document_id: int | None = Field(
        default=None, foreign_key="document.id", primary_key=True, ondelete="CASCADE"
    )
    category: EvidenceCategory = Field(primary_key=True, sa_type=enum_type(EvidenceCategory))
