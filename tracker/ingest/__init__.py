"""Turn an uploaded file on disk into a checked type plus extracted text.

Call `check_upload` in the request (cheap: size, type by content, zip expansion), then
`extract_text` (a forked child process with a memory limit and a timeout).
"""

from __future__ import annotations

import os

from tracker.ingest.extract import Extraction, extract_text
from tracker.ingest.limits import IngestError, Limits, check_archive, check_size
from tracker.ingest.sniff import (
    ACCEPTED_EXTENSIONS,
    KIND_LABELS,
    KIND_MIMETYPES,
    OOXML_KINDS,
    TEXT_KINDS,
    sniff,
)

__all__ = [
    "ACCEPTED_EXTENSIONS",
    "KIND_LABELS",
    "KIND_MIMETYPES",
    "OOXML_KINDS",
    "TEXT_KINDS",
    "Extraction",
    "IngestError",
    "Limits",
    "check_archive",
    "check_size",
    "check_upload",
    "extract_text",
    "sniff",
]


def check_upload(path: str | os.PathLike[str], filename: str, limits: Limits) -> str:
    """Check a saved upload's size, real type and (for Office files) zip expansion; return its kind.

    Raises IngestError with a message that names the file and says what to do.
    """
    check_size(path, filename, limits)
    kind = sniff(path, filename)
    if kind in OOXML_KINDS:
        check_archive(path, filename, limits)
    return kind
