"""Checks that the database and the evidence store agree, and tidies what a crash leaves."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, select

from ..models import StoredFile
from ..storage import EvidenceStore

# A file younger than this may belong to an upload that has not committed yet: leave it.
DEFAULT_GRACE_SECONDS = 3600


@dataclass
class StoreReport:
    """Where the evidence store and the database disagree."""

    orphan_files: list[str] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)
    stale_staged: list[Path] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """Whether nothing is out of place."""
        return not (self.orphan_files or self.missing_files or self.stale_staged)


def check_store(
    session: Session, store: EvidenceStore, grace_seconds: float = DEFAULT_GRACE_SECONDS
) -> StoreReport:
    """Compare files on disk with StoredFile rows; recent files are given time to commit."""
    known = set(session.exec(select(StoredFile.sha256)))
    on_disk = store.stored_checksums()
    report = StoreReport()
    for sha in sorted(on_disk - known):
        if store.age_seconds(store.path_for(sha)) >= grace_seconds:
            report.orphan_files.append(sha)
    report.missing_files = sorted(known - on_disk)
    report.stale_staged = [p for p in store.staged_files() if store.age_seconds(p) >= grace_seconds]
    return report


def repair_store(store: EvidenceStore, report: StoreReport) -> int:
    """Remove orphan files and stale staged files; returns how many were removed.

    Missing files cannot be repaired here: they need restoring from a backup.
    """
    for sha in report.orphan_files:
        store.delete(sha)
    for path in report.stale_staged:
        path.unlink(missing_ok=True)
    return len(report.orphan_files) + len(report.stale_staged)
