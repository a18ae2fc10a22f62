"""Exports: generated self-assessment documents and IR submission packs."""

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, Relationship, SQLModel

from . import enum_type, utcnow


class ExportKind(str, enum.Enum):
    """What an export file holds."""

    DOCUMENT = "document"
    PACK = "pack"

    @property
    def label(self) -> str:
        """Human name of the kind."""
        return {"document": "Self-assessment document", "pack": "IR submission pack"}[self.value]


class Export(SQLModel, table=True):
    """A generated file kept under exports/: who made it, when, how, and its checksum."""

    id: int | None = Field(default=None, primary_key=True)
    kind: ExportKind = Field(sa_type=enum_type(ExportKind), index=True)
    filename: str = Field(max_length=200, unique=True)
    size: int = 0
    sha256: str = Field(max_length=64)
    options: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    summary: str = Field(default="", max_length=300)
    draft: bool = False
    created_at: datetime = Field(default_factory=utcnow, index=True)
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_by_name: str = Field(default="", max_length=120)

    packed: list["PackedDocument"] = Relationship(
        back_populates="export",
        sa_relationship_kwargs={
            "cascade": "all, delete-orphan",
            "order_by": "PackedDocument.position",
        },
    )

    @property
    def title(self) -> str:
        """Label used in the audit trail."""
        return f"{self.kind.label} {self.filename}"


class PackedDocument(SQLModel, table=True):
    """One document version as it went into a submission pack, frozen at the time.

    Titles, names and checksums are copied so the record still says exactly what CQC received
    after documents are replaced, renamed or deleted.
    """

    id: int | None = Field(default=None, primary_key=True)
    export_id: int = Field(foreign_key="export.id", ondelete="CASCADE", index=True)
    position: int = 0
    item_number: int
    item_title: str = Field(max_length=300)
    document_id: int | None = Field(default=None, foreign_key="document.id", ondelete="SET NULL")
    document_version_id: int | None = Field(
        default=None, foreign_key="documentversion.id", ondelete="SET NULL", index=True
    )
    document_title: str = Field(max_length=300)
    version_number: int
    document_date: date | None = None
    uploaded_at: datetime | None = None
    original_filename: str = Field(max_length=255)
    path_in_pack: str = Field(max_length=400)
    sha256: str = Field(max_length=64)
    size: int = 0

    export: "Export" = Relationship(back_populates="packed")
