"""Plain factory functions with keyword defaults; make_world() builds the standard cast."""

import itertools
from dataclasses import dataclass, field
from functools import lru_cache

from models.auth import ROLE_ADMIN, ROLE_DISTRICT, ROLE_MONITOR, ROLE_SCHOOL, User
from models.directory import District, School

PASSWORD = "test-password-kelisim"
_seq = itertools.count(1)


@lru_cache(maxsize=1)
def password_hash():
    from services.auth import hash_password

    return hash_password(PASSWORD)


def district(code="KRG"):
    return District.get(District.code == code)


def make_school(district_code="KRG", code=None, name_kk=None, name_ru=None, bin=None):
    n = next(_seq)
    return School.create(district=district(district_code), code=code or f"T-{n:04d}",
                         name_kk=name_kk or f"№{n} мектеп", name_ru=name_ru or f"Школа №{n}", bin=bin)


def make_user(role=ROLE_SCHOOL, username=None, school=None, district_code=None, **kwargs):
    n = next(_seq)
    dist = None
    if role == ROLE_SCHOOL:
        school = school or make_school(district_code or "KRG")
        dist = school.district
    elif role == ROLE_DISTRICT:
        dist = district(district_code or "KRG")
    return User.create(username=username or f"user{n}", password_hash=password_hash(), role=role,
                       full_name=kwargs.pop("full_name", f"Тест Пайдаланушы {n}"), district=dist,
                       school=school if role == ROLE_SCHOOL else None, **kwargs)


def session_data(user):
    """What the session cookie of a freshly signed-in ``user`` holds, with its row on the server (views/common.py
    sign_in does the same at login)."""
    from services import sessions

    return dict(uid=user.id, sv=user.session_version, sid=sessions.start(user, "Kelisim tests"))


def sign_in(client, user):
    """Sign the test client in as ``user`` (a new server-side session)."""
    with client.session_transaction() as session:
        session.clear()
        session.update(session_data(user))
    return user


@dataclass
class World:
    schools: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)


def make_world():
    """school (KRG), school2 (TMR), school3 (KRG, no account), district (KRG), district2 (TMR),
    monitor, admin."""
    w = World()
    w.schools["school"] = make_school("KRG", code="KRG-T1", name_kk="№1 тест мектебі", name_ru="Тестовая школа №1")
    w.schools["school2"] = make_school("TMR", code="TMR-T2", name_kk="№2 тест мектебі", name_ru="Тестовая школа №2")
    w.schools["school3"] = make_school("KRG", code="KRG-T3", name_kk="№3 тест мектебі", name_ru="Тестовая школа №3")
    w.users["school"] = make_user(ROLE_SCHOOL, "school", school=w.schools["school"])
    w.users["school2"] = make_user(ROLE_SCHOOL, "school2", school=w.schools["school2"])
    w.users["district"] = make_user(ROLE_DISTRICT, "district", district_code="KRG")
    w.users["district2"] = make_user(ROLE_DISTRICT, "district2", district_code="TMR")
    w.users["monitor"] = make_user(ROLE_MONITOR, "monitor")
    w.users["admin"] = make_user(ROLE_ADMIN, "admin")
    return w


# ---------------------------------------------------------------- materials

TINY_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def make_material(actor=None, kind="training_material", title_kk=None, title_ru=None, data=TINY_PDF,
                  filename="material.pdf", file_language="kk", event_id=None, description_kk="", description_ru="",
                  uploaded_at=None):
    """A published material with one version (through the service, as an admin would publish it)."""
    from services import materials

    n = next(_seq)
    material, _version = materials.publish(
        actor, kind=kind, title_kk=title_kk or f"№{n} әдістемелік материал", title_ru=title_ru or f"Материал №{n}",
        file_language=file_language, filename=filename, data=data, event_id=event_id,
        description_kk=description_kk, description_ru=description_ru, uploaded_at=uploaded_at)
    return material


# ---------------------------------------------------------------- surveys

