"""Parent outreach: activities (offline contract included), the public confirmation page and its limits,
the leaflet (text by extraction), and access for every role."""

import io
import re
import uuid
from datetime import timedelta

import pytest
from pypdf import PdfReader

from models.audit import AuditEvent
from models.outreach import OutreachActivity, ParentConfirmation, ParentLink
from services import outreach
from services.quarters import Quarter
from services.setup import local_today
from tests.factories import make_confirmation, make_outreach, make_school, make_setup, outreach_form
from tests.helpers import field_error, input_value, parse, text

OUTBOX = {"X-Kelisim-Outbox": "1", "Accept": "application/json"}
KK = {"Accept-Language": "kk"}
RU = {"Accept-Language": "ru"}


def pdf_pages(response):
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return [page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages]


def link_of(school):
    return "/p/" + outreach.links_for([school.id])[school.id]


# ---------------------------------------------------------------- recording activities


def test_curator_records_an_activity_in_kazakh_and_russian(client, login_as, world):
    login_as("school")
    for lang, saved, reached in (("kk", "Іс-шара сақталды.", "120"), ("ru", "Мероприятие сохранено.", "75")):
        page = client.get("/outreach/new", headers={"Accept-Language": lang})
        assert page.status_code == 200
        forms = [attrs for tag, attrs in parse(page).tags if tag == "form" and attrs.get("data-offline")]
        assert forms and forms[0]["data-offline"] == "outreach"
        assert uuid.UUID(input_value(page, "client_uuid")).version == 4
        response = client.post("/outreach/new", data=outreach_form(parents_reached=reached),
                               headers={"Accept-Language": lang})
        assert response.status_code == 302 and response.headers["Location"] == "/outreach"
        listing = client.get("/outreach", headers={"Accept-Language": lang})
        assert saved in text(listing) and reached in text(listing)
    activity = OutreachActivity.get(OutreachActivity.parents_reached == 120)
    assert activity.school_id == world.schools["school"].id
    assert activity.created_by_id == world.users["school"].id
    assert AuditEvent.get(AuditEvent.action == "outreach.created").object_id == str(activity.id)
    assert OutreachActivity.select().count() == 2


def test_plain_repeat_of_the_same_post_creates_nothing(client, login_as):
    login_as("school")
    data = outreach_form()
    assert client.post("/outreach/new", data=data).status_code == 302
    assert client.post("/outreach/new", data=data).status_code == 302
    assert OutreachActivity.select().count() == 1


BAD_ACTIVITIES = [
    ("held_on", "FUTURE", "Күн болашақта болмауы керек.", "Дата не может быть в будущем."),
    ("held_on", "2023-12-31", "01.01.2024", "01.01.2024"),
    ("held_on", "", "Бұл өрісті толтыру міндетті.", "Обязательное поле."),
    ("parents_reached", "-5", "1 мен 5000 аралығындағы санды енгізіңіз.", "Введите число от 1 до 5000."),
    ("parents_reached", "50000", "1 мен 5000 аралығындағы санды енгізіңіз.", "Введите число от 1 до 5000."),
    ("grade_to", "0", "1-ден 11-ге дейінгі сыныпты таңдаңыз.", "Выберите класс от 1 до 11."),
    ("format", "party", "Тізімнен өткізу түрін таңдаңыз.", "Выберите формат из списка."),
    ("language", "de", "Тізімнен тілді таңдаңыз.", "Выберите язык из списка."),
    ("held_on", "2025-02-30", "Жарамды күн мәні емес.", "Неверное значение даты"),
    ("parents_reached", "many", "Жарамды бүтін сан мәні емес.", "Неверное целое число"),
    ("grade_from", "abc", "Мәнін келтіру мүмкін емес", "невозможно преобразовать"),
]


