"""Size, page-count and archive-expansion limits for uploads, and the messages they give."""

from __future__ import annotations

import math
import os
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePath

MIB = 1024 * 1024

# Longer names are cut in messages so a hostile name cannot flood a page.
_MAX_NAME_CHARS = 120
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class IngestError(Exception):
    """An upload the tracker refuses, with a message fit to show the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Limits:
    """Ceilings applied to one upload, from the first byte check to the extraction child."""

    max_bytes: int = 100 * MIB
    max_zip_entries: int = 2000
    max_zip_uncompressed: int = 256 * MIB
    max_zip_ratio: float = 200.0
    # Small parts legitimately compress far better than 200:1 (runs of XML boilerplate).
    zip_ratio_min_member: int = MIB
    max_pdf_pages: int = 2000
    max_xlsx_cells: int = 200_000
    max_text_chars: int = 2_000_000
    memory_mb: int = 1024
    timeout_s: float = 60.0

    def __post_init__(self) -> None:
        for name in (
            "max_bytes",
            "max_zip_entries",
            "max_zip_uncompressed",
            "max_zip_ratio",
            "max_pdf_pages",
            "max_xlsx_cells",
            "max_text_chars",
            "memory_mb",
            "timeout_s",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"Limits.{name} must be positive")


def display_name(filename: str) -> str:
    """Return the last part of a user-supplied file name, safe to put in a message."""
    base = re.split(r"[\\/]", filename or "")[-1]
    base = _CONTROL_CHARS.sub("", base).strip()
    if not base:
        return "The selected file"
    if len(base) > _MAX_NAME_CHARS:
        # Keep the extension: the type checks read it from this name.
        suffix = PurePath(base).suffix
        if len(suffix) > 10:
            suffix = ""
        base = base[: _MAX_NAME_CHARS - 1 - len(suffix)] + "…" + suffix
    return base


def format_mb(n_bytes: int) -> str:
    """Format a byte count as whole megabytes (MiB, as people read them), rounded up."""
    return f"{math.ceil(n_bytes / MIB):,} MB"


def check_size(path: str | os.PathLike[str], name: str, limits: Limits) -> int:
    """Refuse an empty or oversized file; return its size in bytes."""
    size = Path(path).stat().st_size
    shown = display_name(name)
    if size == 0:
        raise IngestError(f"{shown} is empty. Check the file and upload it again.")
    if size > limits.max_bytes:
        raise IngestError(
            f"{shown} is too big ({format_mb(size)}). "
            f"Upload a file smaller than {format_mb(limits.max_bytes)}."
        )
    return size


_EOCD = struct.Struct("<4s4H2LH")
_EOCD_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_ZIP64_EOCD_SIGNATURE = b"PK\x06\x06"


def zip_entry_count(path: str | os.PathLike[str]) -> int | None:
    """Return the entry count a zip declares at its end, or None if there is no valid record.

    zipfile builds an object per entry as it opens an archive, so an archive claiming
    millions of entries must be refused before zipfile ever sees it.
    """
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        tail_len = min(size, _EOCD.size + 0xFFFF)
        handle.seek(size - tail_len)
        tail = handle.read(tail_len)
        at = tail.rfind(_EOCD_SIGNATURE)
        if at < 0 or len(tail) - at < _EOCD.size:
            return None
        count = _EOCD.unpack_from(tail, at)[4]
        if count != 0xFFFF:
            return count
        # Zip64: the real count is in a record found through the locator just before.
        locator_at = size - tail_len + at - _ZIP64_LOCATOR.size
        if locator_at < 0:
            return None
        handle.seek(locator_at)
        locator = _ZIP64_LOCATOR.unpack(handle.read(_ZIP64_LOCATOR.size))
        if locator[0] != _ZIP64_LOCATOR_SIGNATURE or locator[2] >= size:
            return None
        handle.seek(locator[2])
        record = handle.read(_ZIP64_EOCD.size)
        if len(record) < _ZIP64_EOCD.size or not record.startswith(_ZIP64_EOCD_SIGNATURE):
            return None
        return _ZIP64_EOCD.unpack(record)[6]


def check_archive(path: str | os.PathLike[str], name: str, limits: Limits) -> None:
    """Refuse an Office (zip) file whose declared contents would expand too far.

    zipfile enforces each member's declared size when reading (a lie ends in a CRC
    error), so the central directory's figures are safe to judge by.
    """
    shown = display_name(name)
    damaged = f"{shown} is damaged and cannot be opened. Upload a new copy of the file."
    count = zip_entry_count(path)
    if count is None:
        raise IngestError(damaged)
    if count > limits.max_zip_entries:
        raise IngestError(_too_many_parts(shown, count, limits))
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise IngestError(damaged) from exc
    # The end record and the directory can disagree in a crafted file.
    if len(members) > limits.max_zip_entries:
        raise IngestError(_too_many_parts(shown, len(members), limits))

    total = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise IngestError(f"{shown} is password-protected. Upload a copy without a password.")
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise IngestError(
                f"{shown} uses a compression method Office does not use, so it may be damaged. "
                "Save it again and upload the new copy."
            )
        total += member.file_size

    if total > limits.max_zip_uncompressed:
        raise IngestError(
            f"{shown} looks like a zip bomb: it would expand to {format_mb(total)}. "
            f"Upload a file that expands to less than {format_mb(limits.max_zip_uncompressed)}."
        )

    for member in members:
        if member.file_size <= limits.zip_ratio_min_member:
            continue
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > limits.max_zip_ratio:
            raise IngestError(
                f"{shown} looks like a zip bomb: one part inside it would expand "
                f"{ratio:,.0f} times, to {format_mb(member.file_size)}. "
                "Upload a normal copy of the file."
            )


def _too_many_parts(shown: str, count: int, limits: Limits) -> str:
    """Word the refusal of an archive with too many entries."""
    return (
        f"{shown} has too many parts inside it ({count:,}; the limit is "
        f"{limits.max_zip_entries:,}). It may be damaged. Save it again and upload the new copy."
    )
