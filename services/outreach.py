"""Parent outreach: schools' information activities, each school's public link, parents' confirmations
(one per device, rate-limited per address; counts, never identities) and the leaflet."""

import secrets
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from peewee import JOIN, fn

from db import db
from models.directory import District, School
from models.outreach import OutreachActivity, ParentConfirmation, ParentLink
from services import DomainError, audit, ratelimit
from services.access import may_file_for
from services.offline import submit_once
from services.pdf import render_pdf
from services.qr import data_uri
from services.quarters import Quarter
from services.setup import local_today, public_curators

# Short enough to type from a printed leaflet; no 0/o, 1/l/i to misread.
SLUG_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
SLUG_LENGTH = 8
# Confirmations accepted per address and school in a window: a class meeting on one school Wi-Fi fits.
CONFIRMATIONS_PER_ADDRESS = 20
CONFIRMATION_WINDOW_SECONDS = 3600
RATE_BUCKET = "parent_confirmation"

# What the service is and how to reach it: the public page (reader's language) and the leaflet (kk and ru).
SERVICE_TEXTS = {
    "title": _l("School mediation service"),
    "what": _l("The school mediation service helps pupils, parents and teachers settle conflicts peacefully: "
               "a trained mediator helps both sides talk and find an agreement themselves."),
    "how": _l("Taking part is voluntary and free, and what is said stays confidential. To reach the service, "
              "contact its curator or ask the school's administration."),
    "curator": _l("Curator of the service"),
    "phone": _l("Phone"),
    "email": _l("Email"),
    "no_curator": _l("Ask the school's administration or your child's class teacher how to reach the curator."),
    "scan": _l("Scan the code and confirm that you have been informed about the service. No names are asked."),
    "open": _l("Or open this address:"),
}

ACTIVITY_FIELDS = ("held_on", "format", "grade_from", "grade_to", "language", "parents_reached", "description")
CONFIRMATION_FIELDS = ("grade_band", "language", "would_turn")


class TooManyConfirmations(DomainError):
    def __init__(self):
        super().__init__(_l("Too many confirmations have been sent from this network in the last hour. "
                            "Please try again later."))


def _check_fields(data, allowed):
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")


# ---------------------------------------------------------------- activities


def record_activity(actor, school, data, client_uuid):
    """(activity, created): a new activity of ``school``, exactly once per ``client_uuid``."""
    _check_fields(data, ACTIVITY_FIELDS)
    if not may_file_for(actor, school):
        raise DomainError(_l("Only the school's curator can record its activities."))

    def create(**ids):
        activity = OutreachActivity.create(school=school, created_by=actor, **data, **ids)
        audit.record(actor, "outreach.created", activity, school=school.id)
        return activity

    with db.atomic():
        return submit_once(OutreachActivity, client_uuid, {"school": school.id, **data}, create)


def update_activity(actor, activity, data):
    """Correct an activity; its submission fingerprint stays, so a late repeat of the first post is a duplicate."""
    _check_fields(data, ACTIVITY_FIELDS)
    with db.atomic():
        changed = sorted(name for name, value in data.items() if getattr(activity, name) != value)
        for name, value in data.items():
            setattr(activity, name, value)
        activity.updated_at = datetime.utcnow()
        activity.save()
        audit.record(actor, "outreach.updated", activity, school=activity.school_id, changed=changed)
    return activity


def delete_activity(actor, activity):
    with db.atomic():
        audit.record(actor, "outreach.deleted", activity, school=activity.school_id, held_on=activity.held_on,
                     parents_reached=activity.parents_reached)
        activity.delete_instance()


def activity_summaries(school_ids):
    """{school id: (activities, parents reached, last date)}, one GROUP BY."""
    query = (OutreachActivity
             .select(OutreachActivity.school, fn.COUNT(OutreachActivity.id).alias("n"),
                     fn.SUM(OutreachActivity.parents_reached).alias("reached"),
                     fn.MAX(OutreachActivity.held_on).alias("last"))
             .where(OutreachActivity.school.in_(school_ids)).group_by(OutreachActivity.school))
    return {row.school_id: (row.n, int(row.reached or 0), _as_date(row.last)) for row in query}


def _as_date(value):
    # SQLite gives MAX() over a date column back as text.
    if isinstance(value, str):
        return datetime.strptime(value[:10], "%Y-%m-%d").date()
    return value


# ---------------------------------------------------------------- public links


def new_slug():
    return "".join(secrets.choice(SLUG_ALPHABET) for _ in range(SLUG_LENGTH))