def test_bad_activity_is_explained_in_the_readers_language(client, login_as):
    login_as("school")
    for field, value, kk, ru in BAD_ACTIVITIES:
        if value == "FUTURE":
            value = (local_today() + timedelta(days=1)).isoformat()
        for headers, message in ((KK, kk), (RU, ru)):
            response = client.post("/outreach/new", data=outreach_form(**{field: value}), headers=headers)
            assert response.status_code == 400, (field, value)
            assert message in (field_error(response, field) or ""), (field, value, field_error(response, field))
            assert input_value(response, "client_uuid")
    assert OutreachActivity.select().count() == 0


def test_last_grade_below_first_and_form_keeps_what_was_typed(client, login_as):
    login_as("school")
    response = client.post("/outreach/new", data=outreach_form(grade_from="9", grade_to="5", parents_reached="37",
                                                                description="Сынып жиналысы"), headers=RU)
    assert response.status_code == 400
    assert "не может быть меньше первого" in field_error(response, "grade_to")
    assert input_value(response, "parents_reached") == "37"
    assert "Сынып жиналысы" in response.get_data(as_text=True)


def test_outbox_json_contract(client, login_as):
    login_as("school")
    data = outreach_form()
    first = client.post("/outreach/new", data=data, headers=OUTBOX)
    assert first.status_code == 201
    body = first.get_json()
    assert body["status"] == "created" and body["redirect"] == "/outreach" and body["message"]
    again = client.post("/outreach/new", data=data, headers=OUTBOX)
    assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
    assert again.get_json()["id"] == body["id"]
    changed = client.post("/outreach/new", data={**data, "parents_reached": "121"}, headers=OUTBOX)
    assert changed.status_code == 409 and changed.get_json()["status"] == "conflict"
    invalid = client.post("/outreach/new", data=outreach_form(parents_reached="-1"), headers={**OUTBOX, **KK})
    assert invalid.status_code == 400
    assert invalid.get_json()["status"] == "invalid" and "parents_reached" in invalid.get_json()["errors"]
    assert OutreachActivity.select().count() == 1


def test_same_submission_code_from_another_school_is_a_conflict(client, login_as):
    data = outreach_form()
    login_as("school")
    assert client.post("/outreach/new", data=data, headers=OUTBOX).status_code == 201
    login_as("school2")
    assert client.post("/outreach/new", data=data, headers=OUTBOX).status_code == 409
    assert OutreachActivity.select().count() == 1


def test_curator_corrects_and_deletes_an_activity(client, login_as, world):
    login_as("school")
    data = outreach_form()
    client.post("/outreach/new", data=data)
    activity = OutreachActivity.get()
    page = client.get(f"/outreach/{activity.id}/edit")
    assert page.status_code == 200 and input_value(page, "parents_reached") == "120"
    assert 'data-offline' not in page.get_data(as_text=True).split("<main")[1]
    edited = {k: v for k, v in data.items() if k != "client_uuid"}
    response = client.post(f"/outreach/{activity.id}/edit", data={**edited, "parents_reached": "140"})
    assert response.status_code == 302
    assert OutreachActivity.get_by_id(activity.id).parents_reached == 140
    assert AuditEvent.select().where(AuditEvent.action == "outreach.updated").count() == 1
    # A late repeat of the first submission from the phone's outbox is still just a duplicate.
    assert client.post("/outreach/new", data=data, headers=OUTBOX).status_code == 200
    bad = client.post(f"/outreach/{activity.id}/edit", data={**edited, "parents_reached": "0"})
    assert bad.status_code == 400 and OutreachActivity.get_by_id(activity.id).parents_reached == 140
    assert client.post(f"/outreach/{activity.id}/delete").status_code == 302
    assert OutreachActivity.select().count() == 0
    assert AuditEvent.select().where(AuditEvent.action == "outreach.deleted").count() == 1


# ---------------------------------------------------------------- access


ACCESS = [  # role: /outreach, /outreach/new, one activity of "school" (read), its edit, its delete
    (None, 302, 302, 302, 302, 302),
    ("school", 200, 200, 200, 200, 302),
    ("school2", 200, 200, 404, 404, 404),
    ("district", 200, 403, 200, 403, 403),
    ("district2", 200, 403, 404, 403, 403),
    ("monitor", 200, 403, 200, 403, 403),
    ("admin", 200, 403, 200, 403, 403),
]


