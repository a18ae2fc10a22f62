"""Blueprints, one module per area, registered from one place."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Register every area's blueprint."""
    from . import actions, admin, assessment, auth, dashboard, documents, evidence, statements

    for module in (auth, dashboard, statements, evidence, documents, assessment, actions, admin):
        app.register_blueprint(module.bp)
