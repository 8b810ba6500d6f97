"""The setup checklist: the school fills it; checklist_status() says done, due or overdue per school and item
in a fixed number of queries; districts see their schools' table; the region admin keeps the deadlines."""

import itertools
import uuid
from datetime import date, datetime, timedelta

from db import db, open_database
from models.audit import AuditEvent
from models.directory import School
from models.setup import ITEMS, SchoolSetup, SetupDeadline
from services import setup
from services.access import visible
from services.quarters import Quarter
from services.setup import DONE, DUE, OVERDUE, UNAVAILABLE, checklist_status, local_today
from tests.conftest import migrate, new_database_url
from tests.factories import make_outreach, make_school, make_setup, make_survey, set_deadlines
from tests.helpers import field_error, input_value, text

KK = {"Accept-Language": "kk"}
RU = {"Accept-Language": "ru"}
_seq = itertools.count(1)


def setup_form(**overrides):
    data = dict(order_number="45-н", order_date="2024-10-10", regulation_date="2024-10-15",
                regulation_from_model="yes", council_kind="pedagogical_council", council_date="2024-10-25",
                curator_name="Сәуле Нұрланова", curator_position="Педагог-психолог", curator_phone="+7 701 234 56 78",
                curator_email="", curator_public="y", website_url="https://school.kz/mediation")
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def certify(school, position="curator", revoked=False):
    """A certificate from a training event for a participant of ``school`` (models.training)."""
    from models.training import Certificate, Registration, TrainingEvent

    n = next(_seq)
    event = TrainingEvent.create(
        code=f"2024-SEM{n:02d}", code_seq=n, slug=f"ev{n}", title_kk="Семинар", title_ru="Семинар", kind="seminar",
        hours=8, organizer_kk="ПҚО", organizer_ru="ЦПП", capacity=50, registration_opens=date(2024, 9, 1),
        registration_closes=date(2024, 10, 1), first_day=date(2024, 10, 10), last_day=date(2024, 10, 10))
    registration = Registration.create(event=event, token=uuid.uuid4().hex, full_name="Айгерім Сейітова",
                                       name_key="айгерім сейітова", position=position, district=school.district,
                                       school=school, phone=f"+7701{n:07d}", consent_at=datetime.utcnow(),
                                       client_uuid=str(uuid.uuid4()), client_fingerprint="-")
    return Certificate.create(registration=registration, event=event, seq=1, number=f"2024-SEM{n:02d}-0001",
                              code=uuid.uuid4().hex, holder_name="Айгерім Сейітова",
                              revoked_at=datetime.utcnow() if revoked else None)


# ---------------------------------------------------------------- the school fills its checklist


def test_school_fills_its_checklist(client, login_as, world):
    login_as("school")
    assert client.get("/setup/edit", headers=KK).status_code == 200
    response = client.post("/setup/edit", data=setup_form(), headers=KK)
    assert response.status_code == 302 and response.headers["Location"] == "/setup"
    row = SchoolSetup.get(SchoolSetup.school == world.schools["school"])
    assert (row.order_number, row.order_date, row.regulation_from_model, row.curator_public) == (
        "45-н", date(2024, 10, 10), True, True)
    assert row.updated_by_id == world.users["school"].id
    assert AuditEvent.get(AuditEvent.action == "setup.updated").object_id == str(row.id)
    page = text(client.get("/setup", headers=KK))
    assert "Бақылау парағы сақталды." in page and page.count("орындалды") >= 5
    assert "Сәуле Нұрланова" in page and "https://school.kz/mediation" in page
    assert "№ 45-н" in page and "10.10.2024" in page
    assert "Приказ № 45-н от 10.10.2024" in text(client.get("/setup", headers=RU))
    assert text(client.get("/setup", headers=RU)).count("выполнено") >= 5
    # The form opens again with what was saved, and a correction changes the same row.
    assert input_value(client.get("/setup/edit"), "order_number") == "45-н"
    assert client.post("/setup/edit", data=setup_form(website_url="", regulation_from_model="no")).status_code == 302
    row = SchoolSetup.get(SchoolSetup.school == world.schools["school"])
    assert (row.website_url, row.regulation_from_model) == ("", False)
    assert SchoolSetup.select().count() == 1


