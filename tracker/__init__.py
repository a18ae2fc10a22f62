"""CQC Assurance Tracker: the application factory."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from .settings import Settings

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR.parent / "templates"


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app from settings (or the environment); nothing else runs at import."""
    from . import auth, cli, db, errors, pagecache, search, security, storage, templating, views

    settings = settings or Settings.from_env()
    settings.check()
    for folder in (settings.instance_dir, settings.evidence_dir, settings.exports_dir):
        folder.mkdir(parents=True, exist_ok=True)

    app = Flask(
        __name__, template_folder=str(TEMPLATES_DIR), instance_path=str(settings.instance_dir)
    )
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        # Several files go up at once; each is held to max_upload_mb by the storage layer.
        MAX_CONTENT_LENGTH=settings.max_upload_bytes * 5,
        WTF_CSRF_ENABLED=settings.csrf_enabled,
        # Tied to the session instead of an hour, so a long edit is never lost to an expired token.
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        **settings.extra,
    )

    db.init_app(app)
    storage.init_app(app)
    search.init_app(app)
    auth.init_app(app)
    templating.init_app(app)
    pagecache.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    views.register_blueprints(app)
    cli.init_app(app)
    return app
