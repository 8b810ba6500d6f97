"""Case outcome surveys: filing (plain and from the outbox, exactly once), every rule, corrections within
the quarter with their history, scoped lists and pages for every role, demo data."""

import json
import uuid
from datetime import date, timedelta

import pytest

from models.audit import AuditEvent
from models.surveys import CaseSurvey, SurveyRevision
from services import demo
from services import surveys as service
from services.quarters import Quarter
from tests.factories import make_survey, survey_form
from tests.factories import sign_in as sign_in_as
from tests.helpers import field_error, input_value, text

OUTBOX = {"X-Kelisim-Outbox": "1", "Accept": "application/json"}
TODAY = date.today()


def post_outbox(client, data, **headers):
    return client.post("/surveys/new", data=data, headers={**OUTBOX, **headers})


def test_school_files_a_survey_and_reads_it(client, login_as, world):
    login_as("school")
    page = client.get("/surveys/new")
    assert page.status_code == 200
    assert page.headers["X-Kelisim-Cache"] == "form"
    assert 'data-offline="survey"' in page.get_data(as_text=True)
    assert "анонимді" in text(page)  # the page says the survey is anonymous (Kazakh by default)
    response = client.post("/surveys/new", data=survey_form(notes="Тараптар келісімге келді."))
    assert response.status_code == 302
    survey = CaseSurvey.get()
    assert response.headers["Location"] == f"/surveys/{survey.id}"
    assert survey.school_id == world.schools["school"].id
    assert survey.quarter == Quarter.of(TODAY).code and survey.year == TODAY.year
    assert (survey.students_5_9, survey.teachers, survey.satisfaction) == (2, 1, 4)
    assert survey.created_by_id == world.users["school"].id and survey.created_at
    detail = client.get(response.headers["Location"])
    assert detail.status_code == 200
    assert "Оқушы – оқушы" in text(detail)
    assert "Тараптар келісімге келді." in text(detail)


def test_outbox_submission_is_stored_exactly_once(client, login_as, world):
    login_as("school")
    data = survey_form()
    first = post_outbox(client, data)
    assert first.status_code == 201
    body = first.get_json()
    assert body["status"] == "created" and body["redirect"] == f"/surveys/{body['id']}"
    repeat = post_outbox(client, data)
    assert repeat.status_code == 200
    assert repeat.get_json()["status"] == "duplicate" and repeat.get_json()["id"] == body["id"]
    plain_repeat = client.post("/surveys/new", data=data)  # the same form sent again without the script
    assert plain_repeat.status_code == 302 and plain_repeat.headers["Location"] == body["redirect"]
    assert CaseSurvey.select().count() == 1


def test_replay_with_changed_content_is_a_conflict(client, login_as, world):
    login_as("school")
    data = survey_form()
    assert post_outbox(client, data).status_code == 201
    changed = post_outbox(client, {**data, "satisfaction": "2"})
    assert changed.status_code == 409
    assert changed.get_json()["status"] == "conflict" and changed.get_json()["message"]
    plain = client.post("/surveys/new", data={**data, "satisfaction": "2"})
    assert plain.status_code == 409
    assert input_value(plain, "client_uuid") != data["client_uuid"]  # sent again from the page, it is new
    assert input_value(plain, "received_on") == data["received_on"]  # what was typed stays
    assert CaseSurvey.select().count() == 1 and CaseSurvey.get().satisfaction == 4


def test_another_school_reusing_a_code_is_a_conflict_not_a_leak(client, login_as, world):
    login_as("school")
    data = survey_form()
    assert post_outbox(client, data).status_code == 201
    login_as("school2")
    answer = post_outbox(client, data)
    assert answer.status_code == 409
    assert "id" not in answer.get_json()


def test_a_school_field_in_the_post_is_ignored(client, login_as, world):
    login_as("school")
    assert post_outbox(client, survey_form(school=str(world.schools["school2"].id))).status_code == 201
    assert CaseSurvey.get().school_id == world.schools["school"].id


FUTURE = (TODAY + timedelta(days=1)).isoformat()
YESTERDAY = (TODAY - timedelta(days=1)).isoformat()