BAD_CHECKLISTS = [
    ({"order_date": "FUTURE"}, "order_date", "Күн болашақта болмауы керек.", "Дата не может быть в будущем."),
    ({"council_date": "2009-12-31"}, "council_date", "01.01.2010", "01.01.2010"),
    ({"order_date": ""}, "order_date", "Бұйрықтың күнін енгізіңіз.", "Введите дату приказа."),
    ({"order_number": ""}, "order_number", "Бұйрықтың нөмірін енгізіңіз.", "Введите номер приказа."),
    ({"council_kind": ""}, "council_kind", "Педагогикалық кеңесті", "Выберите педагогический совет"),
    ({"curator_position": ""}, "curator_position", "Кураторның лауазымын енгізіңіз.", "Введите должность куратора."),
    ({"curator_phone": "call me"}, "curator_phone", "Телефон нөмірін енгізіңіз", "Введите номер телефона"),
    ({"curator_email": "name@"}, "curator_email", "Электрондық пошта мекенжайын", "Введите адрес электронной почты"),
    ({"website_url": "javascript://school.kz/%0aalert(1)"}, "website_url", "https:// деп басталатын",
     "начинающийся с http:// или https://"),
    ({"curator_phone": ""}, "curator_public", "Куратор туралы деректерді ата-аналарға көрсету үшін",
     "Чтобы показать куратора родителям"),
    ({"regulation_from_model": "maybe"}, "regulation_from_model", "Тізімнен жауапты таңдаңыз.",
     "Выберите ответ из списка."),
]


def test_bad_checklist_is_explained_and_nothing_saved(client, login_as):
    login_as("school")
    for overrides, field, kk, ru in BAD_CHECKLISTS:
        if overrides.get("order_date") == "FUTURE":
            overrides = {"order_date": (local_today() + timedelta(days=1)).isoformat()}
        for headers, message in ((KK, kk), (RU, ru)):
            response = client.post("/setup/edit", data=setup_form(**overrides), headers=headers)
            assert response.status_code == 400, overrides
            assert message in (field_error(response, field) or ""), (overrides, field_error(response, field))
            assert input_value(response, "curator_name") == "Сәуле Нұрланова"
    assert SchoolSetup.select().count() == 0


def test_an_empty_checklist_can_be_saved(client, login_as):
    login_as("school")
    empty = {name: "" for name in setup_form()}
    assert client.post("/setup/edit", data=empty).status_code == 302
    assert checklist_status([SchoolSetup.get().school_id])[SchoolSetup.get().school_id]["service_created"].state != DONE


# ---------------------------------------------------------------- done, due, overdue


def test_status_done_due_overdue(world):
    school, school3 = world.schools["school"], world.schools["school3"]
    set_deadlines(("service_created", date(2024, 11, 1)), ("parents_informed", date(2030, 1, 1)),
                  ("website_info", date(2024, 12, 1)))
    make_setup(school, website_url="")
    status = checklist_status([school.id, school3.id], today=date(2025, 1, 10))
    mine, other = status[school.id], status[school3.id]
    assert mine["service_created"] == setup.ItemStatus(DONE, date(2024, 11, 1))
    assert mine["website_info"] == setup.ItemStatus(OVERDUE, date(2024, 12, 1))
    assert mine["parents_informed"] == setup.ItemStatus(DUE, date(2030, 1, 1))
    assert mine["council_considered"] == setup.ItemStatus(DONE)
    assert other["service_created"].state == OVERDUE and other["curator_appointed"] == setup.ItemStatus(DUE)
    # The day of the deadline is still "due"; the day after, "overdue".
    assert checklist_status([school3.id], today=date(2024, 11, 1))[school3.id]["service_created"].state == DUE
    make_outreach(school)
    assert checklist_status([school.id], today=date(2025, 1, 10))[school.id]["parents_informed"].state == DONE
    assert set(mine) == set(ITEMS)


