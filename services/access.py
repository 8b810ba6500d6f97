"""The one place that narrows record queries to what a user may see.

Region admins and the monitor see everything; a district officer its district's schools and
their records; a school curator its own school. Records are found through a ``school`` or
``district`` foreign key (or, for School itself, its id and district).
"""

from peewee import SQL

from models.auth import ROLE_DISTRICT, ROLE_SCHOOL
from models.directory import District, School


def _nothing(query):
    return query.where(SQL("1 = 0"))


def scope(query, model, user):
    """``query`` (over ``model``) narrowed to the rows ``user`` may read."""
    if user is None or not user.is_active:
        return _nothing(query)
    if user.is_region:
        return query
    if model is District:
        # A district officer's or curator's own district.
        return query.where(District.id == user.district_id)
    if model is School:
        school_field, district_field = School.id, School.district
    else:
        school_field = model._meta.fields.get("school")
        district_field = model._meta.fields.get("district")
    if user.role == ROLE_SCHOOL:
        if school_field is not None:
            return query.where(school_field == user.school_id)
        return _nothing(query)
    if user.role == ROLE_DISTRICT:
        if district_field is not None:
            return query.where(district_field == user.district_id)
        if school_field is not None:
            return query.where(school_field.in_(School.select(School.id).where(School.district == user.district_id)))
        return _nothing(query)
    return _nothing(query)


def may_file_for(user, school):
    """Whether ``user`` may file a school's records: its own curator, or a district officer of its district (an
    import of the school's outbox file)."""
    if user is None or not user.is_active or school is None:
        return False
    if user.role == ROLE_SCHOOL:
        return user.school_id == school.id
    return user.role == ROLE_DISTRICT and user.district_id == school.district_id


def visible(model, user):
    return scope(model.select(), model, user)


def get_visible(model, pk, user):
    """The record with this id if ``user`` may read it, else None (views answer 404)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return scope(model.select(), model, user).where(model._meta.primary_key == pk).first()
