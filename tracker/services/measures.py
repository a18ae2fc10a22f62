"""Performance measures: measures, their values per period, dashboard imports and judgements.

Judgements are never stored: they are computed from the latest value, its benchmark and the
value before it each time a summary is asked for, so they cannot drift from the figures.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from .. import judgements
from ..dashboard_file import DashboardRow, ParsedDashboard, RowError, map_old_code
from ..judgements import Aim, Judgement, Progress, Rating, Unit
from ..models import QualityStatement, User, utcnow
from ..models.measures import Layer, Measure, MeasureValue, ToleranceKind
from . import Conflict, Invalid, NotFound
from .audit import apply_changes, record, snapshot
from .remembered import remember

MEASURE_FIELDS = (
    "code",
    "title",
    "aim",
    "unit",
    "layer",
    "plan_outcome",
    "data_source",
    "tolerance_kind",
    "tolerance_amount",
)
VALUE_FIELDS = (
    "period",
    "period_end",
    "value",
    "numerator",
    "denominator",
    "benchmark",
    "band_low",
    "band_high",
    "benchmark_label",
    "note",
)
#: Figures the file carries for a previous period; its benchmark is kept from earlier imports.
_PREVIOUS_FIELDS = ("period", "period_end", "value", "numerator", "denominator", "note")

_LAYERS: dict[str, Layer] = {
    "prevent": Layer.PREVENT,
    "reduce": Layer.REDUCE,
    "delay": Layer.DELAY,
    "meet": Layer.MEET,
    "meet need": Layer.MEET,
}
_MONTHS = {name.lower(): n for n, name in enumerate(calendar.month_abbr) if name}
_FINANCIAL_YEAR = re.compile(r"\b(\d{4})\s*/\s*(\d{2}|\d{4})\b")
_MONTH_YEAR = re.compile(r"\b([A-Za-z]{3})[a-z]*\.?[\s\-]+(\d{4}|\d{2})\b")
_YEAR = re.compile(r"\b(\d{4})\b")


# --- inputs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureInput:
    """The editable fields of a measure."""

    code: str
    title: str
    aim: Aim
    unit: Unit
    layer: Layer
    plan_outcome: str = ""
    data_source: str = ""
    tolerance_kind: ToleranceKind | None = None
    tolerance_amount: float | None = None
    statement_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ValueInput:
    """A measure's figures for one period."""

    period: str
    value: float | None = None
    numerator: int | None = None
    denominator: int | None = None
    benchmark: float | None = None
    band_low: float | None = None
    band_high: float | None = None
    benchmark_label: str = ""
    note: str = ""


@dataclass(frozen=True)
class MeasureFilters:
    """What the dashboard can be narrowed by."""

    layer: Layer | None = None
    statement: str | None = None
    rating: Rating | None = None
    progress: Progress | None = None


# --- summaries: what the dashboard, exports and readiness pages read ----------------------------


@dataclass(frozen=True)
class MeasureSummary:
    """A measure with its values over time and its two judgements, ready to show or export."""

    measure: Measure
    #: Every value, oldest period first.
    values: tuple[MeasureValue, ...]
    #: The newest period's value (its figure may be None: a survey year with no result).
    latest: MeasureValue | None
    #: The value for the period before the latest one.
    previous: MeasureValue | None
    rating: Judgement
    progress: Judgement
    #: Drawings of this summary by name (charts), kept as long as the summary is remembered.
    drawn: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def statement_codes(self) -> list[str]:
        """Codes of the linked quality statements, in framework order."""
        return [qs.code for qs in sorted(self.measure.statements, key=lambda q: q.position)]

    @property
    def has_current_value(self) -> bool:
        """Whether the latest period has a figure."""
        return self.latest is not None and self.latest.value is not None

    @property
    def value_text(self) -> str:
        """The latest figure as shown, with its counts: "87.2% (1,198 out of 1,374)"."""
        return describe_value(self.measure, self.latest)

    @property
    def previous_text(self) -> str:
        """The previous period's figure as shown."""
        return describe_value(self.measure, self.previous)

    @property
    def benchmark_text(self) -> str:
        """The latest benchmark or band with its label: "79.4% (23/24 national average)"."""
        return describe_benchmark(self.measure, self.latest)

    @property
    def note(self) -> str:
        """The latest period's note, if any."""
        return self.latest.note if self.latest is not None else ""


