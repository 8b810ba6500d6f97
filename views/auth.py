"""Login, logout, password change, and the user's own sessions (list, end one, sign out everywhere)."""

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from forms import EmptyForm
from forms.auth import ChangePasswordForm, LoginForm
from services import auth as accounts
from services import sessions
from views.common import login_required, safe_next, sign_in, sign_out

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
            sessions.forget_old(user, config["PERMANENT_SESSION_LIFETIME"])
            sign_in(user, form.remember.data)
            if user.must_change_password:
                return redirect(url_for("auth.change_password"))
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
    elif form.is_submitted():
        status = 400
    return render_template("auth/login.html", form=form, session_ended=g.get("session_ended")), status


@bp.post("/logout")
def logout():
    if EmptyForm().validate_on_submit() and g.user is not None:
        sign_out()
        flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    form.user = g.user
    if form.validate_on_submit():
        user = accounts.change_password(g.user, form.new_password.data)
        sign_in(user, session.permanent)  # every session ended, this device's too: it gets a new one
        flash(_("Your password has been changed. Other devices have been signed out."), "success")
        return redirect(url_for("main.home"))
    return render_template("auth/password.html", form=form), 400 if form.errors else 200


@bp.get("/sessions")
@login_required
def own_sessions():
    found = sessions.active(g.user, current_app.config["PERMANENT_SESSION_LIFETIME"])
    return render_template("auth/sessions.html", sessions=found, this_id=g.session_row.id)


@bp.post("/sessions/<int:session_id>/end")
@login_required
def end_session(session_id):
    row = sessions.get_own(g.user, session_id)
    if row is None:
        abort(404)
    if EmptyForm().validate_on_submit():
        sessions.end_ids([row.id])
        flash(_("That session has been ended."), "success")
    return redirect(url_for("auth.own_sessions"))


@bp.post("/sessions/end-all")
@login_required
def end_all_sessions():
    if EmptyForm().validate_on_submit():
        sessions.end_all(g.user)
        session.clear()
        flash(_("You have been signed out on every device."), "info")
        return redirect(url_for("auth.login"))
    return redirect(url_for("auth.own_sessions"))
