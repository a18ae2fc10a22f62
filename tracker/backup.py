"""Backups: one tar.gz archive holding every table, every evidence file and a manifest.

The archive is database-neutral: rows are written as JSON lines, one file per table, in
foreign-key order, so a backup taken on SQLite restores into PostgreSQL and the other way
round. Settings are never written; the manifest only describes the archive. Evidence files
are stored under their SHA-256 and checked against it before they are placed.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import os
import re
import tarfile
import tempfile
import time as clock
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import IO, Any

from sqlalchemy import JSON, Connection, Engine, Integer, Table, func, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

from . import changes, migrate, models
from .models.stamps import ChangeStamp
from .storage import SHA_PATTERN, EvidenceStore

FORMAT = "cqc-assurance-tracker-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TABLES_PREFIX = "tables/"
FILES_PREFIX = "evidence/"
CHUNK = 1024 * 1024
INSERT_BATCH = 500
#: Table rows are gathered in memory up to this size, then on disk, before going into the archive.
SPOOL_BYTES = 4 * 1024 * 1024
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
Spool = tempfile.SpooledTemporaryFile[bytes]
TABLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class BackupError(Exception):
    """A backup cannot be written, or an archive cannot be restored; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class BackupSummary:
    """What a backup wrote."""

    path: Path
    created_at: datetime
    tables: dict[str, int]
    files: int
    file_bytes: int
    archive_bytes: int
    seconds: float

    @property
    def rows(self) -> int:
        """Rows across every table."""
        return sum(self.tables.values())


@dataclass(frozen=True)
class RestoreSummary:
    """What a restore put back (or, when only checking, what the archive holds)."""

    created_at: str
    tables: dict[str, int]
    files: int
    file_bytes: int
    removed_files: int = 0
    seconds: float = 0.0
    checked_only: bool = False

    @property
    def rows(self) -> int:
        """Rows across every table."""
        return sum(self.tables.values())


@dataclass
class _Manifest:
    created_at: str
    tables: list[dict[str, Any]]
    files: list[dict[str, Any]]
    members: dict[str, int] = field(default_factory=dict)


def tables() -> list[Table]:
    """Every table of the tracker, parents before children (change tokens are not data)."""
    return [t for t in SQLModel.metadata.sorted_tables if t.name != ChangeStamp.__tablename__]


# --- backup -------------------------------------------------------------------------------


def create_backup(
    engine: Engine, store: EvidenceStore, out_path: Path, now: datetime | None = None
) -> BackupSummary:
    """Write every table and evidence file to a new tar.gz at out_path, atomically."""
    started = clock.perf_counter()
    out_path = Path(out_path)
    if out_path.exists():
        raise BackupError(f"{out_path} already exists; choose another file name.")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    created = (now or datetime.now(UTC)).astimezone(UTC)
    mtime = int(created.timestamp())

    with ExitStack() as stack:
        spools, counts, referenced = _dump_tables(engine, stack)
        files = _list_files(store, referenced)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": created.isoformat(),
            "database": engine.dialect.name,
            "schema_revision": migrate.current(engine),
            "tables": [
                {"name": t.name, "columns": [c.name for c in t.columns], "rows": counts[t.name]}
                for t in tables()
            ],
            "files": [{"sha256": sha, "size": size} for sha, size in files],
        }
        _write_archive(out_path, manifest, spools, store, files, mtime)
    return BackupSummary(
        path=out_path,
        created_at=created,
        tables=counts,
        files=len(files),
        file_bytes=sum(size for _, size in files),
        archive_bytes=out_path.stat().st_size,
        seconds=clock.perf_counter() - started,
    )


