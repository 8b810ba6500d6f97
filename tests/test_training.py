"""Training events: creation, public registration, check-in both ways, certificates (their PDF text),
verification, exports and tallies, access per role; on both engines."""

import csv
import io
import re
import uuid
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from models.audit import AuditEvent
from models.training import Attendance, Certificate, CertificatePdf, Registration, TrainingEvent
from services import certificates, training
from tests.factories import make_event, make_registration
from tests.helpers import field_error, input_value, text

TODAY = date(2026, 3, 10)
BASE = "https://kelisim.example.kz"


@pytest.fixture
def app_overrides():
    return {"PUBLIC_BASE_URL": BASE}


@pytest.fixture(autouse=True)
def today(monkeypatch):
    """The region's "today" (registration dates, check-in codes), fixed for every test."""
    monkeypatch.setattr(training, "local_today", lambda: TODAY)
    return TODAY


def pdf_text(data):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def registration_form(place, **overrides):
    data = dict(client_uuid=str(uuid.uuid4()), full_name="Сәуле Нұрланова", position="curator",
                district=str(place.district_id), school=str(place.id), phone="+7 701 123 45 67",
                email="saule@example.kz", consent="y")
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def two_day_event(**kwargs):
    return make_event(days=[TODAY, TODAY + timedelta(days=1)], **kwargs)


def code_for(app, event, day):
    return training.checkin_code(app.config["SECRET_KEY"], event.id, day)


EVENT_FORM = dict(title_kk="Мектеп медиациясы: негіздер", title_ru="Школьная медиация: основы", kind="seminar",
                  dates="10.03.2026, 11.03.2026", hours="16", venue="Қарағанды, ПҚО", online_url="",
                  organizer_kk="Психологиялық қолдау орталығы", organizer_ru="Центр психологической поддержки",
                  capacity="40", registration_opens="2026-02-20", registration_closes="2026-03-10", rule="all",
                  min_days="", status="open")


# ---------------------------------------------------------------- events


def test_admin_creates_events_with_codes_and_short_links(client, login_as):
    login_as("admin")
    response = client.post("/training/new", data=EVENT_FORM)
    assert response.status_code == 302
    event = TrainingEvent.get()
    assert response.headers["Location"] == f"/training/{event.id}"
    assert event.code == "2026-SEM01" and re.fullmatch(r"[a-z2-9]{6}", event.slug)
    assert [d.day for d in event.ordered_days()] == [TODAY, TODAY + timedelta(days=1)]
    assert (event.first_day, event.last_day, event.min_days) == (TODAY, TODAY + timedelta(days=1), None)
    client.post("/training/new", data=dict(EVENT_FORM, title_kk="Екінші"))
    client.post("/training/new", data=dict(EVENT_FORM, kind="training", rule="min", min_days="1"))
    assert [e.code for e in TrainingEvent.select().order_by(TrainingEvent.id)] == [
        "2026-SEM01", "2026-SEM02", "2026-TRN01"]
    assert TrainingEvent.get(TrainingEvent.code == "2026-TRN01").min_days == 1
    page = client.get(f"/training/{event.id}", headers={"Accept-Language": "ru"})
    assert f"{BASE}/e/{event.slug}" in text(page)
    assert AuditEvent.select().where(AuditEvent.action == "training.event_created").count() == 3


@pytest.mark.parametrize("lang, changes, field, message", [
    ("kk", {"dates": "31.02.2026, 11.03.2026"}, "dates", "«31.02.2026» күн емес"),
    ("ru", {"dates": ""}, "dates", None),
    ("ru", {"venue": "", "online_url": ""}, "venue", "Укажите место проведения"),
    ("ru", {"online_url": "javascript:alert(1)"}, "online_url", "http:// или https://"),
    ("ru", {"registration_opens": "2026-03-11", "registration_closes": "2026-03-01"}, "registration_closes",
     "не может закончиться раньше"),
    ("kk", {"registration_closes": "2026-03-20"}, "registration_closes", "соңғы күнінен"),
    ("ru", {"rule": "min", "min_days": "3"}, "min_days", "всего дней: 2"),
    ("ru", {"hours": "0"}, "hours", None),
    ("kk", {"title_kk": "   "}, "title_kk", None),
])
def test_event_form_bad_input_keeps_what_was_typed(client, login_as, lang, changes, field, message):
    login_as("admin")
    response = client.post("/training/new", data=dict(EVENT_FORM, **changes), headers={"Accept-Language": lang})
    assert response.status_code == 400
    error = field_error(response, field)
    assert error and (message is None or message in error)
    assert input_value(response, "title_ru") == EVENT_FORM["title_ru"]
    assert TrainingEvent.select().count() == 0


def test_edit_event_keeps_its_code_and_refuses_to_drop_an_attended_day(app, client, login_as, world):
    admin = login_as("admin")
    event = two_day_event()
    registration = make_registration(event, world.schools["school"])
    first = event.ordered_days()[0]
    training.mark_present(admin, registration, first)
    form = client.get(f"/training/{event.id}/edit")
    assert input_value(form, "dates") == "10.03.2026, 11.03.2026"
    data = dict(EVENT_FORM, dates="11.03.2026, 12.03.2026", registration_closes="2026-03-11", kind="webinar")
    response = client.post(f"/training/{event.id}/edit", data=data, headers={"Accept-Language": "ru"})
    assert response.status_code == 400
    assert "Нельзя удалить день" in field_error(response, "dates")
    data["dates"] = "10.03.2026, 11.03.2026, 12.03.2026"
    assert client.post(f"/training/{event.id}/edit", data=data).status_code == 302
    event = TrainingEvent.get_by_id(event.id)
    assert event.code.endswith("SEM01") and event.kind == "webinar" and event.last_day == date(2026, 3, 12)
    assert len(event.ordered_days()) == 3 and Attendance.select().count() == 1


