"""The one settings object: embedded defaults, overridable by environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .ingest.limits import Limits

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET = "dev-only-secret-change-me"
ENV_PREFIX = "TRACKER_"


class SettingsError(RuntimeError):
    """The settings cannot run the app (for example a default secret in production)."""


@dataclass(frozen=True)
class Settings:
    """Everything the app reads from its environment, with safe local defaults."""

    env: str = "development"
    secret_key: str = DEFAULT_SECRET
    database_url: str = ""
    evidence_dir: Path = PROJECT_ROOT / "evidence"
    exports_dir: Path = PROJECT_ROOT / "exports"
    index_dir: Path = PROJECT_ROOT / "instance" / "index"
    instance_dir: Path = PROJECT_ROOT / "instance"
    max_upload_mb: int = 100
    council_name: str = "Dunmere County Council"
    page_size: int = 25
    review_amber_days: int = 180
    review_red_days: int = 365
    csrf_enabled: bool = True
    password_hash_method: str = "scrypt"
    session_cookie_secure: bool = False
    #: Rendered pages each worker keeps (per role and address) until their data changes; 0: none.
    page_cache_entries: int = 400
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.database_url:
            url = f"sqlite:///{Path(self.instance_dir) / 'tracker.db'}"
            object.__setattr__(self, "database_url", url)
        for name in ("evidence_dir", "exports_dir", "index_dir", "instance_dir"):
            object.__setattr__(self, name, Path(getattr(self, name)))

    @property
    def max_upload_bytes(self) -> int:
        """The largest upload accepted, in bytes."""
        return self.max_upload_mb * 1024 * 1024

    def upload_limits(self) -> Limits:
        """The ceilings every upload, import and text extraction is held to."""
        return Limits(max_bytes=self.max_upload_bytes)

    @property
    def is_production(self) -> bool:
        """Whether the app runs in production mode."""
        return self.env == "production"

    def check(self) -> None:
        """Refuse settings that are unsafe for the chosen environment."""
        if self.is_production and (
            self.secret_key in ("", DEFAULT_SECRET) or len(self.secret_key) < 32
        ):
            raise SettingsError(
                "TRACKER_SECRET_KEY must be set to a random value of 32 characters or more "
                "in production."
            )

    def with_overrides(self, **changes: Any) -> Settings:
        """Return a copy with some settings changed."""
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Build settings from TRACKER_* variables (and DATABASE_URL), falling back to defaults."""
        environ = dict(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is None and f.name == "database_url":
                raw = environ.get("DATABASE_URL")
            if raw is None:
                continue
            values[f.name] = _coerce(f.type, raw)
        return cls(**values)


def _coerce(type_name: Any, raw: str) -> Any:
    kind = str(type_name)
    if kind == "int":
        return int(raw)
    if kind == "bool":
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if kind == "Path":
        return Path(raw)
    return raw
