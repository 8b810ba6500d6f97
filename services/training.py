"""Training events and their days, public registration, attendance (roster and self check-in), rosters,
exports and tallies. Certificates (issue, revoke, PDF, verification) live in services/certificates.py."""

import hashlib
import hmac
import re
import secrets
import uuid
from base64 import b32encode
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from peewee import JOIN, IntegrityError, fn

from config import Config
from db import db, is_sqlite
from models.auth import ROLE_ADMIN
from models.directory import District, School
from models.training import (
    KIND_CODES,
    METHOD_ROSTER,
    METHOD_SELF,
    POSITION_LABELS,
    STATUS_CLOSED,
    STATUS_DRAFT,
    STATUS_OPEN,
    Attendance,
    Certificate,
    EventDay,
    Registration,
    TrainingEvent,
)
from services import DomainError, audit, certificates
from services.access import scope
from services.offline import submit_once
from templating import fmt_date, fmt_datetime

# The most days one event may have.
MAX_DAYS = 10
# Letters of the short public address: no 0/o, 1/l/i that people misread from a poster.
SLUG_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
SLUG_LENGTH = 6


def local_today():
    """Today in the region's time zone: registration dates and check-in codes follow the region's calendar."""
    zone = current_app.config["BABEL_DEFAULT_TIMEZONE"] if has_app_context() else Config.BABEL_DEFAULT_TIMEZONE
    return datetime.now(ZoneInfo(zone)).date()


# ---------------------------------------------------------------- phones and names


def normalize_phone(text):
    """+7XXXXXXXXXX for a Kazakhstan number typed as "+7 701 123 45 67", "8 (701) 123-45-67", ...; else None."""
    compact = re.sub(r"[\s().-]", "", text or "")
    match = re.fullmatch(r"(?:\+7|8|7)?(7\d{9})", compact)
    return "+7" + match.group(1) if match else None


# A name typed on a Russian keyboard loses the Kazakh letters: "Сауле Нурланова" is "Сәуле Нұрланова".
_FOLD = str.maketrans("әғқңөұүһіё", "агкноуухие")


def name_key(name):
    """The name for comparing and searching: lower case, Kazakh letters folded to their Russian look-alikes,
    letters and single spaces only."""
    letters = re.sub(r"[^\w\s-]|[\d_]", " ", (name or "").lower().translate(_FOLD))
    return " ".join(letters.replace("-", " ").split())


def same_person(key_a, key_b):
    """Two name keys of one person: the same words in any order, or one a part of the other (a patronymic
    added the second time)."""
    a, b = set(key_a.split()), set(key_b.split())
    return bool(a and b) and (a <= b or b <= a)


# ---------------------------------------------------------------- events


def _next_code(kind, year):
    prefix = f"{year}-{KIND_CODES[kind]}"
    last = TrainingEvent.select(fn.MAX(TrainingEvent.code_seq)).where(TrainingEvent.code.startswith(prefix)).scalar()
    seq = (last or 0) + 1
    return f"{prefix}{seq:02d}", seq


def _new_slug():
    return "".join(secrets.choice(SLUG_ALPHABET) for _ in range(SLUG_LENGTH))


def create_event(actor, data):
    """A new event with its days; its code (2024-SEM07) and short address are made here, retried on the rare
    collision with an event created at the same moment."""
    days = data.pop("days")
    for _attempt in range(5):
        code, seq = _next_code(data["kind"], days[0].year)
        try:
            with db.atomic():
                event = TrainingEvent.create(code=code, code_seq=seq, slug=_new_slug(), created_by=actor,
                                             first_day=days[0], last_day=days[-1], **data)
                EventDay.insert_many([(event.id, day) for day in days], fields=[EventDay.event, EventDay.day]).execute()
                audit.record(actor, "training.event_created", event, code=code)
                return event
        except IntegrityError:
            continue
    raise DomainError(_l("The event could not be saved. Try again."))


def update_event(actor, event, data):
    days = data.pop("days")
    with db.atomic():
        _set_days(event, days)
        for key, value in data.items():
            setattr(event, key, value)
        event.first_day, event.last_day = days[0], days[-1]
        event.updated_at = datetime.utcnow()
        event.save()
        audit.record(actor, "training.event_updated", event)
    return event