@pytest.mark.parametrize("changes, field", [
    ({"received_on": ""}, "received_on"),
    ({"received_on": "31.02.2025"}, "received_on"),
    ({"received_on": FUTURE, "closed_on": FUTURE}, "received_on"),
    ({"received_on": "1999-01-01"}, "received_on"),
    ({"closed_on": FUTURE}, "closed_on"),
    ({"received_on": TODAY.isoformat(), "closed_on": YESTERDAY}, "closed_on"),
    ({"category": ""}, "category"),
    ({"category": "fight"}, "category"),
    ({"students_1_4": "-1"}, "students_1_4"),
    ({"students_5_9": "5000"}, "students_5_9"),
    ({"students_10_11": "many"}, "students_10_11"),
    ({"teachers": "51"}, "teachers"),
    ({"parents": "-3"}, "parents"),
    ({"administration": "99"}, "administration"),
    ({"other_adults": "1.5"}, "other_adults"),
    ({"students_5_9": "0", "teachers": "1"}, "students_1_4"),
    ({"referral": "neighbour"}, "referral"),
    ({"procedure": ""}, "procedure"),
    ({"student_mediators": "y", "student_mediator_count": "0"}, "student_mediator_count"),
    ({"student_mediator_count": "2"}, "student_mediator_count"),
    ({"student_mediators": "y", "student_mediator_count": "21"}, "student_mediator_count"),
    ({"outcome": "won"}, "outcome"),
    ({"follow_up": "maybe"}, "follow_up"),
    ({"follow_up": "yes", "follow_up_on": ""}, "follow_up_on"),
    ({"follow_up": "no", "follow_up_on": FUTURE}, "follow_up_on"),
    ({"follow_up": "yes", "received_on": YESTERDAY, "closed_on": TODAY.isoformat(), "follow_up_on": YESTERDAY},
     "follow_up_on"),
    ({"satisfaction": ""}, "satisfaction"),
    ({"satisfaction": "6"}, "satisfaction"),
    ({"satisfaction": "0"}, "satisfaction"),
    ({"satisfaction": "good"}, "satisfaction"),
    ({"notes": "x" * 2001}, "notes"),
    ({"notes": "ЖСН 050101500123 екен"}, "notes"),
    ({"notes": "ИИН 0501 0150 0123"}, "notes"),
    ({"notes": "Айгерім 7Б сыныбы"}, "notes"),
    ({"notes": "Ivan 10A"}, "notes"),
    ({"notes": "Марат 5 А"}, "notes"),
    ({"notes": "Әлия Серікқызы 11 «Ә»"}, "notes"),
    ({"client_uuid": None}, "client_uuid"),
    ({"client_uuid": "not-a-uuid"}, "client_uuid"),
    ({"client_uuid": str(uuid.uuid1())}, "client_uuid"),
])
def test_every_field_wrong_in_turn(client, login_as, world, changes, field):
    login_as("school")
    data = survey_form(**changes)
    plain = client.post("/surveys/new", data=data)
    assert plain.status_code == 400
    assert field_error(plain, field), f"no message under {field}"
    if field != "client_uuid":
        assert input_value(plain, "client_uuid") == data["client_uuid"]  # the form keeps its code
    outbox = post_outbox(client, data)
    assert outbox.status_code == 400
    body = outbox.get_json()
    assert body["status"] == "invalid" and body["errors"][field]
    assert CaseSurvey.select().count() == 0


def test_a_refused_submission_code_is_replaced_on_the_page(client, login_as, world):
    login_as("school")
    plain = client.post("/surveys/new", data=survey_form(client_uuid="forged"))
    fresh = input_value(plain, "client_uuid")
    assert fresh and fresh != "forged" and uuid.UUID(fresh).version == 4


@pytest.mark.parametrize("notes", [
    "Оқушылар арасындағы жанжал 7 сыныпта болды.",
    "Встреча прошла 12.03.2025, участвовали 5 учеников.",
    "В 7Б классе провели круг.",
    "Телефон нөмірі жоқ, 2 мұғалім қатысты.",
])
def test_harmless_notes_pass(client, login_as, world, notes):
    login_as("school")
    assert post_outbox(client, survey_form(notes=notes)).status_code == 201


def test_messages_are_in_the_readers_language(client, login_as, world):
    login_as("school")
    kk = client.post("/surveys/new", data=survey_form(notes="Айгерім 7Б"))
    assert "анонимді" in field_error(kk, "notes")
    ru = client.post("/surveys/new?lang=ru", data=survey_form(notes="Айгерім 7Б"))
    assert "анонимн" in field_error(ru, "notes")
    # The outbox's JSON speaks the language the reader chose (remembered from ?lang=ru).
    queued = post_outbox(client, survey_form(closed_on=FUTURE))
    assert queued.status_code == 400
    assert queued.get_json()["errors"]["closed_on"] == ["Дата не может быть в будущем."]


