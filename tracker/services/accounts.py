"""Users, roles and passwords."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import Session, col, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import LoginFailure, Role, User, utcnow
from . import Conflict, Invalid, NotFound, TooManyAttempts
from .audit import apply_changes, record, snapshot

MIN_PASSWORD = 10
# Failed sign-ins allowed per email, and per network address, within the window.
LOGIN_LIMIT_PER_EMAIL = 5
LOGIN_LIMIT_PER_ADDRESS = 20
LOGIN_WINDOW = timedelta(minutes=15)
# Scrypt by default; set once at start-up from settings (tests choose a fast method).
_hash_method = {"method": "scrypt"}


def configure_hashing(method: str) -> None:
    """Choose the password hashing method for new hashes (existing hashes keep theirs)."""
    _hash_method["method"] = method


# Permissions are named for what they allow; views ask for a permission, never a role.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "view": frozenset(Role),
    "edit": frozenset({Role.ASSURANCE}),
    "approve": frozenset({Role.DIRECTOR}),
    "review": frozenset({Role.ASSURANCE, Role.DIRECTOR}),
    "export": frozenset({Role.DIRECTOR, Role.ASSURANCE}),
    "manage_users": frozenset({Role.ADMIN}),
    "audit": frozenset({Role.ADMIN, Role.ASSURANCE, Role.DIRECTOR}),
}


def can(user: User | None, permission: str) -> bool:
    """Whether a user holds a permission."""
    return bool(user and user.active and user.role in PERMISSIONS[permission])


def normalise_email(email: str) -> str:
    """Emails are compared without case or surrounding space."""
    return email.strip().lower()


def hash_password(password: str) -> str:
    """Hash a password for storage."""
    return generate_password_hash(password, method=_hash_method["method"])


def _check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"Password must be {MIN_PASSWORD} characters or more", field="password")


def create_user(
    session: Session, email: str, name: str, role: Role, password: str, actor: User | None = None
) -> User:
    """Create a user with a hashed password."""
    email = normalise_email(email)
    _check_password_rules(password)
    if session.exec(select(User).where(User.email == email)).first():
        raise Conflict(f"A user with the email {email} already exists", field="email")
    user = User(email=email, name=name.strip(), role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    record(session, actor, "create", user, snapshot(user, ["email", "name", "role"]), label=name)
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None."""
    user = session.exec(select(User).where(User.email == normalise_email(email))).first()
    if user is None or not user.active:
        # Hash anyway so a wrong email takes as long as a wrong password.
        check_password_hash(hash_password("timing-equaliser"), password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    user.last_login_at = utcnow()
    return user


def _recent_failures(session: Session, column: Any, value: str) -> int:
    since = utcnow() - LOGIN_WINDOW
    query = (
        select(func.count())
        .select_from(LoginFailure)
        .where(column == value, col(LoginFailure.at) >= since)
    )
    return int(session.exec(query).one())


def sign_in(session: Session, email: str, password: str, address: str = "") -> User | None:
    """Authenticate, refusing for a while after repeated failures for an email or address."""
    email = normalise_email(email)
    too_many = _recent_failures(session, col(LoginFailure.email), email) >= LOGIN_LIMIT_PER_EMAIL
    if address and not too_many:
        by_address = _recent_failures(session, col(LoginFailure.address), address)
        too_many = by_address >= LOGIN_LIMIT_PER_ADDRESS
    if too_many:
        minutes = int(LOGIN_WINDOW.total_seconds() // 60)
        raise TooManyAttempts(
            f"Too many failed attempts to sign in. Wait {minutes} minutes and try again, "
            "or ask an administrator to reset your password.",
            field="email",
        )
    user = authenticate(session, email, password)
    if user is None:
        session.add(LoginFailure(email=email[:254], address=address[:64]))
        session.flush()
        return None
    session.exec(delete(LoginFailure).where(col(LoginFailure.email) == email))  # type: ignore[call-overload]
    return user


def get_user(session: Session, user_id: int) -> User:
    """A user by id."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user")
    return user


def list_users(session: Session) -> list[User]:
    """Every user, by name."""
    return list(session.exec(select(User).order_by(col(User.name))))


def update_user(
    session: Session, user: User, name: str, role: Role, active: bool, actor: User
) -> User:
    """Change a user's name, role or whether they may log in."""
    if user.id == actor.id and (role != user.role or not active):
        raise Invalid("You cannot change your own role or deactivate yourself", field="role")
    if user.role == Role.ADMIN and (role != Role.ADMIN or not active):
        admins = session.exec(
            select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.active)
        ).one()
        if admins <= 1:
            raise Invalid("There must be at least one active administrator", field="role")
    changes = apply_changes(user, {"name": name.strip(), "role": role, "active": active})
    if changes:
        record(session, actor, "update", user, changes, label=user.name)
    return user


def set_password(session: Session, user: User, password: str, actor: User | None) -> None:
    """Replace a user's password."""
    _check_password_rules(password)
    user.password_hash = hash_password(password)
    record(session, actor, "update", user, {"password": ["(hidden)", "(changed)"]}, label=user.name)
