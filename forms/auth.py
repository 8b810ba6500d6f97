"""Login and password forms."""

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, StringField, ValidationError
from wtforms.validators import EqualTo

from forms import BaseForm, max_length, required
from services.auth import password_problem


class LoginForm(BaseForm):
    username = StringField(_l("Username"), validators=[required(), max_length(64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), validators=[required(), max_length(256)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Remember me on this device for 30 days"))


class NewPasswordMixin:
    def validate_new_password(self, field):
        problem = password_problem(field.data or "", current_app.config["PASSWORD_MIN_LENGTH"],
                                   getattr(self, "_username", ""))
        if problem:
            raise ValidationError(problem)


class ChangePasswordForm(NewPasswordMixin, BaseForm):
    current_password = PasswordField(_l("Current password"), validators=[required(), max_length(256)],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("New password"), validators=[required(), max_length(256)],
                                 description=_l("At least 10 characters; not a common password."),
                                 render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[required(), EqualTo("new_password", message=_l("The passwords do not match."))],
                            render_kw={"autocomplete": "new-password"})