# ---------------------------------------------------------------- access


@pytest.mark.parametrize("role, status", [(None, 302), ("school", 200), ("school2", 200), ("district", 200),
                                          ("district2", 200), ("monitor", 200), ("admin", 200)])
def test_event_list_for_every_staff_role(client, login_as, role, status):
    if role:
        login_as(role)
    assert client.get("/training").status_code == status


@pytest.mark.parametrize("role, new, roster, mark, certificate_pdf", [
    ("school", 403, 403, 403, 403),
    ("district", 403, 403, 403, 403),
    ("monitor", 403, 200, 403, 403),
    ("admin", 200, 200, 302, 200),
])
def test_what_each_role_may_do(client, login_as, world, role, new, roster, mark, certificate_pdf):
    event = make_event(days=[TODAY])
    registration = make_registration(event, world.schools["school"])
    day = event.ordered_days()[0]
    training.mark_present(None, registration, day)
    certificate = Certificate.get()
    login_as(role)
    assert client.get("/training/new").status_code == new
    assert client.get(f"/training/{event.id}/days/{day.id}").status_code == roster
    assert client.post(f"/training/{event.id}/days/{day.id}/absent/{registration.id}").status_code in (
        mark, 302 if mark == 302 else mark)
    assert client.get(f"/training/certificates/{certificate.id}.pdf").status_code == certificate_pdf


@pytest.mark.parametrize("role, names", [
    ("admin", {"Айгерім Сапарова", "Ирина Ким", "Дана Омар"}),
    ("monitor", {"Айгерім Сапарова", "Ирина Ким", "Дана Омар"}),
    ("district", {"Айгерім Сапарова", "Дана Омар"}),
    ("district2", {"Ирина Ким"}),
    ("school", {"Айгерім Сапарова"}),
    ("school2", {"Ирина Ким"}),
])
def test_participants_are_scoped_by_district_and_school(client, login_as, world, role, names):
    event = make_event(days=[TODAY])
    make_registration(event, world.schools["school"], full_name="Айгерім Сапарова")
    make_registration(event, world.schools["school2"], full_name="Ирина Ким")
    make_registration(event, world.schools["school3"], full_name="Дана Омар")
    login_as(role)
    page = text(client.get(f"/training/{event.id}"))
    assert {n for n in ("Айгерім Сапарова", "Ирина Ким", "Дана Омар") if n in page} == names
    roster = client.get(f"/training/{event.id}/roster.csv").get_data(as_text=True)
    assert {n for n in ("Айгерім Сапарова", "Ирина Ким", "Дана Омар") if n in roster} == names
    # Phone numbers only for the organizer.
    assert ("+7701" in roster) == (role == "admin")


@pytest.mark.parametrize("role, status", [("admin", 200), ("monitor", 200), ("district", 404), ("school", 404)])
def test_draft_events_only_for_region_roles(client, login_as, role, status):
    event = make_event(days=[TODAY], status="draft")
    login_as(role)
    assert client.get(f"/training/{event.id}").status_code == status
    assert (event.title in text(client.get("/training"))) == (status == 200)


def test_registration_of_another_event_or_unknown_ids_answer_404(client, login_as, world):
    login_as("admin")
    event, other = make_event(days=[TODAY]), make_event(days=[TODAY])
    registration = make_registration(other, world.schools["school"])
    day = event.ordered_days()[0]
    assert client.post(f"/training/{event.id}/days/{day.id}/present/{registration.id}").status_code == 404
    assert client.get(f"/training/{event.id}/days/{other.ordered_days()[0].id}").status_code == 404
    assert client.get("/training/9999").status_code == 404
    assert client.get("/training/certificates/9999.pdf").status_code == 404


# ---------------------------------------------------------------- public registration


def test_registration_page_in_kazakh_and_russian_without_javascript(client, world):
    event = make_event(days=[TODAY], title_kk="Медиация негіздері", title_ru="Основы медиации")
    page = client.get(f"/e/{event.slug}")
    assert page.status_code == 200 and "Медиация негіздері" in text(page) and "Тіркелу" in text(page)
    assert 'data-offline="registration"' in page.get_data(as_text=True)
    assert page.headers.get("X-Kelisim-Cache") == "form"
    ru = client.get(f"/e/{event.slug}", headers={"Accept-Language": "ru"})
    assert "Основы медиации" in text(ru) and "Зарегистрироваться" in text(ru)
    # Without JavaScript: choose the district, press "show the schools", the form comes back with them.
    school = world.schools["school"]
    shown = client.post(f"/e/{event.slug}", data=registration_form(
        school, school="0", show_schools="y", full_name="Асқар Бек"), headers={"Accept-Language": "ru"})
    assert shown.status_code == 200 and Registration.select().count() == 0
    select = re.search(r'<select[^>]*id="school".*?</select>', shown.get_data(as_text=True), re.S).group(0)
    options = set(re.findall(r'<option[^>]*value="(\d+)"', select))
    assert options == {"0", str(school.id), str(world.schools["school3"].id)}
    assert input_value(shown, "full_name") == "Асқар Бек"
    listed = client.get(f"/e/{event.slug}/schools?district={school.district_id}").get_json()["schools"]
    assert {row[0] for row in listed} == {world.schools["school"].id, world.schools["school3"].id}