def test_huge_body_is_refused_without_500(client, login_as, world):
    login_as("school")
    huge = survey_form(notes="x" * (600 * 1024))
    multipart = client.post("/surveys/new", data=huge, headers=OUTBOX, content_type="multipart/form-data")
    assert multipart.status_code == 413 and multipart.get_json()["error"] == 413  # the script keeps the item
    urlencoded = post_outbox(client, huge)
    assert urlencoded.status_code in (400, 413)
    plain = client.post("/surveys/new", data=survey_form(notes="x" * 5000))
    assert plain.status_code == 400 and field_error(plain, "notes")
    assert CaseSurvey.select().count() == 0


def test_csrf_is_required_and_a_fresh_header_token_works(app, world):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    sign_in_as(client, world.users["school"])
    refused = post_outbox(client, survey_form())
    assert refused.status_code == 400 and refused.get_json()["error"] == 400
    token = client.get("/csrf-token").get_json()
    assert token["signed_in"] is True
    accepted = post_outbox(client, survey_form(), **{"X-CSRFToken": token["csrf_token"]})
    assert accepted.status_code == 201


def test_ended_session_answers_401_to_the_outbox(client, world):
    answer = post_outbox(client, survey_form())
    assert answer.status_code == 401
    assert client.post("/surveys/new", data=survey_form()).status_code == 302  # a plain post goes to login


# ---- access for every role ------------------------------------------------------------------------------

ROLES = ["anonymous", "school", "school2", "district", "district2", "monitor", "admin"]


@pytest.fixture
def cases(world):
    return {name: make_survey(world.schools[name]) for name in ("school", "school2", "school3")}


def sign_in(login_as, role):
    if role != "anonymous":
        login_as(role)


# What each role reads: (survey of school, of school2, of school3).
READS = {
    "school": (200, 404, 404), "school2": (404, 200, 404), "district": (200, 404, 200),
    "district2": (404, 200, 404), "monitor": (200, 200, 200), "admin": (200, 200, 200),
}


@pytest.mark.parametrize("role", ROLES)
def test_reading_each_survey_by_role(client, login_as, cases, role):
    sign_in(login_as, role)
    for name, expected in zip(("school", "school2", "school3"), READS.get(role, (302,) * 3), strict=True):
        response = client.get(f"/surveys/{cases[name].id}")
        assert response.status_code == expected, (role, name)


@pytest.mark.parametrize("role, listed", [
    ("school", {"school"}), ("school2", {"school2"}), ("district", {"school", "school3"}),
    ("district2", {"school2"}), ("monitor", {"school", "school2", "school3"}),
    ("admin", {"school", "school2", "school3"}),
])
def test_list_is_scoped(client, login_as, cases, role, listed):
    login_as(role)
    html = client.get("/surveys").get_data(as_text=True)
    shown = {name for name, survey in cases.items() if f'href="/surveys/{survey.id}"' in html}
    assert shown == listed


@pytest.mark.parametrize("role, new, edit_own, edit_other", [
    ("anonymous", 302, 302, 302),
    ("school", 200, 200, 404),
    ("school2", 200, 404, 200),
    ("district", 403, 403, 403),
    ("district2", 403, 403, 403),
    ("monitor", 403, 403, 403),
    ("admin", 403, 403, 403),
])
def test_filing_and_correcting_by_role(client, login_as, cases, role, new, edit_own, edit_other):
    sign_in(login_as, role)
    assert client.get("/surveys/new").status_code == new
    assert client.get(f"/surveys/{cases['school'].id}/edit").status_code == edit_own
    assert client.get(f"/surveys/{cases['school2'].id}/edit").status_code == edit_other
    if role not in ("school", "school2"):
        assert post_outbox(client, survey_form()).status_code in (401, 403)
        assert client.post(f"/surveys/{cases['school'].id}/edit", data=survey_form()).status_code in (302, 403)
    assert CaseSurvey.select().count() == 3


def test_other_school_cannot_correct_by_post(client, login_as, cases):
    login_as("school2")
    assert client.post(f"/surveys/{cases['school'].id}/edit", data=survey_form(satisfaction="1")).status_code == 404
    assert CaseSurvey.get_by_id(cases["school"].id).satisfaction == 4


def test_unknown_survey_is_404(client, login_as, world):
    login_as("admin")
    assert client.get("/surveys/999999").status_code == 404


# ---- corrections ----------------------------------------------------------------------------------------

