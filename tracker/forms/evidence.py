"""Forms for IR evidence items and documents."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import FileField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..models import EvidenceStatus
from .fields import CheckboxesField, DateInputField, choices

STATUS_CHOICES = [(s.value, s.label) for s in EvidenceStatus]


class ItemForm(FlaskForm):
    """Create or edit an IR evidence item."""

    number = IntegerField(
        "IR number",
        validators=[
            InputRequired("Enter the IR number"),
            NumberRange(min=1, max=999, message="IR number must be between 1 and 999"),
        ],
    )
    title = StringField("Title", validators=[DataRequired("Enter a title"), Length(max=300)])
    description = TextAreaField("What CQC asks for", validators=[Optional(), Length(max=5000)])
    owner = StringField("Owner", validators=[Optional(), Length(max=120)])
    due_date = DateInputField("Due date", validators=[Optional()])
    status = SelectField("Status", choices=choices(STATUS_CHOICES))
    statements = CheckboxesField("Quality statements", coerce=int)


class UploadForm(FlaskForm):
    """Upload one or more files under IR items."""

    files = MultipleFileField("Files")
    items = CheckboxesField("File under IR items", coerce=int)


class DocumentForm(FlaskForm):
    """Edit a document's metadata and links."""

    title = StringField("Title", validators=[DataRequired("Enter a title"), Length(max=300)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    document_date = DateInputField("Document date", validators=[Optional()])
    review_by = DateInputField("Review by", validators=[Optional()])
    owner = StringField("Owner", validators=[Optional(), Length(max=120)])
    items = CheckboxesField("Filed under IR items", coerce=int)


class VersionForm(FlaskForm):
    """Upload a new version of a document."""

    file = FileField("New version")
    note = StringField("What changed", validators=[Optional(), Length(max=500)])


class ConfirmForm(FlaskForm):
    """An empty form: a confirmation button with CSRF protection."""
