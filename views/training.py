"""Training events: region admins run them (events, rosters, check-in screens, certificates); the monitor,
district officers and school curators read within their scope; the public registers, checks in, downloads and
verifies certificates."""

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from forms import EmptyForm
from forms.training import (
    CheckinForm,
    EventForm,
    LookupForm,
    RegistrationForm,
    RevokeForm,
    district_schools,
    set_place_choices,
)
from models.auth import ROLE_ADMIN, ROLE_DISTRICT, ROLE_MONITOR, ROLE_SCHOOL
from models.training import Certificate, EventDay, Registration
from services import DomainError, certificates, exports, qr, ratelimit, training
from services.offline import Conflict
from views.common import get_or_404, roles_required
from views.errors import render_error, wants_json
from views.offline import conflict, form_page, invalid, queueable, saved

bp = Blueprint("training", __name__)
STAFF = (ROLE_ADMIN, ROLE_MONITOR, ROLE_DISTRICT, ROLE_SCHOOL)
# Public look-ups per address: verification pages (QR scans) and the certificate search by name and phone.
VERIFY_LIMIT, FIND_LIMIT, LIMIT_WINDOW = 60, 10, 600
EXPORT_TYPES = {"csv": exports.CSV_TYPE, "xlsx": exports.XLSX_TYPE}


def public_base():
    """The address printed and put in QR codes: PUBLIC_BASE_URL, else the one this request came to."""
    return current_app.config["PUBLIC_BASE_URL"] or request.host_url


def public_url(endpoint, **values):
    return public_base().rstrip("/") + url_for(endpoint, **values)


def load_event(event_id):
    event = training.visible_event(g.user, event_id)
    if event is None:
        abort(404)
    return event


def load_day(event, day_id):
    day = EventDay.get_or_none(EventDay.id == day_id, EventDay.event == event.id)
    if day is None:
        abort(404)
    return day


class UnknownEvent(Exception):
    """A public address of no event (or of a draft)."""


@bp.errorhandler(UnknownEvent)
def unknown_event(exc):
    return render_error(404, _("There is no such event. Check the link or the QR code."))


def load_public_event(slug):
    event = training.public_event(slug)
    if event is None:
        raise UnknownEvent(slug)
    return event


def attach(form, exc):
    (form[exc.field].errors if exc.field else form.form_errors).append(exc.message)