def _set_days(event, days):
    current = {d.day: d for d in EventDay.select().where(EventDay.event == event.id)}
    removed = [d for day, d in current.items() if day not in days]
    if removed and Attendance.select().where(Attendance.day.in_([d.id for d in removed])).exists():
        raise DomainError(_l("A day on which attendance was recorded cannot be removed."), field="dates")
    if removed:
        EventDay.delete().where(EventDay.id.in_([d.id for d in removed])).execute()
    added = [(event.id, day) for day in days if day not in current]
    if added:
        EventDay.insert_many(added, fields=[EventDay.event, EventDay.day]).execute()


def event_days(event):
    return event.ordered_days()


def _visible_events(user):
    """Events are the region's: every staff role sees them, drafts only region admins and the monitor."""
    query = TrainingEvent.select()
    if not user.is_region:
        query = query.where(TrainingEvent.status != STATUS_DRAFT)
    return query


def events_for(user, today):
    """(upcoming, past) events the user may see."""
    query = _visible_events(user)
    upcoming = query.where(TrainingEvent.last_day >= today).order_by(TrainingEvent.first_day, TrainingEvent.id)
    past = query.where(TrainingEvent.last_day < today).order_by(TrainingEvent.first_day.desc(), TrainingEvent.id)
    return upcoming, past


def visible_event(user, event_id):
    """The event with this id if the signed-in user may see it, else None."""
    return _visible_events(user).where(TrainingEvent.id == event_id).first()


def public_event(slug):
    """The event at /e/<slug>, or None for an unknown address or a draft."""
    return TrainingEvent.get_or_none(TrainingEvent.slug == (slug or "").lower(), TrainingEvent.status != STATUS_DRAFT)


def seats_taken(event):
    return Registration.select().where(Registration.event == event.id).count()


def registration_refusal(event, today, check_seats=True):
    """Why registration is not possible today (a message for the reader), or None."""
    if event.status == STATUS_DRAFT:
        return _l("This event is not open for registration.")
    if event.status == STATUS_CLOSED:
        return _l("Registration for this event is closed.")
    if today < event.registration_opens:
        return _l("Registration opens on %(date)s.", date=fmt_date(event.registration_opens))
    if today > event.registration_closes:
        return _l("Registration closed on %(date)s.", date=fmt_date(event.registration_closes))
    if check_seats and seats_taken(event) >= event.capacity:
        return _l("All %(n)s places are taken; registration is closed.", n=event.capacity)
    return None


def _lock(event):
    """Serialise registrations of one event on PostgreSQL (SQLite serialises writers by itself)."""
    if not is_sqlite():
        TrainingEvent.select(TrainingEvent.id).where(TrainingEvent.id == event.id).for_update().execute()


# ---------------------------------------------------------------- registration and attendance


def _sent_before(model, client_uuid):
    return model.select().where(model.client_uuid == client_uuid).exists()


def _insert_once(model, client_uuid, data, create, find_twin):
    """submit_once, and when another row already holds the same natural key (the same person, the same day)
    that row: (record, outcome), outcome "created", "duplicate" (this client_uuid was seen) or "existing"."""
    try:
        record, created = submit_once(model, client_uuid, data, create)
    except IntegrityError:
        twin = find_twin()
        if twin is None:
            raise
        return twin, "existing"
    return record, "created" if created else "duplicate"


def same_full_name(key_a, key_b):
    """The full name as registered: the same words (in any order, typed on a Russian or Kazakh keyboard)."""
    return bool(key_a) and sorted(key_a.split()) == sorted(key_b.split())


# Said to a registration whose phone is taken under another name: the same words as when nothing matched, so that
# the answer never confirms that a phone number registered (registration is a public form: anyone can type).
NOT_MATCHED = _l("The registration could not be completed with this name and phone number. If you have registered "
                 "for this event before, write your full name exactly as you did then; otherwise use your own phone "
                 "number.")


def _same_registrant(registration, key, refusal=None):
    """The earlier registration of this phone, for the person who gives its full name; else the refusal of a
    closed event (what anyone else hears too), or NOT_MATCHED."""
    if not same_full_name(registration.name_key, key):
        raise DomainError(refusal or NOT_MATCHED)
    return registration, "existing"


