"""What every view shares: the current user, role checks, scoped look-ups, locale choice."""

import re
from functools import wraps
from urllib.parse import unquote, urlsplit

from flask import abort, current_app, g, has_request_context, redirect, request, session, url_for
from werkzeug.exceptions import HTTPException

from services import sessions
from services.access import get_visible


def current_user():
    return g.get("user")


def load_user():
    """Put the signed-in user on ``g``. The cookie names a session row on the server (``sid``): a session that was
    logged out, ended from another device, or belongs to an account since blocked or given a new password (its
    ``sv`` counter moved on) ends here, wherever the cookie was copied to."""
    g.user = None
    if session.get("uid") is None:
        return
    config = current_app.config
    found = sessions.current(session.get("sid"), config["PERMANENT_SESSION_LIFETIME"], config["SESSION_TOUCH_SECONDS"])
    user = found and found[1]
    if (user is None or user.id != session.get("uid") or not user.is_active
            or session.get("sv") != user.session_version):
        session.clear()
        g.session_ended = True
        return
    g.user, g.session_row = user, found[0]
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


def sign_in(user, remember=False):
    """Start a server-side session of ``user`` for this browser (a new cookie: nothing of the old one is kept)."""
    session.clear()
    session.permanent = bool(remember)
    key = sessions.start(user, request.headers.get("User-Agent", ""))
    session.update(uid=user.id, sv=user.session_version, sid=key)


def sign_out():
    sessions.end(session.get("sid"))
    session.clear()


# A path that may follow "next=": printable, no scheme or host, no backslash, no percent-encoded separator.
_SAFE_PATH = re.compile(r"/(?!/)[^\\\s\x00-\x1f\x7f]*")


def safe_next(target):
    """The address to go to after login: a path of this site that matches one of its pages (with its query), or
    None. Anything else (another host, ``//evil``, ``/\\t/evil``, control characters, an unknown path) goes home."""
    if not target or not isinstance(target, str) or len(target) > 2000:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not _SAFE_PATH.fullmatch(target):
        return None
    path = unquote(parts.path)
    if not _SAFE_PATH.fullmatch(path) or "%2f" in parts.path.lower() or "%5c" in parts.path.lower():
        return None
    try:
        current_app.url_map.bind("localhost").match(parts.path, method="GET")
    except HTTPException:  # NotFound, MethodNotAllowed, a redirect to another form of the path
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


# Beyond any real list; also keeps the OFFSET of a ?page=99999999999999999999 within the database's integers.
MAX_PAGE = 100_000


def paginate(query):
    """(rows of the requested page, page, pages, total) for ?page= over ``query``."""
    page = min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)
    size = current_app.config["PAGE_SIZE"]
    total = query.count()
    return query.paginate(page, size), page, max(1, -(-total // size)), total