def test_access_for_every_role(app, login_as, world):
    school = world.schools["school"]
    for role, listing, new, detail, edit, delete in ACCESS:
        client = app.test_client()
        activity = make_outreach(school)
        if role:
            login_as(role, client)
        assert client.get("/outreach").status_code == listing, role
        assert client.get("/outreach/new").status_code == new, role
        assert client.post("/outreach/new", data=outreach_form()).status_code == (302 if new == 200 else new), role
        for url in (f"/outreach/{activity.id}", f"/outreach/schools/{school.id}",
                    f"/outreach/schools/{school.id}/leaflet.pdf"):
            assert client.get(url).status_code == detail, (role, url)
        assert client.get(f"/outreach/{activity.id}/edit").status_code == edit, role
        changed = client.post(f"/outreach/{activity.id}/edit", data={**outreach_form(), "parents_reached": "7"})
        assert changed.status_code == (302 if edit == 200 else edit), role
        assert (OutreachActivity.get_by_id(activity.id).parents_reached == 7) == (edit == 200), role
        assert client.post(f"/outreach/{activity.id}/delete").status_code == delete, role
        assert OutreachActivity.select().where(OutreachActivity.id == activity.id).exists() == (
            role != "school"), role


def test_district_overview_shows_its_schools_with_figures(client, login_as, world):
    make_outreach(world.schools["school"], parents_reached=80)
    make_outreach(world.schools["school"], parents_reached=20)
    make_outreach(world.schools["school2"], parents_reached=999)
    make_confirmation(world.schools["school"])
    login_as("district")
    page = text(client.get("/outreach", headers=RU))
    assert "Тестовая школа №1" in page and "Тестовая школа №3" in page and "Тестовая школа №2" not in page
    rows = {row["school"].code: row for row in outreach.school_overview([world.schools["school"]])}
    assert (rows["KRG-T1"]["activities"], rows["KRG-T1"]["reached"], rows["KRG-T1"]["confirmations"]) == (2, 100, 1)
    login_as("admin")
    region = text(client.get(f"/outreach?district={world.schools['school2'].district_id}", headers=RU))
    assert "Тестовая школа №2" in region and "Тестовая школа №1" not in region


# ---------------------------------------------------------------- leaflet


@pytest.mark.parametrize("app_overrides", [{"PUBLIC_BASE_URL": "https://kelisim.example.kz/"}])
def test_school_leaflet_in_kazakh_and_russian(client, login_as, world):
    school = world.schools["school"]
    make_setup(school, curator_name="Айгерім Сейітова", curator_phone="+7 701 555 12 34")
    login_as("school")
    pages = pdf_pages(client.get(f"/outreach/schools/{school.id}/leaflet.pdf"))
    assert len(pages) == 1
    page = " ".join(pages[0].split())
    for expected in ("Мектеп медиациясы қызметі", "Служба школьной медиации", "№1 тест мектебі",
                     "Тестовая школа №1", "Айгерім Сейітова", "+7 701 555 12 34", "Қызмет кураторы",
                     "Куратор службы", f"https://kelisim.example.kz{link_of(school)}"):
        assert expected in page, expected


def test_leaflet_without_a_public_curator_says_whom_to_ask(client, login_as, world):
    school = world.schools["school"]
    make_setup(school, curator_name="Айгерім Сейітова", curator_public=False)
    login_as("district")
    page = " ".join(pdf_pages(client.get(f"/outreach/schools/{school.id}/leaflet.pdf"))[0].split())
    assert "Айгерім Сейітова" not in page
    assert "мектеп әкімшілігінен" in page and "администрации школы" in page
    assert "http://localhost/p/" in page  # no PUBLIC_BASE_URL: the request's host


def test_leaflet_stays_one_page_with_the_longest_names(client, login_as):
    school = make_school("KRG", name_kk=("Ұлттық мектеп-гимназиясы " * 13)[:300],
                         name_ru=("Общеобразовательная школа " * 12)[:300])
    make_setup(school, curator_name=("Әбдіқадырова " * 16)[:200], curator_position=("заместитель " * 17)[:200],
               curator_email="x" * 240 + "@a.kz")
    login_as("admin")
    pages = pdf_pages(client.get(f"/outreach/schools/{school.id}/leaflet.pdf"))
    assert len(pages) == 1 and link_of(school) in pages[0]


