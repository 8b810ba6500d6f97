"""Effectiveness monitoring: trends of a school, a district and the region; the early flags (a district officer's
schools, or all of them by district for the region); the thresholds (region admin); the quarterly reports, which
the region admin or the monitor prepare and publish, and which a district officer reads for its own district."""

from flask import Blueprint, flash, g, make_response, redirect, render_template, url_for
from flask_babel import gettext as _

from forms.monitoring import PublishForm, ReportTextsForm, ThresholdsForm, new_report_form
from models.auth import ROLE_ADMIN, ROLE_DISTRICT, ROLE_MONITOR, ROLE_SCHOOL
from models.directory import District
from models.monitoring import MonitoringReport
from services import DomainError, monitoring, setup
from services.quarters import Quarter
from services.tallies import PDF_TYPE
from views.common import login_required, roles_required
from views.tallies import load, not_found

bp = Blueprint("monitoring", __name__, url_prefix="/monitoring")

REGION = (ROLE_ADMIN, ROLE_MONITOR)
READERS = (ROLE_ADMIN, ROLE_MONITOR, ROLE_DISTRICT)
LANGS = "any(kk, ru)"


@bp.app_template_global("needs_attention")
def needs_attention():
    """The early flags of a district officer's schools, grouped for its home page (None for other roles)."""
    user = g.get("user")
    if user is None or user.role != ROLE_DISTRICT:
        return None
    return monitoring.flags_by_district(monitoring.flags(district_id=user.district_id))


@bp.app_template_global("quarter_of")
def quarter_of(code):
    return Quarter.parse(code)


@bp.app_template_global("districts_list")
def districts_list():
    return District.select().order_by(District.code)


def own_trends(user):
    if user.role == ROLE_SCHOOL:
        return url_for("monitoring.trends", district_code=user.school.district.code, school_id=user.school_id)
    if user.role == ROLE_DISTRICT:
        return url_for("monitoring.trends", district_code=user.district.code)
    return url_for("monitoring.trends")


@bp.get("")
@login_required
def index():
    return redirect(own_trends(g.user))


@bp.get("/trends")
@bp.get("/trends/<district_code>")
@bp.get("/trends/<district_code>/<int:school_id>")
@login_required
def trends(district_code=None, school_id=None):
    if district_code is None and not g.user.is_region:
        return redirect(own_trends(g.user))
    today = setup.local_today()
    _period, district, school = load(Quarter.of(today).code, district_code, school_id)
    quarters = monitoring.quarters_ending(Quarter.of(today))
    points = monitoring.trend(quarters, district and district.id, school and school.id)
    # Inside the school its own curator sees exact counts; everyone else sees small counts as "<5".
    view = monitoring.trend_view(points, suppress=not (school is not None and g.user.role == ROLE_SCHOOL))
    found = None
    if district is not None:  # the region's flags are a page of their own
        found = monitoring.flags_by_district(monitoring.flags(district.id, school and school.id))
    return render_template("monitoring/trends.html", view=view, district=district, school=school,
                           title=school.name if school else district.name if district else _("Karaganda region"),
                           flags=found)


@bp.get("/flags")
@roles_required(*READERS)
def flags():
    district_id = g.user.district_id if g.user.role == ROLE_DISTRICT else None
    found = monitoring.flags(district_id=district_id)
    return render_template("monitoring/flags.html", groups=monitoring.flags_by_district(found),
                           counts=monitoring.flag_counts(found).get(None), kinds=monitoring.FLAG_KINDS,
                           titles=monitoring.FLAG_TITLES, limits=monitoring.thresholds(),
                           quarter=monitoring.last_ended(setup.local_today()))


@bp.route("/settings", methods=["GET", "POST"])
@roles_required(ROLE_ADMIN)
def settings():
    form = ThresholdsForm(data=monitoring.thresholds())
    if form.validate_on_submit():
        try:
            monitoring.save_thresholds(g.user, form.values())
        except DomainError as exc:
            form[exc.field].errors.append(exc.message)
        else:
            flash(_("The thresholds have been saved."), "success")
            return redirect(url_for("monitoring.flags"))
    return render_template("monitoring/settings.html", form=form), 400 if form.errors else 200


# ---------------------------------------------------------------- reports


def visible_reports():
    query = MonitoringReport.select().order_by(MonitoringReport.quarter.desc())
    if g.user.role == ROLE_DISTRICT:
        query = query.where(MonitoringReport.published_at.is_null(False))
    return query