def test_register_then_the_same_person_again_is_recognised(client, world):
    event = make_event(days=[TODAY])
    school = world.schools["school"]
    first = client.post(f"/e/{event.slug}", data=registration_form(school))
    registration = Registration.get()
    assert first.status_code == 302 and first.headers["Location"] == f"/participant/{registration.token}"
    assert (registration.phone, registration.district_id, registration.consent_at is not None) == (
        "+77011234567", school.district_id, True)
    assert "Сіз тіркелдіңіз" in text(client.get(first.headers["Location"]))
    # The same person, other words order, a Russian keyboard, phone typed another way: the same registration.
    again = client.post(f"/e/{event.slug}", data=registration_form(
        school, full_name="нурланова   Сауле", phone="8 (701) 123-45-67"), headers={"Accept-Language": "ru"})
    assert again.status_code == 302 and again.headers["Location"] == f"/participant/{registration.token}"
    assert "Вы уже зарегистрированы" in text(client.get(again.headers["Location"], headers={"Accept-Language": "ru"}))
    assert Registration.select().count() == 1
    # Another name on the same phone is refused, without saying that the phone registered.
    other = client.post(f"/e/{event.slug}", data=registration_form(school, full_name="Марат Ахметов"),
                        headers={"Accept-Language": "ru"})
    assert other.status_code == 400 and "не удалось завершить" in text(other)
    assert input_value(other, "full_name") == "Марат Ахметов"


def refusal_text(response):
    return re.findall(r'class="error summary" role="alert">([^<]*)<', response.get_data(as_text=True))


def test_registration_is_no_lookup_of_someone_elses_page(app, client, world, monkeypatch):
    """A known phone with one word of the name (or any other name) never leads to the person's page, and the
    answer is the one a phone that never registered would get; the form is throttled per address."""
    event = make_event(days=[TODAY])
    school = world.schools["school"]
    registration = Registration.get_by_id(training.register(event, dict(
        full_name="Сәуле Ерболқызы Нұрланова", position="curator", district_id=school.district_id,
        school_id=school.id, phone="+77011234567", email=""), str(uuid.uuid4()), TODAY)[0].id)
    answers = []
    for name in ("Сәуле", "Нұрланова", "Сәуле Нұрланова", "Марат Ахметов"):
        response = client.post(f"/e/{event.slug}", data=registration_form(school, full_name=name))
        assert response.status_code == 400 and registration.token not in response.get_data(as_text=True), name
        answers.append(refusal_text(response))
    assert all(answer == answers[0] for answer in answers) and answers[0]  # one answer, whichever name
    # The full name as registered (any order, a Russian keyboard) finds it.
    found = client.post(f"/e/{event.slug}", data=registration_form(school, full_name="нурланова сауле ерболкызы"))
    assert found.status_code == 302 and found.headers["Location"] == f"/participant/{registration.token}"
    # A closed event answers a stranger on a registered phone as it answers a phone that never registered.
    TrainingEvent.update(status="closed").where(TrainingEvent.id == event.id).execute()
    taken = client.post(f"/e/{event.slug}", data=registration_form(school, full_name="Сәуле"))
    free = client.post(f"/e/{event.slug}", data=registration_form(school, full_name="Сәуле", phone="+77019998877"))
    assert taken.status_code == free.status_code == 400 and refusal_text(taken) == refusal_text(free)
    assert Registration.select().count() == 1


