"""Bulk imports of documents: background jobs and their progress."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from . import enum_type, utcnow


class ImportStatus(str, enum.Enum):
    """Where a bulk import is."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def label(self) -> str:
        """Words for the status."""
        return {
            "queued": "Waiting to start",
            "running": "In progress",
            "done": "Finished",
            "failed": "Stopped",
        }[self.value]


class ImportJob(SQLModel, table=True):
    """One bulk import of a zip file or folder; its state is here so any worker can report it."""

    id: int | None = Field(default=None, primary_key=True)
    source_name: str = Field(max_length=255)
    status: ImportStatus = Field(default=ImportStatus.QUEUED, sa_type=enum_type(ImportStatus))
    total: int = 0
    processed: int = 0
    created: int = 0
    duplicates: int = 0
    # [{"path": ..., "reason": ...}] for every file not imported.
    skipped: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    error: str = Field(default="", max_length=500)
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def finished(self) -> bool:
        """Whether the job has stopped, well or badly."""
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    @property
    def percent(self) -> int:
        """How far through the files the job is, 0 to 100."""
        return 100 if not self.total else min(100, self.processed * 100 // self.total)
