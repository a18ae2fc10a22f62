"""Rendered pages kept per user until a table they were built from changes.

The list and record pages rebuild the same HTML from the same rows for every visit, and rows
change far less often than pages are read. `kept_page` wraps such a view: the first visit
renders it as usual while noting every table its SQL read and those tables' change tokens
(tracker/changes.py); later visits by anyone with the same role to the same address on the
same day get that HTML while every token still matches. Any commit that writes one of those
tables, from any worker, makes the page render afresh, once: the workers share kept pages
through files.

What is per request stays out of the kept HTML: CSRF tokens and the signed-in user's name are
rendered as placeholders and filled in for each response, a page that shows a flash message is
never kept, and a request with a message waiting is always rendered afresh. The key holds the
user's role (pages show what it allows), the address with its query and today's date (pages
count days to deadlines).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, get_flashed_messages, request, session
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from .auth import actor
from .changes import read_tokens, tables_read, unchanged
from .db import get_session
from .services.remembered import Kept
from .templating import today

F = TypeVar("F", bound=Callable[..., Any])

EXTENSION_KEY = "tracker.pages"
#: A worker looks for files beyond the limit after this many writes.
PRUNE_EVERY = 100
#: Set on flask.g while a page is rendered for keeping.
KEEPING = "tracker_keeping_page"


class PageStore:
    """Kept pages in this worker's memory, and in files that every worker shares.

    After a change, the first worker to be asked renders the page again and writes it down;
    the other workers read that file instead of rendering it too. Each file starts with a line
    of JSON (the key, and the tables read with their tokens), then the HTML. Files are written
    atomically; every PRUNE_EVERY writes, the oldest beyond `files` of them go.
    """

    def __init__(self, folder: Path, entries: int, secret: str = "") -> None:
        self.folder = folder
        self.entries = entries
        #: Stand for the CSRF token and the user's name in kept HTML. Derived from the secret
        #: key, so every worker fills in the pages the others wrote, and no stored text can
        #: contain them by chance.
        self.hole = _hole(secret, "csrf")
        self.name_hole = _hole(secret, "name")
        self.files = entries * 4
        self.memory: Kept[str] = Kept(entries)
        self._writes = 0

    def get(self, key: str, tokens: dict[str, str]) -> str | None:
        """The page kept for key while every table it read has the same token, or None."""
        html = self.memory.get(key, tokens)
        if html is not None:
            return html
        try:
            header, _, body = self._path(key).read_bytes().partition(b"\n")
            kept_key, read = json.loads(header)
        except (OSError, ValueError):
            return None
        if kept_key != key or not unchanged(read, tokens):
            return None
        html = body.decode("utf-8")
        self.memory.put(key, {table for table, _ in read}, tokens, html)
        return html

    def put(self, key: str, read: set[str], tokens: dict[str, str], html: str) -> None:
        """Keep a page, valid while the tables it read keep these tokens."""
        self.memory.put(key, read, tokens, html)
        header = json.dumps([key, [[table, tokens.get(table, "")] for table in sorted(read)]])
        path = self._path(key)
        spare = path.with_name(f".{path.name}.{os.getpid()}")
        try:
            spare.write_bytes(header.encode("utf-8") + b"\n" + html.encode("utf-8"))
            os.replace(spare, path)
        except OSError:
            spare.unlink(missing_ok=True)  # a full or read-only disk only costs speed
            return
        self._writes += 1
        if self._writes % PRUNE_EVERY == 0:
            self.prune()

    def prune(self) -> None:
        """Remove the oldest files beyond the limit."""
        found = []
        for path in self.folder.glob("*.html"):
            try:
                found.append((path.stat().st_mtime, path))
            except OSError:
                continue  # another worker removed it
        for _, path in sorted(found)[: max(0, len(found) - self.files)]:
            path.unlink(missing_ok=True)

    def _path(self, key: str) -> Path:
        return self.folder / (hashlib.sha256(key.encode("utf-8")).hexdigest() + ".html")


def _hole(secret: str, what: str) -> str:
    return (
        f"{what}-" + hmac.new(secret.encode(), f"kept-page-{what}".encode(), "sha256").hexdigest()
    )


def init_app(app: Flask) -> None:
    """Give the app its page store, sized from settings, under the instance folder."""
    settings = app.config["SETTINGS"]
    folder = Path(settings.instance_dir) / "pages"
    if settings.page_cache_entries > 0:
        folder.mkdir(parents=True, exist_ok=True)
    app.extensions[EXTENSION_KEY] = PageStore(
        folder, settings.page_cache_entries, settings.secret_key
    )
    app.jinja_env.globals["signed_in_name"] = signed_in_name


def signed_in_name() -> str:
    """The signed-in user's name, or its placeholder while a page is rendered for keeping."""
    if g.get(KEEPING):
        return Markup(current_app.extensions[EXTENSION_KEY].name_hole)
    return str(actor().name)


def kept_page(view: F) -> F:
    """Serve the view's HTML from the page store while the data it read is unchanged.

    A kept view may depend on who is signed in only through their role: the page is shared by
    everyone with that role, with the name in the header (`signed_in_name`) filled in per user.
    """

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        pages: PageStore = current_app.extensions[EXTENSION_KEY]
        if pages.entries <= 0 or request.method != "GET" or "_flashes" in session:
            return view(*args, **kwargs)
        key = json.dumps(
            [
                request.endpoint,
                sorted((name, str(value)) for name, value in kwargs.items()),
                sorted(request.args.items(multi=True)),
                actor().role.value,
                today().isoformat(),
            ]
        )
        tokens = read_tokens(get_session())
        html = pages.get(key, tokens)
        if html is None:
            response, read = _render(view, args, kwargs, pages.hole)
            if not _keepable(response):
                if response.mimetype == "text/html" and not response.is_streamed:
                    response.set_data(_fill(response.get_data(as_text=True), pages))
                return response
            html = response.get_data(as_text=True)
            pages.put(key, read, tokens, html)
        return Response(_fill(html, pages), mimetype="text/html")

    return wrapped  # type: ignore[return-value]


def _fill(html: str, pages: PageStore) -> str:
    """Kept HTML with this request's CSRF token and the signed-in user's name put in."""
    name = str(escape(actor().name))
    return html.replace(pages.hole, generate_csrf()).replace(pages.name_hole, name)


def _render(
    view: Callable[..., Any], args: Any, kwargs: Any, hole: str
) -> tuple[Response, set[str]]:
    """Run the view with CSRF tokens as placeholders, noting the tables it read."""
    name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    real = g.pop(name, None)
    setattr(g, name, hole)  # what Flask-WTF hands every form and csrf_token() call
    setattr(g, KEEPING, True)
    try:
        with tables_read() as read:
            response = current_app.make_response(view(*args, **kwargs))
    finally:
        g.pop(KEEPING, None)
        g.pop(name, None)
        if real is not None:
            setattr(g, name, real)
    return response, read


def _keepable(response: Response) -> bool:
    """A plain HTML page with no flash message and no headers of its own."""
    if response.status_code != 200 or response.mimetype != "text/html" or response.is_streamed:
        return False
    if {key.lower() for key, _ in response.headers.items()} - {"content-type", "content-length"}:
        return False
    # A flash still waiting was never shown; one shown is in this HTML. Keep neither.
    return "_flashes" not in session and not get_flashed_messages()