def test_registration_is_throttled_per_address(app, client, world):
    event = make_event(days=[TODAY])
    school = world.schools["school"]
    limit = app.config["REGISTRATIONS_PER_ADDRESS"]
    for n in range(limit):
        response = client.post(f"/e/{event.slug}", data=registration_form(school, phone=f"+7701{n:07d}"))
        assert response.status_code == 302, n
    refused = client.post(f"/e/{event.slug}", data=registration_form(school, phone="+77019999999"))
    assert refused.status_code == 429 and refusal_text(refused)
    outbox = client.post(f"/e/{event.slug}", data=registration_form(school, phone="+77019999998"),
                         headers={"X-Kelisim-Outbox": "1"})
    assert outbox.status_code == 429 and outbox.get_json()["status"] == "throttled"
    other = app.test_client().post(f"/e/{event.slug}", data=registration_form(school, phone="+77019999997"),
                                   environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 302
    assert Registration.select().count() == limit + 1


def test_registration_through_the_outbox_exactly_once(client, world):
    event = make_event(days=[TODAY])
    data = registration_form(world.schools["school"])
    headers = {"X-Kelisim-Outbox": "1", "Accept-Language": "ru"}
    created = client.post(f"/e/{event.slug}", data=data, headers=headers)
    assert created.status_code == 201 and created.get_json()["status"] == "created"
    repeat = client.post(f"/e/{event.slug}", data=data, headers=headers)
    assert repeat.status_code == 200 and repeat.get_json()["status"] == "duplicate"
    assert repeat.get_json()["redirect"] == created.get_json()["redirect"]
    changed = client.post(f"/e/{event.slug}", data=dict(data, email="other@example.kz"), headers=headers)
    assert changed.status_code == 409 and changed.get_json()["status"] == "conflict"
    invalid = client.post(f"/e/{event.slug}", data=registration_form(world.schools["school"], consent=None,
                                                                     phone="12"), headers=headers)
    assert invalid.status_code == 400 and set(invalid.get_json()["errors"]) == {"consent", "phone"}
    assert Registration.select().count() == 1


def test_outbox_repeats_get_their_first_answer_after_closing_or_the_next_day(app, client, world, monkeypatch):
    event = two_day_event(capacity=1)
    headers = {"X-Kelisim-Outbox": "1"}
    data = registration_form(world.schools["school"])
    assert client.post(f"/e/{event.slug}", data=data, headers=headers).status_code == 201
    checkin = dict(client_uuid=str(uuid.uuid4()), full_name=data["full_name"], phone=data["phone"])
    url = f"/e/{event.slug}/checkin/{code_for(app, event, TODAY)}"
    assert client.post(url, data=checkin, headers=headers).status_code == 201
    TrainingEvent.update(status="closed").where(TrainingEvent.id == event.id).execute()
    monkeypatch.setattr(training, "local_today", lambda: TODAY + timedelta(days=1))
    assert client.post(f"/e/{event.slug}", data=data, headers=headers).get_json()["status"] == "duplicate"
    again = client.post(f"/e/{event.slug}", data=dict(data, client_uuid=str(uuid.uuid4())), headers=headers)
    assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
    assert client.post(url, data=checkin, headers=headers).get_json()["status"] == "duplicate"
    late = client.post(url, data=dict(checkin, client_uuid=str(uuid.uuid4())), headers=headers)
    assert late.status_code == 400 and Attendance.select().count() == 1


@pytest.mark.parametrize("typed", ["+7 701 123 45 67", "87011234567", "8 (701) 123-45-67", "7011234567",
                                   "+77011234567", "7 701 123 4567"])
def test_kazakhstan_phones_are_normalised(typed):
    assert training.normalize_phone(typed) == "+77011234567"


@pytest.mark.parametrize("typed", ["12345", "+7 701 123", "+7 901 123 45 67", "+1 701 123 45 67", "телефон",
                                   "8701123456789", ""])
def test_other_phones_are_refused(typed):
    assert training.normalize_phone(typed) is None


@pytest.mark.parametrize("lang, changes, field, message", [
    ("ru", {"consent": None}, "consent", "Согласие необходимо"),
    ("kk", {"consent": None}, "consent", "келісіміңіз қажет"),
    ("ru", {"phone": "12345"}, "phone", "казахстанский номер"),
    ("kk", {"phone": "+7 901 123 45 67"}, "phone", "Қазақстандық телефон"),
    ("ru", {"full_name": "    "}, "full_name", None),
    ("ru", {"full_name": "12345"}, "full_name", "буквами"),
    ("ru", {"position": "director"}, "position", "должность"),
    ("ru", {"email": "not-an-email"}, "email", "name@example.kz"),
])
def test_bad_registration_input(client, world, lang, changes, field, message):
    event = make_event(days=[TODAY])
    data = registration_form(world.schools["school"], **changes)
    response = client.post(f"/e/{event.slug}", data=data, headers={"Accept-Language": lang})
    assert response.status_code == 400
    error = field_error(response, field)
    assert error and (message is None or message in error)
    if "full_name" not in changes:
        assert input_value(response, "full_name") == "Сәуле Нұрланова"
    assert Registration.select().count() == 0


def test_school_must_belong_to_the_district(client, world):
    event = make_event(days=[TODAY])
    data = registration_form(world.schools["school"], school=str(world.schools["school2"].id))
    response = client.post(f"/e/{event.slug}", data=data, headers={"Accept-Language": "ru"})
    assert response.status_code == 400 and "школу этого района" in field_error(response, "school")


@pytest.mark.parametrize("kwargs, message", [
    (dict(status="closed"), "Регистрация на это мероприятие закрыта"),
    (dict(registration_opens=TODAY + timedelta(days=1)), "Регистрация начнётся 11.03.2026"),
    (dict(registration_opens=TODAY - timedelta(days=9), registration_closes=TODAY - timedelta(days=1)),
     "Регистрация закончилась 09.03.2026"),
    (dict(capacity=1), "Все места (1) заняты"),
])
def test_registration_refused_when_closed_early_late_or_full(client, world, kwargs, message):
    days = [TODAY + timedelta(days=3)]
    event = make_event(days=days, **kwargs)
    if kwargs.get("capacity"):
        make_registration(event, world.schools["school3"])
    page = client.get(f"/e/{event.slug}", headers={"Accept-Language": "ru"})
    assert page.status_code == 200 and message in text(page) and 'name="full_name"' not in page.get_data(True)
    response = client.post(f"/e/{event.slug}", data=registration_form(world.schools["school"]),
                           headers={"Accept-Language": "ru"})
    assert response.status_code == 400 and message in text(response)
    assert input_value(response, "full_name") == "Сәуле Нұрланова"
    assert Registration.select().count() == (1 if kwargs.get("capacity") else 0)


@pytest.mark.parametrize("slug_of", [lambda e: "nosuch", lambda e: e.slug])
def test_unknown_or_draft_event_is_a_plain_404(client, slug_of):
    event = make_event(days=[TODAY], status="draft")
    response = client.get(f"/e/{slug_of(event)}", headers={"Accept-Language": "ru"})
    assert response.status_code == 404 and "Такого мероприятия нет" in text(response)


# ---------------------------------------------------------------- check-in


def test_roster_tick_and_undo_with_and_without_javascript(client, login_as, world):
    admin = login_as("admin")
    event = two_day_event()
    registration = make_registration(event, world.schools["school"], full_name="Гүлнәр Әлиева")
    make_registration(event, world.schools["school2"], full_name="Ирина Ким")
    day = event.ordered_days()[0]
    page = client.get(f"/training/{event.id}/days/{day.id}?q=ӘЛИЕВА")
    assert "Гүлнәр Әлиева" in text(page) and "Ирина Ким" not in text(page)
    tick = f"/training/{event.id}/days/{day.id}/present/{registration.id}"
    response = client.post(tick + "?q=әлиева")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"q=%D3%99%D0%BB%D0%B8%D0%B5%D0%B2"
                                                                                 f"%D0%B0#r{registration.id}")
    attendance = Attendance.get()
    assert (attendance.method, attendance.marked_by_id, attendance.day_id) == ("roster", admin.id, day.id)
    assert client.post(tick).status_code == 302 and Attendance.select().count() == 1  # twice: still once
    undo = client.post(f"/training/{event.id}/days/{day.id}/absent/{registration.id}",
                       headers={"Accept": "application/json", "Accept-Language": "ru"})
    assert undo.status_code == 200 and Attendance.select().count() == 0
    assert "Присутствует" in undo.get_json()["html"] and undo.get_json()["count"] == "Присутствуют: 0 из 2"
    again = client.post(tick, headers={"Accept": "application/json"})
    assert f'id="r{registration.id}"' in again.get_json()["html"] and Attendance.select().count() == 1