def describe_value(measure: Measure, value: MeasureValue | None) -> str:
    """A value as a committee report writes it: "87.2% (1,198 out of 1,374)" or "No data"."""
    if value is None or value.value is None:
        return "No data"
    text = judgements.format_figure(value.value, measure.unit)
    if value.numerator is not None and value.denominator is not None:
        text += f" ({value.numerator:,} out of {value.denominator:,})"
    return text


def describe_benchmark(measure: Measure, value: MeasureValue | None) -> str:
    """A value's benchmark or band with its label, or the label alone when there is no figure."""
    if value is None:
        return "None"
    if value.band is not None:
        text = judgements.format_band(value.band[0], value.band[1], measure.unit)
    elif value.benchmark is not None:
        text = judgements.format_figure(value.benchmark, measure.unit)
    else:
        return value.benchmark_label or "None"
    return f"{text} ({value.benchmark_label})" if value.benchmark_label else text


def summarise(measure: Measure) -> MeasureSummary:
    """Compute a measure's judgements from its latest value and the one before."""
    values = tuple(sorted(measure.values, key=lambda v: (v.period_end, v.id or 0)))
    latest = values[-1] if values else None
    previous = values[-2] if len(values) > 1 else None
    return MeasureSummary(
        measure,
        values,
        latest,
        previous,
        _rating(measure, latest),
        _progress(measure, latest, previous),
    )


def _plain_aim(measure: Measure) -> Aim:
    """The aim to use when there is nothing to compare: a band needs figures to mean anything."""
    return Aim.HIGHER if measure.aim is Aim.BAND else measure.aim


def _rating(measure: Measure, latest: MeasureValue | None) -> Judgement:
    if latest is None:
        return judgements.rate(None, None, _plain_aim(measure), note="No values recorded yet")
    if measure.aim is Aim.BAND and latest.band is None:
        # Without a band for this period there is nothing to rate against; never guess one.
        return judgements.rate(
            latest.value,
            None,
            Aim.HIGHER,
            note=latest.note,
            benchmark_label=f"no target band is recorded for {latest.period}",
        )
    return judgements.rate(
        latest.value,
        latest.benchmark,
        measure.aim,
        measure.tolerance,
        latest.band if measure.aim is Aim.BAND else None,
        unit=measure.unit,
        benchmark_label=latest.benchmark_label,
        note=latest.note,
    )


def _progress(
    measure: Measure, latest: MeasureValue | None, previous: MeasureValue | None
) -> Judgement:
    if latest is None:
        return judgements.progress(None, None, _plain_aim(measure), note="No values recorded yet")
    band = None
    if measure.aim is Aim.BAND:
        band = latest.band or (previous.band if previous is not None else None)
        if band is None:
            return judgements.progress(
                None, None, Aim.HIGHER, note=f"no target band is recorded for {latest.period}"
            )
    counts = None
    if previous is not None:
        counts = (latest.numerator, latest.denominator, previous.numerator, previous.denominator)
    return judgements.progress(
        latest.value,
        previous.value if previous is not None else None,
        measure.aim,
        measure.tolerance,
        counts,
        band=band,
        unit=measure.unit,
        previous_period=previous.period if previous is not None else "",
        note=latest.note,
        previous_note=previous.note if previous is not None else "There is no earlier period",
    )


def _load(session: Session, statement_code: str | None = None) -> list[Measure]:
    query = select(Measure).options(
        selectinload(Measure.values),  # type: ignore[arg-type]
        selectinload(Measure.statements),  # type: ignore[arg-type]
    )
    if statement_code:
        query = query.where(
            col(Measure.statements).any(QualityStatement.code == statement_code.upper())  # type: ignore[arg-type]
        )
    measures = list(session.exec(query))
    return sorted(measures, key=lambda m: (m.layer.order, m.plan_outcome, m.position, m.id or 0))


