"""Hand-over by file (issue #20): an outbox file saved on one device is imported on another; each item is posted
through its own form's endpoint under the importing account's rights (a district officer files for a school of its
district, recorded as "imported by … for …"), exactly once by client_uuid; a damaged, changed or unknown-version
file is refused with a message and nothing is written."""

import io
import json
import re
import time
import uuid

import pytest

from models.audit import AuditEvent
from models.offline import OutboxImport, OutboxImportItem
from models.outreach import OutreachActivity
from models.surveys import CaseSurvey
from services import handover
from tests.factories import outreach_form, survey_form
from tests.helpers import parse, text

OUTBOX = {"X-Kelisim-Outbox": "1", "Accept": "application/json"}


def item(kind, action, fields):
    fields = dict(fields)
    code = fields.pop("client_uuid", None) or str(uuid.uuid4())
    return {"kind": kind, "action": action, "client_uuid": code, "created": int(time.time() * 1000),
            "fields": [[k, v] for k, v in fields.items()] + [["form_version", "1"]], "title": "", "summary": ""}


def survey_item(**overrides):
    return item("survey", "/surveys/new", survey_form(**overrides))


def outbox_file(items, account="school", version=1, drafts=()):
    payload = {"format": "kelisim-outbox", "version": version, "account": account, "origin": "http://phone",
               "exported_at": "2026-12-04T05:00:00.000Z", "items": list(items), "drafts": list(drafts)}
    payload["checksum"] = handover.checksum(payload)
    return payload


def upload(client, payload, headers=None):
    data = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False, indent=1).encode()
    return client.post("/outbox/import", data={"file": (io.BytesIO(data), "kelisim-outbox.json")},
                       content_type="multipart/form-data", headers=headers or {})


def report_of(client, response):
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert re.fullmatch(r"/outbox/imports/\d+", response.headers["Location"])
    return client.get(response.headers["Location"])


# The import page and its POST for every role, with a file of the curator "school" (KRG): the curator itself and
# the officer of its district import it; another school's curator and another district's officer get 404, as any
# record of that school would answer them; the monitor and the region admin do not file schools' records (403).
ROLE_ANSWERS = {None: 302, "school": 302, "school2": 404, "district": 302, "district2": 404, "monitor": 403,
                "admin": 403}


@pytest.mark.parametrize("role", list(ROLE_ANSWERS))
def test_import_for_every_role(client, login_as, world, role):
    if role:
        login_as(role)
    payload = outbox_file([survey_item(), item("outreach", "/outreach/new", outreach_form())])
    response = upload(client, payload)
    assert response.status_code == ROLE_ANSWERS[role]
    if role is None:
        assert response.headers["Location"].startswith("/login")
    created = ROLE_ANSWERS[role] == 302 and role is not None
    assert CaseSurvey.select().count() == OutreachActivity.select().count() == (1 if created else 0)
    assert OutboxImport.select().count() == (1 if created else 0)
    if created:
        survey = CaseSurvey.get()
        assert survey.school_id == world.schools["school"].id and survey.created_by_id == world.users[role].id
        assert OutreachActivity.get().school_id == world.schools["school"].id


def test_district_officer_files_for_its_school_recorded_as_imported_by_for(client, login_as, world):
    officer = login_as("district")
    payload = outbox_file([survey_item(category="bullying"), survey_item(category="group")])
    page = report_of(client, upload(client, payload))
    record = OutboxImport.get()
    assert record.importer_id == officer.id and record.school_id == world.schools["school"].id
    assert record.account == "school"
    body = text(page)
    assert f"{officer.full_name}" in body and "№1 тест мектебі" in body and "үшін жүктеді" in body
    assert "Жасалды: 2" in body and "Бұрыннан бар: 0" in body
    assert "Буллинг немесе кибербуллинг" in body  # each item's summary: its category, in the reader's language
    assert {s.school_id for s in CaseSurvey.select()} == {world.schools["school"].id}
    event = AuditEvent.get(AuditEvent.action == "outbox.imported")
    assert event.actor_id == officer.id and json.loads(event.details)["created"] == 2
    # The officer still cannot file a survey outside an import.
    assert client.get("/surveys/new").status_code == 403
    assert client.post("/surveys/new", data=survey_form(), headers=OUTBOX).status_code == 403