def test_undo_refused_once_a_certificate_is_issued(client, login_as, world):
    login_as("admin")
    event = make_event(days=[TODAY])
    registration = make_registration(event, world.schools["school"])
    day = event.ordered_days()[0]
    client.post(f"/training/{event.id}/days/{day.id}/present/{registration.id}")
    assert Certificate.select().count() == 1
    refused = client.post(f"/training/{event.id}/days/{day.id}/absent/{registration.id}",
                          headers={"Accept": "application/json", "Accept-Language": "ru"})
    assert refused.status_code == 409 and "отзовите сертификат" in refused.get_json()["message"]
    assert Attendance.select().count() == 1


def test_self_check_in_with_the_day_code(app, client, login_as, world):
    event = two_day_event()
    registration = make_registration(event, world.schools["school"], full_name="Сәуле Нұрланова",
                                      phone="+77011234567")
    login_as("admin")
    screen = client.get(f"/training/{event.id}/days/{event.ordered_days()[0].id}/checkin")
    link = f"{BASE}/e/{event.slug}/checkin/{code_for(app, event, TODAY)}"
    assert link in text(screen) and 'src="data:image/svg+xml' in screen.get_data(as_text=True)
    public = app.test_client()
    url = link[len(BASE):]
    page = public.get(url)
    assert page.status_code == 200 and 'data-offline="checkin"' in page.get_data(as_text=True)
    response = public.post(url, data=dict(client_uuid=str(uuid.uuid4()), full_name="Сәуле Нұрланова",
                                          phone="8 701 123 45 67"))
    assert response.status_code == 302 and response.headers["Location"] == f"/participant/{registration.token}"
    attendance = Attendance.get()
    assert (attendance.method, attendance.marked_by_id, attendance.day.day) == ("self", None, TODAY)
    assert "Бүгінгі қатысуыңыз белгіленді" in text(public.get(response.headers["Location"]))
    again = public.post(url, data=dict(client_uuid=str(uuid.uuid4()), full_name="Нұрланова Сәуле",
                                       phone="+77011234567"), headers={"Accept-Language": "ru"})
    assert again.status_code == 302 and Attendance.select().count() == 1
    assert "уже было отмечено" in text(public.get(again.headers["Location"], headers={"Accept-Language": "ru"}))


def test_self_check_in_refuses_other_days_other_events_forged_codes_and_strangers(app, client, world):
    event, other = two_day_event(), make_event(days=[TODAY])
    make_registration(event, world.schools["school"], full_name="Сәуле Нұрланова", phone="+77011234567")
    tomorrow = code_for(app, event, TODAY + timedelta(days=1))
    cases = [
        (f"/e/{event.slug}/checkin/{tomorrow}", "Этот код действует 11.03.2026"),
        (f"/e/{event.slug}/checkin/{code_for(app, other, TODAY)}", "не подходит для этого мероприятия"),
        (f"/e/{event.slug}/checkin/aaaaaaaaaaaaaaaa", "не подходит для этого мероприятия"),
    ]
    person = dict(full_name="Сәуле Нұрланова", phone="+77011234567")
    for url, message in cases:
        page = client.get(url, headers={"Accept-Language": "ru"})
        assert page.status_code == 400 and message in text(page)
        response = client.post(url, data=dict(person, client_uuid=str(uuid.uuid4())),
                               headers={"Accept-Language": "ru"})
        assert response.status_code == 400 and message in text(response)
    url = f"/e/{event.slug}/checkin/{code_for(app, event, TODAY)}"
    stranger = client.post(url, data=dict(client_uuid=str(uuid.uuid4()), full_name="Марат Ахметов",
                                          phone="+77011234567"), headers={"Accept-Language": "kk"})
    assert stranger.status_code == 400 and "тіркелу табылмады" in field_error(stranger, "phone")
    assert input_value(stranger, "full_name") == "Марат Ахметов"
    assert Attendance.select().count() == 0


# ---------------------------------------------------------------- certificates


def attend_all(registration, actor=None):
    for day in registration.event.ordered_days():
        training.mark_present(actor, registration, day, today=day.day)  # on the day itself


def test_certificate_issued_when_the_rule_is_met(world):
    event = two_day_event()
    first, second = (make_registration(event, world.schools["school"]) for _ in range(2))
    training.mark_present(None, first, event.ordered_days()[0])
    assert Certificate.select().count() == 0
    attend_all(first)
    attend_all(second)
    numbers = [c.number for c in Certificate.select().order_by(Certificate.seq)]
    assert numbers == ["2026-SEM01-0001", "2026-SEM01-0002"]
    codes = [c.code for c in Certificate.select()]
    assert len(set(codes)) == 2 and all(len(c) >= 20 for c in codes)
    # Another event of the same kind and year: its own prefix, so numbers stay unique across the system.
    later = make_event(days=[TODAY], min_days=None)
    attend_all(make_registration(later, world.schools["school2"]))
    assert Certificate.get(Certificate.event == later.id).number == "2026-SEM02-0001"


def test_at_least_n_days_rule_and_issue_button(client, login_as, world):
    login_as("admin")
    event = make_event(days=[TODAY, TODAY + timedelta(days=1), TODAY + timedelta(days=2)], min_days=2)
    registration = make_registration(event, world.schools["school"])
    days = event.ordered_days()
    training.mark_present(None, registration, days[0])
    assert Certificate.select().count() == 0
    training.mark_present(None, registration, days[2], today=days[2].day)
    assert Certificate.select().count() == 1
    # The rule loosened after the fact: the button issues the certificates now due, once.
    late = make_registration(event, world.schools["school3"])
    training.mark_present(None, late, days[0])
    TrainingEvent.update(min_days=1).where(TrainingEvent.id == event.id).execute()
    response = client.post(f"/training/{event.id}/certificates", headers={"Accept-Language": "ru"})
    assert response.status_code == 302
    assert "Выдано сертификатов: 1" in text(client.get(response.headers["Location"], headers={"Accept-Language": "ru"}))
    client.post(f"/training/{event.id}/certificates")
    assert Certificate.select().count() == 2


