"""Signing in and out."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_user, logout_user

from ..db import get_session
from ..forms.auth import LoginForm
from ..services import TooManyAttempts
from ..services.accounts import sign_in

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _safe_next(target: str | None) -> str:
    """Only follow a 'next' link that stays on this site."""
    if (
        target
        and not urlsplit(target).netloc
        and target.startswith("/")
        and not target.startswith("//")
    ):
        return target
    return url_for("dashboard.home")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Ask for email and password and start a session."""
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        session = get_session()
        try:
            user = sign_in(
                session, form.email.data or "", form.password.data or "", request.remote_addr or ""
            )
        except TooManyAttempts as error:
            user, status = None, 429
            form.email.errors = [error.message]
        else:
            session.commit()
            if user is not None:
                login_user(user)
                return redirect(_safe_next(request.args.get("next")))
            form.email.errors = ["Enter a correct email address and password"]
        form._errors = None
    if form.errors and status == 200:
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    """End the session."""
    logout_user()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.login"))
