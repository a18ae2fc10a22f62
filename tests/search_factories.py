"""Builders for search tests: real files of every type, and zip files for bulk import."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from tracker import samplefiles


def office_files(folder: Path) -> dict[str, Path]:
    """A real PDF, DOCX (with a table), two-sheet XLSX and PPTX, each with known words."""
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "pdf": samplefiles.write_pdf(
            folder / "safeguarding.pdf", "Safeguarding adults procedure", ["Triage in a day."]
        ),
        "docx": samplefiles.write_docx(
            folder / "waiting.docx",
            "Waiting well",
            ["People waiting for assessment get a call."],
            tables=[[["Team", "Waiting"], ["Reablement", "ocelot"]]],
        ),
        "xlsx": samplefiles.write_xlsx(
            folder / "figures.xlsx",
            {"Summary": [["Measure", "Value"], ["Reviews", 12]], "Notes": [["pangolin"]]},
        ),
        "pptx": samplefiles.write_pptx(
            folder / "briefing.pptx", [("Carers briefing", "Unpaid carers", "narwhal notes")]
        ),
    }


def zip_bytes(files: dict[str, bytes], symlinks: tuple[str, ...] = ()) -> bytes:
    """A zip holding files at the given member names, and optional symbolic-link members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        for name in symlinks:
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16) | 0
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def zip_bomb_bytes(size_mb: int = 64) -> bytes:
    """A zip with one member of zeros that expands more than a thousand times."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("IR 05/zeros.txt", "w") as member,
    ):
        chunk = b"\0" * (1024 * 1024)
        for _ in range(size_mb):
            member.write(chunk)
    return buffer.getvalue()
