"""Schema migrations with Alembic: upgrade, the current revision, and new revisions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

from . import models  # noqa: F401  (registers every table)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _config(connection: Any) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head() -> str | None:
    """The newest revision in the package."""
    return ScriptDirectory.from_config(_config(None)).get_current_head()


def current(engine: Engine) -> str | None:
    """The revision the database is at, or None for a database Alembic has not touched."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to a revision (the newest by default)."""
    with engine.begin() as connection:
        tables = set(inspect(connection).get_table_names())
        config = _config(connection)
        if tables and "alembic_version" not in tables:
            # Built from the models before migrations existed: adopt it if it matches them.
            if differences(connection):
                raise RuntimeError(
                    "This database has tables but no migration history, and they differ from "
                    "the current models. Back it up and migrate it by hand."
                )
            command.stamp(config, "head")
            return
        command.upgrade(config, revision)


def differences(connection: Any) -> list[Any]:
    """What autogenerate would change to make the database match the models (empty if none)."""
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, SQLModel.metadata))


def stamp(engine: Engine, revision: str = "head") -> None:
    """Record a revision without running it (for a database built before migrations)."""
    with engine.begin() as connection:
        command.stamp(_config(connection), revision)


def revision(engine: Engine, message: str) -> None:
    """Write a new revision by comparing the models with the database (review it by hand)."""
    with engine.begin() as connection:
        command.revision(_config(connection), message=message, autogenerate=True)
