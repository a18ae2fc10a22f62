"""Forms for self-assessment entries, quality statements and improvement actions."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..models import ActionStatus
from .fields import DateInputField, choices

TEXT_LIMIT = 20000


class EntryForm(FlaskForm):
    """Create or edit an entry."""

    title = StringField("Topic", validators=[DataRequired("Enter a topic"), Length(max=200)])
    what_we_know = TextAreaField(
        "What do we know?", validators=[Optional(), Length(max=TEXT_LIMIT)]
    )
    how_we_know = TextAreaField(
        "How do we know it?", validators=[Optional(), Length(max=TEXT_LIMIT)]
    )
    our_plans = TextAreaField("Our plans", validators=[Optional(), Length(max=TEXT_LIMIT)])
    owner = StringField("Owner", validators=[Optional(), Length(max=120)])
    last_reviewed = DateInputField("Last reviewed", validators=[Optional()])


class StatementForm(FlaskForm):
    """Edit a quality statement's title and we statement."""

    title = StringField("Title", validators=[DataRequired("Enter a title"), Length(max=200)])
    we_statement = TextAreaField(
        "We statement", validators=[DataRequired("Enter the we statement"), Length(max=2000)]
    )


class ForewordForm(FlaskForm):
    """Edit the self-assessment's introduction."""

    foreword = TextAreaField(
        "Introduction and foreword", validators=[Optional(), Length(max=TEXT_LIMIT)]
    )


class ActionForm(FlaskForm):
    """Create or edit an improvement action."""

    title = StringField("Action", validators=[DataRequired("Enter the action"), Length(max=300)])
    detail = TextAreaField("Detail", validators=[Optional(), Length(max=TEXT_LIMIT)])
    quality_statement_id = SelectField("Quality statement", coerce=int)
    entry_id = SelectField("Self-assessment entry", coerce=int)
    owner = StringField("Owner", validators=[Optional(), Length(max=120)])
    due_date = DateInputField("Due date", validators=[Optional()])
    status = SelectField("Status", choices=choices((s.value, s.label) for s in ActionStatus))


class ActionUpdateForm(FlaskForm):
    """Record progress on an action."""

    on = DateInputField("Date of update", validators=[DataRequired("Enter the date of the update")])
    note = TextAreaField(
        "What has happened", validators=[DataRequired("Enter what has happened"), Length(max=5000)]
    )
    status = SelectField(
        "Status now",
        choices=choices([("", "No change")] + [(s.value, s.label) for s in ActionStatus]),
    )