def download(data, filename, mimetype="application/pdf"):
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def private(response):
    """Pages and files of one participant: never kept by shared or offline caches."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------- events (staff)


@bp.get("/training")
@roles_required(*STAFF)
def events():
    upcoming, past = training.events_for(g.user, training.local_today())
    return render_template("training/events.html", upcoming=upcoming, past=past,
                           counts=training.participant_counts(g.user))


def _save_event(event=None):
    form = EventForm()
    if not form.is_submitted() and event is not None:
        form.fill(event, [d.day for d in training.event_days(event)])
    if form.validate_on_submit():
        try:
            if event is None:
                event = training.create_event(g.user, form.event_data())
            else:
                training.update_event(g.user, event, form.event_data())
        except DomainError as exc:
            attach(form, exc)
        else:
            flash(_("The event has been saved."), "success")
            return redirect(url_for("training.event", event_id=event.id))
    return render_template("training/event_form.html", form=form, event=event), 400 if form.errors else 200


@bp.route("/training/new", methods=["GET", "POST"])
@roles_required(ROLE_ADMIN)
def event_new():
    return _save_event()


@bp.route("/training/<int:event_id>/edit", methods=["GET", "POST"])
@roles_required(ROLE_ADMIN)
def event_edit(event_id):
    return _save_event(load_event(event_id))


@bp.get("/training/<int:event_id>")
@roles_required(*STAFF)
def event(event_id):
    event = load_event(event_id)
    days = training.event_days(event)
    link = public_url("training.register", slug=event.slug)
    return render_template("training/event.html", event=event, days=days, link=link, qr=qr.data_uri(link),
                           registrations=list(training.registrations(event, g.user)),
                           attended=training.attendance_map(event), issued=training.certificate_map(event),
                           tally=training.tally(g.user, event), today=training.local_today())


@bp.get("/training/<int:event_id>/poster")
@roles_required(ROLE_ADMIN, ROLE_MONITOR)
def poster(event_id):
    event = load_event(event_id)
    link = public_url("training.register", slug=event.slug)
    return render_template("training/poster.html", event=event, days=training.event_days(event), link=link,
                           qr=qr.data_uri(link, scale=8))


# ---------------------------------------------------------------- attendance (staff)


@bp.get("/training/<int:event_id>/days/<int:day_id>")
@roles_required(ROLE_ADMIN, ROLE_MONITOR)
def roster(event_id, day_id):
    event = load_event(event_id)
    day = load_day(event, day_id)
    needle = (request.args.get("q") or "").strip()[:100]
    present = {reg_id: a for (reg_id, day_id_), a in training.attendance_map(event).items() if day_id_ == day.id}
    return render_template("training/roster.html", event=event, day=day, days=training.event_days(event), q=needle,
                           registrations=list(training.registrations(event, g.user, needle)), present=present,
                           today=training.local_today())


@bp.post("/training/<int:event_id>/days/<int:day_id>/<any(present, absent):state>/<int:registration_id>")
@roles_required(ROLE_ADMIN)
def mark(event_id, day_id, state, registration_id):
    event = load_event(event_id)
    day = load_day(event, day_id)
    registration = get_or_404(Registration, registration_id)
    if registration.event_id != event.id:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    refused = None
    try:
        (training.mark_present if state == "present" else training.undo_presence)(g.user, registration, day)
    except DomainError as exc:
        refused = str(exc.message)
    if wants_json():
        return roster_row(event, day, registration, refused)
    if refused:
        flash(refused, "warning")
    return redirect(url_for("training.roster", event_id=event.id, day_id=day.id, q=request.args.get("q") or None,
                            _anchor=f"r{registration.id}"))


def roster_row(event, day, registration, refused):
    """The ticked row and the day's count, for static/js/training.js to swap in without reloading."""
    row = render_template("training/_roster_row.html", event=event, day=day, registration=registration,
                          attendance=training.attendance_of(registration, day), q=request.args.get("q") or "",
                          today=training.local_today())
    present, total = training.day_counts(event, day, g.user)
    count = _("Present: %(n)s of %(total)s", n=present, total=total)
    return jsonify(html=row, message=refused, count=count), 409 if refused else 200


@bp.get("/training/<int:event_id>/days/<int:day_id>/checkin")
@roles_required(ROLE_ADMIN)
def checkin_screen(event_id, day_id):
    event = load_event(event_id)
    day = load_day(event, day_id)
    code = training.checkin_code(current_app.config["SECRET_KEY"], event.id, day.day)
    link = public_url("training.checkin", slug=event.slug, code=code)
    present, _total = training.day_counts(event, day, g.user)
    return render_template("training/checkin_screen.html", event=event, day=day, link=link, present=present,
                           qr=qr.data_uri(link, scale=8), is_today=day.day == training.local_today())


# ---------------------------------------------------------------- certificates (staff)


@bp.post("/training/<int:event_id>/certificates")
@roles_required(ROLE_ADMIN)
def issue(event_id):
    event = load_event(event_id)
    if EmptyForm().validate_on_submit():
        issued = certificates.issue_for_event(g.user, event)
        flash(_("Certificates issued: %(n)s.", n=issued), "success")
    return redirect(url_for("training.event", event_id=event.id))


@bp.get("/training/<int:event_id>/certificates.pdf")
@roles_required(ROLE_ADMIN)
def event_certificates(event_id):
    event = load_event(event_id)
    try:
        data = certificates.event_pdf(event, public_base())
    except DomainError as exc:
        flash(exc.message, "warning")
        return redirect(url_for("training.event", event_id=event.id))
    return download(data, f"certificates-{event.code}.pdf")


