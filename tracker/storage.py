"""The evidence file store: files kept once under evidence/, named by their SHA-256."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask import Flask

EXTENSION_KEY = "tracker.storage"
CHUNK = 1024 * 1024
SHA_PATTERN = re.compile(r"^[0-9a-f]{64}$")


class TooLarge(Exception):
    """The stream is bigger than the limit allowed."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class Staged:
    """A stream written to a temporary file, with its checksum, waiting to be kept or dropped."""

    path: Path
    sha256: str
    size: int


class EvidenceStore:
    """Content-addressed files on local disk, written atomically and never overwritten."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.tmp = self.root / ".tmp"

    def ensure(self) -> None:
        """Create the store's folders."""
        self.tmp.mkdir(parents=True, exist_ok=True)

    def path_for(self, sha256: str) -> Path:
        """Where the file with this checksum lives; refuses anything that is not a checksum."""
        if not SHA_PATTERN.match(sha256):
            raise ValueError("not a SHA-256 checksum")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def stage(self, stream: IO[bytes], max_bytes: int) -> Staged:
        """Copy a stream to a temporary file while hashing it; stop at max_bytes."""
        self.ensure()
        digest = hashlib.sha256()
        size = 0
        fd, name = tempfile.mkstemp(dir=self.tmp, prefix="upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge(max_bytes)
                    digest.update(chunk)
                    out.write(chunk)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        return Staged(Path(name), digest.hexdigest(), size)

    def keep(self, staged: Staged) -> Path:
        """Move a staged file into place; if the same content is already stored, drop the copy."""
        target = self.path_for(staged.sha256)
        if target.exists():
            staged.path.unlink(missing_ok=True)
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(staged.path, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(staged.path, target)
        return target

    def discard(self, staged: Staged) -> None:
        """Remove a staged file that will not be kept."""
        staged.path.unlink(missing_ok=True)

    def exists(self, sha256: str) -> bool:
        """Whether a file with this checksum is stored."""
        return self.path_for(sha256).is_file()

    def delete(self, sha256: str) -> None:
        """Remove a stored file (callers check first that no record uses it)."""
        self.path_for(sha256).unlink(missing_ok=True)

    def stored_checksums(self) -> set[str]:
        """Every checksum present on disk, for consistency checks."""
        found = set()
        for path in self.root.glob("??/??/*"):
            if SHA_PATTERN.match(path.name):
                found.add(path.name)
        return found

    def age_seconds(self, path: Path) -> float:
        """How long ago a file in the store was last written."""
        import time

        return time.time() - path.stat().st_mtime

    def staged_files(self) -> list[Path]:
        """Files left in the staging folder (an upload that was interrupted leaves one)."""
        return sorted(p for p in self.tmp.glob("upload-*") if p.is_file())


def init_app(app: Flask) -> None:
    """Attach the evidence store configured in settings."""
    store = EvidenceStore(app.config["SETTINGS"].evidence_dir)
    store.ensure()
    app.extensions[EXTENSION_KEY] = store


def store_for(app: Flask) -> EvidenceStore:
    """The app's evidence store."""
    return app.extensions[EXTENSION_KEY]
