"""Fixtures: a fresh app per test with its own database, file store and folders."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from tests import factories
from tests.pages import check_page
from tracker import create_app, db
from tracker.models import Role, User
from tracker.services import framework
from tracker.settings import Settings
from tracker.storage import EvidenceStore, store_for


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings that keep everything under tmp_path; TEST_DATABASE_URL selects another database."""
    values: dict[str, Any] = dict(
        env="testing",
        secret_key="test-secret",
        instance_dir=tmp_path / "instance",
        evidence_dir=tmp_path / "evidence",
        exports_dir=tmp_path / "exports",
        index_dir=tmp_path / "index",
        csrf_enabled=False,
        # Fast hashing keeps per-test user set-up cheap; production uses scrypt.
        password_hash_method="pbkdf2:sha256:1000",
        database_url=os.environ.get("TEST_DATABASE_URL", ""),
    )
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def _shared_database() -> Iterator[Any]:
    """With TEST_DATABASE_URL, one engine on that database for cleaning between tests."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield None
        return
    from sqlalchemy import text
    from sqlmodel import SQLModel, create_engine

    import tracker.models  # noqa: F401  (registers every table)

    engine = create_engine(url)
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as connection:
        # Not a model table: left behind, it would claim migrations that no table matches.
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def _isolated_database(_shared_database: Any) -> Iterator[None]:
    """Each test starts with empty tables: SQLite gets a new file, a shared server is emptied."""
    yield
    if _shared_database is None:
        return
    from sqlalchemy import inspect, text
    from sqlmodel import SQLModel

    existing = set(inspect(_shared_database).get_table_names())
    names = [t.name for t in SQLModel.metadata.sorted_tables if t.name in existing]
    if names:
        quoted = ", ".join(f'"{name}"' for name in names)
        with _shared_database.begin() as connection:
            connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings)
    app.config["TESTING"] = True
    db.create_all(app)
    with db.session_scope(app) as session:
        framework.seed_framework(session)
    yield app
    db.engine_for(app).dispose()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    with Session(db.engine_for(app)) as s:
        yield s


@pytest.fixture
def store(app: Flask) -> EvidenceStore:
    return store_for(app)


class Browser:
    """A test client that checks the status and the page hygiene of every response."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def _check(self, response: Any, status: int) -> Any:
        assert response.status_code == status, (
            f"expected {status}, got {response.status_code}: "
            f"{response.get_data(as_text=True)[:2000]}"
        )
        if response.mimetype == "text/html" and response.status_code != 302:
            check_page(response.get_data(as_text=True))
        return response

    def get(self, url: str, status: int = 200, **kwargs: Any) -> Any:
        return self._check(self.client.get(url, **kwargs), status)

    def post(self, url: str, data: Any = None, status: int = 302, **kwargs: Any) -> Any:
        return self._check(self.client.post(url, data=data or {}, **kwargs), status)

    def text(self, url: str, status: int = 200) -> str:
        return str(self.get(url, status).get_data(as_text=True))

    def login(self, user: User) -> None:
        self.post("/auth/login", {"email": user.email, "password": factories.PASSWORD})


@pytest.fixture
def browser(app: Flask) -> Browser:
    return Browser(app.test_client())


@pytest.fixture
def users(app: Flask) -> dict[Role, User]:
    with db.session_scope(app) as s:
        made = {role: factories.user(s, role) for role in Role}
        s.flush()
        for u in made.values():
            s.expunge(u)
    return made


@pytest.fixture
def as_role(app: Flask, users: dict[Role, User]) -> Any:
    """as_role(Role.X) gives a Browser logged in with that role."""

    def make(role: Role) -> Browser:
        b = Browser(app.test_client())
        b.login(users[role])
        return b

    return make


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)
