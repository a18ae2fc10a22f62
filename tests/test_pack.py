"""The IR submission pack: folders per item, exact file bytes, manifests and safe names."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
from sqlmodel import Session

from tests.export_factories import council
from tracker import pack
from tracker.storage import EvidenceStore

MADE = datetime(2025, 3, 5, 14, 30, tzinfo=UTC)


def _zip(session: Session, store: EvidenceStore) -> tuple[list[pack.PackFile], zipfile.ZipFile]:
    files = pack.plan(session, store.path_for)
    out = io.BytesIO()
    pack.write(files, out, MADE, "read me")
    return files, zipfile.ZipFile(io.BytesIO(out.getvalue()))


def test_folder_per_item_with_the_current_files(
    session: Session, store: EvidenceStore, tmp_path: Path
) -> None:
    made = council(session, store, tmp_path)
    session.flush()
    files, archive = _zip(session, store)
    names = archive.namelist()
    assert names[:3] == ["README.txt", "manifest.csv", "manifest.xlsx"]
    assert sorted(names[3:]) == [
        "IR 05 - Waiting lists for assessments/audit.pdf",
        "IR 05 - Waiting lists for assessments/waiting-well.pdf",
        "IR 28 - Safeguarding processes/audit.pdf",
    ]
    audit = made["documents"][1]
    expected = store.path_for(audit.current.stored_file.sha256).read_bytes()
    assert archive.read("IR 28 - Safeguarding processes/audit.pdf") == expected
    assert archive.testzip() is None


def test_manifests_list_every_file_with_its_checksum(
    session: Session, store: EvidenceStore, tmp_path: Path
) -> None:
    council(session, store, tmp_path)
    session.flush()
    files, archive = _zip(session, store)
    rows = list(csv.reader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
    assert rows[0] == list(pack.MANIFEST_HEADINGS)
    assert len(rows) == 1 + len(files) == 4
    for row in rows[1:]:
        data = archive.read(row[3])
        assert hashlib.sha256(data).hexdigest() == row[4]
        assert row[5] == "1"
    assert {r[0] for r in rows[1:]} == {"IR 5", "IR 28"}

    book = openpyxl.load_workbook(io.BytesIO(archive.read("manifest.xlsx")))
    sheet = book["Manifest"]
    xlsx_rows = [[c.value or "" for c in r] for r in sheet.iter_rows()]
    assert xlsx_rows == rows


def test_hostile_file_names_cannot_escape_their_folder(
    session: Session, store: EvidenceStore, tmp_path: Path
) -> None:
    made = council(session, store, tmp_path)
    policy, audit = made["documents"]
    policy.current.filename = "../../etc/passwd"
    audit.current.filename = "..\\..\\audit.pdf"
    audit.title = '=HYPERLINK("http://evil")'
    session.flush()
    files, archive = _zip(session, store)
    for name in archive.namelist():
        parts = name.split("/")
        assert ".." not in parts and not name.startswith("/") and "\\" not in name
        assert len(parts) <= 2
    assert "IR 05 - Waiting lists for assessments/etc passwd" in archive.namelist()
    sheet = openpyxl.load_workbook(io.BytesIO(archive.read("manifest.xlsx")))["Manifest"]
    titles = [sheet.cell(row=r, column=3) for r in range(2, sheet.max_row + 1)]
    assert all(c.data_type == "s" for c in titles)
    assert '\'=HYPERLINK("http://evil")' in [c.value for c in titles]


def test_same_names_in_one_folder_are_made_unique(
    session: Session, store: EvidenceStore, tmp_path: Path
) -> None:
    made = council(session, store, tmp_path)
    policy, audit = made["documents"]
    policy.current.filename = "Policy.PDF"
    audit.current.filename = "policy.pdf"
    session.flush()
    files = pack.plan(session, store.path_for)
    ir5 = sorted(f.path_in_pack for f in files if f.item_number == 5)
    assert ir5 == [
        "IR 05 - Waiting lists for assessments/Policy (2).PDF",
        "IR 05 - Waiting lists for assessments/policy.pdf",
    ]


def test_safe_name() -> None:
    assert pack.safe_name("../../secret.txt") == "secret.txt"
    assert pack.safe_name("a\x00b<c>:d|e?.pdf") == "ab_c_d_e_.pdf"
    assert "/" not in pack.safe_name("a/b\\c")
    assert pack.safe_name("...") == "file"
    assert pack.safe_name("CON.txt") == "file-CON.txt"
    long = pack.safe_name("x" * 300 + ".pdf", limit=80)
    assert len(long) == 80 and long.endswith(".pdf")
    assert pack.safe_name("Café plan 😀.docx") == "Café plan _.docx"
