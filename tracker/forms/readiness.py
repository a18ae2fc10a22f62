"""Forms for self-scores, the assessment timeline and evidence-category tags."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..models.readiness import EvidenceCategory
from .fields import CheckboxesField, DateInputField, choices

SCORE_CHOICES = [
    ("1", "1: evidence shows significant shortfalls"),
    ("2", "2: evidence shows some shortfalls"),
    ("3", "3: evidence shows a good standard"),
    ("4", "4: evidence shows an exceptional standard"),
]


class ScoreForm(FlaskForm):
    """Score a quality statement."""

    score = RadioField(
        "Score",
        choices=choices(SCORE_CHOICES),
        validators=[InputRequired("Choose a score")],
        # The service checks the value; this keeps one clear message for a missing choice.
        validate_choice=False,
    )
    rationale = TextAreaField(
        "Reasons for this score",
        validators=[DataRequired("Enter the reasons for this score"), Length(max=5000)],
    )


class TimelineForm(FlaskForm):
    """Edit the assessment's key dates; field names are the timeline keys."""

    notification = DateInputField("Notification from CQC", validators=[Optional()])
    ir_due = DateInputField("Information Return due", validators=[Optional()])
    ir_due_done = BooleanField("Information Return sent")
    case_tracking = DateInputField("Case tracking list due", validators=[Optional()])
    case_tracking_done = BooleanField("Case tracking list sent")
    site_visit = DateInputField("Site visit starts", validators=[Optional()])
    initial_feedback = DateInputField("Initial feedback", validators=[Optional()])
    factual_accuracy = DateInputField("Factual accuracy check due", validators=[Optional()])
    factual_accuracy_done = BooleanField("Factual accuracy comments sent")


class CategoriesForm(FlaskForm):
    """Tag an entry or document with CQC evidence categories."""

    categories = CheckboxesField(
        "Evidence categories",
        choices=choices((c.value, c.label) for c in EvidenceCategory),
    )