def measure_summaries(
    session: Session, statement_code: str | None = None, filters: MeasureFilters | None = None
) -> list[MeasureSummary]:
    """Every measure (or those of one quality statement) with latest value and judgements.

    Ordered as the committee dashboard: by strategy layer, plan outcome, then file order.
    Summaries are remembered until a table they were read from changes; read them only.
    """
    filters = filters or MeasureFilters()
    code = (statement_code or filters.statement or "").upper() or None
    found = list(
        remember(
            session,
            ("measure_summaries", code),
            lambda s: tuple(summarise(m) for m in _load(s, code)),
        )
    )
    if filters.layer is not None:
        found = [s for s in found if s.measure.layer is filters.layer]
    if filters.rating is not None:
        found = [s for s in found if s.rating.result is filters.rating]
    if filters.progress is not None:
        found = [s for s in found if s.progress.result is filters.progress]
    return found


def measures_without_current_value(
    session: Session, statement_code: str | None = None
) -> list[MeasureSummary]:
    """Measures whose latest period has no figure (or that have no values at all)."""
    return [s for s in measure_summaries(session, statement_code) if not s.has_current_value]


def group_summaries(
    summaries: Iterable[MeasureSummary],
) -> list[tuple[Layer, list[tuple[str, list[MeasureSummary]]]]]:
    """Group summaries by layer then plan outcome, keeping their order."""
    groups: dict[Layer, dict[str, list[MeasureSummary]]] = {}
    for summary in summaries:
        groups.setdefault(summary.measure.layer, {}).setdefault(
            summary.measure.plan_outcome, []
        ).append(summary)
    return [(layer, list(groups[layer].items())) for layer in sorted(groups, key=lambda x: x.order)]


# --- measures --------------------------------------------------------------------------------


def get_measure(session: Session, measure_id: int) -> Measure:
    """A measure by id."""
    measure = session.get(Measure, measure_id)
    if measure is None:
        raise NotFound("There is no such measure")
    return measure


def get_summary(session: Session, measure_id: int) -> MeasureSummary:
    """One measure's summary by id."""
    return summarise(get_measure(session, measure_id))


def _measure_values(data: MeasureInput) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(data, name) for name in MEASURE_FIELDS}
    for name in ("code", "title", "plan_outcome", "data_source"):
        values[name] = " ".join(str(values[name]).split())
    if not values["code"]:
        raise Invalid("Enter the measure code, or Local for a local measure", field="code")
    if not values["title"]:
        raise Invalid("Enter a title", field="title")
    if (data.tolerance_kind is None) != (data.tolerance_amount is None):
        raise Invalid(
            "Enter both the kind and the amount of tolerance, or neither to use the default",
            field="tolerance_amount",
        )
    if data.tolerance_amount is not None and data.tolerance_amount < 0:
        raise Invalid("Tolerance must be zero or more", field="tolerance_amount")
    return values


def _check_unique(session: Session, code: str, title: str, measure_id: int | None) -> None:
    clash = session.exec(
        select(Measure).where(Measure.code == code, Measure.title == title)
    ).first()
    if clash is not None and clash.id != measure_id:
        raise Conflict(f"There is already a measure {code}: {title}", field="title")


def _statements(session: Session, ids: Sequence[int]) -> list[QualityStatement]:
    if not ids:
        return []
    found = list(session.exec(select(QualityStatement).where(col(QualityStatement.id).in_(ids))))
    if len(found) != len(set(ids)):
        raise Invalid("Choose quality statements from the list", field="statements")
    return found


def create_measure(session: Session, data: MeasureInput, actor: User | None) -> Measure:
    """Add a measure."""
    values = _measure_values(data)
    _check_unique(session, values["code"], values["title"], None)
    measure = Measure(**values)
    measure.statements = _statements(session, data.statement_ids)
    session.add(measure)
    session.flush()
    changes = snapshot(measure, MEASURE_FIELDS)
    changes["statements"] = [None, sorted(qs.code for qs in measure.statements)]
    record(session, actor, "create", measure, changes, label=measure.label)
    return measure


