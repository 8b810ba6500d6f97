"""Request hooks: bodies that are not forms refused, the remembered language, the security headers and the cache
rule on every answer; and the escaping of translated messages."""

from flask import current_app, g, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from markupsafe import escape

from models.auth import User
from views.errors import render_error

# flask-babel's LazyString declares itself HTML (its __html__ returns the text as is), so Jinja would not escape a
# lazy message that carries what someone typed, as _l("“%(value)s” is not a date", value=...) does. Kelisim's
# messages hold no markup: they are escaped like any other text.
LazyString.__html__ = lambda self: escape(str(self))

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; manifest-src 'self'; worker-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


# What the service's forms post: browsers' form encodings (the outbox sends FormData, which is multipart).
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
FORM_CHARSETS = ("utf-8", "utf8")


def refuse_non_form_bodies():
    """Every POST of the service is a form: a body of another type (JSON of any shape, text/plain, XML, a form in
    another charset than UTF-8) is a 400 with a message, as an HTML page or JSON for scripts, before CSRF or any
    form reads it (Flask-WTF would take JSON as the form's data and fail on ``1`` or ``[1]``)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    has_body = bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if not has_body and not request.mimetype:
        return None  # a bare button posted without a body
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if request.mimetype in FORM_TYPES and charset in FORM_CHARSETS:
        if request.mimetype == "multipart/form-data" and not request.mimetype_params.get("boundary"):
            return render_error(400, _l("The form arrived damaged. Reload the page and send it again."))
        return None
    return render_error(400, _l("This address accepts only forms sent from its pages (form-encoded, UTF-8). "
                                "Open the page and send the form from there."))


def remember_language(response):
    chosen = g.get("lang_chosen")
    if not chosen:
        return response
    config = current_app.config
    response.set_cookie(config["LANGUAGE_COOKIE_NAME"], chosen, max_age=365 * 24 * 3600,
                        samesite="Lax", secure=config["SESSION_COOKIE_SECURE"], httponly=True)
    user = g.get("user")
    if user is not None and user.locale != chosen:
        User.update(locale=chosen).where(User.id == user.id).execute()
    return response


def security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    if "frame-ancestors" not in headers["Content-Security-Policy"]:  # a view's own policy (file downloads)
        headers["Content-Security-Policy"] += "; frame-ancestors 'none'"
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config["SESSION_COOKIE_SECURE"]:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if "Content-Disposition" in headers and not request.path.startswith("/static/"):
        # Every file the service makes (rosters, certificates, leaflets, tallies, records, personal data,
        # materials) is someone's: no shared, browser or offline cache keeps a copy, whoever downloads it.
        headers["Cache-Control"] = "private, no-store"
    elif g.get("user") is not None:
        # Pages behind a login carry personal data: no shared or back-button caches keep them.
        headers.setdefault("Cache-Control", "private, no-store")
    headers.setdefault("Content-Language", str(get_locale() or "kk"))
    if request.path.startswith("/static/"):
        headers.pop("Cache-Control", None)
    return response
