"""The setup checklist: what each school typed, the derived items, the deadlines, and checklist_status(),
the one function that says for each school and item whether it is done, due or overdue."""

import importlib
import importlib.util
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone
from peewee import IntegrityError, Query

from db import db
from models.directory import School
from models.outreach import OutreachActivity
from models.setup import COUNCIL_KINDS, ITEMS, SchoolSetup, SetupDeadline
from services import DomainError, audit
from services.quarters import Quarter

DONE, DUE, OVERDUE, UNAVAILABLE = "done", "due", "overdue", "unavailable"

ITEM_LABELS = {
    "service_created": _l("Service created by a school order"),
    "regulation_approved": _l("Regulation of the service approved"),
    "council_considered": _l("Considered by the pedagogical council or director's meeting"),
    "curator_appointed": _l("Curator appointed"),
    "website_info": _l("Information about the service on the school's website"),
    "curator_trained": _l("Curator trained"),
    "parents_informed": _l("Parents informed"),
    "surveys_filed": _l("Case surveys filed this quarter"),
}
# Column headings of the district's table, short enough for a phone.
ITEM_SHORT_LABELS = {
    "service_created": _l("Order"),
    "regulation_approved": _l("Regulation"),
    "council_considered": _l("Council"),
    "curator_appointed": _l("Curator"),
    "website_info": _l("Website"),
    "curator_trained": _l("Trained"),
    "parents_informed": _l("Parents"),
    "surveys_filed": _l("Surveys"),
}
STATE_LABELS = {DONE: _l("done"), DUE: _l("due"), OVERDUE: _l("overdue"), UNAVAILABLE: _l("not yet available")}

# The typed fields of the checklist, in form order.
SETUP_FIELDS = ("order_number", "order_date", "regulation_date", "regulation_from_model", "council_kind",
                "council_date", "curator_name", "curator_position", "curator_phone", "curator_email",
                "curator_public", "website_url")

# The position on a training registration that is the school's mediation curator (models.training).
CURATOR_POSITIONS = ("curator",)


def local_today():
    """Today in the region's time zone, not the server's: at 01:00 in Karaganda UTC is still yesterday."""
    try:
        return to_user_timezone(datetime.now(UTC)).date()
    except RuntimeError:  # no application (the command line, tests): still the region's calendar
        from zoneinfo import ZoneInfo

        from config import Config

        return datetime.now(ZoneInfo(Config.BABEL_DEFAULT_TIMEZONE)).date()


# The typed fields each typed item needs, all filled in, for it to be done.
TYPED_EVIDENCE = {
    "service_created": ("order_number", "order_date"),
    "regulation_approved": ("regulation_date",),
    "council_considered": ("council_date",),
    "curator_appointed": ("curator_name", "curator_position"),
    "website_info": ("website_url",),
}
_EVIDENCE_FIELDS = tuple(dict.fromkeys(name for names in TYPED_EVIDENCE.values() for name in names))


def _filled(value):
    return value is not None and value != ""


def typed_done(setup):
    """The typed items this checklist row shows as done (evidence filled in)."""
    if setup is None:
        return set()
    return {item for item, names in TYPED_EVIDENCE.items() if all(_filled(getattr(setup, n)) for n in names)}


def _typed_done_by_school(subquery):
    """{school id: typed items done}, read as plain tuples (thousands of schools in a region's tally)."""
    columns = [SchoolSetup.school, *(getattr(SchoolSetup, name) for name in _EVIDENCE_FIELDS)]
    result = {}
    for school_id, *values in SchoolSetup.select(*columns).where(SchoolSetup.school.in_(subquery)).tuples():
        filled = {name for name, value in zip(_EVIDENCE_FIELDS, values, strict=True) if _filled(value)}
        result[school_id] = {item for item, names in TYPED_EVIDENCE.items() if filled.issuperset(names)}
    return result


@dataclass(frozen=True)
class ItemStatus:
    state: str
    due_on: date | None = None

    @property
    def label(self):
        return STATE_LABELS[self.state]


def _feature_model(module, name):
    """A model of another feature, or None while that feature is not installed."""
    if importlib.util.find_spec(f"models.{module}") is None:
        return None
    return getattr(importlib.import_module(f"models.{module}"), name, None)


def trained_curator_schools(school_ids):
    """Ids of the schools whose mediation curator holds a certificate that is not revoked; None while the
    training feature does not exist."""
    certificate = _feature_model("training", "Certificate")
    if certificate is None:
        return None
    registration = certificate.registration.rel_model
    query = (registration.select(registration.school)
             .join(certificate, on=(certificate.registration == registration.id))
             .where(registration.school.in_(school_ids), registration.position.in_(CURATOR_POSITIONS),
                    certificate.revoked_at.is_null())
             .group_by(registration.school))
    return {school_id for (school_id,) in query.tuples()}