def links_for(school_ids):
    """{school id: slug} of each school's public page, made on first need (one insert for all missing)."""
    ids = list(school_ids)
    found = {link.school_id: link.slug for link in ParentLink.select().where(ParentLink.school.in_(ids))}
    for _attempt in range(3):  # a clash of random slugs (or of two first requests) just leaves some to retry
        missing = [school_id for school_id in ids if school_id not in found]
        if not missing:
            break
        with db.atomic():
            ParentLink.insert_many([{"school": school_id, "slug": new_slug()} for school_id in missing]
                                   ).on_conflict_ignore().execute()
        found.update({link.school_id: link.slug
                      for link in ParentLink.select().where(ParentLink.school.in_(missing))})
    return found


def school_by_slug(slug):
    if not slug or len(slug) > 16:
        return None
    return (School.select(School, District).join(District).switch(School).join(ParentLink)
            .where(ParentLink.slug == slug.lower()).first())


# ---------------------------------------------------------------- confirmations


def confirm(school, data, client_uuid, address):
    """(confirmation, created) for a parent of ``school``; a repeat of the same submission is answered again
    without counting, new ones beyond the address's limit raise TooManyConfirmations."""
    _check_fields(data, CONFIRMATION_FIELDS)
    repeat = ParentConfirmation.select().where(ParentConfirmation.client_uuid == client_uuid).exists()
    key = f"{school.id}:{ratelimit.address_key(address)}"
    limit = current_app.config.get("PARENT_CONFIRMATIONS_PER_ADDRESS") or CONFIRMATIONS_PER_ADDRESS
    if not repeat and not ratelimit.allow(RATE_BUCKET, key, limit, CONFIRMATION_WINDOW_SECONDS):
        raise TooManyConfirmations()

    def create(**ids):
        confirmation = ParentConfirmation.create(school=school, quarter=Quarter.of(local_today()).code, **data,
                                                 **ids)
        audit.record(None, "confirmation.created", confirmation, school=school.id)
        return confirmation

    with db.atomic():
        return submit_once(ParentConfirmation, client_uuid, {"school": school.id, **data}, create)


def confirmation_counts(school_ids):
    query = (ParentConfirmation.select(ParentConfirmation.school, fn.COUNT(ParentConfirmation.id).alias("n"))
             .where(ParentConfirmation.school.in_(school_ids)).group_by(ParentConfirmation.school))
    return {row.school_id: row.n for row in query}


def confirmation_summary(school):
    """{"total": n, "grade_band": {value: n}, "language": {...}, "would_turn": {...}} in one GROUP BY."""
    columns = [getattr(ParentConfirmation, name) for name in CONFIRMATION_FIELDS]
    query = (ParentConfirmation.select(*columns, fn.COUNT(ParentConfirmation.id).alias("n"))
             .where(ParentConfirmation.school == school).group_by(*columns).tuples())
    summary = {"total": 0, **{name: {} for name in CONFIRMATION_FIELDS}}
    for *values, n in query:
        summary["total"] += n
        for name, value in zip(CONFIRMATION_FIELDS, values, strict=True):
            summary[name][value] = summary[name].get(value, 0) + n
    return summary


def school_overview(schools_query):
    """Rows for the district's outreach table: each school with its activity and confirmation figures."""
    schools = list(schools_query)
    ids = [s.id for s in schools]
    activities, confirmations = activity_summaries(ids), confirmation_counts(ids)
    rows = []
    for school in schools:
        n, reached, last = activities.get(school.id, (0, 0, None))
        rows.append(dict(school=school, activities=n, reached=reached, last=last,
                         confirmations=confirmations.get(school.id, 0)))
    return rows


# ---------------------------------------------------------------- leaflet


def texts_in(lang):
    with force_locale(lang):
        return {key: str(text) for key, text in SERVICE_TEXTS.items()}


def leaflet_pages(schools, public_url):
    """Plain data for one leaflet page per school; ``public_url(slug)`` gives the confirmation address."""
    schools = list(schools)
    ids = [s.id for s in schools]
    links, curators = links_for(ids), public_curators(ids)
    pages = []
    for school in schools:
        url = public_url(links[school.id])
        pages.append(dict(code=school.code, name_kk=school.name_kk, name_ru=school.name_ru,
                          district_kk=school.district.name_kk, district_ru=school.district.name_ru,
                          url=url, qr=data_uri(url, scale=6), curator=curators.get(school.id)))
    return pages


def leaflet_pdf(pages):
    """One PDF, one page per school, Kazakh and Russian side by side on each page."""
    context = {"pages": pages, "texts": {"kk": texts_in("kk"), "ru": texts_in("ru")}}
    return render_pdf("pdf/leaflet.html", context, "kk", stylesheets=("leaflet.css",))


def schools_with_district(query):
    return query.select_extend(District).join(District, JOIN.INNER, on=(School.district == District.id))
