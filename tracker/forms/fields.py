"""Fields that render as GOV.UK Frontend components, and shared validators."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from wtforms import Field, SelectMultipleField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.utils import unset_value
from wtforms.validators import StopValidation

__all__ = ["CheckboxesField", "DateInputField", "SelectChoice", "choices"]


def choices(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    """Options for a select, radios or checkboxes field from (value, label) pairs."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]


class DateInputField(Field):
    """A GOV.UK date input: separate day, month and year boxes, read as one date."""

    widget = None  # rendered by the components/forms.html macro
    govuk_kind = "date"

    def __init__(self, label: str | None = None, validators: Any = None, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.parts: dict[str, str] = {"day": "", "month": "", "year": ""}
        self.parse_error: str | None = None

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Never called: the three boxes are read in process()."""

    def process(self, formdata: Any, data: Any = None, extra_filters: Any = None) -> None:
        """Read '<name>-day', '<name>-month' and '<name>-year' from the form, or take data."""
        self.process_errors: list[Any] = []
        self.parse_error = None
        if formdata is not None and any(f"{self.name}-{p}" in formdata for p in self.parts):
            self.parts = {p: formdata.get(f"{self.name}-{p}", "").strip() for p in self.parts}
            self.data = self._parse()
            return
        value = data if data is not None and data is not unset_value else self.default
        value = value() if callable(value) else value
        self.data = value
        if isinstance(value, date):
            self.parts = {"day": str(value.day), "month": str(value.month), "year": str(value.year)}

    def _parse(self) -> date | None:
        filled = [p for p, v in self.parts.items() if v]
        if not filled:
            return None
        missing = [p for p in self.parts if p not in filled]
        if missing:
            self.parse_error = f"{self.label.text} must include a {' and '.join(missing)}"
            return None
        try:
            day, month, year = (int(self.parts[p]) for p in ("day", "month", "year"))
            if year < 1900 or year > 2100:
                raise ValueError
            return date(year, month, day)
        except ValueError:
            self.parse_error = f"{self.label.text} must be a real date"
            return None

    def pre_validate(self, form: Any) -> None:
        """Report a date that could not be read before other validators run."""
        if self.parse_error:
            raise StopValidation(self.parse_error)

    def _value(self) -> str:
        return self.data.isoformat() if isinstance(self.data, date) else ""


class CheckboxesField(SelectMultipleField):
    """A GOV.UK checkboxes group for choosing several options."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()
    govuk_kind = "checkboxes"

    def pre_validate(self, form: Any) -> None:
        """Allow any of the offered values, none included."""
        values = {str(choice.value) for choice in self.iter_choices()}
        for item in self.data or []:
            if str(item) not in values:
                raise StopValidation("Choose from the list")
