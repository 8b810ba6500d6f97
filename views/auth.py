"""Login, logout and password change."""

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from forms import EmptyForm
from forms.auth import ChangePasswordForm, LoginForm
from services import auth as accounts
from views.common import login_required, safe_next

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        config = current_app.config
        try:
            user = accounts.authenticate(form.username.data, form.password.data, request.remote_addr or "",
                                         config["LOGIN_MAX_FAILURES"], config["LOGIN_WINDOW_SECONDS"])
        except accounts.LoginThrottled as exc:
            form.password.errors.append(exc.message)
            status = 429
        except accounts.InvalidCredentials as exc:
            form.password.errors.append(exc.message)
            status = 401
        else:
            session.clear()
            session.permanent = bool(form.remember.data)
            session.update(uid=user.id, sv=user.session_version)
            if user.must_change_password:
                return redirect(url_for("auth.change_password"))
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
    elif form.is_submitted():
        status = 400
    return render_template("auth/login.html", form=form, session_ended=g.get("session_ended")), status


@bp.post("/logout")
def logout():
    if EmptyForm().validate_on_submit() and g.user is not None:
        session.clear()
        flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    form._username = g.user.username
    if form.validate_on_submit():
        if not accounts.check_password(g.user, form.current_password.data):
            form.current_password.errors.append(_("The current password is wrong."))
        else:
            user = accounts.change_password(g.user, form.new_password.data)
            session["sv"] = user.session_version
            flash(_("Your password has been changed. Other devices have been signed out."), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/password.html", form=form), 400 if form.errors else 200
