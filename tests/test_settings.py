"""The one settings object: defaults, environment overrides and the production guard."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tracker import create_app
from tracker.settings import DEFAULT_SECRET, Settings, SettingsError


def test_defaults_are_local_and_safe() -> None:
    settings = Settings()
    assert settings.database_url.startswith("sqlite:///")
    assert settings.max_upload_mb == 100
    assert settings.env == "development"


def test_environment_overrides(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "TRACKER_EVIDENCE_DIR": str(tmp_path / "files"),
            "TRACKER_MAX_UPLOAD_MB": "7",
            "DATABASE_URL": "postgresql+psycopg://u:p@127.0.0.1/db",
        }
    )
    assert settings.evidence_dir == tmp_path / "files"
    assert settings.max_upload_bytes == 7 * 1024 * 1024
    assert settings.database_url.startswith("postgresql")


@pytest.mark.parametrize("secret", ["", DEFAULT_SECRET, "short"])
def test_production_refuses_a_default_or_weak_secret(secret: str, tmp_path: Path) -> None:
    settings = Settings(env="production", secret_key=secret, instance_dir=tmp_path)
    with pytest.raises(SettingsError, match="TRACKER_SECRET_KEY"):
        create_app(settings)


def test_production_starts_with_a_real_secret(tmp_path: Path) -> None:
    settings = Settings(env="production", secret_key="x" * 40, instance_dir=tmp_path)
    settings.check()


def test_gunicorn_worker_refuses_to_boot_with_the_default_secret(tmp_path: Path) -> None:
    env = {
        "TRACKER_ENV": "production",
        "TRACKER_INSTANCE_DIR": str(tmp_path),
        "PATH": str(Path(sys.executable).parent),
    }
    done = subprocess.run(
        [sys.executable, "-c", "import tracker; tracker.create_app()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "TRACKER_SECRET_KEY" in done.stderr
