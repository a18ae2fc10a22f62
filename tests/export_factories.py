"""Builders for export tests: a small council with hostile text, approvals, a plan and files."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session

from tests import factories
from tracker.models import ActionStatus, EntryStatus, Role
from tracker.services import actions, assessment, framework
from tracker.storage import EvidenceStore

HOSTILE = 'Fish & chips <b>not bold</b> "quoted" it\'s 😀 done'
KNOW = (
    "Most people are assessed within 28 days.\n\n"
    "- Calls answered quickly\n"
    "- Safeguarding concerns triaged the same day\n\n"
    f"{HOSTILE}\x00\x0b end"
)
HOW = "Waiting list extract [IR 5] and [Source: LAS Contacts Activity]; see also IR 28."
PLANS = "Cut the waiting list to 550 by March [IR 28]."


def council(session: Session, store: EvidenceStore, tmp: Path) -> dict[str, Any]:
    """Two IR items with documents, a draft entry in 1A, an approved one in 3B, two actions."""
    tmp.mkdir(parents=True, exist_ok=True)
    team = factories.user(session, Role.ASSURANCE, "team@example.gov.uk", "Tess Team")
    director = factories.user(session, Role.DIRECTOR, "dir@example.gov.uk", "Dana Director")
    item5 = factories.item(session, 5, "Waiting lists for assessments", ("1A",))
    item28 = factories.item(session, 28, "Safeguarding processes", ("3B",))
    factories.item(session, 30, "Nothing filed yet", ("4A",))
    policy = factories.document(
        session, store, team, tmp, "Waiting well procedure", [item5], "waiting-well.pdf"
    )
    policy.title = "Waiting Well procedure"
    audit = factories.document(
        session, store, team, tmp, "Safeguarding audit", [item28, item5], "audit.pdf"
    )
    audit.title = "Safeguarding audit 2024"
    draft = factories.entry(
        session,
        "1A",
        "Access to our services",
        what_we_know=KNOW,
        how_we_know=HOW,
        our_plans=PLANS,
    )
    approved = factories.entry(
        session,
        "3B",
        "Safeguarding enquiries",
        what_we_know="Enquiries are person-led.",
        how_we_know="Audit of 40 cases [IR 28].",
        our_plans="Keep auditing.",
    )
    assessment.set_status(session, approved, EntryStatus.APPROVED, director)
    qs1a = framework.get_statement(session, "1A")
    late = actions.create_action(
        session,
        actions.ActionInput(
            title="Cut waiting times & backlog",
            quality_statement_id=qs1a.id or 0,
            owner="Head of Assessment",
            due_date=date(2025, 3, 31),
            status=ActionStatus.OFF_TRACK,
        ),
        team,
    )
    actions.add_update(session, late, date(2025, 1, 10), "Two agency workers started", None, team)
    factories.action(session, "3B", "Audit DoLS backlog", date(2025, 6, 30))
    framework.set_text(
        session, framework.FOREWORD, "Our foreword.\n\n- First point\n- Second point", team
    )
    session.flush()
    return {
        "team": team,
        "director": director,
        "items": (item5, item28),
        "documents": (policy, audit),
        "entries": (draft, approved),
    }