def _write_archive(
    out_path: Path,
    manifest: dict[str, Any],
    spools: dict[str, Spool],
    store: EvidenceStore,
    files: list[tuple[str, int]],
    mtime: int,
) -> None:
    """Write the manifest, then the tables, then the files, to a temporary file; then rename."""
    # mkstemp creates the file readable by its owner only: the archive holds personal data.
    fd, partial = tempfile.mkstemp(dir=out_path.parent, prefix=".backup-", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
                body = json.dumps(manifest, indent=2).encode("utf-8")
                _add(tar, MANIFEST, len(body), _BytesReader(body), mtime)
                for table in tables():
                    spool = spools[table.name]
                    size = spool.tell()
                    spool.seek(0)
                    _add(tar, f"{TABLES_PREFIX}{table.name}.jsonl", size, spool, mtime)
                for sha, size in files:
                    _add_file(tar, store, sha, size, mtime)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, out_path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def _dump_tables(
    engine: Engine, stack: ExitStack
) -> tuple[dict[str, Spool], dict[str, int], set[str]]:
    """Every table as JSON lines, all read from one snapshot of the database."""
    spools: dict[str, Spool] = {}
    counts: dict[str, int] = {}
    referenced: set[str] = set()
    existing = set(inspect(engine).get_table_names())
    stored_file = models.StoredFile.__table__  # type: ignore[attr-defined]
    with _snapshot(engine) as conn:
        for table in tables():
            # Closed by the caller's ExitStack once the archive is written.
            spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b")  # noqa: SIM115
            stack.enter_context(spool)
            spools[table.name] = spool
            counts[table.name] = 0
            if table.name not in existing:
                continue
            names = [c.name for c in table.columns]
            query = select(table).order_by(*table.primary_key.columns)
            for row in conn.execution_options(yield_per=1000).execute(query):
                values = dict(zip(names, row, strict=True))
                spool.write(json.dumps([_plain(values[n]) for n in names]).encode())
                spool.write(b"\n")
                counts[table.name] += 1
                if table is stored_file:
                    referenced.add(values["sha256"])
    return spools, counts, referenced


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A read-only connection that sees the whole database as it was at one moment."""
    conn = engine.connect()
    try:
        if engine.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        elif engine.dialect.name == "sqlite":
            # The driver opens no transaction for reads; an explicit one pins a single
            # snapshot, so rows written during the backup cannot half-appear in it.
            conn.exec_driver_sql("BEGIN")
        yield conn
    finally:
        conn.rollback()
        conn.close()


def _list_files(store: EvidenceStore, referenced: set[str]) -> list[tuple[str, int]]:
    """Every file in the evidence store; refuses when a file a record uses is missing."""
    on_disk = store.stored_checksums()
    missing = sorted(referenced - on_disk)
    if missing:
        shown = ", ".join(missing[:3]) + (" …" if len(missing) > 3 else "")
        raise BackupError(
            f"{len(missing)} evidence file(s) used by records are missing from the evidence "
            f"store ({shown}); a backup without them could not be restored in full."
        )
    return [(sha, store.path_for(sha).stat().st_size) for sha in sorted(on_disk)]


def _add(tar: tarfile.TarFile, name: str, size: int, stream: Any, mtime: int) -> None:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = mtime
    info.mode = 0o600
    info.uname = info.gname = ""
    tar.addfile(info, stream)


def _add_file(tar: tarfile.TarFile, store: EvidenceStore, sha: str, size: int, mtime: int) -> None:
    """Stream one evidence file into the archive, checking it still matches its name."""
    try:
        fh = store.path_for(sha).open("rb")
    except FileNotFoundError:
        raise BackupError(
            f"Evidence file {sha} was removed while the backup ran; run the backup again."
        ) from None
    with fh:
        reader = _HashingReader(fh)
        _add(tar, f"{FILES_PREFIX}{sha}", size, reader, mtime)
    if reader.digest.hexdigest() != sha:
        raise BackupError(
            f"Evidence file {sha} no longer matches its checksum: the evidence store is damaged."
        )


class _HashingReader:
    """A read-only stream that hashes what passes through it."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.digest.update(data)
        return data


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.pos + size
        chunk = self.data[self.pos : end]
        self.pos += len(chunk)
        return chunk


def _plain(value: Any) -> Any:
    """A column value as JSON: enums by value, dates and times in ISO 8601."""
    if value is None or isinstance(value, bool | int | float | dict | list):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return value


# --- restore ------------------------------------------------------------------------------


def check_backup(archive: Path) -> RestoreSummary:
    """Read a whole archive and check it (members, format version, checksums); change nothing."""
    started = clock.perf_counter()
    manifest = _check_archive(Path(archive))
    return _summary(manifest, seconds=clock.perf_counter() - started, checked_only=True)


def database_rows(engine: Engine) -> dict[str, int]:
    """Rows in each of the tracker's tables that exist and are not empty."""
    existing = set(inspect(engine).get_table_names())
    found: dict[str, int] = {}
    with engine.connect() as conn:
        for table in tables():
            if table.name in existing:
                rows = conn.execute(select(func.count()).select_from(table)).scalar_one()
                if rows:
                    found[table.name] = rows
    return found


def restore_backup(
    engine: Engine, store: EvidenceStore, archive: Path, replace: bool = False
) -> RestoreSummary:
    """Put back every row and file of an archive; refuses a non-empty database unless replace."""
    started = clock.perf_counter()
    archive = Path(archive)
    manifest = _check_archive(archive)
    try:
        migrate.upgrade(engine)
    except RuntimeError as error:
        raise BackupError(str(error)) from None
    _check_tables_exist(engine, manifest)
    if not replace:
        held = database_rows(engine)
        if held:
            shown = ", ".join(f"{name} ({rows})" for name, rows in list(held.items())[:5])
            raise BackupError(
                f"The database is not empty: {shown}. Restore into an empty database, or add "
                "--replace to delete everything in it first."
            )
    by_name = {t.name: t for t in tables()}
    entries = {entry["name"]: entry for entry in manifest.tables}
    wanted = {f["sha256"] for f in manifest.files}
    placed: list[str] = []
    try:
        with engine.begin() as conn:
            if replace:
                for table in reversed(tables()):
                    conn.execute(table.delete())
            with _open_tar(archive) as tar:
                for member in tar:
                    name = _safe_name(member)
                    if name != MANIFEST and name not in manifest.members:
                        raise BackupError(f"The archive holds an unexpected member: {name}.")
                    stream = tar.extractfile(member)
                    assert stream is not None
                    if name.startswith(TABLES_PREFIX):
                        entry = entries[name[len(TABLES_PREFIX) : -len(".jsonl")]]
                        table = by_name[entry["name"]]
                        try:
                            loaded = _load_table(conn, table, entry["columns"], stream)
                        except (ValueError, TypeError, LookupError, SQLAlchemyError) as error:
                            # The first line names the problem; the rest would echo row values.
                            reason = str(error).splitlines()[0]
                            raise BackupError(
                                f"Table {table.name} could not be restored ({reason}); "
                                "nothing was restored."
                            ) from None
                        if loaded != entry["rows"]:
                            raise BackupError(
                                f"Table {table.name} holds {loaded} row(s) in the archive but "
                                f"its manifest says {entry['rows']}; the archive is damaged."
                            )
                    elif name.startswith(FILES_PREFIX):
                        sha = name[len(FILES_PREFIX) :]
                        if _place_file(store, sha, member.size, stream):
                            placed.append(sha)
            if conn.dialect.name == "postgresql":
                _reset_sequences(conn)
            # Nothing kept from before the restore may pass for current.
            changes.stamp_all(conn)
    except BaseException:
        for sha in placed:
            store.delete(sha)
        raise
    removed = 0
    if replace:
        # The replaced records are gone; files only they used would otherwise linger.
        for sha in store.stored_checksums() - wanted:
            store.delete(sha)
            removed += 1
    return _summary(manifest, removed, clock.perf_counter() - started)


def _check_tables_exist(engine: Engine, manifest: _Manifest) -> None:
    existing = set(inspect(engine).get_table_names())
    absent = [t["name"] for t in manifest.tables if t["name"] not in existing]
    if absent:
        raise BackupError(
            f"The database has no table {absent[0]} after its migrations ran; "
            "this version of the tracker cannot hold the archive's records."
        )


def _summary(
    manifest: _Manifest, removed: int = 0, seconds: float = 0.0, checked_only: bool = False
) -> RestoreSummary:
    return RestoreSummary(
        created_at=manifest.created_at,
        tables={t["name"]: t["rows"] for t in manifest.tables},
        files=len(manifest.files),
        file_bytes=sum(f["size"] for f in manifest.files),
        removed_files=removed,
        seconds=seconds,
        checked_only=checked_only,
    )


def _open_tar(archive: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(archive, mode="r|gz")
    except FileNotFoundError:
        raise BackupError(f"{archive} does not exist.") from None
    except (tarfile.TarError, OSError, EOFError):
        raise BackupError(
            f"{archive} is not a tracker backup (it is not a tar.gz archive)."
        ) from None


def _check_archive(archive: Path) -> _Manifest:
    """Check every member once before anything is written: names, manifest, sizes, checksums."""
    manifest: _Manifest | None = None
    seen: set[str] = set()
    try:
        with _open_tar(archive) as tar:
            for member in tar:
                name = _safe_name(member)
                if name in seen:
                    raise BackupError(f"The archive holds {name} twice.")
                seen.add(name)
                if manifest is None:
                    if name != MANIFEST:
                        raise BackupError(
                            f"The archive does not start with {MANIFEST}; it is not a tracker "
                            "backup."
                        )
                    manifest = _read_manifest(tar, member)
                    continue
                expected = manifest.members.get(name)
                if expected is None:
                    raise BackupError(f"The archive holds an unexpected member: {name}.")
                if member.size != expected and name.startswith(FILES_PREFIX):
                    raise BackupError(f"Evidence file {name} has the wrong size.")
                if name.startswith(FILES_PREFIX):
                    stream = tar.extractfile(member)
                    assert stream is not None
                    _check_checksum(name[len(FILES_PREFIX) :], stream)
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BackupError(f"{archive} cannot be read in full ({error}).") from None
    if manifest is None:
        raise BackupError(f"{archive} is empty; it is not a tracker backup.")
    absent = sorted(set(manifest.members) - seen)
    if absent:
        raise BackupError(
            f"The archive is incomplete: {len(absent)} member(s) missing, such as {absent[0]}."
        )
    return manifest


def _safe_name(member: tarfile.TarInfo) -> str:
    name = member.name
    parts = PurePosixPath(name).parts
    if name.startswith(("/", "\\")) or ".." in parts or "\\" in name or ":" in name:
        raise BackupError(f"The archive holds an unsafe path: {name!r}. Nothing was restored.")
    if not member.isreg():
        raise BackupError(f"The archive holds {name!r}, which is not a plain file.")
    return name


def _read_manifest(tar: tarfile.TarFile, member: tarfile.TarInfo) -> _Manifest:
    if member.size > MAX_MANIFEST_BYTES:
        raise BackupError("The archive's manifest is too large to be a tracker manifest.")
    stream = tar.extractfile(member)
    assert stream is not None
    try:
        data = json.loads(stream.read().decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BackupError(f"The archive's {MANIFEST} is not valid JSON.") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError("The archive is not a tracker backup (its manifest names no format).")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise BackupError(
            f"The archive is backup format version {version}; this version of the tracker "
            f"restores format version {FORMAT_VERSION} only."
        )
    try:
        manifest = _Manifest(
            created_at=str(data["created_at"]),
            tables=list(data["tables"]),
            files=list(data["files"]),
        )
        _check_schema(manifest.tables)
        for entry in manifest.tables:
            manifest.members[f"{TABLES_PREFIX}{entry['name']}.jsonl"] = -1
        for entry in manifest.files:
            sha, size = entry["sha256"], int(entry["size"])
            if not isinstance(sha, str) or not SHA_PATTERN.match(sha):
                raise BackupError(f"The manifest lists a file that is not a checksum: {sha!r}.")
            manifest.members[f"{FILES_PREFIX}{sha}"] = size
    except (KeyError, TypeError, ValueError):
        raise BackupError(f"The archive's {MANIFEST} is incomplete or malformed.") from None
    return manifest


def _check_schema(entries: list[dict[str, Any]]) -> None:
    """Every table and column in the archive must exist in this version's schema."""
    by_name = {t.name: t for t in tables()}
    for entry in entries:
        name = entry["name"]
        if not isinstance(name, str) or not TABLE_NAME.match(name):
            raise BackupError(f"The manifest names a table that is not allowed: {name!r}.")
        table = by_name.get(name)
        if table is None:
            raise BackupError(
                f"The archive holds table {name}, which this version of the tracker does not "
                "have; restore it with the version that made it."
            )
        unknown = [c for c in entry["columns"] if c not in table.columns]
        if unknown:
            raise BackupError(
                f"The archive's table {name} has column(s) this version does not have: "
                f"{', '.join(map(str, unknown))}."
            )
        int(entry["rows"])


def _check_checksum(sha: str, stream: IO[bytes]) -> None:
    digest = hashlib.sha256()
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
    if digest.hexdigest() != sha:
        raise BackupError(
            f"Evidence file {sha} does not match its checksum; the archive has been altered "
            "or damaged. Nothing was restored."
        )


def _load_table(conn: Connection, table: Table, columns: list[str], stream: IO[bytes]) -> int:
    decoders = [_decoder(table, name) for name in columns]
    batch: list[dict[str, Any]] = []
    loaded = 0
    for line in _lines(stream):
        loaded += 1
        values = json.loads(line)
        if len(values) != len(columns):
            raise BackupError(f"A row of table {table.name} has the wrong number of values.")
        batch.append(
            {name: decode(v) for name, decode, v in zip(columns, decoders, values, strict=True)}
        )
        if len(batch) >= INSERT_BATCH:
            conn.execute(table.insert(), batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)
    return loaded


def _lines(stream: IO[bytes]) -> Iterator[bytes]:
    for line in stream:
        if line.strip():
            yield line


def _decoder(table: Table, name: str) -> Callable[[Any], Any]:
    """Turn a JSON value back into what the column expects, by the column's Python type."""
    column_type: Any = table.columns[name].type
    while isinstance(column_type, TypeDecorator):
        # Decorated types (SQLModel's aware datetimes, for one) bind what their base type takes.
        column_type = column_type.impl_instance
    if isinstance(column_type, JSON):
        return _same
    try:
        python_type = column_type.python_type
    except NotImplementedError:
        return _same
    convert: Callable[[Any], Any]
    if python_type is datetime:
        convert = datetime.fromisoformat
    elif python_type is date:
        convert = date.fromisoformat
    elif python_type is time:
        convert = time.fromisoformat
    elif python_type is bytes:
        convert = base64.b64decode
    elif python_type is timedelta:
        convert = _seconds
    elif python_type in (Decimal, uuid.UUID) or (
        isinstance(python_type, type) and issubclass(python_type, enum.Enum)
    ):
        convert = python_type
    else:
        return _same
    return lambda value: None if value is None else convert(value)


def _same(value: Any) -> Any:
    return value


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


def _place_file(store: EvidenceStore, sha: str, size: int, stream: IO[bytes]) -> bool:
    """Stage a file, check its checksum against its name, then keep it; True if it was new."""
    staged = store.stage(stream, max_bytes=size)
    if staged.sha256 != sha:
        store.discard(staged)
        raise BackupError(
            f"Evidence file {sha} does not match its checksum; the archive has been altered "
            "or damaged. Nothing was restored."
        )
    new = not store.exists(sha)
    store.keep(staged)
    return new


def _reset_sequences(conn: Connection) -> None:
    """Move each id sequence past the restored rows, so new rows get fresh ids."""
    quote = conn.dialect.identifier_preparer
    for table in tables():
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        column = keys[0].name
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column), "
                f"COALESCE(MAX({quote.quote(column)}), 0) + 1, false) "
                f"FROM {quote.format_table(table)}"
            ),
            {"table": quote.format_table(table), "column": column},
        )