def register(event, data, client_uuid, today, now=None):
    """(registration, outcome): outcome "created", "duplicate" (the same form sent again) or "existing" (the
    person had already registered: their registration, not a second one). ``data``: full_name, position,
    district_id, school_id, phone (normalised), email.

    A person already registered, or a form already received (the outbox sending again), gets that registration
    even once registration has closed."""
    school = School.get_or_none(School.id == data["school_id"], School.district == data["district_id"])
    if school is None:
        raise DomainError(_l("Choose a school of the district from the list."), field="school")
    key = name_key(data["full_name"])
    now = now or datetime.utcnow()

    def create(**idempotency):
        return Registration.create(event=event, token=secrets.token_urlsafe(16), full_name=data["full_name"],
                                   name_key=key, position=data["position"], district=school.district_id,
                                   school=school, phone=data["phone"], email=data.get("email") or "",
                                   consent_at=now, registered_at=now, **idempotency)

    def twin():
        return Registration.get_or_none(Registration.event == event.id, Registration.phone == data["phone"])

    with db.atomic():
        _lock(event)
        earlier = twin()
        refusal = registration_refusal(event, today, check_seats=False)
        if earlier is not None and str(earlier.client_uuid) != str(uuid.UUID(client_uuid)):
            # A full event refuses a stranger the way it refuses a new phone number.
            return _same_registrant(earlier, key, registration_refusal(event, today))
        if refusal and earlier is None and not _sent_before(Registration, client_uuid):
            raise DomainError(refusal)
        registration, outcome = _insert_once(Registration, client_uuid, data, create, twin)
        if outcome == "existing":
            return _same_registrant(registration, key, refusal)
        if outcome == "created":
            if seats_taken(event) > event.capacity:
                raise DomainError(_l("All %(n)s places are taken; registration is closed.", n=event.capacity))
            audit.record(None, "training.registered", registration, event=event.code)
    return registration, outcome


def find_registration(event, full_name, phone):
    """The registration of this person (name and normalised phone) for the event, or None."""
    registration = Registration.get_or_none(Registration.event == event.id, Registration.phone == phone)
    if registration is not None and same_person(registration.name_key, name_key(full_name)):
        return registration
    return None


def person_certificates(full_name, phone):
    """(registration, certificate or None) for every event this person (name and normalised phone) registered
    for, newest first."""
    key = name_key(full_name)
    query = (Registration.select(Registration, TrainingEvent).join(TrainingEvent)
             .where(Registration.phone == phone).order_by(TrainingEvent.first_day.desc(), Registration.id))
    found = [r for r in query if same_person(r.name_key, key)]
    issued = {c.registration_id: c for c in
              Certificate.select().where(Certificate.registration.in_([r.id for r in found]))} if found else {}
    return [(r, issued.get(r.id)) for r in found]


def participant(token):
    """The registration behind a participant's private link, or None."""
    if not token or len(token) > 32:
        return None
    return (Registration.select(Registration, TrainingEvent, School).join(TrainingEvent).switch(Registration)
            .join(School).where(Registration.token == token).first())


def checkin_code(secret, event_id, day):
    """The self check-in code of one event and day: a keyed hash, so only the service can make it."""
    message = f"kelisim-checkin:{event_id}:{day.isoformat()}".encode()
    digest = hmac.new(secret.encode() if isinstance(secret, str) else secret, message, hashlib.sha256).digest()
    return b32encode(digest[:10]).decode().lower()


def day_of_code(secret, event, code):
    """The event day whose check-in code this is, or None."""
    for day in event_days(event):
        if hmac.compare_digest(checkin_code(secret, event.id, day.day), (code or "").lower()):
            return day
    return None


def _attend(registration, day, method, actor, client_uuid, data):
    def create(**idempotency):
        return Attendance.create(registration=registration, day=day, method=method, marked_by=actor, **idempotency)

    def twin():
        return Attendance.get_or_none(Attendance.registration == registration.id, Attendance.day == day.id)

    with db.atomic():
        attendance, outcome = _insert_once(Attendance, client_uuid, data, create, twin)
        if outcome == "created":
            audit.record(actor, "training.attended", attendance, registration=registration.id, day=day.day,
                         method=method)
            certificates.issue_if_eligible(registration, actor)
    return attendance, outcome