def test_district_downloads_all_its_leaflets_as_one_pdf(client, login_as, world):
    extra = make_school("KRG", name_kk="Қосымша мектеп", name_ru="Дополнительная школа")
    login_as("district")
    pages = pdf_pages(client.get("/outreach/leaflets.pdf"))
    assert len(pages) == 3
    joined = " ".join(" ".join(pages).split())
    for name in ("№1 тест мектебі", "№3 тест мектебі", "Қосымша мектеп", "Дополнительная школа"):
        assert name in joined
    assert "№2 тест мектебі" not in joined
    assert link_of(extra) in joined
    assert ParentLink.select().count() == 3
    # Another district's leaflets are not there for this officer.
    assert client.get(f"/outreach/leaflets.pdf?district={world.schools['school2'].district_id}").status_code == 404
    login_as("monitor")
    assert len(pdf_pages(client.get(f"/outreach/leaflets.pdf?district={world.schools['school2'].district_id}"))) == 1
    assert client.get("/outreach/leaflets.pdf").status_code == 404  # the region names a district
    login_as("school")
    assert client.get("/outreach/leaflets.pdf").status_code == 403


def test_links_are_stable_random_and_unique(world):
    ids = [s.id for s in world.schools.values()]
    first = outreach.links_for(ids)
    assert outreach.links_for(ids) == first
    assert len(set(first.values())) == 3
    assert all(len(slug) == 8 and set(slug) <= set(outreach.SLUG_ALPHABET) for slug in first.values())
    assert world.schools["school"].code.lower() not in first.values()


# ---------------------------------------------------------------- parents' confirmations


def test_public_page_explains_the_service_in_the_parents_language(client, world):
    school = world.schools["school"]
    make_setup(school)
    for headers, expected in (
        (KK, ["Мектеп медиациясы қызметі", "Маған мектеп медиациясы қызметі туралы хабарланды", "кураторына"]),
        (RU, ["Служба школьной медиации", "Меня проинформировали о службе школьной медиации", "куратором"]),
        ({"Accept-Language": "en"}, ["School mediation service", "I have been informed", "curator"]),
    ):
        response = client.get(link_of(school), headers=headers)
        assert response.status_code == 200
        page = text(response)
        for part in [*expected, "Сәуле Нұрланова", "+7 701 234 56 78"]:
            assert part in page, (headers, part)
    forms = [attrs for tag, attrs in parse(response).tags if tag == "form" and attrs.get("data-offline")]
    assert forms[0]["data-offline"] == "confirmation"
    names = {attrs.get("name") for tag, attrs in parse(response).tags if tag == "input"}
    assert names == {"client_uuid", "form_version", "informed", "grade_band", "language", "would_turn"}


def test_curator_contact_is_shown_only_with_consent(client, world):
    school = world.schools["school"]
    make_setup(school, curator_public=False)
    page = text(client.get(link_of(school), headers=RU))
    assert "Сәуле Нұрланова" not in page and "+7 701" not in page
    assert "классного руководителя" in page


