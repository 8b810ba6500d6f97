"""Parent outreach: schools record activities; districts and the region read them and print leaflets;
parents confirm on a public page reached from a school's QR code (/p/<slug>)."""

from flask import (
    Blueprint,
    Response,
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
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from forms import EmptyForm
from forms.outreach import (
    ACTIVITY_LANGUAGE_LABELS,
    FORMAT_LABELS,
    GRADE_BAND_LABELS,
    PARENT_LANGUAGE_LABELS,
    WOULD_TURN_LABELS,
    ConfirmationForm,
    OutreachFields,
    OutreachForm,
)
from models.auth import ROLE_ADMIN, ROLE_DISTRICT, ROLE_MONITOR, ROLE_SCHOOL
from models.directory import District, School
from models.outreach import OutreachActivity
from services import outreach
from services.access import visible
from services.offline import Closed, Conflict
from services.qr import data_uri
from services.setup import public_curators
from views import offline
from views.common import get_or_404, login_required, paginate, roles_required

bp = Blueprint("outreach", __name__)

ACTIVITY_FORM = "outreach/activity_form.html"
CONFIRM_PAGE = "outreach/confirm.html"
# Signed list of the schools confirmed on this device: one confirmation per device and school.
DEVICE_COOKIE = "kelisim_confirmed"
DEVICE_COOKIE_SCHOOLS = 200


def public_url(slug):
    """The address printed on leaflets and encoded in QR codes."""
    base = current_app.config.get("PUBLIC_BASE_URL") or request.host_url
    return base.rstrip("/") + url_for("outreach.confirm", slug=slug)


def form_page(form, template, **context):
    """The form again: 400 with its errors when it was sent, else the fresh page."""
    if form.is_submitted():
        return offline.invalid(form, template, **context)
    return offline.form_page(render_template(template, form=form, **context))


# ---------------------------------------------------------------- read


def schools_page():
    """One page of the schools the reader may see (narrowed by ?district=), with the district choices."""
    query = visible(School, g.user).select(School, District).join(District).order_by(District.code, School.code)
    district_id = request.args.get("district", type=int)
    if district_id:
        query = query.where(School.district == district_id)
    rows, page, pages, total = paginate(query)
    districts = visible(District, g.user).order_by(District.code) if g.user.is_region else []
    return dict(schools=list(rows), page=page, pages=pages, total=total, districts=districts,
                district_id=district_id or g.user.district_id)


@bp.context_processor
def labels():
    return dict(format_labels=FORMAT_LABELS, language_labels=ACTIVITY_LANGUAGE_LABELS,
                grade_band_labels=GRADE_BAND_LABELS, parent_language_labels=PARENT_LANGUAGE_LABELS,
                would_turn_labels=WOULD_TURN_LABELS)


@bp.get("/outreach")
@login_required
def index():
    if g.user.role == ROLE_SCHOOL:
        return school_page(g.user.school_id)
    listing = schools_page()
    return render_template("outreach/index.html", rows=outreach.school_overview(listing["schools"]), **listing)


@bp.get("/outreach/schools/<int:school_id>")
@login_required
def school_page(school_id):
    school = get_or_404(School, school_id)
    query = (OutreachActivity.select().where(OutreachActivity.school == school)
             .order_by(OutreachActivity.held_on.desc(), OutreachActivity.id.desc()))
    rows, page, pages, total = paginate(query)
    url = public_url(outreach.links_for([school.id])[school.id])
    return render_template("outreach/school.html", school=school, activities=rows, page=page, pages=pages,
                           total=total, summary=outreach.confirmation_summary(school), public_link=url,
                           qr=data_uri(url))


@bp.get("/outreach/<int:activity_id>")
@login_required
def activity(activity_id):
    return render_template("outreach/activity.html", activity=get_or_404(OutreachActivity, activity_id))


@bp.get("/outreach/schools/<int:school_id>/leaflet.pdf")
@login_required
def leaflet(school_id):
    school = get_or_404(School, school_id)
    return _pdf(outreach.leaflet_pages([school], public_url), f"leaflet-{school.code}.pdf")


@bp.get("/outreach/leaflets.pdf")
@roles_required(ROLE_ADMIN, ROLE_MONITOR, ROLE_DISTRICT)
def leaflets():
    district_id = request.args.get("district", g.user.district_id, type=int)
    schools = visible(School, g.user).where(School.district == district_id).order_by(School.code)
    if not district_id or not schools.exists():
        abort(404)
    pages = outreach.leaflet_pages(outreach.schools_with_district(schools), public_url)
    return _pdf(pages, f"leaflets-{District.get_by_id(district_id).code}.pdf")


def _pdf(pages, filename):
    response = Response(outreach.leaflet_pdf(pages), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# ---------------------------------------------------------------- write (the school's curator)


@bp.route("/outreach/new", methods=["GET", "POST"])
@offline.queueable
@offline.files_for_school
def activity_new():
    form = OutreachForm()
    if not form.validate_on_submit():
        return form_page(form, ACTIVITY_FORM, activity=None)
    try:
        record, created = outreach.record_activity(g.user, offline.filing_school(), form.activity_data(),
                                                   form.client_uuid.data)
    except Conflict as exc:
        return offline.conflict(form, ACTIVITY_FORM, exc, activity=None)
    except Closed as exc:
        return offline.refused(form, ACTIVITY_FORM, exc, activity=None)
    return offline.saved(record, created, url_for("outreach.index"), _("The activity has been saved."))


@bp.route("/outreach/<int:activity_id>/edit", methods=["GET", "POST"])
@roles_required(ROLE_SCHOOL)
def activity_edit(activity_id):
    record = get_or_404(OutreachActivity, activity_id)
    form = OutreachFields(obj=record)
    if not form.validate_on_submit():
        return form_page(form, ACTIVITY_FORM, activity=record)
    outreach.update_activity(g.user, record, form.activity_data())
    flash(_("The activity has been corrected."), "success")
    return redirect(url_for("outreach.index"))


@bp.post("/outreach/<int:activity_id>/delete")
@roles_required(ROLE_SCHOOL)
def activity_delete(activity_id):
    record = get_or_404(OutreachActivity, activity_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    outreach.delete_activity(g.user, record)
    flash(_("The activity has been deleted."), "success")
    return redirect(url_for("outreach.index"))


# ---------------------------------------------------------------- public: parents


def confirmed_here():
    """Ids of the schools already confirmed on this device (from the signed cookie)."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return []
    try:
        ids = URLSafeSerializer(current_app.secret_key, salt="parent-confirmations").loads(raw)
    except BadSignature:
        return []
    return [i for i in ids if isinstance(i, int)] if isinstance(ids, list) else []


def remember_confirmed(response, school_id):
    ids = [i for i in confirmed_here() if i != school_id][-(DEVICE_COOKIE_SCHOOLS - 1):] + [school_id]
    value = URLSafeSerializer(current_app.secret_key, salt="parent-confirmations").dumps(ids)
    response.set_cookie(DEVICE_COOKIE, value, max_age=2 * 365 * 24 * 3600, path="/p/", httponly=True,
                        samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def _public_context(school, slug):
    return dict(school=school, slug=slug, curator=public_curators([school.id]).get(school.id),
                texts=outreach.SERVICE_TEXTS)


@bp.route("/p/<slug>", methods=["GET", "POST"])
@offline.queueable
def confirm(slug):
    school = outreach.school_by_slug(slug)
    if school is None:
        return render_template("outreach/unknown_link.html"), 404
    context = _public_context(school, slug)
    if school.id in confirmed_here():
        return _answer(_("You have already confirmed on this device. Thank you!"), 200, "duplicate", slug, context)
    form = ConfirmationForm()
    if not form.validate_on_submit():
        return form_page(form, CONFIRM_PAGE, **context)
    try:
        record, created = outreach.confirm(school, form.confirmation_data(), form.client_uuid.data,
                                           request.remote_addr or "")
    except outreach.TooManyConfirmations as exc:
        return _answer(exc.message, 429, "rate_limited", slug, context)
    except Conflict as exc:
        return offline.conflict(form, CONFIRM_PAGE, exc, **context)
    response = make_response(offline.saved(record, created, url_for("outreach.thanks", slug=slug),
                                           _("Thank you! Your confirmation has been recorded.")))
    return remember_confirmed(response, school.id)


def _answer(message, status, kind, slug, context):
    """A confirmation page (or the outbox's JSON) that only says something: already confirmed, too many."""
    if offline.from_outbox():
        return jsonify(status=kind, message=str(message), redirect=url_for("outreach.thanks", slug=slug)), status
    return render_template(CONFIRM_PAGE, form=None, notice=message, notice_kind=kind, **context), status


@bp.get("/p/<slug>/thanks")
def thanks(slug):
    school = outreach.school_by_slug(slug)
    if school is None:
        return render_template("outreach/unknown_link.html"), 404
    return render_template("outreach/thanks.html", confirmed=school.id in confirmed_here(),
                           **_public_context(school, slug))