def checkin_day(event, code, secret, today, resent=False):
    """The event day of a self check-in code, if that day is today (any day for a check-in ``resent`` by the
    outbox: it gets its first answer); else DomainError."""
    day = day_of_code(secret, event, code)
    if day is None:
        raise DomainError(_l("This check-in code is not valid for this event. Scan the code the organizer shows "
                             "today."))
    if day.day != today and not resent:
        raise DomainError(_l("This check-in code is for %(date)s and is not valid today. Scan the code the "
                             "organizer shows today.", date=fmt_date(day.day)))
    return day


def checkin_refusal(event, code, secret, today):
    """Why a check-in with this code cannot be made today (shown before the participant types), or None."""
    try:
        checkin_day(event, code, secret, today)
    except DomainError as exc:
        return exc.message
    return None


def self_checkin(event, code, full_name, phone, client_uuid, secret, today):
    """(attendance, outcome) for a participant who scanned the day's code."""
    day = checkin_day(event, code, secret, today, resent=_sent_before(Attendance, client_uuid))
    registration = find_registration(event, full_name, phone)
    if registration is None:
        raise DomainError(_l("No registration for this event was found with this name and phone number."),
                          field="phone")
    data = dict(event=event.id, day=day.day, full_name=full_name, phone=phone)
    return _attend(registration, day, METHOD_SELF, None, client_uuid, data)


def mark_present(actor, registration, day, today=None):
    """Tick the roster (nothing happens when the participant is already marked). A day that has not come yet (in
    the region's time zone, where events are held) cannot be ticked: the certificate would come before the event."""
    today = today or local_today()
    if day.day > today:
        raise DomainError(_l("%(date)s has not come yet: attendance is marked on the day or after it.",
                             date=fmt_date(day.day)))
    attendance, _outcome = _attend(registration, day, METHOD_ROSTER, actor, str(uuid.uuid4()),
                                   dict(registration=registration.id, day=day.id))
    return attendance


def attendance_of(registration, day):
    return Attendance.get_or_none(Attendance.registration == registration.id, Attendance.day == day.id)


def undo_presence(actor, registration, day):
    with db.atomic():
        if certificates.valid_certificate(registration) is not None:
            raise DomainError(_l("A certificate has been issued to this participant. Revoke it before removing "
                                 "attendance."))
        removed = (Attendance.delete()
                   .where(Attendance.registration == registration.id, Attendance.day == day.id).execute())
        if removed:
            audit.record(actor, "training.attendance_removed", registration, day=day.day)
    return removed


# ---------------------------------------------------------------- rosters, exports, tallies


def registrations(event, user, needle=""):
    """The event's registrations the user may see, by name; ``needle`` narrows by name or school."""
    query = (Registration.select(Registration, School, District).join(School).switch(Registration).join(District)
             .where(Registration.event == event.id).order_by(Registration.name_key, Registration.id))
    key = name_key(needle)[:100]
    if key:
        query = query.where(Registration.name_key.contains(key))
    return scope(query, Registration, user)


def participant_counts(user):
    """{event id: registrations the user may see} for every event, in one GROUP BY."""
    query = scope(Registration.select(Registration.event, fn.COUNT(Registration.id).alias("n"))
                  .group_by(Registration.event), Registration, user)
    return {row.event_id: row.n for row in query}


def day_counts(event, day, user):
    """(present on the day, registered) among the registrations the user may see."""
    registered = registrations(event, user)
    present = registered.join_from(Registration, Attendance).where(Attendance.day == day.id)
    return present.count(), registered.count()


def attendance_map(event):
    """{(registration id, day id): Attendance} for the event."""
    query = Attendance.select().join(EventDay).where(EventDay.event == event.id)
    return {(a.registration_id, a.day_id): a for a in query}


def certificate_map(event):
    return {c.registration_id: c for c in Certificate.select().where(Certificate.event == event.id)}


