"""Forms for making a self-assessment document and an IR submission pack."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField

from .fields import CheckboxesField, choices

ENTRY_CHOICES = choices(
    [
        ("all", "All entries, whatever their status"),
        ("approved", "Approved entries only"),
    ]
)


class ExportForm(FlaskForm):
    """Options of the self-assessment Word document; theme choices are passed in."""

    entries = RadioField("Entries to include", choices=ENTRY_CHOICES, default="all")
    themes = CheckboxesField("Themes", coerce=int)
    include_measures = BooleanField("Include the performance measures", default=True)
    include_plan = BooleanField("Include the improvement plan", default=True)
    include_appendix = BooleanField(
        "Include the appendix of IR items and their documents", default=True
    )


class PackForm(FlaskForm):
    """Confirm making an IR submission pack (the form carries only the CSRF token)."""