def update_measure(
    session: Session, measure: Measure, data: MeasureInput, actor: User | None
) -> Measure:
    """Edit a measure, including its tolerance and linked quality statements."""
    values = _measure_values(data)
    _check_unique(session, values["code"], values["title"], measure.id)
    band_change = data.aim is not measure.aim and Aim.BAND in (data.aim, measure.aim)
    if band_change and measure.values:
        raise Invalid(
            "A measure with values cannot change to or from a target band; "
            "add a new measure instead",
            field="aim",
        )
    changes = apply_changes(measure, values)
    new_statements = _statements(session, data.statement_ids)
    before = sorted(qs.code for qs in measure.statements)
    after = sorted(qs.code for qs in new_statements)
    if before != after:
        measure.statements = new_statements
        changes["statements"] = [before, after]
    if changes:
        measure.updated_at = utcnow()
        session.flush()
        record(session, actor, "update", measure, changes, label=measure.label)
    return measure


def delete_measure(session: Session, measure: Measure, actor: User | None) -> None:
    """Delete a measure and all its values."""
    changes = snapshot(measure, MEASURE_FIELDS)
    record(session, actor, "delete", measure, changes, label=measure.label)
    session.delete(measure)
    session.flush()


# --- values ----------------------------------------------------------------------------------


def period_end(label: str) -> date | None:
    """The last day a period label covers, to order periods in time; None if unreadable.

    "2023/24" (a financial year, also "2024/25 forecast") ends on 31 March 2024;
    "Apr-Nov 2024" and "End Nov 2024" on 30 November 2024; "Nov-24" likewise; "2024" on
    31 December 2024.
    """
    text = " ".join(label.split())
    match = _FINANCIAL_YEAR.search(text)
    if match:
        start = int(match.group(1))
        return date(start + 1, 3, 31)
    for match in reversed(list(_MONTH_YEAR.finditer(text))):
        month = _MONTHS.get(match.group(1).lower())
        if month is None:
            continue
        year = int(match.group(2))
        year = year + 2000 if year < 100 else year
        return date(year, month, calendar.monthrange(year, month)[1])
    match = _YEAR.search(text)
    if match:
        return date(int(match.group(1)), 12, 31)
    return None


def _value_fields(measure: Measure, data: ValueInput) -> dict[str, Any]:
    period = " ".join(data.period.split())
    if not period:
        raise Invalid("Enter the period, like Apr-Nov 2024 or 2023/24", field="period")
    end = period_end(period)
    if end is None:
        raise Invalid(
            "Enter a period with a year, like Apr-Nov 2024, End Nov 2024 or 2023/24",
            field="period",
        )
    if (data.numerator is None) != (data.denominator is None):
        raise Invalid("Enter both the numerator and the denominator, or neither", field="numerator")
    if data.denominator is not None and data.denominator <= 0:
        raise Invalid("The denominator must be more than 0", field="denominator")
    if data.numerator is not None and data.denominator is not None:
        if data.numerator < 0 or data.numerator > data.denominator:
            raise Invalid("The numerator must be between 0 and the denominator", field="numerator")
        if data.value is None:
            raise Invalid("Enter the value as well as the numerator and denominator", field="value")
    has_band = data.band_low is not None or data.band_high is not None
    if measure.aim is Aim.BAND:
        if data.benchmark is not None:
            raise Invalid("A target band measure takes a band, not a benchmark", field="benchmark")
        if has_band and (data.band_low is None or data.band_high is None):
            raise Invalid("Enter both ends of the target band", field="band_low")
        if has_band and data.band_low > data.band_high:  # type: ignore[operator]
            raise Invalid("Put the lower end of the band first", field="band_low")
    elif has_band:
        raise Invalid("Only a measure whose aim is a target band takes a band", field="band_low")
    return {
        "period": period,
        "period_end": end,
        "value": data.value,
        "numerator": data.numerator,
        "denominator": data.denominator,
        "benchmark": data.benchmark,
        "band_low": data.band_low,
        "band_high": data.band_high,
        "benchmark_label": " ".join(data.benchmark_label.split()),
        "note": data.note.replace("\r\n", "\n").strip(),
    }