def roster_rows(event, user):
    """(header, rows) of the roster with attendance per day; contacts only for region admins."""
    days = event_days(event)
    attended, issued = attendance_map(event), certificate_map(event)
    contacts = user.role == ROLE_ADMIN
    header = [_l("No."), _l("Full name"), _l("Position"), _l("District or city"), _l("School")]
    header += [_l("Phone"), _l("Email")] if contacts else []
    header += [fmt_date(d.day) for d in days] + [_l("Days attended"), _l("Certificate")]
    rows = []
    for n, reg in enumerate(registrations(event, user), start=1):
        marks = [attended.get((reg.id, d.id)) for d in days]
        cert = issued.get(reg.id)
        row = [n, reg.full_name, str(reg.position_label), reg.district.name, reg.school.name]
        row += [reg.phone, reg.email] if contacts else []
        row += [fmt_datetime(m.at) if m else "" for m in marks]
        row += [sum(1 for m in marks if m), "" if cert is None else
                cert.number + ("" if cert.is_valid else " (" + str(_l("revoked")) + ")")]
        rows.append(row)
    return [str(h) for h in header], rows


def tally(user, event=None):
    """Participants by district and by position (registered, attended at least one day, certified), for one
    event or all: {"district": [(label, registered, attended, certified)], "position": [...]}."""
    result = {}
    for kind, columns in (("district", (District.id, District.name_kk, District.name_ru, District.name_en)),
                          ("position", (Registration.position,))):
        query = (Registration.select(*columns, fn.COUNT(Registration.id.distinct()).alias("registered"),
                                     fn.COUNT(Attendance.registration.distinct()).alias("attended"),
                                     fn.COUNT(Certificate.id.distinct()).alias("certified"))
                 .join(District).switch(Registration)
                 .join(Attendance, JOIN.LEFT_OUTER, on=(Attendance.registration == Registration.id))
                 .switch(Registration)
                 .join(Certificate, JOIN.LEFT_OUTER,
                       on=((Certificate.registration == Registration.id) & Certificate.revoked_at.is_null()))
                 .group_by(*columns).order_by(columns[0]))
        if event is not None:
            query = query.where(Registration.event == event.id)
        rows = []
        for row in scope(query, Registration, user).objects():
            if kind == "district":
                label = District(name_kk=row.name_kk, name_ru=row.name_ru, name_en=row.name_en).name
            else:
                label = str(POSITION_LABELS.get(row.position, row.position))
            rows.append((label, row.registered, row.attended, row.certified))
        result[kind] = rows
    return result


def tally_rows(tally_result):
    header = [str(_l("Group")), str(_l("Registered")), str(_l("Attended")), str(_l("Certified"))]
    rows = []
    for kind, title in (("district", _l("By district or city")), ("position", _l("By position"))):
        rows.append([str(title), "", "", ""])
        rows.extend(list(row) for row in tally_result[kind])
    return header, rows


# ---------------------------------------------------------------- demo data

DEMO_ORGANIZER = ("Қарағанды облысы білім басқармасының Психологиялық қолдау орталығы",
                  "Центр психологической поддержки управления образования Карагандинской области")
DEMO_PEOPLE = [
    "Айгерім Сапарова", "Ғалым Құрманғали", "Динара Есенова", "Ирина Ким", "Марат Жақыпов", "Гүлнар Әбдірова",
    "Елена Петрова", "Нұрлан Сейітов", "Жанар Төлеубаева", "Ольга Смирнова", "Асель Нұрмағанбетова",
    "Бауыржан Оспанов", "Татьяна Иванова", "Ләззат Қасымова", "Ерлан Мұқанов", "Светлана Ли", "Меруерт Ахметова",
    "Дәурен Исаев", "Наталья Кузнецова", "Әсел Жұмабаева", "Қайрат Нұрпейісов", "Людмила Волкова",
    "Арман Бекболатов", "Жібек Омарова", "Виктория Павленко", "Серік Әлімжанов", "Анар Құдайбергенова",
]
DEMO_POSITIONS = ["curator", "curator", "curator", "psychologist", "social_pedagogue", "deputy_director", "teacher"]


def _demo_event(kind, title_kk, title_ru, days, hours, capacity, opens, closes):
    return create_event(None, dict(
        title_kk=title_kk, title_ru=title_ru, kind=kind, hours=hours, status=STATUS_OPEN, capacity=capacity,
        venue="Қарағанды қ., Бұқар жырау даңғылы, 47, Психологиялық қолдау орталығы", online_url="",
        organizer_kk=DEMO_ORGANIZER[0], organizer_ru=DEMO_ORGANIZER[1], registration_opens=opens,
        registration_closes=closes, min_days=None, days=days))