def surveys_filed_schools(school_ids, quarter):
    """Ids of the schools with at least one case survey in ``quarter``; None while surveys do not exist."""
    survey = _feature_model("surveys", "CaseSurvey")
    if survey is None:
        return None
    query = (survey.select(survey.school).where(survey.school.in_(school_ids), survey.quarter == quarter.code)
             .group_by(survey.school))
    return {school_id for (school_id,) in query.tuples()}


def informed_schools(school_ids):
    query = (OutreachActivity.select(OutreachActivity.school).where(OutreachActivity.school.in_(school_ids))
             .group_by(OutreachActivity.school))
    return {school_id for (school_id,) in query.tuples()}


def deadlines():
    return {d.item: d for d in SetupDeadline.select().order_by(SetupDeadline.due_on, SetupDeadline.item)}


def checklist_status(schools, today=None, surveys_filed=None):
    """{school id: {item: ItemStatus}} for ``schools`` (ids, or a query of School), in five queries whatever
    their number (six for a query: its ids): each derived item is one GROUP BY over the schools.

    An item is done when its evidence is there; otherwise overdue once its deadline has passed, else due
    (``due_on`` None when the region set no deadline); derived items of a feature not yet installed are
    unavailable. ``surveys_filed``: the ids of the schools with surveys in today's quarter, when the caller has
    already counted them (a tally), saving that query.
    """
    if isinstance(schools, Query):
        subquery = schools.select(School.id)
        ids = [school_id for (school_id,) in subquery.tuples()]
    else:
        ids = subquery = list(schools)
    if not ids:
        return {}
    today = today or local_today()
    typed = _typed_done_by_school(subquery)
    done = {school_id: typed.get(school_id, set()) for school_id in ids}
    derived = {
        "curator_trained": trained_curator_schools(subquery),
        "parents_informed": informed_schools(subquery),
        "surveys_filed": (surveys_filed_schools(subquery, Quarter.of(today)) if surveys_filed is None
                          else surveys_filed),
    }
    for item, school_ids in derived.items():
        for school_id in school_ids or ():
            done[school_id].add(item)
    # An item is in one of two states in every school (done, or what its deadline makes it): the statuses are
    # made once per item and shared (they are frozen), not once per school and item.
    due = deadlines()
    done_status, open_status = {}, {}
    for item in ITEMS:
        due_on = due[item].due_on if item in due else None
        done_status[item] = ItemStatus(DONE, due_on)
        if item in derived and derived[item] is None:
            open_status[item] = ItemStatus(UNAVAILABLE)
        elif due_on is not None and due_on < today:
            open_status[item] = ItemStatus(OVERDUE, due_on)
        else:
            open_status[item] = ItemStatus(DUE, due_on)
    return {school_id: {item: done_status[item] if item in done[school_id] else open_status[item] for item in ITEMS}
            for school_id in ids}


def setup_of(school):
    return SchoolSetup.get_or_none(SchoolSetup.school == school)


def public_curators(school_ids):
    """{school id: curator contact} for schools whose curator agreed to be shown to parents."""
    rows = SchoolSetup.select().where(SchoolSetup.school.in_(list(school_ids)), SchoolSetup.curator_public == True,  # noqa: E712
                                      SchoolSetup.curator_name != "")
    return {s.school_id: dict(name=s.curator_name, position=s.curator_position, phone=s.curator_phone,
                              email=s.curator_email) for s in rows}


def save_setup(actor, school, data):
    """Write the typed checklist of ``school`` (fields of SETUP_FIELDS); returns the row."""
    unknown = set(data) - set(SETUP_FIELDS)
    if unknown:
        raise ValueError(f"unknown checklist fields: {sorted(unknown)}")
    with db.atomic():
        # Insert-or-nothing first, so two first saves at once cannot both insert.
        SchoolSetup.insert(school=school).on_conflict_ignore().execute()
        setup = SchoolSetup.get(SchoolSetup.school == school)
        changed = sorted(name for name, value in data.items() if getattr(setup, name) != value)
        for name, value in data.items():
            setattr(setup, name, value)
        setup.updated_at = datetime.utcnow()
        setup.updated_by = actor
        setup.save()
        audit.record(actor, "setup.updated", setup, school=school.id, changed=changed)
    return setup


# ---------------------------------------------------------------- deadlines


