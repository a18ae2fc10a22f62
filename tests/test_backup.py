"""Backup and restore: the demo council survives a round trip; bad archives are refused."""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, make_url, select, text
from sqlmodel import Session

from tests import factories
from tests.conftest import make_settings
from tracker import backup, create_app, db, demo
from tracker.models import Role
from tracker.services import accounts
from tracker.storage import EvidenceStore, store_for

Members = list[tuple[tarfile.TarInfo, bytes]]


@pytest.fixture(scope="module")
def database_urls() -> Iterator[Callable[[], str]]:
    """New empty databases: a SQLite file per instance, or a new database on the test server."""
    server = os.environ.get("TEST_DATABASE_URL")
    made: list[str] = []

    def new() -> str:
        if not server:
            return ""
        name = f"tracker_backup_{uuid.uuid4().hex[:10]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return make_url(server).set(database=name).render_as_string(hide_password=False)

    admin = create_engine(server, isolation_level="AUTOCOMMIT") if server else None
    yield new
    if admin is not None:
        with admin.connect() as connection:
            for name in made:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def council(
    tmp_path_factory: pytest.TempPathFactory, database_urls: Callable[[], str]
) -> Iterator[tuple[Flask, Path]]:
    """Instance A holding the demo council, and a backup of it made with `flask backup`."""
    folder = tmp_path_factory.mktemp("council")
    app = create_app(make_settings(folder, database_url=database_urls()))
    db.create_all(app)
    with db.session_scope(app) as session:
        demo.load(session, app)
    archive = folder / "council.tar.gz"
    result = app.test_cli_runner().invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert f"Backup written to {archive}" in result.output
    yield app, archive
    db.engine_for(app).dispose()


@pytest.fixture
def empty_instance(tmp_path: Path, database_urls: Callable[[], str]) -> Iterator[Flask]:
    """Instance B: a new app on an empty database and an empty evidence store."""
    app = create_app(make_settings(tmp_path / "b", database_url=database_urls()))
    yield app
    db.engine_for(app).dispose()


