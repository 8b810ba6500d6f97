"""Login and password forms."""

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, StringField, ValidationError
from wtforms.validators import EqualTo

from forms import BaseForm, max_length, required
from services.auth import check_password, password_problem


class LoginForm(BaseForm):
    username = StringField(_l("Username"), validators=[required(), max_length(64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), validators=[required(), max_length(256)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Remember me on this device for 30 days"))


class ChangePasswordForm(BaseForm):
    """The signed-in user's new password; the view sets ``form.user`` (whose names zxcvbn tries first)."""

    user = None

    current_password = PasswordField(_l("Current password"), validators=[required(), max_length(256)],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("New password"), validators=[required(), max_length(256)],
                                 description=_l("At least 10 characters, hard to guess: three or four unrelated "
                                                "words work well. Not your name, not the service's name."),
                                 render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[required(), EqualTo("new_password", message=_l("The passwords do not match."))],
                            render_kw={"autocomplete": "new-password"})

    def validate_current_password(self, field):
        if not check_password(self.user, field.data or ""):
            raise ValidationError(_l("The current password is wrong."))

    def validate_new_password(self, field):
        problem = password_problem(field.data or "", current_app.config["PASSWORD_MIN_LENGTH"], self.user.username,
                                   self.user.full_name, self.user.password_hash)
        if problem:
            raise ValidationError(problem)
