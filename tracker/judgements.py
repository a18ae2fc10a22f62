"""Rating and progress judgements for performance measures.

Pure functions: no database, no Flask. A dashboard shows two judgements per measure:

- **Rating**: the current value against a benchmark (national average or local target), or
  against a target band such as 55-60%.
- **Progress**: the current value against the previous period's value.

Every judgement carries a word and a symbol as well as a colour key, so nothing relies on colour
alone. Symbols describe the judgement, not the direction of the number: a waiting list that
falls (lower is better) is shown as ▲ "Improved".

Arithmetic is done in ``Decimal`` after converting floats through their shortest ``repr``, so
87.2 - 86.2 is exactly 1.0 and a difference of exactly the tolerance is reliably "similar".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Literal, NamedTuple

Number = int | float | Decimal

#: Significance level for the two-proportion z-test (two-sided, so 95% confidence).
ALPHA = 0.05


class Aim(StrEnum):
    """Which direction is good for a measure."""

    HIGHER = "higher"
    LOWER = "lower"
    BAND = "band"
    INFORMATION = "information"


class Unit(StrEnum):
    """What a measure's values count; decides formatting and the default tolerance."""

    PERCENT = "percent"
    COUNT = "count"
    THOUSANDS = "thousands"
    RATE_PER_100K = "rate_per_100k"
    SCORE = "score"
    DAYS = "days"


class Rating(StrEnum):
    """The current value judged against a benchmark or target band."""

    BETTER = "better"
    SIMILAR = "similar"
    BELOW = "below"  # below the standard: worse than the benchmark, whichever way is good
    WITHIN_BAND = "within_band"
    OUTSIDE_BAND = "outside_band"
    NO_DATA = "no_data"
    NOT_RATED = "not_rated"


class Progress(StrEnum):
    """The current value judged against the previous period."""

    IMPROVED = "improved"
    SIMILAR = "similar"
    WORSE = "worse"
    NO_DATA = "no_data"
    NOT_RATED = "not_rated"


# (word, symbol, colour key). Colour keys are CSS hooks only; word and symbol carry the meaning.
_RATING_STYLE: dict[Rating, tuple[str, str, str]] = {
    Rating.BETTER: ("Better than benchmark", "▲", "green"),
    Rating.SIMILAR: ("Similar to benchmark", "●", "amber"),
    Rating.BELOW: ("Worse than benchmark", "▼", "red"),
    Rating.WITHIN_BAND: ("Within target band", "✓", "green"),
    Rating.OUTSIDE_BAND: ("Outside target band", "✗", "red"),
    Rating.NO_DATA: ("No data", "–", "grey"),
    Rating.NOT_RATED: ("Not rated", "○", "grey"),
}

_PROGRESS_STYLE: dict[Progress, tuple[str, str, str]] = {
    Progress.IMPROVED: ("Improved", "▲", "green"),
    Progress.SIMILAR: ("Similar to previous period", "●", "amber"),
    Progress.WORSE: ("Not as good as previous period", "▼", "red"),
    Progress.NO_DATA: ("No data", "–", "grey"),
    Progress.NOT_RATED: ("Not rated", "○", "grey"),
}