@bp.get("/training/certificates/<int:certificate_id>.pdf")
@roles_required(ROLE_ADMIN)
def certificate_pdf(certificate_id):
    certificate = get_or_404(Certificate, certificate_id)
    try:
        data = certificates.certificate_pdf(certificate, public_base())
    except DomainError as exc:
        flash(exc.message, "warning")
        return redirect(url_for("training.event", event_id=certificate.event_id))
    return download(data, f"certificate-{certificate.number}.pdf")


@bp.route("/training/certificates/<int:certificate_id>/revoke", methods=["GET", "POST"])
@roles_required(ROLE_ADMIN)
def revoke(certificate_id):
    certificate = get_or_404(Certificate, certificate_id)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            certificates.revoke(g.user, certificate, form.reason.data)
        except DomainError as exc:
            attach(form, exc)
        else:
            flash(_("Certificate %(number)s has been revoked.", number=certificate.number), "success")
            return redirect(url_for("training.event", event_id=certificate.event_id))
    return render_template("training/revoke.html", form=form, certificate=certificate), 400 if form.errors else 200


# ---------------------------------------------------------------- exports and tallies (staff)


@bp.get("/training/<int:event_id>/roster.<any(csv, xlsx):fmt>")
@roles_required(*STAFF)
def roster_export(event_id, fmt):
    event = load_event(event_id)
    header, rows = training.roster_rows(event, g.user)
    return export(header, rows, f"roster-{event.code}", fmt, event.code)


def tally_event():
    """The event of ?event=<id> (404 if not visible), or None for all events."""
    return load_event(request.args.get("event", type=int)) if request.args.get("event") else None


@bp.get("/training/tally")
@roles_required(*STAFF)
def tally():
    event = tally_event()
    upcoming, past = training.events_for(g.user, training.local_today())
    return render_template("training/tally.html", event=event, events=list(upcoming) + list(past),
                           tally=training.tally(g.user, event))


@bp.get("/training/tally.<any(csv, xlsx):fmt>")
@roles_required(*STAFF)
def tally_export(fmt):
    event = tally_event()
    header, rows = training.tally_rows(training.tally(g.user, event))
    name = f"tally-{event.code}" if event else "tally"
    return export(header, rows, name, fmt, event.code if event else _("Tally"))


def export(header, rows, name, fmt, sheet_title):
    table = [header, *rows]
    data = exports.csv_bytes(table) if fmt == "csv" else exports.xlsx_bytes([(str(sheet_title), table)])
    return download(data, f"{name}.{fmt}", EXPORT_TYPES[fmt])


# ---------------------------------------------------------------- public: registration and check-in

REGISTER_TEMPLATE = "training/register.html"
REGISTERED = {
    "created": _l("You are registered. Keep this page: your attendance and certificate will appear here."),
    "duplicate": _l("You are registered. Keep this page: your attendance and certificate will appear here."),
    "existing": _l("You had already registered for this event with this phone number; here is your registration."),
}


@bp.route("/e/<slug>", methods=["GET", "POST"])
@queueable
def register(slug):
    event = load_public_event(slug)
    form = RegistrationForm()
    set_place_choices(form, url_for("training.schools", slug=event.slug))
    today = training.local_today()
    context = dict(event=event, days=training.event_days(event), refusal=training.registration_refusal(event, today))
    if not form.is_submitted() or form.show_schools.data:
        return form_page(render_template(REGISTER_TEMPLATE, form=form, **context))
    limit = current_app.config["REGISTRATIONS_PER_ADDRESS"]
    return submit_public(form, REGISTER_TEMPLATE, context, REGISTERED, lambda: training.register(
        event, form.registration_data(), form.client_uuid.data, today), limit=("register", limit, LIMIT_WINDOW))


