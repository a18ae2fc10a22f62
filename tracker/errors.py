"""Error pages, domain errors mapped to HTTP, and the rollback on failure."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, g, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .services import DomainError

log = logging.getLogger(__name__)

TITLES = {
    400: "There is a problem with the request",
    403: "You do not have permission to see this page",
    404: "Page not found",
    405: "This page cannot be used that way",
    413: "The upload is too large",
    500: "Sorry, there is a problem with the service",
}


def _page(status: int, message: str | None = None, kept: dict[str, str] | None = None) -> Any:
    return (
        render_template(
            "errors/error.html",
            status=status,
            title=TITLES.get(status, "Something went wrong"),
            message=message,
            kept=kept or {},
        ),
        status,
    )


def _kept_text() -> dict[str, str]:
    """Text the user typed into a form that could not be saved, so it can be copied back."""
    return {
        key: value
        for key, value in request.form.items()
        if key != "csrf_token" and len(value.strip()) > 0
    }


def init_app(app: Flask) -> None:
    """Register the handlers."""
    settings = app.config["SETTINGS"]

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> Any:
        return _page(
            400,
            "The form could not be saved because it did not come from this service, or you "
            "signed out in another tab. Sign in again if asked, then submit the form again. "
            "Anything you typed is shown below so that nothing is lost.",
            _kept_text(),
        )

    @app.errorhandler(413)
    def _too_large(error: HTTPException) -> Any:
        return _page(
            413,
            f"Each file must be smaller than {settings.max_upload_mb} MB, and one upload can "
            f"hold at most {settings.max_upload_mb * 5} MB in all. Upload fewer or smaller files.",
        )

    @app.errorhandler(DomainError)
    def _domain(error: DomainError) -> Any:
        return _page(error.status_code, error.message)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Any:
        return _page(error.code or 500, None)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Any:
        log.exception("Unhandled error on %s", request.path)

        # Roll back but keep the session open: the error page still reads the signed-in user.
        session = g.get("db_session")
        if session is not None:
            session.rollback()
        return _page(
            500,
            "Nothing was saved. Try again later; if it keeps happening, tell the assurance team.",
        )