def _value_label(measure: Measure, period: str) -> str:
    return f"{measure.code} {period}"


def get_value(session: Session, measure: Measure, value_id: int) -> MeasureValue:
    """One of a measure's values by id."""
    value = session.get(MeasureValue, value_id)
    if value is None or value.measure_id != measure.id:
        raise NotFound("There is no such value")
    return value


def record_value(
    session: Session, measure: Measure, data: ValueInput, actor: User | None
) -> MeasureValue:
    """Add a measure's figures for a period (the period must be new for the measure)."""
    fields = _value_fields(measure, data)
    if any(v.period == fields["period"] for v in measure.values):
        raise Conflict(f"There is already a value for {fields['period']}", field="period")
    value = MeasureValue(measure_id=measure.id or 0, **fields)
    session.add(value)
    session.flush()
    session.refresh(measure, ["values"])
    record(
        session,
        actor,
        "create",
        value,
        snapshot(value, VALUE_FIELDS),
        label=_value_label(measure, value.period),
    )
    return value


def update_value(
    session: Session, measure: Measure, value: MeasureValue, data: ValueInput, actor: User | None
) -> MeasureValue:
    """Edit a measure's figures for a period."""
    fields = _value_fields(measure, data)
    if any(v.period == fields["period"] and v.id != value.id for v in measure.values):
        raise Conflict(f"There is already a value for {fields['period']}", field="period")
    changes = apply_changes(value, fields)
    if changes:
        value.updated_at = utcnow()
        session.flush()
        record(session, actor, "update", value, changes, label=_value_label(measure, value.period))
    return value


def delete_value(
    session: Session, measure: Measure, value: MeasureValue, actor: User | None
) -> None:
    """Delete one period's figures."""
    record(
        session,
        actor,
        "delete",
        value,
        snapshot(value, VALUE_FIELDS),
        label=_value_label(measure, value.period),
    )
    session.delete(value)
    session.flush()
    session.refresh(measure, ["values"])


# --- dashboard imports -----------------------------------------------------------------------

Outcome = Literal["create", "update", "unchanged"]


@dataclass
class RowPlan:
    """What importing one row of the file will do to its measure and values."""

    line: int
    code: str
    title: str
    outcome: Outcome
    changes: list[str] = field(default_factory=list)