def test_correction_within_the_quarter_keeps_history(client, login_as, world):
    user = login_as("school")
    survey = make_survey(world.schools["school"], created_by=user)
    form = client.get(f"/surveys/{survey.id}/edit")
    assert input_value(form, "satisfaction") is not None or "satisfaction" in form.get_data(as_text=True)
    data = survey_form(satisfaction="2", outcome="partial", client_uuid=None)
    response = client.post(f"/surveys/{survey.id}/edit", data=data)
    assert response.status_code == 302
    survey = CaseSurvey.get_by_id(survey.id)
    assert (survey.satisfaction, survey.outcome) == (2, "partial")
    revision = SurveyRevision.get()
    assert revision.actor_id == user.id
    assert json.loads(revision.changes) == {"satisfaction": [4, 2], "outcome": ["agreement", "partial"]}
    assert AuditEvent.select().where(AuditEvent.action == "survey.corrected").count() == 1
    page = text(client.get(f"/surveys/{survey.id}"))
    assert "Ішінара келісім" in page and "Келісімге қол жеткізілді" in page  # old → new, in Kazakh
    # Saving the same values again changes nothing and adds no revision.
    assert client.post(f"/surveys/{survey.id}/edit", data=data).status_code == 302
    assert SurveyRevision.select().count() == 1


def test_correction_refuses_bad_values(client, login_as, world):
    login_as("school")
    survey = make_survey(world.schools["school"])
    response = client.post(f"/surveys/{survey.id}/edit", data=survey_form(notes="Ivan 10A", client_uuid=None))
    assert response.status_code == 400 and field_error(response, "notes")
    assert SurveyRevision.select().count() == 0


def test_closing_date_must_stay_in_its_quarter(client, login_as, world):
    login_as("school")
    survey = make_survey(world.schools["school"])
    earlier = (Quarter.current().start - timedelta(days=1)).isoformat()
    response = client.post(f"/surveys/{survey.id}/edit",
                           data=survey_form(received_on=earlier, closed_on=earlier, client_uuid=None))
    assert response.status_code == 400 and field_error(response, "closed_on")
    assert CaseSurvey.get_by_id(survey.id).closed_on == TODAY


def test_no_corrections_after_the_quarter(client, login_as, world):
    login_as("school")
    last_quarter = Quarter.current().previous()
    survey = make_survey(world.schools["school"], closed_on=last_quarter.end)
    page = client.get(f"/surveys/{survey.id}")
    assert f"/surveys/{survey.id}/edit" not in page.get_data(as_text=True)
    assert client.get(f"/surveys/{survey.id}/edit").status_code == 302
    response = client.post(f"/surveys/{survey.id}/edit", data=survey_form(client_uuid=None, satisfaction="1"))
    assert response.status_code == 302
    assert CaseSurvey.get_by_id(survey.id).satisfaction == 4


def test_service_rules_for_the_quarter(world):
    survey = make_survey(world.schools["school"], closed_on=date(2025, 2, 10))
    assert service.can_correct(survey, today=date(2025, 3, 31))
    assert not service.can_correct(survey, today=date(2025, 4, 1))


# ---- lists ----------------------------------------------------------------------------------------------

def test_list_filters_and_pages(app, client, login_as, world):
    app.config["PAGE_SIZE"] = 5
    school = world.schools["school"]
    last = Quarter.current().previous()
    for _ in range(7):
        make_survey(school, category="bullying")
    make_survey(school, category="group", outcome="referred")
    make_survey(school, closed_on=last.end, category="group")
    login_as("district")
    first = client.get("/surveys")
    assert "Табылған сауалнамалар: 9" in text(first)
    assert 'rel="next"' in first.get_data(as_text=True)
    assert "Табылған сауалнамалар: 7" in text(client.get("/surveys?category=bullying"))
    assert "Табылған сауалнамалар: 1" in text(client.get("/surveys?category=group&outcome=referred"))
    assert "Табылған сауалнамалар: 1" in text(client.get(f"/surveys?quarter={last.code}"))
    assert "Табылған сауалнамалар: 9" in text(client.get("/surveys?quarter=bogus&category=x&outcome=y"))
    assert client.get("/surveys?page=2").status_code == 200
    assert client.get("/surveys?page=abc").status_code == 200


# ---- demo data ------------------------------------------------------------------------------------------

def test_demo_loader_adds_about_200_surveys_over_four_quarters(app):
    assert ("case surveys", service.load_demo) in demo.LOADERS
    ctx = demo.DemoContext()
    demo.load_directory(ctx)
    service.load_demo(ctx)
    total = CaseSurvey.select().count()
    assert 180 <= total <= 220
    quarters = {s.quarter for s in CaseSurvey.select(CaseSurvey.quarter).distinct()}
    assert quarters <= {q.code for q in service.recent(4)} and len(quarters) >= 3
    assert all(s.closed_on <= TODAY and s.received_on <= s.closed_on for s in CaseSurvey.select())
    schools = CaseSurvey.select(CaseSurvey.school).distinct().count()
    assert schools >= 20
