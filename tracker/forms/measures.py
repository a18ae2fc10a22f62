"""Forms for performance measures, their values and dashboard imports."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FileField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ..judgements import Aim, Unit
from ..models.measures import Layer, ToleranceKind
from .fields import CheckboxesField, choices

AIM_LABELS = {
    Aim.HIGHER: "Higher is better",
    Aim.LOWER: "Lower is better",
    Aim.BAND: "Within a target band",
    Aim.INFORMATION: "For information only",
}
UNIT_LABELS = {
    Unit.PERCENT: "Percentage",
    Unit.COUNT: "Count",
    Unit.THOUSANDS: "Thousands",
    Unit.RATE_PER_100K: "Rate per 100,000 population",
    Unit.SCORE: "Score",
    Unit.DAYS: "Days",
}


class MeasureForm(FlaskForm):
    """Create or edit a measure."""

    code = StringField(
        "Code", validators=[DataRequired("Enter the measure code, or Local"), Length(max=40)]
    )
    title = StringField("Title", validators=[DataRequired("Enter a title"), Length(max=300)])
    aim = SelectField("Aim", choices=choices((a.value, label) for a, label in AIM_LABELS.items()))
    unit = SelectField(
        "Unit", choices=choices((u.value, label) for u, label in UNIT_LABELS.items())
    )
    layer = SelectField("Strategy layer", choices=choices((x.value, x.label) for x in Layer))
    plan_outcome = StringField("Plan outcome", validators=[Optional(), Length(max=300)])
    data_source = StringField("Data source", validators=[Optional(), Length(max=200)])
    tolerance_kind = SelectField(
        "Tolerance for similar",
        choices=choices(
            [
                ("", "Default for the unit"),
                (ToleranceKind.ABSOLUTE.value, "Absolute (in the measure's units or points)"),
                (ToleranceKind.RELATIVE.value, "Relative (% of the figure compared against)"),
            ]
        ),
    )
    tolerance_amount = FloatField(
        "Tolerance amount",
        validators=[
            Optional(),
            NumberRange(min=0, max=1_000_000, message="Tolerance must be zero or more"),
        ],
    )
    statements = CheckboxesField("Quality statements", coerce=int)


class ValueForm(FlaskForm):
    """Add or edit a measure's figures for one period."""

    period = StringField("Period", validators=[DataRequired("Enter the period"), Length(max=60)])
    value = FloatField("Value", validators=[Optional()])
    numerator = IntegerField(
        "Numerator", validators=[Optional(), NumberRange(min=0, message="Enter 0 or more")]
    )
    denominator = IntegerField(
        "Denominator", validators=[Optional(), NumberRange(min=1, message="Enter 1 or more")]
    )
    benchmark = FloatField("Benchmark", validators=[Optional()])
    band_low = FloatField("Target band low", validators=[Optional()])
    band_high = FloatField("Target band high", validators=[Optional()])
    benchmark_label = StringField("Benchmark label", validators=[Optional(), Length(max=200)])
    note = TextAreaField("Note", validators=[Optional(), Length(max=2000)])


class ImportForm(FlaskForm):
    """Upload a dashboard file for a preview."""

    file = FileField("Dashboard file (CSV or XLSX)")
    old_codes = BooleanField("This file uses ASCOF codes from before April 2023")


class ConfirmImportForm(FlaskForm):
    """Confirm an import previewed earlier; the file itself is kept on the server."""

    token = HiddenField(validators=[Regexp(r"^[0-9a-f]{64}$", message="Upload the file again")])
    old_codes = HiddenField()