@dataclass
class ImportPlan:
    """What a dashboard file will create or update, or why it cannot be imported."""

    filename: str
    rows: list[RowPlan] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the file can be imported (warnings allowed)."""
        return not self.errors

    def count(self, outcome: Outcome) -> int:
        """How many rows have this outcome."""
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def creates(self) -> int:
        """Rows that add a measure."""
        return self.count("create")

    @property
    def updates(self) -> int:
        """Rows that change an existing measure or its values."""
        return self.count("update")

    @property
    def unchanged(self) -> int:
        """Rows that match what is already stored."""
        return self.count("unchanged")


def parse_layer(text: str) -> Layer | None:
    """The layer for a spelling such as "Prevent" or "Meet need", or None."""
    return _LAYERS.get(" ".join(text.lower().split()))


def map_old_codes(rows: Iterable[DashboardRow]) -> list[DashboardRow]:
    """Rows with pre-2023/24 ASCOF codes replaced by their current codes."""
    return [replace(row, measure_code=map_old_code(row.measure_code)) for row in rows]


def _f(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _row_fields(row: DashboardRow, layer: Layer) -> dict[str, Any]:
    return {
        "code": " ".join(row.measure_code.split()),
        "title": " ".join(row.description.split()),
        "aim": row.aim,
        "unit": row.unit,
        "layer": layer,
        "plan_outcome": row.plan_outcome,
        "position": row.line,
    }


def _row_values(row: DashboardRow) -> list[tuple[dict[str, Any], tuple[str, ...]]]:
    """The value rows a file row carries: (fields, which fields it sets)."""
    found: list[tuple[dict[str, Any], tuple[str, ...]]] = []
    if row.previous_period:
        found.append(
            (
                {
                    "period": row.previous_period,
                    "period_end": period_end(row.previous_period),
                    "value": _f(row.previous_value),
                    "numerator": row.previous_numerator,
                    "denominator": row.previous_denominator,
                    "note": row.previous_note,
                },
                _PREVIOUS_FIELDS,
            )
        )
    if row.current_period:
        band = row.band
        found.append(
            (
                {
                    "period": row.current_period,
                    "period_end": period_end(row.current_period),
                    "value": _f(row.current_value),
                    "numerator": row.current_numerator,
                    "denominator": row.current_denominator,
                    "benchmark": _f(row.benchmark),
                    "band_low": _f(band[0]) if band else None,
                    "band_high": _f(band[1]) if band else None,
                    "benchmark_label": row.benchmark_label,
                    "note": row.current_note,
                },
                VALUE_FIELDS,
            )
        )
    return found


def _row_errors(row: DashboardRow, seen: dict[tuple[str, str], int]) -> list[RowError]:
    errors = []

    def fail(column: str, message: str) -> None:
        errors.append(RowError(row.line, column, f"Line {row.line}, column {column}: {message}"))

    if parse_layer(row.layer) is None:
        fail("layer", f"enter Prevent, Reduce, Delay or Meet (found '{row.layer}').")
    for name in ("previous_period", "current_period"):
        label = getattr(row, name)
        if label and period_end(label) is None:
            fail(
                name, f"enter a period with a year, like Apr-Nov 2024 or 2023/24 (found '{label}')."
            )
    if row.current_period and row.current_period == row.previous_period:
        fail("previous_period", "the previous period is the same as the current period.")
    if not row.current_period:
        fail("current_period", "enter the period the current figures cover, like Apr-Nov 2024.")
    if len(row.measure_code) > 40:
        fail("measure_code", "keep the measure code to 40 characters.")
    if len(row.description) > 300:
        fail("description", "keep the description to 300 characters.")
    key = (
        " ".join(row.measure_code.split()).casefold(),
        " ".join(row.description.split()).casefold(),
    )
    if key in seen:
        fail("description", f"this repeats the measure on line {seen[key]}; keep one of them.")
    else:
        seen[key] = row.line
    return errors


def _existing(session: Session) -> dict[tuple[str, str], Measure]:
    measures = session.exec(select(Measure).options(selectinload(Measure.values)))  # type: ignore[arg-type]
    return {(m.code.casefold(), m.title.casefold()): m for m in measures}


def _differences(obj: Any, values: dict[str, Any], names: Iterable[str]) -> list[str]:
    return [name for name in names if getattr(obj, name) != values[name]]


def plan_import(session: Session, parsed: ParsedDashboard, old_codes: bool = False) -> ImportPlan:
    """Work out, without writing, what importing a parsed dashboard file would do.

    A row updates the measure with the same code and description (ignoring case), and the
    values for the same period labels; anything else is created. ``old_codes`` maps
    pre-2023/24 ASCOF codes to current ones first.
    """
    plan = ImportPlan(parsed.filename, errors=list(parsed.errors), warnings=[])
    # Repeated measures are errors here, not warnings: both rows would write the same measure.
    plan.warnings = [w for w in parsed.warnings if w.column != "description"]
    rows = map_old_codes(parsed.rows) if old_codes else list(parsed.rows)
    seen: dict[tuple[str, str], int] = {}
    existing = _existing(session)
    for row in rows:
        errors = _row_errors(row, seen)
        plan.errors.extend(errors)
        if errors:
            continue
        layer = parse_layer(row.layer)
        assert layer is not None
        fields = _row_fields(row, layer)
        measure = existing.get((fields["code"].casefold(), fields["title"].casefold()))
        if measure is None:
            plan.rows.append(RowPlan(row.line, fields["code"], fields["title"], "create"))
            continue
        changes = [n for n in _differences(measure, fields, fields) if n != "position"]
        by_period = {v.period: v for v in measure.values}
        for value_fields, names in _row_values(row):
            stored = by_period.get(value_fields["period"])
            if stored is None:
                changes.append(f"new period {value_fields['period']}")
            else:
                changed = _differences(stored, value_fields, names)
                changes.extend(f"{value_fields['period']} {n.replace('_', ' ')}" for n in changed)
        plan.rows.append(
            RowPlan(
                row.line,
                fields["code"],
                fields["title"],
                "update" if changes else "unchanged",
                changes,
            )
        )
    plan.errors.sort(key=lambda e: e.line or 0)
    return plan


def import_dashboard(
    session: Session, parsed: ParsedDashboard, actor: User | None, old_codes: bool = False
) -> ImportPlan:
    """Import a parsed dashboard file: everything or, if any row has an error, nothing.

    Raises Invalid when the file has errors; the caller rolls back and shows the plan.
    Importing the same file again changes nothing.
    """
    plan = plan_import(session, parsed, old_codes)
    if not plan.ok:
        raise Invalid(
            f"The file has {len(plan.errors)} problem(s); nothing was imported", field="file"
        )
    rows = map_old_codes(parsed.rows) if old_codes else list(parsed.rows)
    existing = _existing(session)
    for row in rows:
        layer = parse_layer(row.layer)
        assert layer is not None
        fields = _row_fields(row, layer)
        key = (fields["code"].casefold(), fields["title"].casefold())
        measure = existing.get(key)
        if measure is None:
            measure = Measure(**fields)
            session.add(measure)
            session.flush()
            record(
                session,
                actor,
                "create",
                measure,
                snapshot(measure, MEASURE_FIELDS),
                label=measure.label,
            )
            existing[key] = measure
        else:
            changes = apply_changes(measure, fields)
            changes.pop("position", None)
            if changes:
                measure.updated_at = utcnow()
                session.flush()
                record(session, actor, "update", measure, changes, label=measure.label)
        by_period = {v.period: v for v in measure.values}
        for value_fields, names in _row_values(row):
            stored = by_period.get(value_fields["period"])
            if stored is None:
                value = MeasureValue(measure_id=measure.id or 0, **value_fields)
                session.add(value)
                session.flush()
                record(
                    session,
                    actor,
                    "create",
                    value,
                    snapshot(value, VALUE_FIELDS),
                    label=_value_label(measure, value.period),
                )
            else:
                changes = apply_changes(stored, {n: value_fields[n] for n in names})
                if changes:
                    stored.updated_at = utcnow()
                    session.flush()
                    record(
                        session,
                        actor,
                        "update",
                        stored,
                        changes,
                        label=_value_label(measure, stored.period),
                    )
        session.flush()
        session.refresh(measure, ["values"])
    return plan


def link_statements(
    session: Session, measure: Measure, codes: Iterable[str], actor: User | None
) -> Measure:
    """Link a measure to quality statements by code, keeping its other fields."""
    ids = []
    for code in codes:
        qs = session.exec(
            select(QualityStatement).where(QualityStatement.code == code.upper())
        ).first()
        if qs is None:
            raise NotFound(f"There is no quality statement {code}")
        ids.append(qs.id or 0)
    data = MeasureInput(
        **{name: getattr(measure, name) for name in MEASURE_FIELDS}, statement_ids=tuple(ids)
    )
    return update_measure(session, measure, data, actor)


def find_measure(session: Session, code: str, title: str | None = None) -> Measure | None:
    """The measure with this code (and title, for local measures), ignoring case."""
    query = select(Measure).where(col(Measure.code).ilike(code))
    if title is not None:
        query = query.where(col(Measure.title).ilike(title))
    return session.exec(query.order_by(col(Measure.id))).first()