def test_surveys_filed_this_quarter(world):
    school, school3 = world.schools["school"], world.schools["school3"]
    today = local_today()
    make_survey(school, closed_on=today)
    make_survey(school3, closed_on=Quarter.of(today).previous().end)
    status = checklist_status([school.id, school3.id])
    assert status[school.id]["surveys_filed"].state == DONE
    assert status[school3.id]["surveys_filed"].state in (DUE, OVERDUE)


def test_curator_trained_from_a_valid_certificate(world):
    school, school2, school3 = world.schools["school"], world.schools["school2"], world.schools["school3"]
    certify(school)
    certify(school2, revoked=True)
    certify(school3, position="teacher")
    status = checklist_status([school.id, school2.id, school3.id])
    assert status[school.id]["curator_trained"].state == DONE
    assert status[school2.id]["curator_trained"].state != DONE
    assert status[school3.id]["curator_trained"].state != DONE


def test_derived_items_of_absent_features_are_not_yet_available(world, monkeypatch):
    real = setup._feature_model
    monkeypatch.setattr(setup, "_feature_model", lambda module, name: None if module == "training" else
                        real(module, name))
    status = checklist_status([world.schools["school"].id])[world.schools["school"].id]
    assert status["curator_trained"] == setup.ItemStatus(UNAVAILABLE)
    assert status["surveys_filed"].state != UNAVAILABLE


def test_status_needs_the_same_few_queries_for_3_or_30_schools(world, monkeypatch):
    schools = [make_school() for _ in range(27)] + list(world.schools.values())
    for school in schools[::2]:
        make_setup(school)
        make_outreach(school)
        make_survey(school)
    counted = []
    real = db.obj.execute_sql
    monkeypatch.setattr(db.obj, "execute_sql", lambda *a, **k: counted.append(a[0]) or real(*a, **k))

    def queries(schools):
        counted.clear()
        result = checklist_status(schools)
        return len(counted), len(result)

    assert queries([s.id for s in schools[:3]]) == (5, 3)
    assert queries([s.id for s in schools]) == (5, 30)
    assert queries(School.select()) == (6, 30)  # one more: the ids of the schools asked about


def test_status_takes_a_scoped_query(world):
    result = checklist_status(visible(School, world.users["district"]))
    assert set(result) == {world.schools["school"].id, world.schools["school3"].id}
    assert checklist_status([]) == {}


def test_only_consenting_curators_are_public(world):
    make_setup(world.schools["school"])
    make_setup(world.schools["school3"], curator_public=False)
    curators = setup.public_curators([s.id for s in world.schools.values()])
    assert set(curators) == {world.schools["school"].id}
    assert curators[world.schools["school"].id]["phone"] == "+7 701 234 56 78"


# ---------------------------------------------------------------- what the school and the district see


def test_school_sees_what_is_due_and_overdue(client, login_as, world):
    today = local_today()
    set_deadlines(("service_created", today - timedelta(days=1)), ("parents_informed", today + timedelta(days=30)),
                  ("website_info", today - timedelta(days=400)))
    make_setup(world.schools["school"], website_url="")
    login_as("school")
    page = text(client.get("/setup", headers=KK))
    overdue, due = page.split("Мерзімі өткен:")[1].split("Орындалуы тиіс:")
    assert "Қызмет туралы ақпарат мектеп сайтында орналастырылды" in overdue
    assert "Ата-аналар хабардар етілді" in due.split("Бақылау парағын толтыру")[0]
    assert "Қызмет мектеп бұйрығымен құрылды" not in overdue  # done, although its date has passed
    ru = text(client.get("/setup", headers=RU))
    assert "Просрочено:" in ru and "К выполнению:" in ru


