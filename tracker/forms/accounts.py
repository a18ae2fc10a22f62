"""Forms for managing users."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from ..models import Role
from .fields import choices

ROLE_CHOICES = [(r.value, r.label) for r in Role]


class UserForm(FlaskForm):
    """Create a user."""

    name = StringField(
        "Full name", validators=[DataRequired("Enter the person's name"), Length(max=120)]
    )
    email = EmailField(
        "Email address",
        validators=[
            DataRequired("Enter an email address"),
            Email(
                "Enter an email address in the correct format, like name@example.gov.uk",
                check_deliverability=False,
            ),
            Length(max=254),
        ],
    )
    role = SelectField("Role", choices=choices(ROLE_CHOICES))
    password = PasswordField(
        "Password",
        validators=[
            DataRequired("Enter a password"),
            Length(min=10, max=200, message="Password must be 10 characters or more"),
        ],
    )


class EditUserForm(FlaskForm):
    """Change a user's name, role, status or password."""

    name = StringField(
        "Full name", validators=[DataRequired("Enter the person's name"), Length(max=120)]
    )
    role = SelectField("Role", choices=choices(ROLE_CHOICES))
    active = BooleanField("Can sign in")
    password = PasswordField(
        "New password (leave blank to keep)",
        validators=[
            Optional(),
            Length(min=10, max=200, message="Password must be 10 characters or more"),
        ],
    )
