"""Answers for offline-capable forms: JSON for the outbox script, PRG for plain HTML posts; the pieces of the
offline mechanism served by the site: /sw.js, /manifest.webmanifest, /outbox, /offline; and the import of an outbox
file saved on another device (/outbox/import), each item posted through its own form's endpoint.

The outbox script posts with the header ``X-Kelisim-Outbox: 1`` and reads:
201 created / 200 duplicate ``{"status", "id", "redirect", "message"}``; 400 ``{"status": "invalid",
"errors": {field: [messages]}}`` (with ``"version", "changed", "renamed"`` when the values were typed in an older
version of the form); 409 ``{"status": "conflict", "message"}``; 423 ``{"status": "closed", "message", "field"}``
when what the item belongs to takes no more changes (services.offline.Closed: a closed quarter); 401 when the
session has ended (or another account is signed in than the one that filled the form, ``X-Kelisim-Owner``); 400
``{"error": 400}`` on an expired CSRF token (the script fetches a fresh one and retries).

A form opts in by subclassing forms.offline.OfflineForm (kind, title, summary, version), rendering it with the form
macro, marking its view @queueable, answering through saved/invalid/conflict/refused, and serving its GET page
through form_page().
"""

import hashlib
import json
import os
import uuid
from datetime import date
from functools import wraps
from urllib.parse import unquote, urlsplit

from flask import (
    Blueprint,
    abort,
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
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.test import EnvironBuilder

from forms.offline import ExportForm, ImportForm, offline_forms
from models.auth import ROLE_DISTRICT, ROLE_SCHOOL, User
from models.directory import School
from models.offline import OutboxImport, OutboxImportItem
from services import handover
from services.access import get_visible, visible
from services.offline import Closed, Conflict
from templating import fmt_date
from views.common import get_or_404, login_required, roles_required

bp = Blueprint("offline", __name__)

# Precached by the service worker (besides /offline and /outbox): the app shell.
SHELL_STATIC = ("css/app.css", "js/app.js", "js/offline.js", "js/offline-more.js", "js/outbox.js", "icons/icon.svg",
                "icons/icon-192.png",
                "icons/icon-512.png")
# What the cache version is derived from: a new release that changes any of these replaces old caches.
VERSIONED = ("static", "templates/offline", "templates/base.html", "translations")
# Set in the environ of an imported item's post by a district officer: the school it is filed for (checked in the
# officer's district before). Never set from outside: an HTTP header cannot reach a dotted environ key.
IMPORT_FOR = "kelisim.import_for"
# The views of offline-capable forms (@queueable): the only ones an imported item may be posted to.
QUEUEABLE = set()


def from_outbox():
    return request.headers.get("X-Kelisim-Outbox") == "1"


def queueable(view):
    """Marks the view of an offline-capable form (under @bp.route): an item of an imported file may be posted to it."""
    QUEUEABLE.add(view)
    return view


def files_for_school(view):
    """For a form that a school's curator files for its own school. Within the import of a school's outbox file, a
    district officer of the school's district files it too; outside one, the officer gets 403 as before."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if g.user.role != ROLE_SCHOOL and not (g.user.role == ROLE_DISTRICT and request.environ.get(IMPORT_FOR)):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def filing_school():
    """The school a form is filed for: the curator's own, or the one a district officer's import is for."""
    school_id = request.environ.get(IMPORT_FOR)
    return School.get_by_id(school_id) if school_id else g.user.school


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
        reopen = form.reopen() if hasattr(form, "reopen") else None
        return jsonify(status="invalid", errors=errors, **(reopen or {})), 400
    return render_template(template, form=form, **context), 400


def conflict(form, template, exc: Conflict, **context):
    if from_outbox():
        return jsonify(status="conflict", message=str(exc.message)), 409
    form.form_errors.append(exc.message)
    if hasattr(form, "client_uuid"):
        form.client_uuid.data = str(uuid.uuid4())  # sent again from this page, it is a new record
    return render_template(template, form=form, conflict=True, **context), 409


def refused(form, template, exc: Closed, **context):
    """423: what the submission belongs to takes no more changes (a closed quarter). The outbox keeps the item as
    "refused" with the message until the user corrects or deletes it."""
    if from_outbox():
        return jsonify(status="closed", message=str(exc.message), **({"field": exc.field} if exc.field else {})), 423
    (form[exc.field].errors if exc.field and exc.field in form else form.form_errors).append(exc.message)
    return render_template(template, form=form, **context), 423


@bp.app_errorhandler(Closed)
def closed_anywhere(exc):
    """A Closed a view did not catch: the outbox still gets its 423; a plain post a page that says why."""
    if from_outbox():
        return jsonify(status="closed", message=str(exc.message)), 423
    return render_template("errors/error.html", code=423, title=_("Closed"), message=exc.message), 423


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
    return render_template("offline/outbox.html", export_form=ExportForm(formdata=None))


@bp.get("/offline")
def offline_page():
    """Shown by the service worker for a page that was never opened on this phone while offline."""
    return render_template("offline/offline.html")


# ---------------------------------------------------------------- hand-over by file


def importing_for(account):
    """The school an outbox file is filed for: a curator's own (its file, or one saved with nobody signed in); for a
    district officer, the school of the curator account the file was saved under, when it is in the officer's
    district. Another school's or district's file answers 404, as its records would."""
    owner = User.get_or_none(User.username == account) if account else None
    if account and owner is None:
        abort(404)
    if g.user.role == ROLE_SCHOOL:
        if owner is not None and owner.school_id != g.user.school_id:
            abort(404)
        return g.user.school
    school = get_visible(School, owner.school_id, g.user) if owner is not None and owner.school_id else None
    if school is None:
        abort(404)
    return school


def post_item(item, school):
    """Posts one imported item through its own form's endpoint as the outbox would, under the importing account (its
    cookies and CSRF token); a district officer's post is filed for ``school``. Answers a handover.Outcome."""
    summary = summary_values(item.kind, item.fields)
    path = urlsplit(item.path)
    try:
        endpoint, _args = current_app.url_map.bind_to_environ(request.environ).match(path.path, method="POST")
    except HTTPException:
        endpoint = None
    if current_app.view_functions.get(endpoint) not in QUEUEABLE:
        return handover.Outcome("refused", messages={"_form": [_("This form cannot be imported here.")]},
                                summary=summary)
    headers = {"X-Kelisim-Outbox": "1", "Accept": "application/json", "X-CSRFToken": generate_csrf(),
               "Cookie": request.headers.get("Cookie", ""), "Referer": request.url,
               "Accept-Language": request.headers.get("Accept-Language", "")}
    # As the outbox posts it (static/js/offline.js formBody): the fields, then the item's own code.
    fields = [(k, v) for k, v in item.fields if k not in ("client_uuid", "csrf_token")] + [("client_uuid",
                                                                                          item.client_uuid)]
    environ = EnvironBuilder(path=path.path, query_string=path.query, base_url=request.url_root, method="POST",
                             data=MultiDict(fields), headers=headers).get_environ()
    environ["REMOTE_ADDR"] = request.remote_addr or ""
    if g.user.role == ROLE_DISTRICT:
        environ[IMPORT_FOR] = school.id
    with current_app.request_context(environ):
        response = current_app.full_dispatch_request()
    return outcome_of(response.status_code, response.get_json(silent=True) or {}, summary)