def test_district_sees_each_school_item_as_done_due_or_overdue(client, login_as, world):
    set_deadlines(("service_created", date(2024, 11, 1)), ("parents_informed", date(2099, 12, 1)))
    make_setup(world.schools["school"])
    make_setup(world.schools["school2"])
    login_as("district")
    response = client.get("/setup", headers=RU)
    assert response.status_code == 200
    page = text(response)
    assert "Тестовая школа №1" in page and "Тестовая школа №3" in page and "Тестовая школа №2" not in page
    row1 = page.split("Тестовая школа №1")[1].split("Тестовая школа №3")[0]
    row3 = page.split("Тестовая школа №3")[1].split("Столбцы")[0]
    assert row1.count("выполнено") == 5 and "к выполнению 01.12.2099" in row1
    assert "просрочено 01.11.2024" in row3 and "выполнено" not in row3
    login_as("admin")
    region = text(client.get(f"/setup?district={world.schools['school2'].district_id}", headers=RU))
    assert "Тестовая школа №2" in region and "Тестовая школа №1" not in region


# ---------------------------------------------------------------- access


ACCESS = [  # role: /setup, the checklist of "school", /setup/edit, the deadlines, managing them
    (None, 302, 302, 302, 302, 302),
    ("school", 200, 200, 200, 200, 403),
    ("school2", 200, 404, 200, 200, 403),
    ("district", 200, 200, 403, 200, 403),
    ("district2", 200, 404, 403, 200, 403),
    ("monitor", 200, 200, 403, 200, 403),
    ("admin", 200, 200, 403, 200, 200),
]


def test_access_for_every_role(app, login_as, world):
    make_setup(world.schools["school"])
    form = {"item": "service_created", "due_on": "2024-12-15", "title_kk": "Жаңа", "title_ru": "Новый"}
    for role, index, own, edit, deadlines, manage in ACCESS:
        deadline = set_deadlines(("service_created", date(2024, 11, 1)))[0]
        client = app.test_client()
        if role:
            login_as(role, client)
        assert client.get("/setup").status_code == index, role
        assert client.get(f"/setup/schools/{world.schools['school'].id}").status_code == own, role
        assert client.get("/setup/edit").status_code == edit, role
        assert client.get("/setup/deadlines").status_code == deadlines, role
        assert client.get("/setup/deadlines/new").status_code == manage, role
        assert client.get(f"/setup/deadlines/{deadline.id}/edit").status_code == manage, role
        written = 302 if manage == 200 else manage
        assert client.post(f"/setup/deadlines/{deadline.id}/edit", data=form).status_code == written, role
        assert client.post(f"/setup/deadlines/{deadline.id}/delete").status_code == written, role
        assert SetupDeadline.select().count() == (0 if role == "admin" else 1), role
        assert SetupDeadline.select().where(SetupDeadline.due_on == date(2024, 12, 15)).exists() is False


def test_school_edits_only_its_own_checklist(client, login_as, world):
    login_as("school2")
    client.post("/setup/edit", data=setup_form())
    assert [row.school_id for row in SchoolSetup.select()] == [world.schools["school2"].id]
    for role in ("district", "monitor", "admin"):
        login_as(role)
        assert client.post("/setup/edit", data=setup_form(order_number="1")).status_code == 403
    assert SchoolSetup.get().order_number == "45-н"


# ---------------------------------------------------------------- deadlines