def test_certificate_pdf_bilingual_stored_and_served_again(client, world, monkeypatch):
    event = make_event(days=[TODAY, TODAY + timedelta(days=1)], title_kk="Мектеп медиациясы: негіздер",
                       title_ru="Школьная медиация: основы", hours=16)
    registration = make_registration(event, world.schools["school"], full_name="Сәуле Нұрланова")
    attend_all(registration)
    certificate = Certificate.get()
    response = client.get(f"/participant/{registration.token}/certificate.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    data = response.data
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)  # A4 landscape
    assert b"pdfaid:part=\"3\"" in reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    content = pdf_text(data)
    assert "Сәуле Нұрланова" in content
    assert certificate.number in content and f"{BASE}/verify/{certificate.code}" in content
    assert "«Мектеп медиациясы: негіздер» семинарына қатысқаны үшін беріледі" in content
    assert "выдан за участие в семинаре «Школьная медиация: основы»" in content
    assert "10.03.2026 – 11.03.2026" in content and "16 академиялық сағат" in content
    assert CertificatePdf.select().count() == 1
    # Served again without rendering while nothing printed on it changes.
    monkeypatch.setattr(certificates, "render", lambda *a: pytest.fail("rendered again"))
    assert client.get(f"/participant/{registration.token}/certificate.pdf").data == data
    monkeypatch.undo()
    monkeypatch.setattr(training, "local_today", lambda: TODAY)
    TrainingEvent.update(title_ru="Школьная медиация: основы и практика").where(TrainingEvent.id == event.id).execute()
    renewed = client.get(f"/participant/{registration.token}/certificate.pdf").data
    assert "основы и практика" in pdf_text(renewed) and CertificatePdf.select().count() == 1


def test_event_certificates_in_one_pdf_without_revoked_ones(client, login_as, world):
    login_as("admin")
    event = make_event(days=[TODAY])
    names = ["Сәуле Нұрланова", "Ғалым Құрманғали", "Өмірзақ Үсенов"]
    for name, school in zip(names, ("school", "school2", "school3"), strict=True):
        attend_all(make_registration(event, world.schools[school], full_name=name))
    revoked = Certificate.get(Certificate.holder_name == "Өмірзақ Үсенов")
    certificates.revoke(None, revoked, "Қате енгізілген")
    response = client.get(f"/training/{event.id}/certificates.pdf")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 2
    assert "Сәуле Нұрланова" in reader.pages[0].extract_text()
    assert "Ғалым Құрманғали" in reader.pages[1].extract_text()
    assert "Өмірзақ Үсенов" not in pdf_text(response.data)
    empty = make_event(days=[TODAY])
    none = client.get(f"/training/{empty.id}/certificates.pdf", headers={"Accept-Language": "ru"})
    assert none.status_code == 302
    assert "сертификаты ещё не выданы" in text(client.get(none.headers["Location"], headers={"Accept-Language": "ru"}))


def test_erased_holders_are_not_printed(client, login_as, world):
    login_as("admin")
    event = make_event(days=[TODAY])
    kept, erased = (make_registration(event, world.schools["school"], full_name=n) for n in ("Ирина Ким", "Дана Омар"))
    attend_all(kept)
    attend_all(erased)
    Certificate.update(holder_name="").where(Certificate.registration == erased.id).execute()
    certificate = Certificate.get(Certificate.registration == erased.id)
    response = client.get(f"/training/certificates/{certificate.id}.pdf", headers={"Accept-Language": "ru"})
    assert response.status_code == 302
    shown = client.get(response.headers["Location"], headers={"Accept-Language": "ru"})
    assert "данные владельца удалены" in text(shown)
    assert client.get(f"/participant/{erased.token}/certificate.pdf").status_code == 404
    batch = client.get(f"/training/{event.id}/certificates.pdf")
    assert len(PdfReader(io.BytesIO(batch.data)).pages) == 1 and "Ирина Ким" in pdf_text(batch.data)


def test_revoke_with_a_reason(client, login_as, world):
    login_as("admin")
    event = make_event(days=[TODAY])
    registration = make_registration(event, world.schools["school"])
    attend_all(registration)
    certificate = Certificate.get()
    assert client.get(f"/participant/{registration.token}/certificate.pdf").status_code == 200
    assert CertificatePdf.select().count() == 1
    url = f"/training/certificates/{certificate.id}/revoke"
    missing = client.post(url, data={"reason": "  "}, headers={"Accept-Language": "ru"})
    assert missing.status_code == 400 and field_error(missing, "reason")
    assert client.post(url, data={"reason": "Қатысушы басқа адам болып шықты"}).status_code == 302
    certificate = Certificate.get_by_id(certificate.id)
    assert certificate.revoked_at is not None and certificate.revoked_reason == "Қатысушы басқа адам болып шықты"
    assert CertificatePdf.select().count() == 0
    assert client.get(f"/participant/{registration.token}/certificate.pdf").status_code == 404
    assert "күші жойылды" in text(client.get(f"/participant/{registration.token}"))
    verdict = client.get(f"/verify/{certificate.code}", headers={"Accept-Language": "ru"})
    assert verdict.status_code == 200 and "Сертификат отозван" in text(verdict)
    assert "басқа адам" not in text(verdict)
    assert client.get(f"/training/certificates/{certificate.id}.pdf").status_code == 302


# ---------------------------------------------------------------- verification and look-up


