"""Personal data of training participants, for region admins: find a person by name or phone, export what is
stored about them (JSON or CSV), erase it on request. The rules live in services/personal_data.py."""

import json

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from forms.personal_data import ErasureForm, SearchForm
from models.auth import ROLE_ADMIN
from models.training import Registration
from services import DomainError
from services import personal_data as service
from views.common import get_or_404, roles_required

bp = Blueprint("personal_data", __name__, url_prefix="/personal-data")
EXPORT_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8"}


@bp.context_processor
def helpers():
    return dict(is_erased=service.is_erased)


@bp.get("")
@roles_required(ROLE_ADMIN)
def search():
    form = SearchForm(request.args)
    searched = "q" in request.args
    found = service.search(form.q.data) if searched and form.validate() else None
    return render_template("personal_data/search.html", form=form, found=found), 400 if form.errors else 200


@bp.get("/<int:registration_id>")
@roles_required(ROLE_ADMIN)
def person(registration_id):
    registration = get_or_404(Registration, registration_id)
    return render_template("personal_data/person.html", registration=registration,
                           registrations=service.person_registrations(registration),
                           erased_at=service.erased_at(registration))


@bp.get("/<int:registration_id>/export.<any(json, csv):fmt>")
@roles_required(ROLE_ADMIN)
def export(registration_id, fmt):
    registration = get_or_404(Registration, registration_id)
    data = service.export(g.user, registration, fmt)
    body = data if fmt == "csv" else json.dumps(data, ensure_ascii=False, indent=2).encode()
    response = Response(body, mimetype=EXPORT_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="personal-data-{registration.id}.{fmt}"'
    return response


@bp.route("/<int:registration_id>/erase", methods=["GET", "POST"])
@roles_required(ROLE_ADMIN)
def erase(registration_id):
    registration = get_or_404(Registration, registration_id)
    form = ErasureForm()
    if form.validate_on_submit():
        try:
            erased = service.erase(g.user, registration, form.reason.data)
        except DomainError as exc:
            form.form_errors.append(exc.message)
        else:
            flash(_("Personal data erased; registrations: %(n)s.", n=erased), "success")
            return redirect(url_for("personal_data.person", registration_id=registration.id))
    return render_template("personal_data/erase.html", form=form, registration=registration,
                           registrations=service.person_registrations(registration)), 400 if form.errors else 200
