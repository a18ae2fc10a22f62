"""Sign-in form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField(
        "Email address", validators=[DataRequired("Enter your email address"), Length(max=254)]
    )
    password = PasswordField("Password", validators=[DataRequired("Enter your password")])
