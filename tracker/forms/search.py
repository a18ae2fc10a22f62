"""The search form: read from the query string, so a search can be bookmarked and shared."""

from __future__ import annotations

from wtforms import Form, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from ..search import FACETS
from .fields import choices

SORT_CHOICES = [("relevance", "Best match"), ("date", "Newest first")]


class SearchForm(Form):
    """Words to search for, the sort order, the page and the facet filters."""

    q = StringField("Search IR documents and the self-assessment", validators=[Length(max=500)])
    sort = SelectField("Sort by", choices=choices(SORT_CHOICES), default="relevance")
    page = IntegerField("Page", validators=[Optional(), NumberRange(min=1, max=10_000)])
    qs = StringField("Quality statement", validators=[Optional(), Length(max=4)])
    ir = StringField("IR item", validators=[Optional(), Length(max=4)])
    type = StringField("Type", validators=[Optional(), Length(max=10)])
    year = StringField("Year", validators=[Optional(), Length(max=4)])

    def filters(self) -> dict[str, str]:
        """The facet filters chosen, by index field name."""
        chosen = {}
        for name in FACETS:
            value = (self[name].data or "").strip().lower()
            if value:
                chosen[name] = value
        return chosen