@dataclass(frozen=True)
class Tolerance:
    """How far apart two figures may be and still count as "similar".

    ``kind`` is "absolute" (``amount`` in the measure's own units, so percentage points for a
    percentage) or "relative" (``amount`` is a percentage of the figure compared against: the
    benchmark for a rating, the previous value for progress; 5.0 means ±5%).

    A difference exactly equal to the tolerance counts as similar: the boundary belongs to
    "similar" so that a figure published to one decimal place cannot flip judgement on a
    rounding of the last digit.
    """

    kind: Literal["absolute", "relative"]
    amount: float

    def __post_init__(self) -> None:
        if self.kind not in ("absolute", "relative"):
            raise ValueError(f"tolerance kind must be 'absolute' or 'relative', not {self.kind!r}")
        if not math.isfinite(self.amount) or self.amount < 0:
            raise ValueError(f"tolerance amount must be zero or more, not {self.amount!r}")

    def allowance(self, base: Number) -> Decimal:
        """Return the tolerance in the measure's units when comparing against ``base``."""
        amount = _to_decimal(self.amount)
        assert amount is not None  # finite, checked in __post_init__
        if self.kind == "absolute":
            return amount
        base_d = _to_decimal(base)
        if base_d is None:
            raise ValueError("a relative tolerance needs a finite base value")
        return amount * abs(base_d) / 100

    def describe(self, unit: Unit | str, base: Number | None = None) -> str:
        """Return the tolerance in words, e.g. "±1.0 points" or "±5% (±38.65)"."""
        unit = Unit(unit)
        amount = _to_decimal(self.amount)
        assert amount is not None
        if self.kind == "absolute":
            return "±" + _format_difference(amount, unit)
        text = f"±{_plain(amount)}%"
        if base is not None:
            text += f" (±{_format_difference(_trim(self.allowance(base)), unit)})"
        return text


def default_tolerance(unit: Unit | str) -> Tolerance:
    """Return the starting tolerance for a unit; set a per-measure tolerance where it differs.

    No single threshold suits every measure, so these are starting points only:

    - percent: absolute 1.0 percentage point. Dashboard percentages are published to one
      decimal place, and a relative tolerance would be far too tight for small percentages
      (5% of 4.8% is 0.24 points) and loose for large ones.
    - score: relative 2%, about 0.4 on a social care quality-of-life score near 19 (out of
      24). Score scales differ by measure, so the tolerance scales with the figure.
    - count, thousands, rate_per_100k, days: relative 5%. These have no natural scale, and a
      fixed amount would be meaningless across a waiting list of 36 and one of 773.
    """
    unit = Unit(unit)
    if unit is Unit.PERCENT:
        return Tolerance("absolute", 1.0)
    if unit is Unit.SCORE:
        return Tolerance("relative", 2.0)
    return Tolerance("relative", 5.0)


class SignificanceTest(NamedTuple):
    """Result of a two-proportion z-test: current minus previous proportion."""

    z: float
    p: float
    significant: bool

    def describe(self) -> str:
        """Return the statistics in words, e.g. "z = -1.78, p = 0.075"."""
        p_text = "p < 0.001" if self.p < 0.001 else f"p = {self.p:.3f}"
        return f"z = {self.z:.2f}, {p_text}"


class Counts(NamedTuple):
    """Numerators and denominators for both periods, e.g. 1,723 of 5,081 and 1,795 of 5,043."""

    current_numerator: int | None
    current_denominator: int | None
    previous_numerator: int | None
    previous_denominator: int | None

    def complete(self) -> bool:
        """Return True when all four figures are present."""
        return all(n is not None for n in self)


