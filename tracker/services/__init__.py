"""Business rules as plain functions that take a database session; plus the domain errors."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused the request; the message is for the user."""

    status_code = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The record asked for does not exist."""

    status_code = 404


class Conflict(DomainError):
    """The change clashes with existing data (a duplicate, a stale state)."""

    status_code = 409


class Invalid(DomainError):
    """The input breaks a domain rule."""

    status_code = 400


class TooManyAttempts(DomainError):
    """Too many recent failures: the request is refused for a while."""

    status_code = 429


class Forbidden(DomainError):
    """The acting user may not do this."""

    status_code = 403
