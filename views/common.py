"""What every view shares: the current user, role checks, scoped look-ups, locale choice."""

from functools import wraps

from flask import abort, current_app, g, has_request_context, redirect, request, session, url_for

from models.auth import User
from services.access import get_visible


def current_user():
    return g.get("user")


def load_user():
    """Put the signed-in user on ``g``; a session from before a logout or password change ends."""
    g.user = None
    uid = session.get("uid")
    if uid is None:
        return
    user = User.get_or_none(User.id == uid)
    if user is None or not user.is_active or session.get("sv") != user.session_version:
        session.clear()
        g.session_ended = True
        return
    g.user = user
    if user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ALLOWED:
        return redirect(url_for("auth.change_password"))


# Endpoints open to a user who must first replace a one-time password.
PASSWORD_CHANGE_ALLOWED = {"auth.change_password", "auth.logout", "static", "main.healthz", "main.csrf_token"}


def login_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("user") is None:
            if (request.accept_mimetypes.best == "application/json" or request.is_json
                    or request.headers.get("X-Kelisim-Outbox") == "1"):  # a queued form keeps waiting
                abort(401)
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def roles_required(*roles):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if g.user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def get_or_404(model, pk):
    """The record if the current user may read it; otherwise 404, so ids do not leak."""
    record = get_visible(model, pk, g.get("user"))
    if record is None:
        abort(404)
    return record


def select_locale():
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return "en"  # the command line speaks English; PDFs made there use force_locale
    chosen = request.args.get("lang")
    if chosen in languages:
        g.lang_chosen = chosen
        return chosen
    user = g.get("user")
    if user is not None and user.locale in languages:
        return user.locale
    cookie = request.cookies.get(current_app.config["LANGUAGE_COOKIE_NAME"])
    if cookie in languages:
        return cookie
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def safe_next(target):
    """Only same-site relative paths are followed after login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


# Beyond any real list; also keeps the OFFSET of a ?page=99999999999999999999 within the database's integers.
MAX_PAGE = 100_000


def paginate(query):
    """(rows of the requested page, page, pages, total) for ?page= over ``query``."""
    page = min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)
    size = current_app.config["PAGE_SIZE"]
    total = query.count()
    return query.paginate(page, size), page, max(1, -(-total // size)), total
