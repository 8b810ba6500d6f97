"""School and account forms; choices from the database are set in set_choices()."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, ValidationError
from wtforms.validators import Regexp

from forms import BaseForm, max_length, optional, required, validate_bin
from models.auth import ROLE_ADMIN, ROLE_DISTRICT, ROLE_MONITOR, ROLE_SCHOOL
from models.directory import District, School

ROLE_LABELS = {
    ROLE_ADMIN: _l("Region administrator"),
    ROLE_MONITOR: _l("Monitor (children's rights department)"),
    ROLE_DISTRICT: _l("District education department officer"),
    ROLE_SCHOOL: _l("School mediation service curator"),
}


def _coerce_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class SchoolForm(BaseForm):
    district = SelectField(_l("District"), coerce=_coerce_int, validators=[required()])
    code = StringField(_l("School code"), validators=[
        required(), max_length(32),
        Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Use Latin letters, digits, hyphens and underscores only."))])
    name_kk = StringField(_l("Name in Kazakh"), validators=[required(), max_length(300)])
    name_ru = StringField(_l("Name in Russian"), validators=[required(), max_length(300)])
    bin = StringField(_l("BIN (optional)"), validators=[optional(), validate_bin],
                      render_kw={"inputmode": "numeric", "maxlength": 12})

    def validate_district(self, field):
        if field.data not in {c[0] for c in field.choices}:
            raise ValidationError(_l("Choose a district from the list."))


class UserCreateForm(BaseForm):
    username = StringField(_l("Username"), validators=[
        required(), max_length(64),
        Regexp(r"^[A-Za-z0-9._-]{3,64}$",
               message=_l("3 to 64 Latin letters, digits, dots, hyphens or underscores."))],
        render_kw={"autocapitalize": "none"})
    full_name = StringField(_l("Full name"), validators=[required(), max_length(200)])
    role = SelectField(_l("Role"), validators=[required()])
    district = SelectField(_l("District"), coerce=_coerce_int, validate_choice=False)
    school = SelectField(_l("School"), coerce=_coerce_int, validate_choice=False)

    def validate_role(self, field):
        if field.data not in {c[0] for c in field.choices}:
            raise ValidationError(_l("Choose a role from the list."))

    def validate_district(self, field):
        if self.role.data == ROLE_DISTRICT and field.data not in {c[0] for c in field.choices if c[0]}:
            raise ValidationError(_l("Choose a district from the list."))

    def validate_school(self, field):
        if self.role.data == ROLE_SCHOOL and field.data not in {c[0] for c in field.choices if c[0]}:
            raise ValidationError(_l("Choose a school from the list."))


class UserEditForm(BaseForm):
    full_name = StringField(_l("Full name"), validators=[required(), max_length(200)])
    is_active = BooleanField(_l("Account is active"))


def set_choices(form, user):
    """Fill district, school and role choices with what ``user`` may pick."""
    districts = District.select().order_by(District.code)
    schools = School.select(School, District).join(District)
    if user.role == ROLE_DISTRICT:
        districts = districts.where(District.id == user.district_id)
        schools = schools.where(School.district == user.district_id)
    schools = sorted(schools, key=lambda s: (s.district.code, s.name))
    if hasattr(form, "district"):
        empty = [(0, "—")] if isinstance(form, UserCreateForm) else []
        form.district.choices = empty + [(d.id, d.name) for d in districts]
    if hasattr(form, "school"):
        form.school.choices = [(0, "—")] + [(s.id, f"{s.name} ({s.district.name})") for s in schools]
    if hasattr(form, "role"):
        roles = [ROLE_SCHOOL] if user.role == ROLE_DISTRICT else [ROLE_ADMIN, ROLE_MONITOR, ROLE_DISTRICT, ROLE_SCHOOL]
        form.role.choices = [(r, ROLE_LABELS[r]) for r in roles]