def two_proportion_z_test(
    x1: int, n1: int, x2: int, n2: int, alpha: float = ALPHA
) -> SignificanceTest:
    """Test whether x1/n1 differs from x2/n2 (pooled two-proportion z-test, two-sided).

    The normal approximation is poor when a period has fewer than about five cases on either
    side (for example 2 of 40); treat the result with caution then.
    """
    for x, n in ((x1, n1), (x2, n2)):
        if n <= 0:
            raise ValueError(f"denominator must be more than zero, not {n}")
        if not 0 <= x <= n:
            raise ValueError(f"numerator must be between 0 and the denominator ({n}), not {x}")
    pooled = (x1 + x2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance == 0:
        # Both periods are 0% or both 100%: no variation, so no evidence of any change.
        return SignificanceTest(0.0, 1.0, False)
    z = (x1 / n1 - x2 / n2) / math.sqrt(variance)
    p = math.erfc(abs(z) / math.sqrt(2))
    return SignificanceTest(z, p, p < alpha)


@dataclass(frozen=True)
class Judgement:
    """One rating or progress judgement, ready to show: word, symbol, colour key and reason."""

    result: Rating | Progress
    word: str
    symbol: str
    colour: str
    explanation: str
    #: The value minus the benchmark or previous value, in the measure's units (None if no data).
    difference: Decimal | None = None
    #: The significance test, when numerators and denominators exist for both periods.
    test: SignificanceTest | None = None

    @property
    def label(self) -> str:
        """Return symbol and word together, e.g. "▲ Better than benchmark"."""
        return f"{self.symbol} {self.word}"


def rate(
    value: Number | None,
    benchmark: Number | None,
    aim: Aim | str,
    tolerance: Tolerance | None = None,
    band: tuple[Number, Number] | None = None,
    *,
    unit: Unit | str = Unit.PERCENT,
    benchmark_label: str = "",
    note: str = "",
) -> Judgement:
    """Judge ``value`` against ``benchmark`` (or against ``band`` when the aim is a band).

    ``tolerance`` defaults to ``default_tolerance(unit)``; a difference exactly equal to it is
    similar. Bands are inclusive at both ends and use no tolerance. A missing value or
    benchmark gives "no data", explained by ``note`` or ``benchmark_label``.
    """
    aim, unit = Aim(aim), Unit(unit)
    if aim is Aim.INFORMATION:
        return _rating(Rating.NOT_RATED, "For information only, so not rated against a benchmark.")
    if aim is Aim.BAND:
        low, high = _check_band(band)
    elif band is not None:
        raise ValueError(f"a band is only used with aim 'band', not {aim.value!r}")

    v = _to_decimal(value)
    if v is None:
        return _rating(Rating.NO_DATA, _no_data_text("No value for this period", note))

    if aim is Aim.BAND:
        band_text = _format_band(low, high, unit)
        if low <= v <= high:
            return _rating(
                Rating.WITHIN_BAND,
                f"{_format_value(v, unit)} is within the target band of {band_text}.",
                difference=Decimal(0),
            )
        gap = low - v if v < low else v - high
        side = "below" if v < low else "above"
        return _rating(
            Rating.OUTSIDE_BAND,
            f"{_format_value(v, unit)} is outside the target band of {band_text}: "
            f"{_format_difference(gap, unit)} {side} it.",
            difference=-gap if v < low else gap,
        )

    b = _to_decimal(benchmark)
    if b is None:
        return _rating(
            Rating.NO_DATA, _no_data_text("No benchmark to compare with", benchmark_label)
        )
    tolerance = tolerance or default_tolerance(unit)
    diff = v - b
    gain = diff if aim is Aim.HIGHER else -diff
    allowance = tolerance.allowance(b)
    label = f" ({benchmark_label})" if benchmark_label else ""
    lead = f"{_format_value(v, unit)} against a benchmark of {_format_value(b, unit)}{label}: "
    tol_text = tolerance.describe(unit, b)
    if abs(diff) <= allowance:
        result = Rating.SIMILAR
        body = f"{_same_or_moved(diff, unit, 'the benchmark')}, within the tolerance of {tol_text}."
    else:
        result = Rating.BETTER if gain > 0 else Rating.BELOW
        word = "better" if gain > 0 else "worse"
        body = (
            f"{_format_difference(abs(diff), unit)} {word}{_lower_hint(aim)}; tolerance {tol_text}."
        )
    return _rating(result, lead + body, difference=diff)


def progress(
    current: Number | None,
    previous: Number | None,
    aim: Aim | str,
    tolerance: Tolerance | None = None,
    counts: Counts | tuple[int | None, int | None, int | None, int | None] | None = None,
    *,
    band: tuple[Number, Number] | None = None,
    unit: Unit | str = Unit.PERCENT,
    previous_period: str = "",
    note: str = "",
    previous_note: str = "",
) -> Judgement:
    """Judge ``current`` against ``previous``: improved, similar or not as good.

    ``tolerance`` is relative to the previous value and defaults to ``default_tolerance(unit)``;
    a change exactly equal to it is similar. For a band aim, progress is the change in
    distance from the band (moving closer is an improvement; staying inside is similar).

    When ``counts`` holds numerators and denominators for both periods, a pooled
    two-proportion z-test at 95% is run as well, and a change is only "improved" or "not as
    good" if it is both beyond the tolerance and statistically significant; otherwise it is
    similar, and the explanation says why.
    """
    aim, unit = Aim(aim), Unit(unit)
    if aim is Aim.INFORMATION:
        return _progress(Progress.NOT_RATED, "For information only, so progress is not rated.")
    if aim is Aim.BAND:
        low, high = _check_band(band)
    elif band is not None:
        raise ValueError(f"a band is only used with aim 'band', not {aim.value!r}")

    cur, prev = _to_decimal(current), _to_decimal(previous)
    if cur is None:
        return _progress(Progress.NO_DATA, _no_data_text("No value for this period", note))
    if prev is None:
        return _progress(
            Progress.NO_DATA, _no_data_text("No value for the previous period", previous_note)
        )

    test = None
    if counts is not None:
        x1, n1, x2, n2 = counts
        if x1 is not None and n1 is not None and x2 is not None and n2 is not None:
            test = two_proportion_z_test(x1, n1, x2, n2)

    tolerance = tolerance or default_tolerance(unit)
    allowance = tolerance.allowance(prev)
    tol_text = tolerance.describe(unit, prev)
    diff = cur - prev
    when = f"in {previous_period}" if previous_period else "in the previous period"
    lead = f"{_format_value(cur, unit)} against {_format_value(prev, unit)} {when}: "

    if aim is Aim.BAND:
        gain = _distance_from_band(prev, low, high) - _distance_from_band(cur, low, high)
        band_text = _format_band(low, high, unit)
        if gain == 0:
            moved = _same_or_moved(diff, unit, "the previous period")
            place = "within" if low <= cur <= high else "outside"
            movement = f"{moved}; {place} the target band of {band_text} both times"
        else:
            closer = "closer to" if gain > 0 else "further from"
            movement = (
                f"{_format_difference(abs(gain), unit)} {closer} the target band of {band_text}"
            )
    else:
        gain = diff if aim is Aim.HIGHER else -diff
        if gain == 0:
            movement = _same_or_moved(diff, unit, "the previous period")
        else:
            word = "better" if gain > 0 else "worse"
            movement = f"{_format_difference(abs(diff), unit)} {word}{_lower_hint(aim)}"

    contradicts = test is not None and test.z != 0 and diff != 0 and (test.z > 0) != (diff > 0)
    if test is not None and contradicts and (test.significant or abs(gain) > allowance):
        # The published values and the counts disagree about the direction of a change that
        # matters (a typing error in one of them): say so rather than choose one. Rounding
        # can make tiny changes disagree; those fall through to "similar" below.
        result = Progress.SIMILAR
        body = (
            f"{movement}, but the numerators and denominators move the other way "
            f"({test.describe()}); check the figures"
        )
    elif aim is Aim.BAND and gain == 0:
        result = Progress.SIMILAR
        body = movement
    elif abs(gain) <= allowance:
        result = Progress.SIMILAR
        if aim is not Aim.BAND:
            # "2 points worse, within the tolerance" reads as a contradiction; state the move.
            movement = _same_or_moved(diff, unit, "the previous period")
        body = f"{movement}, within the tolerance of {tol_text}"
        if test is not None and test.significant:
            body += f"; statistically significant ({test.describe()}) but small"
        elif test is not None:
            body += f"; not a significant change ({test.describe()})"
    elif test is None:
        result = Progress.IMPROVED if gain > 0 else Progress.WORSE
        body = f"{movement}; tolerance {tol_text}"
    elif not test.significant:
        result = Progress.SIMILAR
        body = f"{movement}, but not a significant change ({test.describe()}); tolerance {tol_text}"
    else:
        result = Progress.IMPROVED if gain > 0 else Progress.WORSE
        kind = "a significant improvement" if gain > 0 else "a significant change for the worse"
        body = f"{movement}, {kind} ({test.describe()}); tolerance {tol_text}"
    return _progress(result, lead + body + ".", difference=diff, test=test)


# --- helpers ---------------------------------------------------------------------------------


def _to_decimal(value: Number | None) -> Decimal | None:
    """Convert a number to Decimal; None, NaN and infinities become None (no data)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("a judgement needs a number, not a bool")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        # repr gives the shortest decimal that round-trips, so 87.2 stays 87.2.
        result = Decimal(repr(value))
    else:
        raise TypeError(f"a judgement needs a number, not {type(value).__name__}")
    return result if result.is_finite() else None


def _check_band(band: tuple[Number, Number] | None) -> tuple[Decimal, Decimal]:
    if band is None:
        raise ValueError("aim 'band' needs band=(low, high)")
    low, high = (_to_decimal(x) for x in band)
    if low is None or high is None:
        raise ValueError("a band needs two finite numbers")
    if low > high:
        raise ValueError(f"band low ({low}) is above band high ({high})")
    return low, high


def _distance_from_band(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    if value < low:
        return low - value
    if value > high:
        return value - high
    return Decimal(0)


def _rating(result: Rating, explanation: str, difference: Decimal | None = None) -> Judgement:
    word, symbol, colour = _RATING_STYLE[result]
    return Judgement(result, word, symbol, colour, explanation, difference)


def _progress(
    result: Progress,
    explanation: str,
    difference: Decimal | None = None,
    test: SignificanceTest | None = None,
) -> Judgement:
    word, symbol, colour = _PROGRESS_STYLE[result]
    return Judgement(result, word, symbol, colour, explanation, difference, test)


def _no_data_text(default: str, note: str) -> str:
    note = note.strip()
    if not note:
        return default + "."
    return f"{default}: {note}" + ("" if note.endswith(".") else ".")


def _lower_hint(aim: Aim) -> str:
    return " (lower is better)" if aim is Aim.LOWER else ""


def _same_or_moved(diff: Decimal, unit: Unit, against: str) -> str:
    if diff == 0:
        return f"the same as {against}"
    return f"{_format_difference(abs(diff), unit)} {'higher' if diff > 0 else 'lower'}"


def _number(value: Decimal) -> str:
    """Format with thousands separators, keeping the figure's own decimal places (max 2)."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        value = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if value == 0:
        value = abs(value)  # never show "-0.0"
    return f"{value:,}"


def _trim(value: Decimal) -> Decimal:
    """Drop trailing zeros from a computed figure (9.100 -> 9.1) without exponent form."""
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    return normal.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else normal


def _plain(value: Decimal) -> str:
    """Format without trailing zeros, for tolerance percentages ("5", "2.5")."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _format_value(value: Decimal, unit: Unit) -> str:
    text = _number(value)
    if unit is Unit.PERCENT:
        return f"{text}%"
    if unit is Unit.THOUSANDS:
        return f"{text} thousand"
    if unit is Unit.RATE_PER_100K:
        return f"{text} per 100,000"
    if unit is Unit.DAYS:
        return f"{text} day" if value == 1 else f"{text} days"
    return text


def _format_difference(value: Decimal, unit: Unit) -> str:
    if unit is Unit.PERCENT:
        text = _number(value)
        return f"{text} point" if value == 1 and text == "1" else f"{text} points"
    return _format_value(value, unit)


def _format_band(low: Decimal, high: Decimal, unit: Unit) -> str:
    return f"{_number(low)}–{_format_value(high, unit)}"


def format_figure(value: Number | None, unit: Unit | str, empty: str = "No data") -> str:
    """Return a figure as a dashboard shows it, e.g. "87.2%", "1,221", "13.3 per 100,000"."""
    figure = _to_decimal(value)
    if figure is None:
        return empty
    if figure == figure.to_integral_value():
        figure = figure.quantize(Decimal(1))  # 90.0 stored as a float reads as 90
    return _format_value(figure, Unit(unit))


def format_band(low: Number, high: Number, unit: Unit | str) -> str:
    """Return a target band as a dashboard shows it, e.g. "55–60%"."""
    lo, hi = _check_band((low, high))
    return _format_band(_trim(lo), _trim(hi), Unit(unit))