def test_verify_in_the_readers_language_and_nothing_more(client, world):
    event = make_event(days=[TODAY], title_kk="Медиация негіздері", title_ru="Основы медиации", hours=12)
    registration = make_registration(event, world.schools["school"], full_name="Сәуле Нұрланова",
                                     phone="+77011234567", email="saule@example.kz")
    attend_all(registration)
    certificate = Certificate.get()
    kk = client.get(f"/verify/{certificate.code}")
    assert kk.status_code == 200
    assert "Сертификат жарамды" in text(kk) and "Медиация негіздері" in text(kk) and "Сәуле Нұрланова" in text(kk)
    ru = text(client.get(f"/verify/{certificate.code}", headers={"Accept-Language": "ru"}))
    assert "Сертификат действителен" in ru and "Основы медиации" in ru and "10.03.2026" in ru and "12" in ru
    for private in ("+7701", "saule@example.kz", world.schools["school"].name_ru, "№1 тест мектебі",
                    certificate.number):
        assert private not in ru
    assert Certificate.get_by_id(certificate.id).verify_count == 2


@pytest.mark.parametrize("code", ["AAAAAAAAAAAAAAAAAAAAAA", "short", "<script>x", "a" * 80, "бұрмаланған-код-123456"])
def test_unknown_or_forged_codes_reveal_nothing(client, world, code):
    response = client.get(f"/verify/{code}", headers={"Accept-Language": "ru"})
    assert response.status_code == 404 and "Сертификат не найден" in text(response)


def test_verification_is_rate_limited(client, world, monkeypatch):
    from views import training as views

    monkeypatch.setattr(views, "VERIFY_LIMIT", 3)
    assert [client.get("/verify/AAAAAAAAAAAAAAAAAAAAAA").status_code for _ in range(4)] == [404, 404, 404, 429]


def test_find_certificate_by_name_and_phone(client, world, monkeypatch):
    from views import training as views

    event = make_event(days=[TODAY], title_ru="Основы медиации")
    registration = make_registration(event, world.schools["school"], full_name="Сәуле Нұрланова",
                                     phone="+77011234567")
    attend_all(registration)
    found = client.post("/certificates/find", data={"full_name": "нұрланова сәуле", "phone": "87011234567"},
                        headers={"Accept-Language": "ru"})
    assert found.status_code == 200 and "Основы медиации" in text(found)
    assert f"/participant/{registration.token}" in found.get_data(as_text=True)
    assert found.headers["Cache-Control"] == "private, no-store"
    nothing = client.post("/certificates/find", data={"full_name": "Марат Ахметов", "phone": "87011234567"},
                          headers={"Accept-Language": "ru"})
    assert "ничего не найдено" in text(nothing) and registration.token not in nothing.get_data(as_text=True)
    bad = client.post("/certificates/find", data={"full_name": "Марат", "phone": "abc"})
    assert bad.status_code == 400 and field_error(bad, "phone")
    monkeypatch.setattr(views, "FIND_LIMIT", 2)
    client.post("/certificates/find", data={"full_name": "Марат", "phone": "87011234567"})
    limited = client.post("/certificates/find", data={"full_name": "Марат", "phone": "87011234567"},
                          headers={"Accept-Language": "ru"})
    assert limited.status_code == 429 and "Слишком много запросов" in text(limited)


def test_participant_page_unknown_token_is_404(client):
    assert client.get("/participant/nosuchtoken").status_code == 404
    assert client.get("/participant/nosuchtoken/certificate.pdf").status_code == 404


# ---------------------------------------------------------------- exports and tallies