def outcome_of(status, answer, summary):
    if 200 <= status < 300 and answer.get("status") in ("created", "duplicate"):
        return handover.Outcome(answer["status"], answer.get("id"), summary=summary)
    if status == 400 and answer.get("status") == "invalid":
        return handover.Outcome("invalid", messages=answer.get("errors") or {}, summary=summary)
    message = answer.get("message") or _("The service did not take this item (error %(code)s).", code=status)
    return handover.Outcome("refused", messages={"_form": [str(message)]}, summary=summary)


def summary_values(kind, fields):
    """The values of the form's summary fields in an item (a category, a date): what tells items apart."""
    form_class = offline_forms().get(kind)
    names = form_class.summary if form_class else ()
    values = dict(fields)
    return {name: values[name][:100] for name in names if values.get(name)}


def summary_text(form, values):
    """The summary values as the reader sees them: choices by their label, dates in the reader's format."""
    parts = []
    for name, value in values.items():
        field = form[name] if form is not None and name in form else None
        choices = dict((str(k), v) for k, v, *_rest in field.iter_choices()) if hasattr(field, "iter_choices") else {}
        if value in choices:
            parts.append(str(choices[value]))
            continue
        try:
            parts.append(fmt_date(date.fromisoformat(value)))
        except ValueError:
            parts.append(value)
    return " · ".join(parts)


def _import(form):
    """The import of the file in ``form`` (its OutboxImport record), or None with the file's error on the form."""
    try:
        outbox_file = handover.read(form.file.data.read(handover.MAX_BYTES + 1))
    except handover.FileRefused as exc:
        form.file.errors.append(exc.message)
        return None
    school = importing_for(outbox_file.account)
    outcomes = [post_item(item, school) for item in outbox_file.items]
    return handover.record_import(g.user, school, outbox_file, outcomes)


@bp.route("/outbox/import", methods=["GET", "POST"])
@roles_required(ROLE_SCHOOL, ROLE_DISTRICT)
def import_file():
    form = ImportForm()
    record = _import(form) if form.validate_on_submit() else None
    if record is not None and from_outbox():
        items = [dict(client_uuid=i.client_uuid, outcome=i.outcome)
                 for i in record.items.order_by(OutboxImportItem.position)]
        return jsonify(status="imported", id=record.id, items=items, **handover.counts(record)), 201
    if record is not None:
        return redirect(url_for("offline.import_report", import_id=record.id))
    if from_outbox() and form.errors:
        return jsonify(status="refused", errors={k: [str(e) for e in v] for k, v in form.errors.items()}), 400
    imports = visible(OutboxImport, g.user).order_by(OutboxImport.created_at.desc()).limit(10)
    return render_template("offline/import.html", form=form, imports=imports), 400 if form.errors else 200


@bp.get("/outbox/imports/<int:import_id>")
@login_required
def import_report(import_id):
    record = get_or_404(OutboxImport, import_id)
    forms = {kind: form_class(formdata=None, meta={"csrf": False}) for kind, form_class in offline_forms().items()}
    rows = [report_row(item, forms.get(item.kind)) for item in record.items.order_by(OutboxImportItem.position)]
    return render_template("offline/import_report.html", record=record, rows=rows, counts=handover.counts(record),
                           can_reopen=g.user.role == ROLE_SCHOOL and g.user.school_id == record.school_id)


def report_row(item, form):
    """One line of an import's report: the form's name, when it was filled, its summary and what became of it."""
    messages = []
    for name, texts in json.loads(item.messages or "{}").items():
        label = form[name].label.text if form is not None and name in form and name != "client_uuid" else ""
        messages += [f"{label}: {text}" if label else text for text in texts]
    return dict(item=item, title=form.title if form is not None else item.kind, messages=messages,
                summary=summary_text(form, json.loads(item.summary or "{}")), label=OUTCOME_LABELS[item.outcome])


OUTCOME_LABELS = {
    "created": _l("Created"),
    "duplicate": _l("Already there"),
    "invalid": _l("Needs correction"),
    "refused": _l("Refused"),
}