def table_rows(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, all columns, in primary-key order."""
    rows = {}
    with db.engine_for(app).connect() as connection:
        for table in backup.tables():
            query = select(table).order_by(*table.primary_key.columns)
            rows[table.name] = [tuple(row) for row in connection.execute(query)]
    return rows


def stored_files(store: EvidenceStore) -> dict[str, bytes]:
    return {sha: store.path_for(sha).read_bytes() for sha in store.stored_checksums()}


def restore(app: Flask, archive: Path, *extra: str) -> Any:
    return app.test_cli_runner().invoke(args=["restore", str(archive), *extra])


def read_members(archive: Path) -> Members:
    members = []
    with tarfile.open(archive, "r:gz") as tar:
        for info in tar.getmembers():
            stream = tar.extractfile(info)
            members.append((info, stream.read() if stream else b""))
    return members


def write_members(path: Path, members: Members) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def member(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


def assert_untouched(app: Flask) -> None:
    """Nothing of a refused archive reached the target's database or evidence store."""
    assert backup.database_rows(db.engine_for(app)) == {}
    assert store_for(app).stored_checksums() == set()


def test_restore_into_an_empty_instance_reproduces_every_record_and_file(
    council: tuple[Flask, Path], empty_instance: Flask
) -> None:
    source, archive = council
    result = restore(empty_instance, archive)
    assert result.exit_code == 0, result.output
    assert "flask reindex" in result.output

    expected, restored = table_rows(source), table_rows(empty_instance)
    assert set(restored) == {t.name for t in backup.tables()}
    for name, rows in expected.items():
        assert restored[name] == rows, f"table {name} differs after restore"
    # The comparison covers the demo council, not a handful of rows.
    assert len(restored["document"]) == 60
    assert len(restored["documentversion"]) == 67
    assert len(restored["auditevent"]) > 0

    source_files = stored_files(store_for(source))
    assert len(source_files) == 67
    assert stored_files(store_for(empty_instance)) == source_files

    # New rows get fresh ids (the id sequences moved past the restored rows on PostgreSQL).
    highest = max(row[0] for row in restored["user"])
    with Session(db.engine_for(empty_instance)) as session:
        user = accounts.create_user(
            session, "new@dunmere.example", "New Person", Role.STAFF, "a-long-password"
        )
        session.commit()
        assert user.id is not None and user.id > highest


def test_the_archive_holds_a_manifest_and_no_settings(council: tuple[Flask, Path]) -> None:
    source, archive = council
    members = read_members(archive)
    assert members[0][0].name == backup.MANIFEST
    manifest = json.loads(members[0][1])
    assert manifest["format_version"] == backup.FORMAT_VERSION
    assert [t["name"] for t in manifest["tables"]] == [t.name for t in backup.tables()]
    counts = {t["name"]: t["rows"] for t in manifest["tables"]}
    assert counts["evidenceitem"] == 38 and counts["entry"] == 41
    assert len(manifest["files"]) == 67
    names = {m.name for m, _ in members}
    assert {f"evidence/{f['sha256']}" for f in manifest["files"]} <= names
    # No setting reaches the archive: not the secret, nor the database address or folders.
    settings = source.config["SETTINGS"]
    raw = gzip.decompress(archive.read_bytes())
    for secret in (settings.secret_key, settings.database_url, str(settings.instance_dir)):
        assert secret.encode() not in raw
    assert oct(archive.stat().st_mode & 0o777) == "0o600"


def test_backup_without_a_path_writes_under_instance_backups(
    app: Flask, session: Session, store: EvidenceStore, tmp_path: Path
) -> None:
    actor = factories.user(session)
    factories.document(session, store, actor, tmp_path, text="Carers' strategy")
    session.commit()
    result = app.test_cli_runner().invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    written = list((app.config["SETTINGS"].instance_dir / "backups").glob("*.tar.gz"))
    assert len(written) == 1 and written[0].name.startswith("tracker-backup-")
    assert str(written[0]) in result.output
    assert "1 evidence file(s)" in result.output
    # No partial file is left beside it.
    assert [p.name for p in written[0].parent.iterdir()] == [written[0].name]
    check = restore(app, written[0], "--check")
    assert check.exit_code == 0, check.output
    assert "nothing was changed" in check.output


def test_backup_refuses_to_overwrite(council: tuple[Flask, Path]) -> None:
    source, archive = council
    before = archive.read_bytes()
    result = source.test_cli_runner().invoke(args=["backup", str(archive)])
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert archive.read_bytes() == before


def test_restore_refuses_a_database_that_is_not_empty(
    council: tuple[Flask, Path],
    app: Flask,
    session: Session,
    store: EvidenceStore,
    tmp_path: Path,
) -> None:
    source, archive = council
    actor = factories.user(session)
    doc = factories.document(session, store, actor, tmp_path, text="Old local plan")
    session.commit()
    old_sha = doc.versions[0].stored_file.sha256
    refused = restore(app, archive)
    assert refused.exit_code != 0
    assert "not empty" in refused.output and "--replace" in refused.output
    assert len(table_rows(app)["document"]) == 1

    replaced = restore(app, archive, "--replace")
    assert replaced.exit_code == 0, replaced.output
    assert table_rows(app) == table_rows(source)
    # The replaced record's file went with it; the council's files are all there.
    assert stored_files(store) == stored_files(store_for(source))
    assert old_sha not in store.stored_checksums()


def test_restore_refuses_path_traversal(
    council: tuple[Flask, Path], empty_instance: Flask, tmp_path: Path
) -> None:
    members = read_members(council[1])
    target = tmp_path / "escaped.txt"
    for name in ("../escaped.txt", "evidence/../../escaped.txt", str(target)):
        bad = write_members(tmp_path / "traversal.tar.gz", [*members, member(name, b"x")])
        result = restore(empty_instance, bad)
        assert result.exit_code != 0
        assert "unsafe path" in result.output, result.output
    assert not target.exists()
    assert_untouched(empty_instance)


def test_restore_refuses_unexpected_members_and_links(
    council: tuple[Flask, Path], empty_instance: Flask, tmp_path: Path
) -> None:
    members = read_members(council[1])
    extra = write_members(tmp_path / "extra.tar.gz", [*members, member("notes.txt", b"hi")])
    result = restore(empty_instance, extra)
    assert result.exit_code != 0
    assert "unexpected member: notes.txt" in result.output

    link = tarfile.TarInfo("evidence/link")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/passwd"
    linked = write_members(tmp_path / "link.tar.gz", [*members, (link, b"")])
    result = restore(empty_instance, linked)
    assert result.exit_code != 0
    assert "not a plain file" in result.output

    # A file the manifest lists but the archive lacks is refused as well.
    short = write_members(tmp_path / "short.tar.gz", members[:-1])
    result = restore(empty_instance, short)
    assert result.exit_code != 0
    assert "incomplete" in result.output
    assert_untouched(empty_instance)


def test_restore_refuses_a_tampered_file(
    council: tuple[Flask, Path], empty_instance: Flask, tmp_path: Path
) -> None:
    members = read_members(council[1])
    position = next(i for i, (m, _) in enumerate(members) if m.name.startswith("evidence/"))
    info, data = members[position]
    members[position] = (info, data[:-1] + bytes([data[-1] ^ 0xFF]))
    tampered = write_members(tmp_path / "tampered.tar.gz", members)

    result = restore(empty_instance, tampered)
    assert result.exit_code != 0
    assert "does not match its checksum" in result.output
    assert info.name.removeprefix("evidence/") in result.output
    assert_untouched(empty_instance)
    assert restore(empty_instance, tampered, "--check").exit_code != 0


def test_restore_refuses_another_format_version(
    council: tuple[Flask, Path], empty_instance: Flask, tmp_path: Path
) -> None:
    members = read_members(council[1])
    manifest = json.loads(members[0][1])
    manifest["format_version"] = backup.FORMAT_VERSION + 1
    members[0] = (members[0][0], json.dumps(manifest).encode())
    newer = write_members(tmp_path / "newer.tar.gz", members)
    result = restore(empty_instance, newer)
    assert result.exit_code != 0
    assert f"format version {backup.FORMAT_VERSION + 1}" in result.output
    assert f"restores format version {backup.FORMAT_VERSION} only" in result.output
    assert_untouched(empty_instance)


def test_restore_refuses_a_file_that_is_not_a_backup(empty_instance: Flask, tmp_path: Path) -> None:
    not_tar = tmp_path / "notes.tar.gz"
    not_tar.write_bytes(b"these are meeting notes, not a backup")
    result = restore(empty_instance, not_tar)
    assert result.exit_code != 0
    assert "not a tar.gz archive" in result.output
    no_manifest = write_members(tmp_path / "plain.tar.gz", [member("readme.txt", b"hello")])
    result = restore(empty_instance, no_manifest)
    assert result.exit_code != 0
    assert "does not start with manifest.json" in result.output


def test_restore_rolls_back_when_a_table_is_damaged(
    council: tuple[Flask, Path], empty_instance: Flask, tmp_path: Path
) -> None:
    members = read_members(council[1])
    position = next(i for i, (m, _) in enumerate(members) if m.name == "tables/action.jsonl")
    rows = [json.loads(line) for line in members[position][1].splitlines()]
    tables = json.loads(members[0][1])["tables"]
    columns = next(t["columns"] for t in tables if t["name"] == "action")
    rows[-1][columns.index("due_date")] = "the end of March"
    body = b"".join(json.dumps(row).encode() + b"\n" for row in rows)
    members[position] = (members[position][0], body)
    damaged = write_members(tmp_path / "damaged.tar.gz", members)

    result = restore(empty_instance, damaged)
    assert result.exit_code != 0
    assert "Table action could not be restored" in result.output
    # Tables restored before it were rolled back and no evidence file was kept.
    assert_untouched(empty_instance)
