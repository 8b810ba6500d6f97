"""Schools and accounts: region admins manage all, district officers their school curators."""

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from forms import EmptyForm
from forms.directory import SchoolForm, UserCreateForm, UserEditForm, set_choices
from models.auth import ROLE_ADMIN, ROLE_DISTRICT, ROLE_MONITOR, ROLE_SCHOOL, User
from models.directory import District, School
from services import DomainError, directory
from services import auth as accounts
from services.access import visible
from views.common import get_or_404, paginate, roles_required

bp = Blueprint("directory", __name__)


@bp.get("/schools")
@roles_required(ROLE_ADMIN, ROLE_MONITOR, ROLE_DISTRICT)
def schools():
    query = visible(School, g.user).select(School, District).join(District).order_by(District.code, School.code)
    district_id = request.args.get("district", type=int)
    if district_id:
        query = query.where(School.district == district_id)
    needle = (request.args.get("q") or "").strip()[:100]
    if needle:
        query = query.where(School.name_kk.contains(needle) | School.name_ru.contains(needle) |
                            School.code.contains(needle))
    rows, page, pages, total = paginate(query)
    districts = visible(District, g.user) if g.user.role != ROLE_DISTRICT else [g.user.district]
    return render_template("directory/schools.html", schools=rows, page=page, pages=pages, total=total,
                           districts=districts, district_id=district_id, q=needle)


def _save_school(school=None):
    form = SchoolForm(obj=school)
    set_choices(form, g.user)
    if form.validate_on_submit():
        district = District.get_by_id(form.district.data)
        data = dict(code=form.code.data, name_kk=form.name_kk.data, name_ru=form.name_ru.data, bin=form.bin.data)
        try:
            if school is None:
                directory.create_school(g.user, district, **data)
            else:
                directory.update_school(g.user, school, district, **data)
        except DomainError as exc:
            getattr(form, exc.field).errors.append(exc.message)
        else:
            flash(_("The school has been saved."), "success")
            return redirect(url_for("directory.schools"))
    return render_template("directory/school_form.html", form=form, school=school), 400 if form.errors else 200


@bp.route("/schools/new", methods=["GET", "POST"])
@roles_required(ROLE_ADMIN)
def school_new():
    return _save_school()


@bp.route("/schools/<int:school_id>/edit", methods=["GET", "POST"])
@roles_required(ROLE_ADMIN)
def school_edit(school_id):
    return _save_school(get_or_404(School, school_id))


@bp.get("/users")
@roles_required(ROLE_ADMIN, ROLE_DISTRICT)
def users():
    query = visible(User, g.user).order_by(User.role, User.username)
    if g.user.role == ROLE_DISTRICT:
        query = query.where(User.role == ROLE_SCHOOL)
    rows, page, pages, total = paginate(query)
    return render_template("directory/users.html", users=rows, page=page, pages=pages, total=total,
                           form=EmptyForm())


def _managed_user_or_404(user_id):
    """An account the current user may manage: all for admins, school curators for districts."""
    user = get_or_404(User, user_id)
    if g.user.role == ROLE_DISTRICT and user.role != ROLE_SCHOOL:
        return get_or_404(User, 0)
    return user


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(ROLE_ADMIN, ROLE_DISTRICT)
def user_new():
    form = UserCreateForm()
    set_choices(form, g.user)
    if form.validate_on_submit():
        password = accounts.generate_password()
        school = School.get_or_none(School.id == form.school.data)
        district = District.get_or_none(District.id == form.district.data)
        try:
            user = accounts.create_user(g.user, form.username.data, password, form.role.data, form.full_name.data,
                                        district=district, school=school, must_change=True)
        except DomainError as exc:
            getattr(form, exc.field).errors.append(exc.message)
        else:
            return render_template("directory/one_time_password.html", user=user, password=password)
    return render_template("directory/user_form.html", form=form, user=None), 400 if form.errors else 200


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@roles_required(ROLE_ADMIN, ROLE_DISTRICT)
def user_edit(user_id):
    user = _managed_user_or_404(user_id)
    form = UserEditForm(obj=user)
    if form.validate_on_submit():
        accounts.update_user(g.user, user, form.full_name.data, form.is_active.data or user.id == g.user.id)
        flash(_("The account has been saved."), "success")
        return redirect(url_for("directory.users"))
    return render_template("directory/user_form.html", form=form, user=user), 400 if form.errors else 200


@bp.post("/users/<int:user_id>/reset")
@roles_required(ROLE_ADMIN, ROLE_DISTRICT)
def user_reset(user_id):
    user = _managed_user_or_404(user_id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("directory.users"))
    password = accounts.reset_password(g.user, user)
    return render_template("directory/one_time_password.html", user=user, password=password)
