"""Bulk import: a zip file or folder whose top-level folders name IR items ("IR 05 - ...").

Checking (`plan_zip`, `plan_folder`) is cheap and refuses hostile archives before anything is
read. Running (`run_job`) happens outside any request, in a thread or a command, with its own
database session: it stores, links and indexes one file at a time and records its progress on
the job row, so whichever worker serves the progress page can report it.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any, Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from .. import ingest
from ..models import EvidenceItem, User, utcnow
from ..models.imports import ImportJob, ImportStatus
from ..storage import EvidenceStore
from . import Invalid, NotFound
from .audit import record
from .documents import upload_documents

log = logging.getLogger(__name__)

MIB = 1024 * 1024
MAX_ENTRIES = 5000
MAX_TOTAL_BYTES = 4096 * MIB
MAX_RATIO = 200.0
RATIO_MIN_MEMBER = MIB
# Documents indexed per index commit: each commit costs tens of milliseconds on a big index.
INDEX_BATCH = 25
NESTED_ARCHIVES = (".zip", ".7z", ".rar", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".cab", ".iso")
_IGNORED_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}
_FOLDER_NUMBER = re.compile(r"^\s*(?:IR[\s._-]*)?0*(\d{1,3})(?:\s|[-_.:,)]|$)", re.IGNORECASE)


class Indexer(Protocol):
    """What the job needs from the search index (kept narrow so services never see Whoosh)."""

    def sync(
        self, session: Session, documents: Any = (), entries: Any = (), items: Any = ()
    ) -> Any:
        """Re-index these records."""


@dataclass(frozen=True)
class PlannedFile:
    """One file to import: where it is in the source and the IR item number it goes under."""

    path: str
    item_number: int


@dataclass
class Plan:
    """What an import will do: files to import and files it will skip, with reasons."""

    files: list[PlannedFile] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)

    def skip(self, path: str, reason: str) -> None:
        """Record a file that will not be imported."""
        self.skipped.append({"path": path, "reason": reason})


def item_number_from_folder(name: str) -> int | None:
    """The IR number a folder names: "IR 05 - Waiting lists", "05" and "IR5" all give 5."""
    match = _FOLDER_NUMBER.match(name)
    if not match:
        return None
    number = int(match.group(1))
    return number if number > 0 else None


def _classify(plan: Plan, path: str, known: set[int]) -> None:
    """Add one file path (posix, relative) to the plan or to its skipped list."""
    parts = PurePosixPath(path).parts
    name = parts[-1]
    if name.lower() in _IGNORED_NAMES or name.startswith("._") or "__MACOSX" in parts:
        return
    if name.lower().endswith(NESTED_ARCHIVES):
        plan.skip(path, "archives inside the import are not opened; import them separately")
        return
    if len(parts) < 2:
        plan.skip(path, "not in a folder named after an IR item")
        return
    number = item_number_from_folder(parts[0])
    if number is None:
        plan.skip(path, f"the folder “{parts[0]}” does not name an IR item (for example IR 05)")
    elif number not in known:
        plan.skip(path, f"there is no IR {number}; add the item first")
    else:
        plan.files.append(PlannedFile(path, number))


def _unsafe_reason(name: str) -> str | None:
    """Why a member name must not be used as a path, if it must not."""
    if "\x00" in name:
        return "the name contains a null character"
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "absolute paths are not allowed"
    parts = re.split(r"[\\/]", name)
    if any(part == ".." for part in parts):
        return "paths that climb out of the folder (..) are not allowed"
    return None


def _known_numbers(session: Session) -> set[int]:
    return set(session.exec(select(EvidenceItem.number)))


def plan_zip(session: Session, path: Path) -> Plan:
    """Check a zip file and list what it would import; raise Invalid if it must be refused whole."""
    count = ingest.limits.zip_entry_count(path)
    if count is None:
        raise Invalid("The file is not a zip file, or it is damaged.", field="archive")
    if count > MAX_ENTRIES:
        raise Invalid(
            f"The zip file has {count:,} entries; the limit is {MAX_ENTRIES:,}.", field="archive"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise Invalid("The file is not a zip file, or it is damaged.", field="archive") from exc
    total = 0
    for member in members:
        reason = _unsafe_reason(member.filename)
        if reason:
            raise Invalid(f"The zip file was refused: {member.filename!r}: {reason}.", "archive")
        mode = member.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise Invalid(
                f"The zip file was refused: {member.filename!r} is a symbolic link.", "archive"
            )
        if member.flag_bits & 0x1:
            raise Invalid("The zip file is password-protected. Remove the password.", "archive")
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_MIN_MEMBER and ratio > MAX_RATIO:
            raise Invalid(
                f"The zip file looks like a zip bomb: {member.filename!r} would expand "
                f"{ratio:,.0f} times.",
                "archive",
            )
    if total > MAX_TOTAL_BYTES:
        raise Invalid(
            f"The zip file looks like a zip bomb: it would expand to {total // MIB:,} MB.",
            "archive",
        )
    plan = Plan()
    known = _known_numbers(session)
    for member in members:
        if member.is_dir():
            continue
        _classify(plan, member.filename.replace("\\", "/"), known)
    return plan


def plan_folder(session: Session, root: Path) -> Plan:
    """List what a folder would import; symbolic links are skipped, never followed."""
    root = Path(root)
    if not root.is_dir():
        raise Invalid(f"{root.name} is not a folder.", field="path")
    plan = Plan()
    known = _known_numbers(session)
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        for name in sorted(dirnames):
            if (here / name).is_symlink():
                plan.skip(
                    (here / name).relative_to(root).as_posix(), "symbolic links are not followed"
                )
        dirnames[:] = sorted(d for d in dirnames if not (here / d).is_symlink())
        for name in sorted(filenames):
            full = here / name
            relative = full.relative_to(root).as_posix()
            if full.is_symlink():
                plan.skip(relative, "symbolic links are not followed")
            elif not full.is_file():
                plan.skip(relative, "not a regular file")
            else:
                _classify(plan, relative, known)
    return plan


def plan_source(session: Session, source: Path) -> Plan:
    """Plan a zip file or a folder."""
    return plan_folder(session, source) if Path(source).is_dir() else plan_zip(session, source)


def create_job(session: Session, source_name: str, plan: Plan, actor: User | None) -> ImportJob:
    """Record a new import job with its plan's counts and skipped files."""
    job = ImportJob(
        source_name=source_name[:255],
        total=len(plan.files),
        skipped=list(plan.skipped),
        created_by_id=actor.id if actor else None,
    )
    session.add(job)
    session.flush()
    record(session, actor, "create", job, {"files": [None, len(plan.files)]}, label=source_name)
    return job