def test_parent_confirms_once_per_device(app, client, world):
    school = world.schools["school"]
    link = link_of(school)
    data = {"client_uuid": str(uuid.uuid4()), "informed": "y", "grade_band": "5-9", "language": "kk",
            "would_turn": "yes"}
    response = client.post(link, data=data, headers=KK)
    assert response.status_code == 302 and response.headers["Location"] == f"{link}/thanks"
    assert "kelisim_confirmed=" in response.headers["Set-Cookie"]
    confirmation = ParentConfirmation.get()
    assert (confirmation.school_id, confirmation.grade_band, confirmation.language, confirmation.would_turn) == (
        school.id, "5-9", "kk", "yes")
    assert confirmation.quarter == Quarter.of(local_today()).code
    thanks = client.get(f"{link}/thanks", headers=KK)
    assert thanks.status_code == 200 and "Рахмет" in text(thanks) and "растауыңыз тіркелді" in text(thanks)
    elsewhere = app.test_client().get(f"{link}/thanks", headers=KK)  # another phone, nothing confirmed there
    assert "растауыңыз тіркелді" not in text(elsewhere) and "Хабардар етілгеніңізді растаңыз" in text(elsewhere)
    again = client.post(link, data={**data, "client_uuid": str(uuid.uuid4())}, headers=RU)
    assert again.status_code == 200 and "уже подтвердили на этом устройстве" in text(again)
    assert "уже подтвердили на этом устройстве" in text(client.get(link, headers=RU))
    assert ParentConfirmation.select().count() == 1
    # Another school on the same phone is another confirmation.
    assert client.post(link_of(world.schools["school3"]), data={**data, "client_uuid": str(uuid.uuid4())}
                       ).status_code == 302
    assert client.post(link, data={**data, "client_uuid": str(uuid.uuid4())}).status_code == 200
    assert ParentConfirmation.select().count() == 2


def test_a_forged_device_cookie_is_ignored(client, world):
    school = world.schools["school"]
    client.set_cookie("kelisim_confirmed", "forged.value", path="/p/")
    response = client.post(link_of(school), data={"client_uuid": str(uuid.uuid4()), "informed": "y"})
    assert response.status_code == 302 and ParentConfirmation.select().count() == 1


def test_only_the_informed_box_is_required(client, world):
    link = link_of(world.schools["school"])
    bare = client.post(link, data={"client_uuid": str(uuid.uuid4()), "informed": "y"})
    assert bare.status_code == 302
    assert ParentConfirmation.get().grade_band == ""


def test_bad_confirmation_is_explained(client, world):
    link = link_of(world.schools["school"])
    for data, field, message in (
        ({}, "informed", "Хабардар етілгеніңізді растау үшін белгі қойыңыз."),
        ({"informed": "y", "grade_band": "12"}, "grade_band", "Жарамды таңдау емес."),
        ({"informed": "y", "would_turn": "maybe"}, "would_turn", "Жарамды таңдау емес."),
        ({"informed": "y", "language": "de"}, "language", "Жарамды таңдау емес."),
    ):
        response = client.post(link, data={"client_uuid": str(uuid.uuid4()), **data}, headers=KK)
        assert response.status_code == 400
        assert message in (field_error(response, field) or ""), field_error(response, field)
    assert ParentConfirmation.select().count() == 0