def survey_form(**overrides):
    """A valid survey as the form posts it (strings), closed today."""
    import uuid
    from datetime import date

    today = date.today().isoformat()
    data = dict(client_uuid=str(uuid.uuid4()), received_on=today, closed_on=today, category="student_student",
                students_1_4="0", students_5_9="2", students_10_11="0", teachers="1", parents="0",
                administration="0", other_adults="0", referral="teacher", procedure="mediation",
                student_mediator_count="0", outcome="agreement", follow_up="not_checked", follow_up_on="",
                satisfaction="4", notes="")
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def make_survey(school, closed_on=None, created_by=None, **fields):
    import uuid
    from datetime import date

    from models.surveys import CaseSurvey
    from services.quarters import Quarter

    closed_on = closed_on or date.today()
    quarter = Quarter.of(closed_on)
    values = dict(received_on=closed_on, category="student_student", students_5_9=2, teachers=1, referral="teacher",
                  procedure="mediation", outcome="agreement", satisfaction=4)
    values.update(fields)
    return CaseSurvey.create(school=school, created_by=created_by, client_uuid=str(uuid.uuid4()),
                             client_fingerprint="-", closed_on=closed_on, quarter=quarter.code, year=quarter.year,
                             **values)


# ---------------------------------------------------------------- outreach and setup


def outreach_form(**overrides):
    """A valid outreach activity as the form posts it (strings), held today."""
    import uuid

    from services.setup import local_today

    data = dict(client_uuid=str(uuid.uuid4()), held_on=local_today().isoformat(), format="general_meeting",
                grade_from="1", grade_to="11", language="kk", parents_reached="120",
                description="Жалпы мектептік ата-аналар жиналысы")
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def make_outreach(school, held_on=None, created_by=None, **fields):
    import uuid

    from models.outreach import OutreachActivity
    from services.setup import local_today

    values = dict(format="general_meeting", grade_from=1, grade_to=11, language="kk", parents_reached=100)
    values.update(fields)
    return OutreachActivity.create(school=school, held_on=held_on or local_today(), created_by=created_by,
                                   client_uuid=str(uuid.uuid4()), client_fingerprint="-", **values)


def make_confirmation(school, quarter=None, **fields):
    import uuid

    from models.outreach import ParentConfirmation
    from services.quarters import Quarter
    from services.setup import local_today

    return ParentConfirmation.create(school=school, quarter=quarter or Quarter.of(local_today()).code,
                                     client_uuid=str(uuid.uuid4()), client_fingerprint="-", **fields)


def make_setup(school, **fields):
    """A complete typed checklist for ``school`` (override fields to leave some out)."""
    from datetime import date

    from models.setup import SchoolSetup

    values = dict(order_number="45-н", order_date=date(2024, 10, 10), regulation_date=date(2024, 10, 15),
                  regulation_from_model=True, council_kind="pedagogical_council", council_date=date(2024, 10, 25),
                  curator_name="Сәуле Нұрланова", curator_position="Директордың тәрбие ісі жөніндегі орынбасары",
                  curator_phone="+7 701 234 56 78", curator_email="mediation@school.kz", curator_public=True,
                  website_url="https://school.kz/mediation")
    values.update(fields)
    return SchoolSetup.create(school=school, **values)


def set_deadlines(*deadlines):
    """Replace the region's deadlines by (item, due date) pairs (the seeded ones vary by engine in tests)."""
    from models.setup import SetupDeadline

    SetupDeadline.delete().execute()
    return [SetupDeadline.create(item=item, due_on=due_on, title_kk=f"{item} мерзімі", title_ru=f"Срок: {item}")
            for item, due_on in deadlines]


# ---------------------------------------------------------------- training

def make_event(actor=None, days=None, status="open", capacity=30, min_days=None, kind="seminar", title_kk=None,
               title_ru=None, registration_opens=None, registration_closes=None, hours=8):
    """An event through the service, as a region admin creates it: by default today (the region's), open for
    registration."""
    from datetime import timedelta

    from services import training
    from services.setup import local_today

    days = sorted(days or [local_today()])
    n = next(_seq)
    return training.create_event(actor, dict(
        title_kk=title_kk or f"№{n} медиация семинары", title_ru=title_ru or f"Семинар по медиации №{n}", kind=kind,
        hours=hours, venue="Қарағанды, Бұқар жырау даңғылы, 47", online_url="",
        organizer_kk="Психологиялық қолдау орталығы", organizer_ru="Центр психологической поддержки",
        capacity=capacity, registration_opens=registration_opens or days[0] - timedelta(days=30),
        registration_closes=registration_closes or days[-1], min_days=min_days, status=status, days=days))


def make_registration(event, school, full_name=None, phone=None, position="curator", email=""):
    """A registration through the service (on the day registration opens)."""
    import uuid

    from services import training

    n = next(_seq)
    registration, _outcome = training.register(event, dict(
        full_name=full_name or f"Қатысушы Тест {n}", position=position, district_id=school.district_id,
        school_id=school.id, phone=phone or f"+7701{n:07d}", email=email), str(uuid.uuid4()),
        event.registration_opens)
    return registration
