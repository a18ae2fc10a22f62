"""Rating and progress judgements: edges, direction, bands, missing data and significance."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from statistics import NormalDist

import pytest

from tracker.judgements import (
    Aim,
    Counts,
    Judgement,
    Progress,
    Rating,
    Tolerance,
    Unit,
    default_tolerance,
    progress,
    rate,
    two_proportion_z_test,
)

ARROWS = {"▲", "▼"}
COLOURS = {"green", "amber", "red", "grey"}


def independent_z_test(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """The pooled two-proportion z-test worked from the textbook formula, exact until the root."""
    p1, p2 = Fraction(x1, n1), Fraction(x2, n2)
    pooled = Fraction(x1 + x2, n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (Fraction(1, n1) + Fraction(1, n2)))
    z = float(p1 - p2) / se
    p = 2 * (1 - NormalDist().cdf(abs(z)))
    return z, p


# --- enums and tolerance ---------------------------------------------------------------------


def test_enum_values_are_the_agreed_strings() -> None:
    assert {a.value for a in Aim} == {"higher", "lower", "band", "information"}
    assert {r.value for r in Rating} == {
        "better",
        "similar",
        "below",
        "within_band",
        "outside_band",
        "no_data",
        "not_rated",
    }
    assert {p.value for p in Progress} == {"improved", "similar", "worse", "no_data", "not_rated"}
    assert {u.value for u in Unit} == {
        "percent",
        "count",
        "thousands",
        "rate_per_100k",
        "score",
        "days",
    }
    assert Aim("higher") is Aim.HIGHER and Rating.BELOW == "below"


@pytest.mark.parametrize("unit", list(Unit))
def test_every_unit_has_a_default_tolerance(unit: Unit) -> None:
    tolerance = default_tolerance(unit)
    assert tolerance.kind in ("absolute", "relative")
    assert tolerance.amount > 0
    assert default_tolerance(unit.value) == tolerance


def test_percentages_use_points_and_counts_scale_with_the_figure() -> None:
    # A 1-point gap on a small percentage matters as much as on a large one...
    assert rate(5.9, 4.8, "higher").result is Rating.BETTER
    assert rate(85.6, 84.6, "higher").result is Rating.SIMILAR
    # ...while a gap of 30 people is similar on a list of 773 but not on a list of 36.
    assert rate(743, 773, "lower", unit="count").result is Rating.SIMILAR
    assert rate(66, 36, "lower", unit="count").result is Rating.BELOW


@pytest.mark.parametrize(
    ("kind", "amount"), [("absolute", -1.0), ("relative", float("nan")), ("fuzzy", 1.0)]
)
def test_tolerance_rejects_nonsense(kind: str, amount: float) -> None:
    with pytest.raises(ValueError):
        Tolerance(kind, amount)  # type: ignore[arg-type]


def test_relative_tolerance_is_a_percentage_of_the_base() -> None:
    assert Tolerance("relative", 5.0).allowance(773) == Decimal("38.65")
    assert Tolerance("relative", 5.0).allowance(-200) == Decimal("10")
    assert Tolerance("absolute", 1.0).allowance(773) == Decimal("1")


# --- rating ----------------------------------------------------------------------------------


def test_rating_explains_with_the_figures() -> None:
    judgement = rate(87.2, 84.6, "higher", benchmark_label="23/24 national average")
    assert judgement.result is Rating.BETTER
    assert judgement.word == "Better than benchmark"
    assert judgement.symbol == "▲" and judgement.colour == "green"
    assert judgement.difference == Decimal("2.6")
    for figure in ("87.2%", "84.6%", "2.6 points better", "±1.0", "23/24 national average"):
        assert figure in judgement.explanation
    assert judgement.label == "▲ Better than benchmark"


@pytest.mark.parametrize(
    ("value", "benchmark"),
    [
        (85.6, 84.6),  # exactly one point above
        (83.6, 84.6),  # exactly one point below
        (87.2, 86.2),  # 87.2 - 86.2 is 1.0000000000000142 in binary floating point
        (Decimal("0.3"), Decimal("-0.7")),
    ],
)
def test_a_difference_exactly_at_the_tolerance_is_similar(value: float, benchmark: float) -> None:
    assert rate(value, benchmark, "higher", Tolerance("absolute", 1.0)).result is Rating.SIMILAR
    assert rate(value, benchmark, "lower", Tolerance("absolute", 1.0)).result is Rating.SIMILAR


def test_just_past_the_tolerance_is_not_similar() -> None:
    tolerance = Tolerance("absolute", 1.0)
    assert rate(85.7, 84.6, "higher", tolerance).result is Rating.BETTER
    assert rate(83.5, 84.6, "higher", tolerance).result is Rating.BELOW
    # Relative: 5% of 200 is 10, so 210 is similar and 210.1 is not.
    relative = Tolerance("relative", 5.0)
    assert rate(210, 200, "higher", relative, unit="count").result is Rating.SIMILAR
    assert rate(210.1, 200, "higher", relative, unit="count").result is Rating.BETTER
    assert rate(189.9, 200, "higher", relative, unit="count").result is Rating.BELOW


@pytest.mark.parametrize("gap", [-50.0, -1.5, 1.5, 50.0])
def test_lower_is_better_flips_the_rating(gap: float) -> None:
    higher = rate(100 + gap, 100, "higher", Tolerance("absolute", 1.0), unit="count")
    lower = rate(100 + gap, 100, "lower", Tolerance("absolute", 1.0), unit="count")
    assert {higher.result, lower.result} == {Rating.BETTER, Rating.BELOW}
    assert (higher.result is Rating.BETTER) == (gap > 0)


def test_lower_is_better_says_so_in_the_explanation() -> None:
    judgement = rate(12.8, 15.2, "lower", unit="rate_per_100k")
    assert judgement.result is Rating.BETTER
    assert "lower is better" in judgement.explanation
    assert "per 100,000" in judgement.explanation


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (55, Rating.WITHIN_BAND),
        (60, Rating.WITHIN_BAND),
        (Decimal("57.5"), Rating.WITHIN_BAND),
        (54.9, Rating.OUTSIDE_BAND),
        (60.1, Rating.OUTSIDE_BAND),
    ],
)
def test_bands_include_both_limits(value: float, expected: Rating) -> None:
    # A huge tolerance must not widen the band: bands use no tolerance.
    judgement = rate(value, None, "band", Tolerance("absolute", 50), band=(55, 60))
    assert judgement.result is expected


def test_outside_band_says_which_side_and_by_how_much() -> None:
    below = rate(16.9, None, "band", band=(18, 23))
    assert "1.1 points below" in below.explanation and "18–23%" in below.explanation
    above = rate(14.8, None, "band", band=(7, 12))
    assert "2.8 points above" in above.explanation
    assert below.symbol != rate(20, None, "band", band=(18, 23)).symbol


@pytest.mark.parametrize(
    ("aim", "band"), [("band", None), ("band", (60, 55)), ("higher", (55, 60))]
)
def test_band_misuse_is_a_programming_error(aim: str, band: tuple[int, int] | None) -> None:
    with pytest.raises(ValueError):
        rate(57, None, aim, band=band)
    with pytest.raises(ValueError):
        progress(57, 56, aim, band=band)


@pytest.mark.parametrize("value", [None, float("nan"), float("inf")])
def test_missing_value_is_no_data_with_the_note_and_never_an_arrow(value: float | None) -> None:
    note = "Survey is biennial and will next run in October 2025"
    judgement = rate(value, 59.1, "higher", note=note)
    assert judgement.result is Rating.NO_DATA
    assert note in judgement.explanation
    assert judgement.symbol not in ARROWS and judgement.colour == "grey"
    assert judgement.difference is None


def test_missing_benchmark_is_no_data_with_its_label() -> None:
    label = "National data to be published in February 2025"
    judgement = rate(94.6, None, "higher", benchmark_label=label)
    assert judgement.result is Rating.NO_DATA
    assert label in judgement.explanation


def test_information_only_is_not_rated_even_with_figures() -> None:
    assert rate(205.8, 100, "information", unit="thousands").result is Rating.NOT_RATED
    assert progress(205.8, 215.9, "information").result is Progress.NOT_RATED
    assert rate(None, None, Aim.INFORMATION).symbol not in ARROWS


def test_every_judgement_has_a_distinct_word_and_symbol_and_a_colour_key() -> None:
    ratings = [
        rate(90, 80, "higher"),
        rate(80, 80, "higher"),
        rate(70, 80, "higher"),
        rate(57, None, "band", band=(55, 60)),
        rate(50, None, "band", band=(55, 60)),
        rate(None, 80, "higher"),
        rate(1, 1, "information"),
    ]
    assert {j.result for j in ratings} == set(Rating)
    progresses = [
        progress(90, 80, "higher"),
        progress(80, 80, "higher"),
        progress(70, 80, "higher"),
        progress(None, 80, "higher"),
        progress(1, 1, "information"),
    ]
    assert {j.result for j in progresses} == set(Progress)
    for group in (ratings, progresses):
        assert len({j.word for j in group}) == len(group)
        assert len({j.symbol for j in group}) == len(group)
        assert all(j.colour in COLOURS and j.explanation.endswith(".") for j in group)


def test_judgements_are_frozen() -> None:
    judgement = rate(90, 80, "higher")
    with pytest.raises(AttributeError):
        judgement.word = "Fine"  # type: ignore[misc]
    assert isinstance(judgement, Judgement)


def test_figures_are_shown_as_published() -> None:
    judgement = rate(1735.2, 1613.5, "higher", unit="thousands")
    assert "1,735.2 thousand" in judgement.explanation
    assert "1,613.5 thousand" in judgement.explanation
    days = rate(1, 30, "lower", unit="days")
    assert "1 day " in days.explanation and "30 days" in days.explanation
    # Float noise is never shown.
    assert "0000" not in rate(0.1 + 0.2, 0.3, "higher").explanation


# --- progress --------------------------------------------------------------------------------


def test_progress_directions_and_lower_is_better() -> None:
    assert progress(88.8, 86.0, "higher").result is Progress.IMPROVED
    assert progress(86.0, 88.8, "higher").result is Progress.WORSE
    assert progress(20, 37, "lower", unit="count").result is Progress.IMPROVED
    assert progress(37, 20, "lower", unit="count").result is Progress.WORSE
    assert progress(88.8, 89.6, "higher").result is Progress.SIMILAR


def test_progress_tolerance_is_relative_to_the_previous_value() -> None:
    # 5% of the previous 757 is 37.85: a fall of 37 is similar, a fall of 38 is an improvement.
    assert progress(720, 757, "lower", unit="count").result is Progress.SIMILAR
    assert progress(719, 757, "lower", unit="count").result is Progress.IMPROVED
    exactly = progress(105, 100, "higher", Tolerance("relative", 5.0), unit="count")
    assert exactly.result is Progress.SIMILAR


def test_progress_within_tolerance_does_not_call_the_change_better_or_worse() -> None:
    judgement = progress(88.8, 89.6, "higher", previous_period="2023/24")
    assert "0.8 points lower" in judgement.explanation
    assert "in 2023/24" in judgement.explanation
    assert "worse" not in judgement.explanation


def test_progress_missing_values_use_the_right_note() -> None:
    current = progress(None, 59.3, "higher", note="Survey is annual", previous_note="unused")
    assert current.result is Progress.NO_DATA
    assert "Survey is annual" in current.explanation and "unused" not in current.explanation
    previous = progress(59.3, None, "higher", note="unused", previous_note="New measure")
    assert previous.result is Progress.NO_DATA
    assert "New measure" in previous.explanation
    assert previous.symbol not in ARROWS


def test_band_progress_is_about_distance_from_the_band() -> None:
    # 12.3 was 0.3 above a 7-12 band; 14.8 is 2.8 above it: further away by 2.5 points.
    further = progress(14.8, 12.3, "band", band=(7, 12))
    assert further.result is Progress.WORSE
    assert "2.5 points further from" in further.explanation
    assert progress(12.3, 14.8, "band", band=(7, 12)).result is Progress.IMPROVED
    # Moving about inside the band, even by more than the tolerance, is not a change.
    assert progress(14.9, 10.1, "band", band=(10, 15)).result is Progress.SIMILAR
    # Crossing the band from just below to just above it is no real change either.
    assert progress(15.5, 9.5, "band", band=(10, 15)).result is Progress.SIMILAR


# --- significance ----------------------------------------------------------------------------


def test_z_test_matches_the_formula_for_the_direct_payments_figures() -> None:
    # ASCOF 3D: 1,723 of 5,081 (33.9%) this year against 1,795 of 5,043 (35.6%) last year.
    z, p = independent_z_test(1723, 5081, 1795, 5043)
    result = two_proportion_z_test(1723, 5081, 1795, 5043)
    assert result.z == pytest.approx(z, rel=1e-9)
    assert result.p == pytest.approx(p, rel=1e-6)
    assert z < 0 and 0.05 < p < 0.1  # a fall, but not significant at 95%
    assert result.significant is False


def test_z_test_is_symmetric_and_matches_the_95_percent_boundary() -> None:
    forward = two_proportion_z_test(4080, 5351, 3770, 5185)
    backward = two_proportion_z_test(3770, 5185, 4080, 5351)
    assert forward.z == pytest.approx(-backward.z)
    assert forward.p == pytest.approx(backward.p)
    z, p = independent_z_test(4080, 5351, 3770, 5185)
    assert forward.z == pytest.approx(z) and forward.p == pytest.approx(p, abs=1e-12)
    assert forward.significant is True


def test_z_test_edges() -> None:
    assert two_proportion_z_test(0, 10, 0, 20) == (0.0, 1.0, False)
    assert two_proportion_z_test(10, 10, 20, 20).significant is False
    for bad in [(1, 0, 1, 5), (6, 5, 1, 5), (-1, 5, 1, 5)]:
        with pytest.raises(ValueError):
            two_proportion_z_test(*bad)


def test_progress_with_counts_says_not_a_significant_change() -> None:
    judgement = progress(33.9, 35.6, "higher", counts=(1723, 5081, 1795, 5043))
    assert judgement.test is not None and judgement.test.significant is False
    # 1.7 points is beyond the 1-point tolerance, but chance could explain it.
    assert judgement.result is Progress.SIMILAR
    assert "not a significant change" in judgement.explanation
    assert f"z = {judgement.test.z:.2f}" in judgement.explanation


def test_progress_with_counts_says_a_significant_improvement() -> None:
    judgement = progress(76.2, 72.7, "higher", counts=Counts(4080, 5351, 3770, 5185))
    assert judgement.result is Progress.IMPROVED
    assert "a significant improvement" in judgement.explanation
    worse = progress(72.7, 76.2, "higher", counts=Counts(3770, 5185, 4080, 5351))
    assert worse.result is Progress.WORSE
    assert "significant improvement" not in worse.explanation


def test_significant_but_within_tolerance_is_similar() -> None:
    # A million people each year: 0.5 points is significant but smaller than the tolerance.
    judgement = progress(50.5, 50.0, "higher", counts=(505_000, 1_000_000, 500_000, 1_000_000))
    assert judgement.test is not None and judgement.test.significant
    assert judgement.result is Progress.SIMILAR
    assert "statistically significant" in judgement.explanation


def test_counts_that_contradict_the_values_are_flagged_not_judged() -> None:
    # Published 76.0% against 67.3%, but 3,394 of 5,171 is 65.6%: the figures disagree.
    judgement = progress(76.0, 67.3, "higher", counts=(3394, 5171, 3077, 4568))
    assert judgement.result is Progress.SIMILAR
    assert "check the figures" in judgement.explanation


def test_rounding_disagreement_within_tolerance_is_just_similar() -> None:
    # 2,263 of 2,264 is 99.96%, published as 99.9% (truncated): against a current 99.95%
    # the values rise while the counts fall, by far less than the tolerance.
    judgement = progress(99.95, 99.9, "higher", counts=(1999, 2000, 2263, 2264))
    assert judgement.result is Progress.SIMILAR
    assert "check the figures" not in judgement.explanation
    assert "not a significant change" in judgement.explanation


def test_incomplete_counts_skip_the_test() -> None:
    judgement = progress(86.3, 90.0, "higher", counts=(None, None, 2332, 2591))
    assert judgement.test is None
    assert judgement.result is Progress.WORSE
    assert "significan" not in judgement.explanation