def _demo_register(ctx, event, people, today):
    """Registrations of ``people`` ((name, school, position)), made on ``today``."""
    result = []
    for name, school, position in people:
        phone = "+77" + "".join(str(ctx.rng.randrange(10)) for _ in range(9))
        data = dict(full_name=name, position=position, district_id=school.district_id, school_id=school.id,
                    phone=phone, email="")
        at = datetime.combine(today, datetime.min.time()).replace(hour=ctx.rng.randrange(3, 12))
        registration, _outcome = register(event, data, str(uuid.UUID(int=ctx.rng.getrandbits(128), version=4)),
                                          today, now=at)
        result.append(registration)
    return result


def _demo_attend(ctx, registrations, days, absent=()):
    """Roster ticks on the first day, self check-in on the others, at 09:00–09:40 Almaty time (UTC+5)."""
    for registration in registrations:
        for n, day in enumerate(days):
            if (registration.full_name, n) in absent:
                continue
            method = METHOD_ROSTER if n == 0 else METHOD_SELF
            attendance, _outcome = _attend(registration, day, method, ctx.users.get("admin") if n == 0 else None,
                                           str(uuid.UUID(int=ctx.rng.getrandbits(128), version=4)),
                                           dict(registration=registration.id, day=day.id))
            at = datetime.combine(day.day, datetime.min.time()).replace(hour=4, minute=ctx.rng.randrange(40))
            Attendance.update(at=at).where(Attendance.id == attendance.id).execute()
        (Certificate.update(issued_at=datetime.combine(days[-1].day, datetime.min.time()).replace(hour=8))
         .where(Certificate.registration == registration.id).execute())


def load_demo(ctx):
    """Two past events with registrations, check-ins and certificates (the demo curator of KRG-038 among the
    certified), and one upcoming event open for registration."""
    if TrainingEvent.select().exists():
        return
    schools = {s.code: s for s in ctx.schools} or {s.code: s for s in School.select()}
    codes = sorted(schools)
    pick = [(name, schools[codes[ctx.rng.randrange(len(codes))]], ctx.rng.choice(DEMO_POSITIONS))
            for name in DEMO_PEOPLE]
    curator = ("Сәуле Нұрланова", schools["KRG-038"], "curator") if "KRG-038" in schools else pick[0]

    seminar = _demo_event("seminar", "Мектеп медиациясы қызметін ұйымдастыру",
                          "Организация службы школьной медиации", [date(2024, 10, 15), date(2024, 10, 16)], 16,
                          40, date(2024, 9, 20), date(2024, 10, 14))
    people = _demo_register(ctx, seminar, [curator, *pick[:19]], date(2024, 10, 1))
    _demo_attend(ctx, people, seminar.ordered_days(), absent={(pick[4][0], 1), (pick[11][0], 1)})
    mistaken = Certificate.get_or_none(Certificate.holder_name == pick[7][0])
    if mistaken is not None:
        certificates.revoke(ctx.users.get("admin"), mistaken, "Аты-жөні қате жазылған; қайта беріледі.")

    circles = _demo_event("training", "Қалпына келтіру шеңберлері: практикум",
                          "Восстановительные круги: практикум", [date(2025, 2, 20)], 8, 25,
                          date(2025, 2, 1), date(2025, 2, 19))
    people = _demo_register(ctx, circles, [curator, *pick[12:]], date(2025, 2, 10))
    _demo_attend(ctx, people, circles.ordered_days(), absent={(pick[20][0], 0)})
    TrainingEvent.update(status=STATUS_CLOSED).where(TrainingEvent.id.in_([seminar.id, circles.id])).execute()

    today = local_today()
    start = today + timedelta(days=21)
    upcoming = _demo_event("seminar", "Құрдастар медиациясы: оқушы-медиаторларды дайындау",
                           "Медиация ровесников: подготовка учеников-медиаторов",
                           [start, start + timedelta(days=1)], 16, 60, today - timedelta(days=7),
                           start - timedelta(days=1))
    _demo_register(ctx, upcoming, pick[2:8], today)
