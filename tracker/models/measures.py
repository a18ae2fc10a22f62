"""Performance measures and their values per period."""

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, Relationship, SQLModel

from tracker.judgements import Aim, Tolerance, Unit, default_tolerance

from . import enum_type, utcnow

if TYPE_CHECKING:
    from . import QualityStatement


class Layer(str, enum.Enum):
    """The council's strategy layers, in dashboard order."""

    PREVENT = "prevent"
    REDUCE = "reduce"
    DELAY = "delay"
    MEET = "meet"

    @property
    def label(self) -> str:
        """Human name of the layer."""
        return "Meet need" if self is Layer.MEET else self.value.capitalize()

    @property
    def order(self) -> int:
        """Position on the dashboard."""
        return list(Layer).index(self)


class ToleranceKind(str, enum.Enum):
    """Whether a measure's tolerance is in its own units or a percentage of the comparison."""

    ABSOLUTE = "absolute"
    RELATIVE = "relative"


class MeasureStatementLink(SQLModel, table=True):
    """Which quality statements a measure informs."""

    measure_id: int | None = Field(
        default=None, foreign_key="measure.id", primary_key=True, ondelete="CASCADE"
    )
    quality_statement_id: int | None = Field(
        default=None, foreign_key="qualitystatement.id", primary_key=True, ondelete="CASCADE"
    )


class Measure(SQLModel, table=True):
    """An ASCOF or local performance measure reported to the scrutiny committee."""

    __table_args__ = (UniqueConstraint("code", "title"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, index=True)
    title: str = Field(max_length=300)
    aim: Aim = Field(sa_type=enum_type(Aim))
    unit: Unit = Field(sa_type=enum_type(Unit))
    layer: Layer = Field(sa_type=enum_type(Layer))
    plan_outcome: str = Field(default="", max_length=300)
    data_source: str = Field(default="", max_length=200)
    position: int = 0
    tolerance_kind: ToleranceKind | None = Field(default=None, sa_type=enum_type(ToleranceKind))
    tolerance_amount: float | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    statements: list["QualityStatement"] = Relationship(link_model=MeasureStatementLink)
    values: list["MeasureValue"] = Relationship(
        back_populates="measure",
        sa_relationship_kwargs={
            "cascade": "all, delete-orphan",
            "order_by": "MeasureValue.period_end, MeasureValue.id",
        },
    )

    @property
    def label(self) -> str:
        """Code and title, e.g. 'ASCOF 2A: % of people who ...'."""
        return f"{self.code}: {self.title}"

    @property
    def tolerance(self) -> Tolerance:
        """The tolerance for "similar": the measure's own, or the default for its unit."""
        if self.tolerance_kind is not None and self.tolerance_amount is not None:
            return Tolerance(self.tolerance_kind.value, self.tolerance_amount)  # type: ignore[arg-type]
        return default_tolerance(self.unit)

    @property
    def has_own_tolerance(self) -> bool:
        """Whether the tolerance was set for this measure rather than taken from its unit."""
        return self.tolerance_kind is not None and self.tolerance_amount is not None


class MeasureValue(SQLModel, table=True):
    """A measure's figure for one period, with the benchmark it was judged against."""

    __table_args__ = (UniqueConstraint("measure_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    measure_id: int = Field(foreign_key="measure.id", ondelete="CASCADE", index=True)
    period: str = Field(max_length=60)
    #: The end of the period, read from its label; orders a measure's values in time.
    period_end: date
    value: float | None = None
    numerator: int | None = None
    denominator: int | None = None
    benchmark: float | None = None
    band_low: float | None = None
    band_high: float | None = None
    benchmark_label: str = Field(default="", max_length=200)
    note: str = Field(default="", sa_type=Text)
    updated_at: datetime = Field(default_factory=utcnow)

    measure: "Measure" = Relationship(back_populates="values")

    @property
    def band(self) -> tuple[float, float] | None:
        """The target band as (low, high), if the value has one."""
        if self.band_low is None or self.band_high is None:
            return None
        return (self.band_low, self.band_high)

    @property
    def title(self) -> str:
        """A label for the audit trail."""
        return f"{self.period} value"
