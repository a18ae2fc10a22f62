"""Login wiring, the current user, and permission checks on views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, flash, redirect, request, url_for
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from .db import get_session
from .models import User
from .services.accounts import can, configure_hashing

F = TypeVar("F", bound=Callable[..., Any])

login_manager = LoginManager()
csrf = CSRFProtect()


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    user = get_session().get(User, int(user_id))
    return user if user is not None and user.active else None


@login_manager.unauthorized_handler
def _unauthorised() -> Any:
    flash("Sign in to continue.", "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def init_app(app: Flask) -> None:
    """Set up sessions for logged-in users and CSRF protection on every form."""
    login_manager.init_app(app)
    csrf.init_app(app)
    configure_hashing(app.config["SETTINGS"].password_hash_method)


def actor() -> User:
    """The logged-in user, as services take it."""
    return current_user._get_current_object()  # type: ignore[no-any-return]


def requires(permission: str) -> Callable[[F], F]:
    """Let a view run only for a logged-in user who holds the permission."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not can(actor(), permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.permission = permission  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorate
