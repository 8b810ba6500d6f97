"""Request hooks: the user, the remembered language, and the security headers on every answer; and the escaping
of translated messages."""

from flask import current_app, g, request
from flask_babel import get_locale
from flask_babel.speaklater import LazyString
from markupsafe import escape

from models.auth import User

# flask-babel's LazyString declares itself HTML (its __html__ returns the text as is), so Jinja would not escape a
# lazy message that carries what someone typed, as _l("“%(value)s” is not a date", value=...) does. Kelisim's
# messages hold no markup: they are escaped like any other text.
LazyString.__html__ = lambda self: escape(str(self))

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; manifest-src 'self'; worker-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


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
    if g.get("user") is not None and response.mimetype == "text/html":
        # Pages behind a login carry personal data: no shared or back-button caches keep them.
        headers.setdefault("Cache-Control", "private, no-store")
    headers.setdefault("Content-Language", str(get_locale() or "kk"))
    if request.path.startswith("/static/"):
        headers.pop("Cache-Control", None)
    return response
