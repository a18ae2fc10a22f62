"""Measures service: imports of the published dashboards, judgements, summaries and edits."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from tests.measures_factories import NEW, OLD, import_file, measure
from tracker.dashboard_file import parse_dashboard
from tracker.judgements import Aim, Progress, Rating, Unit
from tracker.models import AuditEvent
from tracker.models.measures import Measure, MeasureValue
from tracker.services import Conflict, Invalid, measures


def count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


@pytest.mark.parametrize(
    ("label", "end"),
    [
        ("2023/24", date(2024, 3, 31)),
        ("2024/25 forecast", date(2025, 3, 31)),
        ("Apr-Nov 2024", date(2024, 11, 30)),
        ("End Nov 2023", date(2023, 11, 30)),
        ("Nov-24", date(2024, 11, 30)),
        ("2025", date(2025, 12, 31)),
        ("Last quarter", None),
    ],
)
def test_period_end_orders_labels_in_time(label: str, end: date | None) -> None:
    assert measures.period_end(label) == end


def test_import_of_the_2024_dashboard_creates_every_measure_then_changes_nothing(
    session: Session,
) -> None:
    plan = import_file(session, NEW)
    assert (plan.creates, plan.updates, plan.unchanged) == (25, 0, 0)
    assert count(session, Measure) == 25
    # Survey measures without a current figure still get the period, holding the note.
    assert count(session, MeasureValue) == 50
    events = count(session, AuditEvent)

    again = measures.plan_import(session, parse_dashboard(NEW))
    assert (again.creates, again.updates, again.unchanged) == (0, 0, 25)
    import_file(session, NEW)
    assert count(session, Measure) == 25
    assert count(session, MeasureValue) == 50
    assert count(session, AuditEvent) == events


def test_both_dashboards_become_periods_of_the_same_measures(session: Session) -> None:
    import_file(session, OLD, old_codes=True)
    plan = measures.plan_import(session, parse_dashboard(NEW))
    assert plan.ok
    # Old 2D is new 2A, so the 2024 row updates the measure the 2022 file created.
    ascof_2a = next(r for r in plan.rows if r.code == "ASCOF 2A")
    assert ascof_2a.outcome == "update"
    assert "new period Apr-Nov 2024" in ascof_2a.changes
    import_file(session, NEW)
    summary = next(s for s in measures.measure_summaries(session) if s.measure.code == "ASCOF 2A")
    assert [v.period for v in summary.values] == [
        "2021/22",
        "Apr-Nov 2022",
        "2023/24",
        "Apr-Nov 2024",
    ]
    assert summary.latest is not None and summary.latest.value == 88.8
    assert summary.previous is not None and summary.previous.period == "2023/24"
    assert summary.rating.result is Rating.BETTER


def test_direct_payments_progress_uses_the_significance_test(session: Session) -> None:
    import_file(session, NEW)
    summary = next(s for s in measures.measure_summaries(session) if s.measure.code == "ASCOF 3D")
    assert summary.value_text == "33.9% (1,723 out of 5,081)"
    # 1.7 points down is beyond the 1 point tolerance but not a significant change.
    assert summary.progress.result is Progress.SIMILAR
    assert summary.progress.test is not None and not summary.progress.test.significant
    assert "not a significant change" in summary.progress.explanation


def test_missing_values_give_no_data_with_the_note(session: Session) -> None:
    import_file(session, NEW)
    carers = next(s for s in measures.measure_summaries(session) if s.measure.code == "ASCOF 3C2")
    assert carers.rating.result is Rating.NO_DATA
    assert carers.progress.result is Progress.NO_DATA
    assert "biennial and will next run in October 2025" in carers.rating.explanation
    assert carers.rating.symbol not in {"▲", "▼"}
    missing = {s.measure.code for s in measures.measures_without_current_value(session)}
    assert missing == {"ASCOF 3C1", "ASCOF 3C2", "ASCOF 5A1", "ASCOF 5A2", "ASCOF 4A"}


def test_benchmark_missing_but_value_present_is_no_data_for_rating_only(session: Session) -> None:
    import_file(session, NEW)
    enquiries = next(s for s in measures.measure_summaries(session) if s.measure.code == "ASCOF 4B")
    assert enquiries.rating.result is Rating.NO_DATA
    assert "February 2025" in enquiries.rating.explanation
    assert enquiries.progress.result is Progress.SIMILAR


def test_bands_and_information_measures(session: Session) -> None:
    import_file(session, OLD)
    by_title = {s.measure.title: s for s in measures.measure_summaries(session)}
    meet = by_title["% of sequels that 'Meet need'"]
    assert meet.rating.result is Rating.OUTSIDE_BAND
    assert meet.benchmark_text == "7–12% (Local target band)"
    info = by_title["Total community library issues"]
    assert info.rating.result is Rating.NOT_RATED
    assert info.progress.result is Progress.NOT_RATED


def test_a_bad_file_names_line_and_column_and_writes_nothing(
    session: Session, tmp_path: Path
) -> None:
    lines = NEW.read_text("utf-8").splitlines()
    lines[3] = lines[3].replace("Prevent,", "Somewhere,", 1)
    lines[5] = lines[5].replace(",523.1,", ",lots,")
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n", "utf-8")
    parsed = parse_dashboard(bad)
    plan = measures.plan_import(session, parsed)
    messages = [e.message for e in plan.errors]
    assert any(m.startswith("Line 4, column layer:") for m in messages)
    assert any(m.startswith("Line 6, column current_value:") for m in messages)
    with pytest.raises(Invalid):
        measures.import_dashboard(session, parsed, None)
    session.rollback()
    assert count(session, Measure) == 0
    assert count(session, MeasureValue) == 0


def test_a_changed_figure_is_previewed_as_an_update(session: Session, tmp_path: Path) -> None:
    import_file(session, NEW)
    changed = tmp_path / "changed.csv"
    changed.write_text(NEW.read_text("utf-8").replace(",88.8,2739,", ",88.9,2739,"), "utf-8")
    plan = measures.plan_import(session, parse_dashboard(changed))
    assert (plan.creates, plan.updates, plan.unchanged) == (0, 1, 24)
    row = next(r for r in plan.rows if r.outcome == "update")
    assert row.changes == ["Apr-Nov 2024 value"]


def test_summaries_by_statement_and_filters(session: Session) -> None:
    import_file(session, NEW)
    reablement = measures.find_measure(session, "ASCOF 2A")
    assert reablement is not None
    measures.link_statements(session, reablement, ["3A"], None)
    assert [s.measure.code for s in measures.measure_summaries(session, "3A")] == ["ASCOF 2A"]
    assert measures.measure_summaries(session, "4B") == []
    worse = measures.measure_summaries(
        session, filters=measures.MeasureFilters(progress=Progress.WORSE)
    )
    assert worse and all(s.progress.result is Progress.WORSE for s in worse)
    groups = measures.group_summaries(measures.measure_summaries(session))
    assert [layer.value for layer, _ in groups] == ["prevent", "reduce", "delay", "meet"]


def test_record_and_edit_values_with_tolerance(session: Session) -> None:
    m = measure(session)
    measures.record_value(session, m, measures.ValueInput("2023/24", 35.6, 1795, 5043), None)
    latest = measures.record_value(
        session,
        m,
        measures.ValueInput("Apr-Nov 2024", 33.9, 1723, 5081, benchmark=33.0),
        None,
    )
    assert measures.summarise(m).rating.result is Rating.SIMILAR  # 0.9 points, within 1
    data = measures.MeasureInput(
        m.code,
        m.title,
        Aim.HIGHER,
        Unit.PERCENT,
        m.layer,
        tolerance_kind=measures.ToleranceKind.ABSOLUTE,
        tolerance_amount=0.5,
    )
    measures.update_measure(session, m, data, None)
    assert measures.summarise(m).rating.result is Rating.BETTER
    with pytest.raises(Conflict):
        measures.record_value(session, m, measures.ValueInput("Apr-Nov 2024", 30.0), None)
    with pytest.raises(Invalid) as error:
        measures.update_value(
            session, m, latest, measures.ValueInput("Apr-Nov 2024", 33.9, 6000, 5081), None
        )
    assert error.value.field == "numerator"
    with pytest.raises(Invalid) as error:
        measures.record_value(session, m, measures.ValueInput("Soon", 1.0), None)
    assert error.value.field == "period"
    changes = session.exec(
        select(AuditEvent).where(AuditEvent.record_type == "Measure", AuditEvent.verb == "update")
    ).one()
    assert changes.changes["tolerance_amount"] == [None, 0.5]
