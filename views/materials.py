"""The materials library: everyone signed in reads and downloads; region admins publish, edit and add versions.

Materials belong to the whole region, so they are not narrowed by school or district: any signed-in account
reads every one of them, and an unknown id answers 404.
"""

from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from forms.materials import (
    FILE_LANGUAGE_LABELS,
    KIND_LABELS,
    FilterForm,
    MaterialForm,
    NewMaterialForm,
    VersionForm,
    set_choices,
)
from models.auth import ROLE_ADMIN
from models.materials import Material
from services import DomainError
from services import materials as library
from views.common import login_required, paginate, roles_required

bp = Blueprint("materials", __name__, url_prefix="/materials")


@bp.context_processor
def labels():
    return dict(KIND_LABELS=KIND_LABELS, FILE_LANGUAGE_LABELS=FILE_LANGUAGE_LABELS)


def _material_or_404(material_id):
    material = Material.get_or_none(Material.id == material_id)
    if material is None:
        abort(404)
    return material


def _show_error(form, exc: DomainError):
    if exc.field and exc.field in form:
        form[exc.field].errors.append(exc.message)
    else:
        form.form_errors.append(exc.message)


@bp.get("")
@login_required
def index():
    form = FilterForm(request.args)
    kind = form.kind.data if form.validate() else ""
    rows, page, pages, total = paginate(library.library(kind=kind))
    return render_template("materials/library.html", pinned=list(library.pinned()), materials=rows, form=form,
                           page=page, pages=pages, total=total)


@bp.get("/<int:material_id>")
@login_required
def detail(material_id):
    material = _material_or_404(material_id)
    history = list(library.versions(material))
    return render_template("materials/detail.html", material=material, current=history[0], older=history[1:],
                           event=library.event_title(material))


def _submit(form, save, template, **context):
    """Validate, let ``save()`` call the service (it returns the material and a message), then redirect to the
    material (PRG); otherwise show the form again with its field messages (400)."""
    if form.validate_on_submit():
        try:
            material, message = save()
        except DomainError as exc:
            _show_error(form, exc)
        else:
            flash(message, "success")
            return redirect(url_for("materials.detail", material_id=material.id))
    return render_template(template, form=form, **context), 400 if form.errors else 200


@bp.route("/new", methods=["GET", "POST"])
@roles_required(ROLE_ADMIN)
def new():
    form = NewMaterialForm()
    set_choices(form)

    def save():
        filename, data = form.upload
        material, _version = library.publish(g.user, filename=filename, data=data, **form.details())
        return material, _("The material has been published.")

    return _submit(form, save, "materials/form.html", material=None)


@bp.route("/<int:material_id>/edit", methods=["GET", "POST"])
@roles_required(ROLE_ADMIN)
def edit(material_id):
    material = _material_or_404(material_id)
    form = MaterialForm(obj=material, event=material.event_id or 0)
    set_choices(form)

    def save():
        return library.update(g.user, material, **form.details()), _("The material has been saved.")

    return _submit(form, save, "materials/form.html", material=material)


@bp.route("/<int:material_id>/versions/new", methods=["GET", "POST"])
@roles_required(ROLE_ADMIN)
def new_version(material_id):
    material = _material_or_404(material_id)
    form = VersionForm()

    def save():
        version = library.add_version(g.user, material, *form.upload)
        return material, _("Version %(n)s has been published; the earlier ones stay in the history.",
                           n=version.number)

    return _submit(form, save, "materials/version_form.html", material=material)


@bp.get("/<int:material_id>/versions/<int:number>/download")
@login_required
def download(material_id, number):
    material = _material_or_404(material_id)
    version = library.get_version(material, number)
    if version is None:
        abort(404)
    return file_response(library.download(g.user, version), version)


@bp.get("/<int:material_id>/download")
@login_required
def download_current(material_id):
    material = _material_or_404(material_id)
    return redirect(url_for("materials.download", material_id=material.id, number=material.current_number))


@bp.get("/model-regulation")
@login_required
def model_regulation():
    """A stable address of the current model regulation (the setup checklist links here)."""
    current = library.current_model_regulation()
    if current is None:
        abort(404)
    return redirect(url_for("materials.download", material_id=current.material.id, number=current.version.number))


def file_response(data, version):
    """The file as a download: its detected type, never sniffed, never shown inline, never run."""
    content_type = version.content_type if version.content_type in library.CONTENT_TYPES else "application/octet-stream"
    response = Response(data, mimetype=content_type)
    response.headers["Content-Disposition"] = content_disposition(
        version.filename, f"material-{version.material_id}-v{version.number}.{library.extension(version.filename)}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def content_disposition(filename, fallback):
    """attachment with an ASCII filename for old clients and the real one in RFC 5987 filename*."""
    plain = filename if filename.isascii() and filename.isprintable() and '"' not in filename else fallback
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"