def test_roster_exports_with_attendance_per_day(client, login_as, world):
    login_as("admin")
    event = two_day_event()
    first = make_registration(event, world.schools["school"], full_name="Сәуле Нұрланова")
    make_registration(event, world.schools["school2"], full_name="Ирина Ким", position="psychologist")
    attend_all(first)
    response = client.get(f"/training/{event.id}/roster.csv", headers={"Accept-Language": "ru"})
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf")
    assert response.headers["Content-Disposition"] == f'attachment; filename="roster-{event.code}.csv"'
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][-4:] == ["10.03.2026", "11.03.2026", "Посещено дней", "Сертификат"]
    by_name = {row[1]: row for row in rows[1:]}
    assert by_name["Сәуле Нұрланова"][-2:] == ["2", "2026-SEM01-0001"] and by_name["Сәуле Нұрланова"][-3]
    assert by_name["Ирина Ким"][-4:] == ["", "", "0", ""] and by_name["Ирина Ким"][2] == "Педагог-психолог"
    from openpyxl import load_workbook

    xlsx = client.get(f"/training/{event.id}/roster.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert [c.value for c in sheet[2]][1] in ("Ирина Ким", "Сәуле Нұрланова") and sheet.max_row == 3


def test_tally_by_district_and_position_in_the_database(app, client, login_as, world):
    event = make_event(days=[TODAY])
    attend_all(make_registration(event, world.schools["school"]))
    make_registration(event, world.schools["school3"], position="teacher")
    make_registration(event, world.schools["school2"], position="psychologist")
    login_as("admin")
    with app.test_request_context(headers={"Accept-Language": "kk"}):
        result = training.tally(world.users["admin"], event)
        assert result["district"] == [("Қарағанды қаласы", 2, 1, 1), ("Теміртау қаласы", 1, 0, 0)]
        assert sorted(result["position"]) == sorted([("Мектеп медиациясы қызметінің кураторы", 1, 1, 1),
                                                     ("Педагог-психолог", 1, 0, 0), ("Мұғалім", 1, 0, 0)])
        assert training.tally(world.users["district2"], event)["district"] == [("Теміртау қаласы", 1, 0, 0)]
    page = client.get(f"/training/tally?event={event.id}", headers={"Accept-Language": "ru"})
    assert "г. Караганда" in text(page) and "Учитель" in text(page)
    export = client.get(f"/training/tally.csv?event={event.id}", headers={"Accept-Language": "ru"})
    assert "По районам и городам" in export.data.decode("utf-8-sig")
    login_as("district2")
    assert "г. Караганда" not in text(client.get("/training/tally", headers={"Accept-Language": "ru"}))


# ---------------------------------------------------------------- demo data and the whole story


def test_demo_data(app):
    from services.demo import DemoContext, load_directory

    ctx = DemoContext()
    load_directory(ctx)
    training.load_demo(ctx)
    events = list(TrainingEvent.select().order_by(TrainingEvent.first_day))
    today = training.local_today()
    assert [e.last_day < today for e in events] == [True, True, False]
    assert training.registration_refusal(events[2], today) is None
    assert Certificate.select().where(Certificate.event.in_([e.id for e in events[:2]])).count() >= 10
    curator = Registration.get(Registration.full_name == "Сәуле Нұрланова")
    assert curator.school.code == "KRG-038" and certificates.valid_certificate(curator) is not None
    training.load_demo(ctx)  # a second run adds nothing
    assert TrainingEvent.select().count() == 3


@pytest.mark.parametrize("lang, words", [("kk", ("Сіз тіркелдіңіз", "Сертификат жарамды")),
                                         ("ru", ("Вы зарегистрированы", "Сертификат действителен"))])
def test_the_whole_story(app, client, login_as, world, lang, words):
    """Create an event, share its link, three people register from phones, check in both ways, download their
    certificates in one PDF, verify one from its QR address."""
    headers = {"Accept-Language": lang}
    login_as("admin")
    client.post("/training/new", data=dict(EVENT_FORM, dates="10.03.2026"), headers=headers)
    event = TrainingEvent.get()
    link = re.search(rf"{BASE}/e/\w+", text(client.get(f"/training/{event.id}", headers=headers))).group(0)
    people = [("Сәуле Нұрланова", "+7 701 111 22 33", "school"), ("Ғалым Құрманғали", "87021112233", "school2"),
              ("Ирина Ким", "8 (705) 111-22-33", "school3")]
    for name, phone, school in people:
        phone_client = app.test_client()
        response = phone_client.post(link[len(BASE):], data=registration_form(
            world.schools[school], full_name=name, phone=phone), headers=headers)
        assert response.status_code == 302
        assert words[0] in text(phone_client.get(response.headers["Location"], headers=headers))
    day = event.ordered_days()[0]
    checkin = f"/e/{event.slug}/checkin/{code_for(app, event, TODAY)}"
    for name, phone, _school in people[:2]:
        assert app.test_client().post(checkin, data=dict(client_uuid=str(uuid.uuid4()), full_name=name,
                                                         phone=phone)).status_code == 302
    irina = Registration.get(Registration.full_name == "Ирина Ким")
    client.post(f"/training/{event.id}/days/{day.id}/present/{irina.id}")
    assert sorted(a.method for a in Attendance.select()) == ["roster", "self", "self"]
    pdf = client.get(f"/training/{event.id}/certificates.pdf")
    content = pdf_text(pdf.data)
    assert len(PdfReader(io.BytesIO(pdf.data)).pages) == 3
    assert all(name in content for name, _p, _s in people)
    assert all(c.number in content and f"{BASE}/verify/{c.code}" in content for c in Certificate.select())
    url = re.search(rf"{BASE}/verify/[\w-]+", content).group(0)
    verdict = client.get(url[len(BASE):], headers=headers)
    assert verdict.status_code == 200 and words[1] in text(verdict)


def test_pages_carry_no_inline_scripts_or_styles(client, login_as, world):
    event = make_event(days=[TODAY])
    registration = make_registration(event, world.schools["school"])
    attend_all(registration)
    certificate = Certificate.get()
    day = event.ordered_days()[0]
    public = [f"/e/{event.slug}", f"/participant/{registration.token}", "/certificates/find",
              f"/verify/{certificate.code}", f"/e/{event.slug}/checkin/xxxx"]
    login_as("admin")
    staff = ["/training", "/training/new", f"/training/{event.id}", f"/training/{event.id}/edit",
             f"/training/{event.id}/days/{day.id}", f"/training/{event.id}/days/{day.id}/checkin",
             f"/training/{event.id}/poster", f"/training/certificates/{certificate.id}/revoke", "/training/tally"]
    for url in public + staff:
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert "<style" not in html and " style=" not in html, url


def test_attendance_on_a_day_that_has_not_come_is_refused(client, login_as, world, monkeypatch):
    """Tomorrow cannot be ticked (a certificate would come before the event); the roster says from when."""
    login_as("admin")
    event = two_day_event()
    registration = make_registration(event, world.schools["school"])
    today, tomorrow = event.ordered_days()
    url = f"/training/{event.id}/days/{tomorrow.id}/present/{registration.id}"
    response = client.post(url, headers={"Accept-Language": "ru"}, follow_redirects=True)
    assert "ещё не наступило" in text(response) and Attendance.select().count() == 0
    ticked = client.post(url, headers={"Accept": "application/json"})
    assert ticked.status_code == 409 and ticked.get_json()["message"] and Attendance.select().count() == 0
    roster = client.get(f"/training/{event.id}/days/{tomorrow.id}", headers={"Accept-Language": "ru"})
    assert f"/days/{tomorrow.id}/present/" not in roster.get_data(as_text=True) and "11.03.2026" in text(roster)
    # "Today" is the region's (services/training.py local_today: Asia/Almaty); the next day, it can be ticked.
    assert client.post(f"/training/{event.id}/days/{today.id}/present/{registration.id}").status_code == 302
    monkeypatch.setattr(training, "local_today", lambda: TODAY + timedelta(days=1))
    assert client.post(url).status_code == 302 and Attendance.select().count() == 2
    assert Certificate.select().count() == 1

