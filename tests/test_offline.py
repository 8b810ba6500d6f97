"""The shared offline mechanism as the server serves it: service worker, manifest, outbox and offline pages,
the answer contract for queued forms, the owner check and the 401 for an ended session."""

import json

import pytest
from flask import render_template_string

from forms.offline import OfflineForm
from models.surveys import CaseSurvey
from tests.factories import survey_form
from tests.helpers import input_value, parse, simulate_survey_release
from views import offline

OUTBOX = {"X-Kelisim-Outbox": "1", "Accept": "application/json"}


def test_service_worker_is_served_from_the_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    version = offline.shell_version(client.application.root_path)
    assert f'const VERSION = "{version}";' in body
    for url in ("/static/css/app.css", "/static/js/offline.js", "/static/icons/icon-192.png", "/offline", "/outbox",
                "/manifest.webmanifest"):
        assert f'"{url}"' in body


def test_shell_version_follows_the_files(tmp_path):
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "app.css").write_text("a")
    first = offline.shell_version(str(tmp_path))
    assert first == offline.shell_version(str(tmp_path))
    (tmp_path / "static" / "app.css").write_text("b")
    assert offline.shell_version(str(tmp_path)) != first


def test_manifest_for_the_home_screen(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["start_url"] == "/" and manifest["scope"] == "/" and manifest["display"] == "standalone"
    assert manifest["lang"] == "kk"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200


@pytest.mark.parametrize("role", [None, "school"])
def test_outbox_and_offline_pages(client, login_as, world, role):
    if role:
        login_as(role)
    outbox = client.get("/outbox")
    assert outbox.status_code == 200
    html = outbox.get_data(as_text=True)
    assert 'id="outbox-items"' in html and 'id="outbox-send"' in html
    assert "Жіберу кезегі" in html  # Kazakh by default
    assert client.get("/offline").status_code == 200


def test_every_page_links_the_manifest_script_and_strings(client, login_as, world):
    login_as("school")
    tags = parse(client.get("/"))
    links = {attrs.get("rel"): attrs.get("href") for tag, attrs in tags.tags if tag == "link"}
    assert links["manifest"] == "/manifest.webmanifest"
    scripts = [attrs.get("src") for tag, attrs in tags.tags if tag == "script"]
    assert "/static/js/offline.js" in scripts
    strings = next(attrs for tag, attrs in tags.tags if attrs.get("id") == "offline-strings")
    assert strings["data-user"] == "school" and strings["data-token-url"] == "/csrf-token"
    assert strings["data-lang"] == "kk" and strings["data-export-after-days"] == "7"
    # The outbox page's own texts (the states of the list) are only on the pages that list them.
    assert not any(attrs.get("id") == "outbox-page-strings" for tag, attrs in tags.tags)
    page = next(attrs for tag, attrs in parse(client.get("/outbox")).tags if attrs.get("id") == "outbox-page-strings")
    assert page["data-state-needs_correction"] == "Түзету қажет" and page["data-state-refused"] == "Қабылданбады"


def test_only_form_pages_are_marked_for_the_cache(client, login_as, world):
    login_as("school")
    assert client.get("/surveys/new").headers.get("X-Kelisim-Cache") == "form"
    for path in ("/", "/surveys", "/outbox", "/csrf-token"):
        assert "X-Kelisim-Cache" not in client.get(path).headers, path
    # A form shown again with errors is not kept either.
    assert "X-Kelisim-Cache" not in client.post("/surveys/new", data={}).headers


def test_ended_session_answers_401_json_to_queued_forms(client, world):
    response = client.post("/surveys/new", data=survey_form(), headers={"X-Kelisim-Outbox": "1"})
    assert response.status_code == 401


def test_a_form_filled_under_another_account_waits_for_it(client, login_as, world):
    login_as("school2")
    response = client.post("/surveys/new", data=survey_form(), headers={**OUTBOX, "X-Kelisim-Owner": "school"})
    assert response.status_code == 401
    assert response.get_json() == {"status": "needs_login", "user": "school"}
    login_as("school")
    assert client.post("/surveys/new", data=survey_form(),
                       headers={**OUTBOX, "X-Kelisim-Owner": "school"}).status_code == 201


def test_answer_contract_for_form_errors_of_the_whole_form(app):
    class ProbeForm(OfflineForm):
        def validate(self, extra_validators=None):
            super().validate(extra_validators)
            self.form_errors.append("whole form")
            return False

    with app.test_request_context("/", method="POST", data={"client_uuid": "bad"}, headers=OUTBOX):
        form = ProbeForm()
        form.validate()
        response, status = offline.invalid(form, "unused.html")
        assert status == 400
        errors = response.get_json()["errors"]
        assert errors["_form"] == ["whole form"] and errors["client_uuid"]
    with app.test_request_context("/", method="POST", data={}):
        form = ProbeForm()
        form.validate()
        assert form.client_uuid.errors  # a post without the code is refused, not given a fresh one
    with app.test_request_context("/"):
        body = render_template_string("ok")
        response = offline.form_page(body)
        assert response.headers["X-Kelisim-Cache"] == "form"


@pytest.mark.parametrize("script, holders", [("offline.js", {"T": "offline-strings"}),
                                             ("offline-more.js", {"T": "offline-strings"}),
                                             ("outbox.js", {"T": "offline-strings", "P": "outbox-page-strings"})])
def test_every_text_the_scripts_read_is_on_the_page(client, login_as, world, script, holders):
    import os
    import re

    login_as("school")
    tags = parse(client.get("/outbox")).tags
    path = os.path.join(client.application.root_path, "static", "js", script)
    with open(path, encoding="utf-8") as fh:
        source = fh.read()
    for name, holder in holders.items():
        strings = next(attrs for tag, attrs in tags if attrs.get("id") == holder)
        used = set(re.findall(rf"\b{name}\.([A-Za-z]+)\b(?!\()", source))
        assert used
        for key in used:
            attribute = "data-" + re.sub(r"([A-Z])", lambda m: "-" + m.group(1).lower(), key)
            assert attribute in strings, (script, attribute)
    page = next(attrs for tag, attrs in tags if attrs.get("id") == "outbox-page-strings")
    for state in ("waiting", "sending", "needs_login", "needs_correction", "conflict", "refused"):
        assert page[f"data-state-{state}"]


# ---------------------------------------------------------------- form versions, refusals, the markup of a form


@pytest.fixture
def release(monkeypatch):
    return lambda: simulate_survey_release(monkeypatch)


def test_every_offline_form_carries_its_kind_version_and_summary(client, login_as, world):
    from forms.offline import offline_forms

    kinds = offline_forms()
    assert set(kinds) == {"survey", "outreach", "confirmation", "registration", "checkin"}
    for kind, form_class in kinds.items():
        assert form_class.version >= 1 and form_class.title, kind
    login_as("school")
    for path, kind, summary in (("/surveys/new", "survey", "category closed_on"),
                                ("/outreach/new", "outreach", "format held_on")):
        page = parse(client.get(path))
        form = next(attrs for tag, attrs in page.tags if tag == "form" and attrs.get("data-offline"))
        assert (form["data-offline"], form["data-form-version"], form["data-summary"]) == (kind, "1", summary)
        assert any(a.get("name") == "form_version" and a.get("value") == "1" for t, a in page.tags if t == "input")
    # A form that keeps drafts only (it is not queued): the checklist.
    setup = next(attrs for tag, attrs in parse(client.get("/setup/edit")).tags if tag == "form"
                 and attrs.get("data-draft"))
    assert setup["data-draft"] == "setup" and "data-offline" not in setup


def test_an_item_of_an_older_version_is_accepted_when_its_values_fit(client, login_as, world, release):
    login_as("school")
    release()
    response = client.post("/surveys/new", data=survey_form(form_version="1", notes="Тараптар татуласты."),
                           headers=OUTBOX)
    assert response.status_code == 201
    assert CaseSurvey.get().notes == "Тараптар татуласты."  # carried over from "notes" to "remarks"


def test_an_item_of_an_older_version_that_no_longer_fits_is_reopened_with_the_changes(client, login_as, world,
                                                                                     release):
    login_as("school")
    release()
    response = client.post("/surveys/new", data=survey_form(form_version="1", category="bullying"), headers=OUTBOX)
    assert response.status_code == 400
    answer = response.get_json()
    assert answer["status"] == "invalid" and "category" in answer["errors"]
    assert answer["version"] == 2 and answer["changed"] == ["category", "remarks"]
    assert answer["renamed"] == {"notes": "remarks"}
    assert "өзгерді" in " ".join(answer["errors"]["_form"])
    assert CaseSurvey.select().count() == 0
    # A plain post of an old page: the new form again, with the values carried over and its version current.
    page = client.post("/surveys/new", data=survey_form(form_version="1", category="bullying", students_5_9="7"))
    assert page.status_code == 400 and "өзгерді" in page.get_data(as_text=True)
    assert input_value(page, "form_version") == "2" and input_value(page, "students_5_9") == "7"


def test_a_current_item_is_not_taken_for_an_old_one(client, login_as, world, release):
    login_as("school")
    release()
    response = client.post("/surveys/new", data=survey_form(form_version="2", category="bullying"), headers=OUTBOX)
    assert response.status_code == 400 and "changed" not in response.get_json()


def test_a_closed_period_refuses_with_423_and_a_message(client, login_as, world, monkeypatch):
    from services import surveys
    from services.offline import Closed

    def closed(*args, **kwargs):
        raise Closed("Тоқсан жабылды.", field="closed_on")

    monkeypatch.setattr(surveys, "file_survey", closed)
    login_as("school")
    response = client.post("/surveys/new", data=survey_form(), headers=OUTBOX)
    assert response.status_code == 423
    assert response.get_json() == {"status": "closed", "message": "Тоқсан жабылды.", "field": "closed_on"}
    page = client.post("/surveys/new", data=survey_form(notes="Сақталады"))
    assert page.status_code == 423 and "Тоқсан жабылды." in page.get_data(as_text=True)
    assert "Сақталады" in page.get_data(as_text=True)  # the form keeps what was typed


def test_import_and_report_pages_name_the_device_not_the_phone(client, login_as, world):
    login_as("school")
    for path in ("/outbox", "/offline", "/outbox/import", "/surveys/new"):
        html = client.get(path).get_data(as_text=True)
        assert "телефонда" not in html and "телефоннан" not in html, path
    assert "Осы құрылғыдағы жіберу кезегі" in client.get("/outbox").get_data(as_text=True)


# ---------------------------------------------------------------- one client_uuid, whatever its case (issue #16)


def test_every_client_uuid_column_has_the_one_field_type_and_compares_in_any_case(world):
    """Every model with a client_uuid stores it in one canonical form, so an upper-case repeat finds the row."""
    import uuid

    from db import ClientUUIDField
    from models import ALL_MODELS
    from tests import factories

    having = [model for model in ALL_MODELS if "client_uuid" in model._meta.fields]
    assert {m.__name__ for m in having} >= {"CaseSurvey", "OutreachActivity", "ParentConfirmation", "Registration",
                                           "Attendance"}
    assert all(type(m._meta.fields["client_uuid"]) is ClientUUIDField for m in having), having
    school = world.schools["school"]
    made = [factories.make_survey(school), factories.make_outreach(school), factories.make_confirmation(school),
            factories.make_registration(factories.make_event(), school)]
    for record in made:
        model = type(record)
        code = str(uuid.UUID(str(record.client_uuid)))
        for variant in (code.upper(), code.replace("-", "").upper(), f" {code} "):
            assert model.get_or_none(model.client_uuid == variant) == record, (model.__name__, variant)


def test_a_survey_sent_again_in_upper_case_is_filed_once(client, login_as, world):
    import uuid

    from models.surveys import CaseSurvey

    login_as("school")
    code = str(uuid.uuid4())
    first = client.post("/surveys/new", data=survey_form(client_uuid=code), headers=OUTBOX)
    again = client.post("/surveys/new", data=survey_form(client_uuid=code.upper()), headers=OUTBOX)
    assert first.status_code == 201 and again.status_code == 200 and again.get_json()["status"] == "duplicate"
    assert CaseSurvey.select().count() == 1 and str(CaseSurvey.get().client_uuid).replace("-", "") == code.replace(
        "-", "")