def get_report(report_id):
    """The report if the reader may see it (district officers: published ones only), else 404."""
    report = visible_reports().where(MonitoringReport.id == report_id).first()
    if report is None:
        not_found(_("There is no such monitoring report, or it has not been published yet."))
    return report


@bp.get("/reports")
@roles_required(*READERS)
def reports():
    return render_template("monitoring/reports.html", reports=list(visible_reports()))


@bp.route("/reports/new", methods=["GET", "POST"])
@roles_required(*REGION)
def report_new():
    taken = {r.quarter for r in MonitoringReport.select(MonitoringReport.quarter)}
    form = new_report_form(monitoring.report_quarters(), taken)
    if form.validate_on_submit():
        try:
            report = monitoring.create_report(g.user, form.quarter.data, form.texts())
        except DomainError as exc:
            form[exc.field].errors.append(exc.message)
        else:
            flash(_("The draft report has been saved."), "success")
            return redirect(url_for("monitoring.report", report_id=report.id))
    return render_template("monitoring/report_form.html", form=form, report=None), 400 if form.errors else 200


@bp.get("/reports/<int:report_id>")
@roles_required(*READERS)
def report(report_id):
    report = get_report(report_id)
    district_code = g.user.district.code if g.user.role == ROLE_DISTRICT else None
    view = monitoring.report_view(report, monitoring.frozen_figures(report), district_code)
    return render_template("monitoring/report.html", report=report, view=view,
                           districts=District.select().order_by(District.code) if g.user.is_region else [])


@bp.route("/reports/<int:report_id>/edit", methods=["GET", "POST"])
@roles_required(*REGION)
def report_edit(report_id):
    report = get_report(report_id)
    if report.is_published:
        flash(_("This report has been published; a published report is never changed."), "error")
        return redirect(url_for("monitoring.report", report_id=report.id))
    form = ReportTextsForm(obj=report)
    if form.validate_on_submit():
        try:
            monitoring.update_report(g.user, report, form.texts())
        except DomainError as exc:
            flash(str(exc.message), "error")
        else:
            flash(_("The draft report has been saved."), "success")
        return redirect(url_for("monitoring.report", report_id=report.id))
    return render_template("monitoring/report_form.html", form=form, report=report), 400 if form.errors else 200


@bp.route("/reports/<int:report_id>/publish", methods=["GET", "POST"])
@roles_required(*REGION)
def report_publish(report_id):
    report = get_report(report_id)
    if report.is_published:
        flash(_("This report has been published; a published report is never changed."), "error")
        return redirect(url_for("monitoring.report", report_id=report.id))
    form = PublishForm(report)
    if form.validate_on_submit():
        try:
            monitoring.publish(g.user, report)
        except DomainError as exc:
            flash(str(exc.message), "error")
        else:
            flash(_("The report has been published."), "success")
        return redirect(url_for("monitoring.report", report_id=report.id))
    return render_template("monitoring/publish.html", form=form, report=report), 400 if form.errors else 200


def _pdf(body, stem):
    response = make_response(body)
    response.headers["Content-Type"] = PDF_TYPE
    response.headers["Content-Disposition"] = f'attachment; filename="{stem}.pdf"'
    return response


def published(report_id):
    report = get_report(report_id)
    if not report.is_published:
        not_found(_("This report has not been published yet: its PDF is made when it is published."))
    return report


@bp.get(f"/reports/<int:report_id>/report-<{LANGS}:lang>.pdf")
@roles_required(*REGION)
def report_pdf(report_id, lang):
    report = published(report_id)
    return _pdf(monitoring.report_pdf(report, lang), f"monitoring-{report.quarter}-{lang}")


@bp.get(f"/reports/<int:report_id>/districts/<district_code>/report-<{LANGS}:lang>.pdf")
@roles_required(*READERS)
def district_pdf(report_id, district_code, lang):
    report = published(report_id)
    district = District.get_or_none(District.code == district_code)
    if district is None or (g.user.role == ROLE_DISTRICT and g.user.district_id != district.id):
        not_found(_("There is no district “%(code)s”, or you do not have access to it.", code=district_code[:16]))
    body = monitoring.district_pdf(g.user, report, district.code, lang)
    return _pdf(body, f"monitoring-{report.quarter}-{district.code}-{lang}")
