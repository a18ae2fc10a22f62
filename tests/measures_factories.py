"""Builders for performance measures and dashboard files used by the measures tests."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from tracker.dashboard_file import parse_dashboard
from tracker.judgements import Aim, Unit
from tracker.models.measures import Layer, Measure
from tracker.services import measures

FIXTURES = Path(__file__).parent / "fixtures"
OLD = FIXTURES / "dashboard-2022-11.csv"
NEW = FIXTURES / "dashboard-2024-11.csv"


def measure(
    session: Session,
    code: str = "ASCOF 3D",
    title: str = "Adults aged 18+ receiving direct payments",
    aim: Aim = Aim.HIGHER,
    unit: Unit = Unit.PERCENT,
    layer: Layer = Layer.MEET,
    statements: tuple[str, ...] = (),
) -> Measure:
    """A measure with no values, linked to quality statements by code."""
    made = measures.create_measure(
        session, measures.MeasureInput(code, title, aim, unit, layer, "Safe and Well"), None
    )
    if statements:
        measures.link_statements(session, made, statements, None)
    return made


def import_file(session: Session, path: Path, old_codes: bool = False) -> measures.ImportPlan:
    """Import one dashboard file through the service."""
    return measures.import_dashboard(session, parse_dashboard(path), None, old_codes)
