"""Answers for offline-capable forms: JSON for the outbox script, PRG for plain HTML posts; and the
pieces of the offline mechanism served by the site: /sw.js, /manifest.webmanifest, /outbox, /offline.

The outbox script posts with the header ``X-Kelisim-Outbox: 1`` and reads:
201 created / 200 duplicate ``{"status", "id", "redirect", "message"}``; 400 ``{"status": "invalid",
"errors": {field: [messages]}}``; 409 ``{"status": "conflict", "message"}``; 401 when the session has
ended (or another account is signed in than the one that filled the form, ``X-Kelisim-Owner``);
400 ``{"error": 400}`` on an expired CSRF token (the script fetches a fresh one and retries).

A form opts in by subclassing forms.offline.OfflineForm, rendering ``<form data-offline="<kind>">``,
answering through saved/invalid/conflict, and serving its GET page through form_page().
"""

import hashlib
import os
import uuid
from urllib.parse import unquote

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _

from services.offline import Conflict

bp = Blueprint("offline", __name__)

# Precached by the service worker (besides /offline and /outbox): the app shell.
SHELL_STATIC = ("css/app.css", "js/app.js", "js/offline.js", "icons/icon.svg", "icons/icon-192.png",
                "icons/icon-512.png")
# What the cache version is derived from: a new release that changes any of these replaces old caches.
VERSIONED = ("static", "templates/offline", "templates/base.html", "translations")


def from_outbox():
    return request.headers.get("X-Kelisim-Outbox") == "1"


def saved(record, created, redirect_url, message):
    if from_outbox():
        body = dict(status="created" if created else "duplicate", id=record.id, redirect=redirect_url,
                    message=str(message))
        return jsonify(body), 201 if created else 200
    flash(message, "success")
    return redirect(redirect_url)


def invalid(form, template, **context):
    if from_outbox():
        # Errors of the form as a whole (WTForms keys them under None) go under "_form".
        errors = {name or "_form": [str(e) for e in errs] for name, errs in form.errors.items()}
        return jsonify(status="invalid", errors=errors), 400
    return render_template(template, form=form, **context), 400


def conflict(form, template, exc: Conflict, **context):
    if from_outbox():
        return jsonify(status="conflict", message=str(exc.message)), 409
    form.form_errors.append(exc.message)
    if hasattr(form, "client_uuid"):
        form.client_uuid.data = str(uuid.uuid4())  # sent again from this page, it is a new record
    return render_template(template, form=form, conflict=True, **context), 409


def form_page(body, status=200):
    """The GET answer of an offline-capable form: marked so that the service worker keeps it for offline use."""
    response = make_response(body, status)
    if request.method == "GET" and status == 200:
        response.headers["X-Kelisim-Cache"] = "form"
    return response


@bp.before_app_request
def check_outbox_owner():
    """A queued form never goes under another account than the one that filled it: it waits for that login.
    (With nobody signed in the view decides: a public form goes, a login_required one answers 401.)"""
    if request.method != "POST" or not from_outbox():
        return None
    owner = unquote(request.headers.get("X-Kelisim-Owner", ""))
    if owner and g.get("user") is not None and g.user.username != owner:
        return jsonify(status="needs_login", user=owner), 401
    return None


def shell_version(root):
    """A short digest of every file the shell is made of, computed once per process."""
    digest = hashlib.sha256()
    for top in VERSIONED:
        path = os.path.join(root, top)
        files = [path] if os.path.isfile(path) else sorted(
            os.path.join(folder, name) for folder, _dirs, names in os.walk(path) for name in names
            if not name.startswith("."))
        for name in files:
            digest.update(os.path.relpath(name, root).encode())
            with open(name, "rb") as fh:
                digest.update(fh.read())
    return digest.hexdigest()[:12]


@bp.record_once
def _remember_version(state):
    state.app.extensions["kelisim_shell_version"] = shell_version(state.app.root_path)


@bp.get("/sw.js")
def service_worker():
    shell = [url_for("static", filename=name) for name in SHELL_STATIC]
    shell += [url_for("offline.manifest"), url_for("offline.offline_page"), url_for("offline.outbox")]
    body = render_template("offline/sw.js", version=current_app.extensions["kelisim_shell_version"], shell=shell,
                           offline_url=url_for("offline.offline_page"))
    response = make_response(body)
    response.mimetype = "text/javascript"
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


def _icon(name, sizes, kind):
    return dict(src=url_for("static", filename=f"icons/{name}"), sizes=sizes, type=kind, purpose="any")


@bp.get("/manifest.webmanifest")
def manifest():
    body = jsonify(
        name="Kelisim", short_name="Kelisim", lang=str(get_locale()),
        description=_("School mediation services of the Karaganda region"),
        start_url=url_for("main.home"), scope="/", display="standalone", background_color="#ffffff",
        theme_color="#0b5d8f",
        icons=[_icon("icon-192.png", "192x192", "image/png"), _icon("icon-512.png", "512x512", "image/png"),
               _icon("icon.svg", "any", "image/svg+xml")],
    )
    body.mimetype = "application/manifest+json"
    body.headers["Cache-Control"] = "no-cache"
    return body


@bp.get("/outbox")
def outbox():
    """What waits on this phone: the list itself is read from the phone's storage by static/js/offline.js."""
    return render_template("offline/outbox.html")


@bp.get("/offline")
def offline_page():
    """Shown by the service worker for a page that was never opened on this phone while offline."""
    return render_template("offline/offline.html")