@pytest.mark.parametrize("app_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_parent_confirmation_works_with_csrf_protection(client, world):
    link = link_of(world.schools["school"])
    page = client.get(link)
    token, code = input_value(page, "csrf_token"), input_value(page, "client_uuid")
    assert token and code
    refused = client.post(link, data={"client_uuid": code, "informed": "y"}, headers=KK)
    assert refused.status_code == 400 and ParentConfirmation.select().count() == 0
    assert client.post(link, data={"csrf_token": token, "client_uuid": code, "informed": "y"}).status_code == 302
    assert ParentConfirmation.select().count() == 1


def test_confirmation_outbox_json_contract(app, world):
    link = link_of(world.schools["school"])
    data = {"client_uuid": str(uuid.uuid4()), "informed": "y", "grade_band": "1-4"}
    phone = app.test_client()
    first = phone.post(link, data=data, headers=OUTBOX)
    assert first.status_code == 201 and first.get_json()["redirect"] == f"{link}/thanks"
    # The same item again from the outbox (the device cookie already says so): a success, nothing new.
    again = phone.post(link, data=data, headers=OUTBOX)
    assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
    # The same item where the cookie did not stick: the submission code answers.
    other = app.test_client()
    repeat = other.post(link, data=data, headers=OUTBOX)
    assert repeat.status_code == 200 and repeat.get_json()["status"] == "duplicate"
    changed = app.test_client().post(link, data={**data, "grade_band": "5-9"}, headers=OUTBOX)
    assert changed.status_code == 409 and changed.get_json()["status"] == "conflict"
    invalid = app.test_client().post(link, data={"client_uuid": str(uuid.uuid4())}, headers=OUTBOX)
    assert invalid.status_code == 400 and "informed" in invalid.get_json()["errors"]
    assert ParentConfirmation.select().count() == 1


def test_confirmation_flood_from_one_address_is_limited(app, world, monkeypatch):
    monkeypatch.setattr(outreach, "CONFIRMATIONS_PER_ADDRESS", 3)
    school, other_school = world.schools["school"], world.schools["school3"]
    link = link_of(school)

    def confirm_from(address, target=link, headers=KK):
        device = app.test_client()  # each time a new device: no cookie
        return device.post(target, data={"client_uuid": str(uuid.uuid4()), "informed": "y"}, headers=headers,
                           environ_base={"REMOTE_ADDR": address})

    assert [confirm_from("10.1.1.1").status_code for _ in range(3)] == [302, 302, 302]
    refused = confirm_from("10.1.1.1")
    assert refused.status_code == 429
    assert "Соңғы бір сағатта осы желіден растаулар тым көп жіберілді" in text(refused)
    assert "слишком много подтверждений" in text(confirm_from("10.1.1.1", headers=RU))
    assert confirm_from("10.1.1.1", headers={**OUTBOX}).status_code == 429
    assert confirm_from("10.2.2.2").status_code == 302  # another address
    assert confirm_from("10.1.1.1", target=link_of(other_school)).status_code == 302  # another school
    assert ParentConfirmation.select().where(ParentConfirmation.school == school).count() == 4


def test_unknown_school_link_is_a_clear_404(client, world):
    outreach.links_for([world.schools["school"].id])
    for slug in ("nosuchlink", "KRG-T1", "x" * 40, "%27%3B--"):
        for headers, message in ((KK, "Бұл мекенжайда мектептің растау беті жоқ"),
                                 (RU, "По этому адресу нет страницы подтверждения школы")):
            response = client.get(f"/p/{slug}", headers=headers)
            assert response.status_code == 404 and message in text(response), slug
            assert client.post(f"/p/{slug}", data={"informed": "y"}, headers=headers).status_code == 404
            assert client.get(f"/p/{slug}/thanks", headers=headers).status_code == 404
    assert ParentConfirmation.select().count() == 0


def test_confirmations_keep_no_personal_data():
    columns = set(ParentConfirmation._meta.fields)
    assert columns == {"id", "school", "confirmed_at", "quarter", "grade_band", "language", "would_turn",
                       "client_uuid", "client_fingerprint"}


def test_school_page_shows_link_qr_and_confirmation_summary(client, login_as, world):
    school = world.schools["school"]
    make_confirmation(school, grade_band="1-4", language="kk", would_turn="yes")
    make_confirmation(school, grade_band="1-4", language="ru")
    login_as("school")
    response = client.get("/outreach", headers=RU)
    page = text(response)
    assert "Подтвердили родителей: 2" in page
    assert f"http://localhost{link_of(school)}" in page
    assert any(tag == "img" and attrs.get("src", "").startswith("data:image/svg+xml") for tag, attrs in
               parse(response).tags)
    summary = outreach.confirmation_summary(school)
    assert summary == {"total": 2, "grade_band": {"1-4": 2}, "language": {"kk": 1, "ru": 1},
                       "would_turn": {"yes": 1, "": 1}}


def test_pages_have_no_inline_scripts_or_styles(app, login_as, world):
    activity = make_outreach(world.schools["school"])
    make_setup(world.schools["school"])
    pages = {"school": ["/outreach", "/outreach/new", f"/outreach/{activity.id}", f"/outreach/{activity.id}/edit",
                        "/setup", "/setup/edit", "/setup/deadlines"],
             "admin": ["/outreach", "/setup", "/setup/deadlines/new"], None: [link_of(world.schools["school"])]}
    for role, urls in pages.items():
        client = app.test_client()
        if role:
            login_as(role, client)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            html = response.get_data(as_text=True)
            assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
            assert "<style" not in html and " style=" not in html, url
