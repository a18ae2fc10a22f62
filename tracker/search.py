"""The Whoosh search index: the one module that talks to Whoosh."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Open (or create) the index for this app."""