def test_admin_keeps_the_deadlines(client, login_as):
    set_deadlines(("parents_informed", date(2024, 12, 1)))
    login_as("admin")
    new = {"item": "service_created", "due_on": "2024-11-01", "title_kk": "Қызмет құрылсын", "title_ru": "Создать"}
    assert client.post("/setup/deadlines/new", data=new).status_code == 302
    twice = client.post("/setup/deadlines/new", data={**new, "item": "parents_informed"}, headers=RU)
    assert twice.status_code == 400 and "уже есть срок" in field_error(twice, "item")
    deadline = SetupDeadline.get(SetupDeadline.item == "service_created")
    moved = client.post(f"/setup/deadlines/{deadline.id}/edit", data={**new, "due_on": "2024-11-15"})
    assert moved.status_code == 302 and SetupDeadline.get_by_id(deadline.id).due_on == date(2024, 11, 15)
    listing = text(client.get("/setup/deadlines", headers=KK))
    assert "15.11.2024" in listing and "Қызмет құрылсын" in listing
    assert "Создать" in text(client.get("/setup/deadlines", headers=RU))
    assert client.post(f"/setup/deadlines/{deadline.id}/delete").status_code == 302
    assert [d.item for d in SetupDeadline.select()] == ["parents_informed"]
    actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
    assert actions == ["deadline.created", "deadline.updated", "deadline.deleted"]


def test_bad_deadline_is_explained(client, login_as):
    set_deadlines()
    login_as("admin")
    form = {"item": "service_created", "due_on": "2024-11-01", "title_kk": "Мерзім", "title_ru": "Срок"}
    for overrides, field, message in (
        ({"item": "coffee"}, "item", "Выберите пункт контрольного листа из списка."),
        ({"due_on": "2024-13-01"}, "due_on", "Неверное значение даты"),
        ({"due_on": "1999-01-01"}, "due_on", "Введите дату между 2020 и 2100 годами."),
        ({"title_kk": ""}, "title_kk", "Обязательное поле."),
    ):
        response = client.post("/setup/deadlines/new", data={**form, **overrides}, headers=RU)
        assert response.status_code == 400, overrides
        assert message in (field_error(response, field) or ""), (overrides, field_error(response, field))
    assert SetupDeadline.select().count() == 0


def test_migration_seeds_the_orders_deadlines(tmp_path):
    url, drop = new_database_url(str(tmp_path), "seed")
    try:
        migrate(url)
        database = open_database(url)
        with database.bind_ctx([SetupDeadline]), database.connection_context():
            seeded = {d.item: d for d in SetupDeadline.select()}
        database.close()
    finally:
        drop()
    assert seeded["parents_informed"].due_on == date(2024, 12, 1)
    assert "1 желтоқсан" in seeded["parents_informed"].title_kk and "1 декабря" in seeded["parents_informed"].title_ru
    assert seeded["service_created"].due_on == date(2024, 11, 1)
    assert set(seeded) <= set(ITEMS)


# ---------------------------------------------------------------- demo data


def test_demo_data_gives_districts_a_realistic_mix(app):
    from models.outreach import OutreachActivity, ParentConfirmation
    from services.demo import DemoContext, load_directory

    set_deadlines(("service_created", date(2024, 11, 1)), ("parents_informed", date(2024, 12, 1)))
    ctx = DemoContext()
    load_directory(ctx)
    setup.load_demo(ctx)
    demo_school = School.get(School.code == "KRG-038")
    mine = checklist_status([demo_school.id], today=date(2025, 1, 10))[demo_school.id]
    typed_done = [item for item in setup.ITEM_LABELS if mine[item].state == DONE]
    assert {"service_created", "regulation_approved", "council_considered", "curator_appointed",
            "parents_informed"} <= set(typed_done)
    krg = checklist_status(School.select().where(School.district == demo_school.district_id))
    states = {status.state for row in krg.values() for status in row.values()}
    assert {DONE, OVERDUE} <= states
    assert any(all(s.state != DONE for s in row.values()) for row in krg.values())  # some schools have nothing
    assert OutreachActivity.select().count() > 10 and ParentConfirmation.select().count() > 100
    assert SchoolSetup.select().count() < School.select().count()