def get_job(session: Session, job_id: int) -> ImportJob:
    """An import job by id."""
    job = session.get(ImportJob, job_id)
    if job is None:
        raise NotFound("There is no such import")
    return job


def recent_jobs(session: Session, limit: int = 10) -> list[ImportJob]:
    """The newest import jobs."""
    query = select(ImportJob).order_by(ImportJob.id.desc()).limit(limit)  # type: ignore[union-attr]
    return list(session.exec(query))


@contextmanager
def _opener(source: Path) -> Iterator[Callable[[str], IO[bytes]]]:
    if Path(source).is_dir():
        root = Path(source)

        def open_file(path: str) -> IO[bytes]:
            full = root / path
            # Refuse a link swapped in after planning.
            if full.is_symlink():
                raise OSError("symbolic link")
            return open(full, "rb")

        yield open_file
        return
    with zipfile.ZipFile(source) as archive:
        yield lambda path: archive.open(path)


def run_job(
    engine: Engine,
    store: EvidenceStore,
    indexer: Indexer | None,
    job_id: int,
    source: Path,
    limits: ingest.Limits,
    on_progress: Callable[[ImportJob], None] | None = None,
) -> None:
    """Import every planned file of a job, committing each file and indexing them in batches."""
    with Session(engine) as session:
        job = get_job(session, job_id)
        actor = session.get(User, job.created_by_id) if job.created_by_id else None
        job.status, job.started_at = ImportStatus.RUNNING, utcnow()
        session.commit()
        try:
            plan = plan_source(session, source)
            items = {i.number: i.id for i in session.exec(select(EvidenceItem))}
            job.total = len(plan.files)
            skipped = list(job.skipped)
            pending: list[int] = []
            with _opener(source) as open_file:
                for planned in plan.files:
                    _import_one(
                        session,
                        store,
                        indexer,
                        job,
                        planned,
                        items,
                        actor,
                        limits,
                        open_file,
                        skipped,
                        pending,
                    )
                    if indexer is not None and len(pending) >= INDEX_BATCH:
                        indexer.sync(session, documents=pending)
                        pending.clear()
                    if on_progress is not None:
                        on_progress(job)
            if indexer is not None and pending:
                indexer.sync(session, documents=pending)
            job.status = ImportStatus.DONE
        except Exception as exc:
            log.exception("import job %s stopped", job_id)
            session.rollback()
            job = get_job(session, job_id)
            job.status = ImportStatus.FAILED
            job.error = (getattr(exc, "message", None) or "The import stopped unexpectedly.")[:500]
        job.finished_at = utcnow()
        session.commit()


def _import_one(
    session: Session,
    store: EvidenceStore,
    indexer: Indexer | None,
    job: ImportJob,
    planned: PlannedFile,
    items: dict[int, int | None],
    actor: User | None,
    limits: ingest.Limits,
    open_file: Callable[[str], IO[bytes]],
    skipped: list[dict[str, Any]],
    pending: list[int],
) -> None:
    name = PurePosixPath(planned.path).name
    try:
        with open_file(planned.path) as stream:
            outcome = upload_documents(
                session,
                store,
                [(name, stream)],
                [items[planned.item_number] or 0],
                actor,
                limits,
            )[0]
    except (OSError, zipfile.BadZipFile, RuntimeError, EOFError) as exc:
        log.info("import of %s failed: %s", planned.path, exc)
        session.rollback()
        outcome = None
    job = get_job(session, job.id or 0)
    job.processed += 1
    if outcome is None:
        skipped.append({"path": planned.path, "reason": "the file could not be read"})
    elif outcome.status == "created":
        job.created += 1
    elif outcome.status == "duplicate":
        job.duplicates += 1
    else:
        skipped.append({"path": planned.path, "reason": outcome.message})
    job.skipped = list(skipped)
    session.commit()
    if outcome is not None and outcome.document is not None and outcome.document.id:
        pending.append(outcome.document.id)