def test_district_officer_cannot_import_another_districts_school(client, login_as, world):
    login_as("district")  # KRG; school2 is in TMR
    assert upload(client, outbox_file([survey_item()], account="school2")).status_code == 404
    assert upload(client, outbox_file([survey_item()], account="nobody-such")).status_code == 404
    assert upload(client, outbox_file([survey_item()], account="")).status_code == 404
    assert CaseSurvey.select().count() == 0 and OutboxImport.select().count() == 0


def test_second_import_of_the_same_file_creates_nothing(client, login_as, world):
    login_as("school")
    payload = outbox_file([survey_item(), survey_item(), item("outreach", "/outreach/new", outreach_form())])
    report_of(client, upload(client, payload))
    assert CaseSurvey.select().count() == 2 and OutreachActivity.select().count() == 1
    login_as("district")  # the same file, now by the district officer: the client_uuids hold
    again = report_of(client, upload(client, payload))
    assert CaseSurvey.select().count() == 2 and OutreachActivity.select().count() == 1
    assert "Жасалды: 0" in text(again) and "Бұрыннан бар: 3" in text(again)
    latest = OutboxImport.select().order_by(OutboxImport.id.desc()).get()
    assert {i.outcome for i in latest.items} == {"duplicate"}


def test_an_item_already_sent_from_the_phone_is_already_there(client, login_as, world):
    login_as("school")
    first = survey_item()
    fields = dict(first["fields"]) | {"client_uuid": first["client_uuid"]}
    assert client.post("/surveys/new", data=fields, headers=OUTBOX).status_code == 201
    report_of(client, upload(client, outbox_file([first])))
    assert CaseSurvey.select().count() == 1
    assert OutboxImportItem.get().outcome == "duplicate"


@pytest.mark.parametrize("damage", ["a value", "an added item", "the account", "the checksum"])
def test_a_changed_file_is_refused_and_nothing_is_written(client, login_as, world, damage):
    login_as("district")
    payload = outbox_file([survey_item(), survey_item()])
    if damage == "a value":
        payload["items"][1]["fields"][0][1] = "2026-01-01"
    elif damage == "an added item":
        payload["items"].append(survey_item())
    elif damage == "the account":
        payload["account"] = "school3-curator"
    else:
        payload["checksum"] = "sha256:" + "0" * 64
    response = upload(client, payload)
    assert response.status_code == 400
    assert "бақылау сомасы сәйкес келмейді" in text(response)
    assert CaseSurvey.select().count() == 0 and OutboxImport.select().count() == 0
    assert not AuditEvent.select().where(AuditEvent.action == "outbox.imported").exists()


@pytest.mark.parametrize("body, message", [
    (lambda: outbox_file([survey_item()], version=2), "файл нұсқасы 2"),
    (lambda: {**outbox_file([survey_item()]), "format": "something-else"}, "Kelisim жіберу кезегінің файлы емес"),
    (lambda: b"\x89PNG not json at all", "Kelisim жіберу кезегінің файлы емес"),
    (lambda: outbox_file([{"kind": "survey", "action": "/surveys/new", "client_uuid": "not-a-uuid", "fields": []}]),
     "Файл бүлінген (1-нысан оқылмайды)"),
])
def test_an_unknown_or_damaged_file_is_refused_with_a_message(client, login_as, world, body, message):
    login_as("school")
    response = upload(client, body())
    assert response.status_code == 400 and message in text(response)
    assert CaseSurvey.select().count() == 0 and OutboxImport.select().count() == 0


