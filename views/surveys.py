"""Case outcome surveys: a school files (also from the phone's outbox) and corrects its own; district,
region admin and monitor read them within their scope."""

from datetime import date

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from forms.surveys import SURVEY_FIELDS, SurveyCorrectionForm, SurveyFilterForm, SurveyForm, field_labels
from models.auth import ROLE_ADMIN, ROLE_DISTRICT, ROLE_MONITOR, ROLE_SCHOOL
from models.surveys import CHOICES, CaseSurvey
from services import DomainError
from services import surveys as service
from services.offline import Closed, Conflict
from services.quarters import Quarter
from templating import fmt_date
from views.common import get_or_404, login_required, paginate, roles_required
from views.offline import conflict, files_for_school, filing_school, form_page, invalid, queueable, refused, saved

bp = Blueprint("surveys", __name__)
READERS = (ROLE_ADMIN, ROLE_MONITOR, ROLE_DISTRICT, ROLE_SCHOOL)


@bp.get("/surveys")
@roles_required(*READERS)
def index():
    filters = SurveyFilterForm(request.args)
    rows, page, pages, total = paginate(service.listing(g.user, **filters.filters()))
    return render_template("surveys/list.html", surveys=rows, filters=filters, total=total, page=page, pages=pages)


@bp.route("/surveys/new", methods=["GET", "POST"])
@queueable
@files_for_school
def new():
    form = SurveyForm()
    context = dict(survey=None, offline=True)
    if form.validate_on_submit():
        try:
            survey, created = service.file_survey(g.user, form.client_uuid.data, form.survey_data(), filing_school())
        except Conflict as exc:
            return conflict(form, "surveys/form.html", exc, **context)
        except Closed as exc:
            return refused(form, "surveys/form.html", exc, **context)
        message = _("The survey has been saved.") if created else _("This survey had already been received.")
        return saved(survey, created, url_for("surveys.detail", survey_id=survey.id), message)
    if form.is_submitted():
        return invalid(form, "surveys/form.html", **context)
    return form_page(render_template("surveys/form.html", form=form, **context))


@bp.get("/surveys/<int:survey_id>")
@login_required
def detail(survey_id):
    survey = get_or_404(CaseSurvey, survey_id)
    labels = field_labels()
    rows = [(labels[name], shown(name, getattr(survey, name))) for name in SURVEY_FIELDS]
    history = service.history(survey)
    for revision in history:
        revision.rows = [(labels.get(name, name), shown(name, old), shown(name, new))
                         for name, (old, new) in revision.changed.items()]
    return render_template("surveys/detail.html", survey=survey, rows=rows, history=history,
                           quarter=Quarter.parse(survey.quarter).label, can_correct=can_correct(survey))


def shown(name, value):
    """A stored value as the reader sees it: choices by label, dates by locale, yes/no in words."""
    if name in CHOICES:
        return dict(CHOICES[name]).get(value, value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if value is None or value == "":
        return "—"
    if name.endswith("_on"):
        return fmt_date(date.fromisoformat(value) if isinstance(value, str) else value)
    return value


def can_correct(survey):
    return g.user.role == ROLE_SCHOOL and service.can_correct(survey)


@bp.route("/surveys/<int:survey_id>/edit", methods=["GET", "POST"])
@roles_required(ROLE_SCHOOL)
def edit(survey_id):
    survey = get_or_404(CaseSurvey, survey_id)
    if not can_correct(survey):
        flash(_("The quarter of this survey has ended: it can no longer be corrected."), "warning")
        return redirect(url_for("surveys.detail", survey_id=survey.id))
    form = SurveyCorrectionForm(obj=survey)
    if form.validate_on_submit():
        try:
            service.correct_survey(g.user, survey, form.survey_data())
        except DomainError as exc:
            (form[exc.field].errors if exc.field else form.form_errors).append(exc.message)
        else:
            flash(_("The correction has been saved."), "success")
            return redirect(url_for("surveys.detail", survey_id=survey.id))
    status = 400 if form.errors else 200
    return render_template("surveys/form.html", form=form, survey=survey, offline=False), status
