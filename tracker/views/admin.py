"""Administration: users and the audit log."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for

from ..auth import actor, requires
from ..db import get_session
from ..forms.accounts import EditUserForm, UserForm
from ..models import Role
from ..services import DomainError, accounts, audit
from ..services.paging import Page
from ._helpers import attach_error, page_number

bp = Blueprint("admin", __name__, url_prefix="/admin")
AUDIT_PAGE = 50


@bp.route("/users")
@requires("manage_users")
def users() -> Any:
    """Everyone who can sign in."""
    return render_template("admin/users.html", users=accounts.list_users(get_session()))


@bp.route("/users/new", methods=["GET", "POST"])
@requires("manage_users")
def new_user() -> Any:
    """Add a user with a role."""
    session = get_session()
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                session,
                form.email.data or "",
                form.name.data or "",
                Role(form.role.data),
                form.password.data or "",
                actor(),
            )
            session.commit()
            flash(f"{user.name} can now sign in as {user.role.label.lower()}.", "success")
            return redirect(url_for(".users"))
        except DomainError as error:
            session.rollback()
            attach_error(form, error)
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires("manage_users")
def edit_user(user_id: int) -> Any:
    """Change a user's name, role, access or password."""
    session = get_session()
    user = accounts.get_user(session, user_id)
    form = EditUserForm(obj=user, data={"role": user.role.value})
    if form.validate_on_submit():
        try:
            accounts.update_user(
                session,
                user,
                form.name.data or "",
                Role(form.role.data),
                bool(form.active.data),
                actor(),
            )
            if form.password.data:
                accounts.set_password(session, user, form.password.data, actor())
            session.commit()
            flash(f"{user.name} saved.", "success")
            return redirect(url_for(".users"))
        except DomainError as error:
            session.rollback()
            attach_error(form, error)
    return render_template("admin/user_form.html", form=form, user=user)


@bp.route("/audit")
@requires("audit")
def audit_log() -> Any:
    """Every change, newest first."""
    page = page_number()
    events, total = audit.recent(get_session(), (page - 1) * AUDIT_PAGE, AUDIT_PAGE)
    return render_template("admin/audit.html", page=Page(events, total, page, AUDIT_PAGE))