def save_deadline(actor, deadline, item, due_on, title_kk, title_ru):
    """Create (``deadline`` None) or change a deadline; one per checklist item."""
    if item not in ITEMS:
        raise DomainError(_l("Choose a checklist item from the list."), field="item")
    taken = SetupDeadline.select().where(SetupDeadline.item == item)
    if deadline is not None:
        taken = taken.where(SetupDeadline.id != deadline.id)
    if taken.exists():
        raise DomainError(_l("This item already has a deadline; change that one."), field="item")
    created = deadline is None
    deadline = deadline or SetupDeadline()
    deadline.item, deadline.due_on, deadline.title_kk, deadline.title_ru = item, due_on, title_kk, title_ru
    deadline.updated_at = datetime.utcnow()
    try:
        with db.atomic():
            deadline.save()
            audit.record(actor, "deadline.created" if created else "deadline.updated", deadline, item=item,
                         due_on=due_on)
    except IntegrityError:  # the same item saved by someone else a moment ago
        raise DomainError(_l("This item already has a deadline; change that one."), field="item") from None
    return deadline


def delete_deadline(actor, deadline):
    with db.atomic():
        audit.record(actor, "deadline.deleted", deadline, item=deadline.item, due_on=deadline.due_on)
        deadline.delete_instance()



# ---------------------------------------------------------------- demo data

DEMO_CURATORS = [
    ("Айгерім Сейітова", "Педагог-психолог"),
    ("Ольга Ким", "Заместитель директора по воспитательной работе"),
    ("Нұргүл Әбдіқадырова", "Әлеуметтік педагог"),
    ("Дмитрий Савченко", "Педагог-психолог"),
    ("Гүлжан Мұқанова", "Директордың тәрбие ісі жөніндегі орынбасары"),
    ("Елена Шевчук", "Социальный педагог"),
]


def load_demo(ctx):
    """Checklists in every state of completion, outreach activities and parents' confirmations: the demo
    school KRG-038 almost complete, some schools with nothing, the rest in between."""
    from models.outreach import FORMATS, GRADE_BANDS, WOULD_TURN, ParentConfirmation

    rng = ctx.rng
    now = datetime.utcnow()
    for n, school in enumerate(ctx.schools):
        demo_school = school.code == "KRG-038"
        level = 4 if demo_school else rng.choice([0, 0, 1, 2, 2, 3, 3, 4, 5])
        if level == 0:
            continue
        name, position = ("Сәуле Нұрланова", "Директордың тәрбие ісі жөніндегі орынбасары") if demo_school else \
            DEMO_CURATORS[n % len(DEMO_CURATORS)]
        order_date = date(2024, 9, 10) + timedelta(days=rng.randrange(0, 70))
        values = dict(school=school, order_number=f"{rng.randrange(40, 260)}-н", order_date=order_date,
                      updated_at=now)
        if level >= 2:
            values.update(regulation_date=order_date + timedelta(days=rng.randrange(0, 10)),
                          regulation_from_model=rng.random() < 0.85, council_kind=rng.choice(COUNCIL_KINDS),
                          council_date=order_date + timedelta(days=rng.randrange(3, 30)))
        if level >= 3:
            values.update(curator_name=name, curator_position=position, curator_public=True,
                          curator_phone=f"+7 70{rng.randrange(0, 8)} {rng.randrange(100, 999)} "
                                        f"{rng.randrange(10, 99)} {rng.randrange(10, 99)}")
        if level >= 5:
            values.update(website_url=f"https://{school.code.lower()}.edu.kz/mediation")
        SchoolSetup.create(**values)
        if level < 2:
            continue
        for _ in range(4 if demo_school else rng.randrange(0, 4)):
            held_on = date(2024, 10, 1) + timedelta(days=rng.randrange(0, 300))
            grade_from = rng.choice([1, 1, 5, 10])
            OutreachActivity.create(
                school=school, held_on=held_on, format=rng.choice(FORMATS), grade_from=grade_from,
                grade_to=rng.choice([g for g in (4, 9, 11) if g >= grade_from]),
                language=rng.choice(["kk", "ru", "kk_ru"]),
                parents_reached=rng.randrange(15, 400), description="", created_at=now, updated_at=now,
                client_uuid=uuid.UUID(int=rng.getrandbits(128), version=4), client_fingerprint="demo")
        rows = []
        for _ in range(45 if demo_school else rng.randrange(0, 30)):
            day = date(2024, 10, 15) + timedelta(days=rng.randrange(0, 400))
            rows.append(dict(school=school, confirmed_at=datetime.combine(day, datetime.min.time()),
                             quarter=Quarter.of(day).code, grade_band=rng.choice(("", *GRADE_BANDS)),
                             language=rng.choice(("", "kk", "ru")), would_turn=rng.choice(("", *WOULD_TURN)),
                             client_uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
                             client_fingerprint="demo"))
        if rows:
            ParentConfirmation.insert_many(rows).execute()
