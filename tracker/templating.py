"""Jinja filters and globals: dates, rich text with citations, status tags, permissions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Flask, current_app, g, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape
from sqlmodel import select

from . import richtext
from .db import get_session
from .models import ActionStatus, EntryStatus, EvidenceItem, EvidenceStatus, utcnow
from .services.accounts import can
from .services.citations import spans

TAG_COLOURS = {
    EvidenceStatus.NOT_STARTED: "grey",
    EvidenceStatus.COLLECTING: "blue",
    EvidenceStatus.READY_FOR_CHECK: "yellow",
    EvidenceStatus.CHECKED: "turquoise",
    EvidenceStatus.SUBMITTED: "green",
    EntryStatus.DRAFT: "grey",
    EntryStatus.IN_REVIEW: "yellow",
    EntryStatus.APPROVED: "green",
    ActionStatus.NOT_STARTED: "grey",
    ActionStatus.ON_TRACK: "green",
    ActionStatus.AT_RISK: "orange",
    ActionStatus.OFF_TRACK: "red",
    ActionStatus.COMPLETE: "blue",
}


def format_date(value: date | datetime | None, empty: str = "Not set") -> str:
    """'5 March 2025', GOV.UK style."""
    if value is None:
        return empty
    return f"{value.day} {value:%B %Y}"


def format_datetime(value: datetime | None) -> str:
    """'5 March 2025 at 2:07pm' in UTC."""
    if value is None:
        return ""
    hour = value.hour % 12 or 12
    return f"{format_date(value)} at {hour}:{value:%M}{'am' if value.hour < 12 else 'pm'}"


def format_size(size: int) -> str:
    """A file size people read: '2.4 MB', '830 KB'."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


def status_tag(status: Any) -> Markup:
    """A GOV.UK tag for a status; the words carry the meaning, the colour only helps."""
    colour = TAG_COLOURS.get(status, "grey")
    return Markup('<strong class="govuk-tag govuk-tag--{}">{}</strong>').format(
        colour, status.label
    )


def today() -> date:
    """Today's date in UTC."""
    return utcnow().date()


def days_ago(value: date | datetime | None) -> str:
    """'today', '1 day ago', '40 days ago'."""
    if value is None:
        return "never"
    days = (today() - (value.date() if isinstance(value, datetime) else value)).days
    if days <= 0:
        return "today"
    return "1 day ago" if days == 1 else f"{days} days ago"


def known_ir_numbers() -> set[int]:
    """IR numbers that exist, read once per request."""
    if "ir_numbers" not in g:
        g.ir_numbers = set(get_session().exec(select(EvidenceItem.number)))
    return g.ir_numbers  # type: ignore[no-any-return]


def _with_citations(text: str) -> Markup:
    """Escape text and mark each citation: a link to the IR item, or a flagged problem."""
    known = known_ir_numbers()
    out = []
    pos = 0
    for start, end, found in spans(text):
        out.append(escape(text[pos:start]))
        raw = text[start:end]
        bad = [
            f for f in found if f.problem or (f.ir_number is not None and f.ir_number not in known)
        ]
        if bad:
            reason = bad[0].message or f"IR {bad[0].ir_number} is not an evidence item"
            out.append(
                Markup(
                    '<mark class="app-citation--problem" title="{}">{}'
                    '<span class="govuk-visually-hidden"> (citation problem: {})</span></mark>'
                ).format(reason, raw, reason)
            )
        elif len(found) == 1 and found[0].ir_number is not None:
            href = url_for("evidence.show", number=found[0].ir_number)
            out.append(Markup('<a class="govuk-link" href="{}">{}</a>').format(href, raw))
        else:
            out.append(escape(raw))
        pos = end
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def render_richtext(text: str | None) -> Markup:
    """Paragraphs and bullet lists as GOV.UK HTML; user text is always escaped."""
    parts = []
    for block in richtext.blocks(text or ""):
        if block.kind == "p":
            parts.append(
                Markup('<p class="govuk-body">{}</p>').format(_with_citations(block.items[0]))
            )
        else:
            items = Markup("").join(
                Markup("<li>{}</li>").format(_with_citations(i)) for i in block.items
            )
            parts.append(Markup('<ul class="govuk-list govuk-list--bullet">{}</ul>').format(items))
    return Markup('<div class="app-richtext">{}</div>').format(Markup("").join(parts))


def url_with(**changes: Any) -> str:
    """The current URL with some query arguments changed (None removes one)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    query = urlencode(args, doseq=True)
    return f"{request.path}?{query}" if query else request.path


def has_endpoint(name: str) -> bool:
    """Whether the app serves an endpoint (so optional areas can be linked only when present)."""
    return name in current_app.view_functions


def user_can(permission: str) -> bool:
    """Whether the logged-in user holds a permission (for showing or hiding controls)."""
    return current_user.is_authenticated and can(current_user, permission)


def init_app(app: Flask) -> None:
    """Register filters and globals, and keep templates strict about undefined names."""
    from jinja2 import StrictUndefined

    app.jinja_env.undefined = StrictUndefined
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters.update(
        date=format_date,
        datetime=format_datetime,
        size=format_size,
        status_tag=status_tag,
        richtext=render_richtext,
        days_ago=days_ago,
    )
    app.jinja_env.globals.update(
        can=user_can,
        has_endpoint=has_endpoint,
        url_with=url_with,
        today=today,
        council_name=app.config["SETTINGS"].council_name,
    )