def test_no_file_is_a_field_error(client, login_as, world):
    login_as("school")
    response = client.post("/outbox/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Жүктелетін файлды таңдаңыз." in text(response)


def test_invalid_and_refused_items_are_reported_with_their_messages(client, login_as, world):
    login_as("school")
    good = survey_item()
    bad = survey_item(notes="Айгерім 7Б сабақтан кейін")
    foreign = item("survey", "/users/new", {"username": "intruder", "role": "admin"})  # not an offline form
    page = report_of(client, upload(client, outbox_file([good, bad, foreign])))
    assert CaseSurvey.select().count() == 1
    outcomes = [i.outcome for i in OutboxImportItem.select().order_by(OutboxImportItem.position)]
    assert outcomes == ["created", "invalid", "refused"]
    body = text(page)
    assert "Ескертпелер:" in body and "анонимді" in body  # the field's label and the server's message
    assert "Бұл нысанды мұнда жүктеу мүмкін емес." in body
    rows = [attrs for tag, attrs in parse(page).tags if tag == "li" and attrs.get("data-outcome")]
    invalid = next(r for r in rows if r["data-outcome"] == "invalid")
    assert invalid["data-client-uuid"] == bad["client_uuid"] and "notes" in json.loads(invalid["data-errors"])
    report = next(attrs for tag, attrs in parse(page).tags if attrs.get("id") == "import-report")
    assert report["data-can-reopen"] == "1"  # the curator's own school: the script puts it in this device's outbox


def test_public_forms_in_a_file_go_through_their_own_pages(client, login_as, world):
    from datetime import date, timedelta

    from models.training import Registration
    from tests.factories import make_event

    event = make_event(days=[date.today() + timedelta(days=7)])  # registration open, whatever the hour
    login_as("district")
    registration = item("registration", f"/e/{event.slug}", dict(
        full_name="Динара Есенова", position="psychologist", district=str(world.schools["school"].district_id),
        school=str(world.schools["school"].id), phone="+77015556677", email="", consent="y"))
    report_of(client, upload(client, outbox_file([registration])))
    assert Registration.select().where(Registration.event == event.id).count() == 1
    assert OutboxImportItem.get().outcome == "created"
    assert "Динара" not in OutboxImportItem.get().summary  # no personal data in the import's record


def test_import_answers_the_outbox_script_in_json(client, login_as, world):
    login_as("school")
    payload = outbox_file([survey_item(), survey_item(notes="ЖСН 900101300123")])
    response = upload(client, payload, headers=OUTBOX)
    assert response.status_code == 201
    answer = response.get_json()
    assert answer["created"] == 1 and answer["invalid"] == 1 and answer["duplicate"] == answer["refused"] == 0
    assert [i["client_uuid"] for i in answer["items"]] == [i["client_uuid"] for i in payload["items"]]
    refused = upload(client, {**payload, "checksum": "sha256:" + "1" * 64}, headers=OUTBOX)
    assert refused.status_code == 400 and refused.get_json()["status"] == "refused"


class TestWithCsrf:
    """Each item's post is checked for CSRF like any other: the import hands it the importer's token."""

    @pytest.fixture
    def app_overrides(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_items_pass_the_csrf_check_of_their_endpoint(self, client, login_as, world):
        login_as("district")
        page = client.get("/outbox/import")
        token = next(a["value"] for t, a in parse(page).tags if a.get("name") == "csrf_token")
        data = json.dumps(outbox_file([survey_item()])).encode()
        response = client.post("/outbox/import", data={"csrf_token": token, "file": (io.BytesIO(data), "f.json")},
                               content_type="multipart/form-data")
        assert response.status_code == 302 and CaseSurvey.select().count() == 1
        without = client.post("/outbox/import", data={"file": (io.BytesIO(data), "f.json")},
                              content_type="multipart/form-data")
        assert without.status_code == 400 and CaseSurvey.select().count() == 1


def test_checksum_is_over_the_canonical_text():
    payload = {"b": [1, "ә"], "a": {"y": None, "x": True}, "checksum": "ignored"}
    assert handover.canonical({k: v for k, v in payload.items() if k != "checksum"}) == \
        '{"a":{"x":true,"y":null},"b":[1,"ә"]}'
    assert handover.checksum(payload) == handover.checksum({**payload, "checksum": "other"})