def submit_public(form, template, context, messages, submit, limit=None):
    """The POST of a public offline-capable form: validate, count it against the address's ``limit`` ((bucket,
    events, seconds): a form that finds people's records by phone is a lookup), call the service (``submit``
    answers (record, outcome) whose record leads to a registration), then answer the outbox script or the page."""
    if not form.validate():
        return invalid(form, template, **context)
    if limit and not ratelimit.allow(limit[0], ratelimit.address_key(request.remote_addr), limit[1], limit[2]):
        message = _("Too many attempts from this device. Wait a few minutes and try again.")
        if wants_json() or request.headers.get("X-Kelisim-Outbox") == "1":
            return jsonify(status="throttled", message=message), 429  # the outbox keeps it and sends it later
        form.form_errors.append(message)
        return render_template(template, form=form, **context), 429
    try:
        record, outcome = submit()
    except Conflict as exc:
        return conflict(form, template, exc, **context)
    except DomainError as exc:
        attach(form, exc)
        return invalid(form, template, **context)
    registration = getattr(record, "registration", record)
    return saved(record, outcome == "created", url_for("training.participant", token=registration.token),
                 messages[outcome])


@bp.get("/e/<slug>/schools")
def schools(slug):
    load_public_event(slug)
    return jsonify(schools=district_schools(request.args.get("district", type=int) or 0))


CHECKIN_TEMPLATE = "training/checkin.html"
CHECKED_IN = {
    "created": _l("Your attendance today has been recorded."),
    "duplicate": _l("Your attendance today has been recorded."),
    "existing": _l("Your attendance today had already been recorded."),
}


@bp.route("/e/<slug>/checkin/<code>", methods=["GET", "POST"])
@queueable
def checkin(slug, code):
    event = load_public_event(slug)
    form = CheckinForm()
    secret, today = current_app.config["SECRET_KEY"], training.local_today()
    context = dict(event=event, code=code, refusal=training.checkin_refusal(event, code, secret, today))
    if not form.is_submitted():
        return form_page(render_template(CHECKIN_TEMPLATE, form=form, **context), 400 if context["refusal"] else 200)
    return submit_public(form, CHECKIN_TEMPLATE, context, CHECKED_IN, lambda: training.self_checkin(
        event, code, form.full_name.data, form.phone_normalized, form.client_uuid.data, secret, today))


# ---------------------------------------------------------------- public: certificates


@bp.get("/participant/<token>")
def participant(token):
    registration = training.participant(token)
    if registration is None:
        abort(404)
    days = training.event_days(registration.event)
    attended = {a.day_id: a for a in registration.attendance}
    certificate = Certificate.get_or_none(Certificate.registration == registration.id)
    link = public_url("training.participant", token=token)
    return private(Response(render_template("training/participant.html", registration=registration, days=days,
                                            attended=attended, certificate=certificate, link=link)))


@bp.get("/participant/<token>/certificate.pdf")
def participant_certificate(token):
    registration = training.participant(token)
    certificate = registration and certificates.valid_certificate(registration)
    if not certificate or not certificate.holder_name:
        abort(404)
    return private(download(certificates.certificate_pdf(certificate, public_base()),
                            f"certificate-{certificate.number}.pdf"))


@bp.route("/certificates/find", methods=["GET", "POST"])
def find():
    form = LookupForm()
    found, status = None, 200
    if form.validate_on_submit():
        if ratelimit.allow("cert-find", ratelimit.address_key(request.remote_addr), FIND_LIMIT, LIMIT_WINDOW):
            found = training.person_certificates(form.full_name.data, form.phone_normalized)
        else:
            form.form_errors.append(_("Too many searches from this device. Wait a few minutes and try again."))
            status = 429
    elif form.is_submitted():
        status = 400
    return private(Response(render_template("training/find.html", form=form, found=found), status))


@bp.get("/verify/<code>")
def verify(code):
    if not ratelimit.allow("verify", ratelimit.address_key(request.remote_addr), VERIFY_LIMIT, LIMIT_WINDOW):
        return render_error(429)
    certificate = certificates.verify(code)
    if certificate is None:
        return render_template("training/verify.html", certificate=None), 404
    return render_template("training/verify.html", certificate=certificate,
                           days=training.event_days(certificate.event))
