"""Small helpers shared by the views."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_wtf import FlaskForm

from ..services import DomainError
from ..settings import Settings


def settings() -> Settings:
    """The app's settings."""
    return current_app.config["SETTINGS"]  # type: ignore[no-any-return]


def page_number() -> int:
    """The ?page= argument, defaulting to 1 for anything odd."""
    return max(1, request.args.get("page", 1, type=int) or 1)


def attach_error(form: FlaskForm, error: DomainError) -> None:
    """Show a domain error against the field it names, or at the top of the form."""
    name = error.field if error.field and error.field in form else None
    if name:
        form[name].errors = [*form[name].errors, error.message]  # type: ignore[index]
    else:
        form.form_errors.append(error.message)
    # FlaskForm.errors is cached once computed; reset it so the summary shows the new message.
    form._errors = None  # type: ignore[attr-defined]


def arg(name: str, default: Any = None) -> Any:
    """A trimmed query argument, or default when empty."""
    value = request.args.get(name, "").strip()
    return value or default
