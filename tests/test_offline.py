"""The shared offline mechanism as the server serves it: service worker, manifest, outbox and offline pages,
the answer contract for queued forms, the owner check and the 401 for an ended session."""

import json

import pytest
from flask import render_template_string

from forms.offline import OfflineForm
from tests.factories import survey_form
from tests.helpers import parse
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
    assert strings["data-state-needs_correction"] == "Түзету қажет"


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


def test_every_text_the_script_reads_is_on_the_page(client, login_as, world):
    import os
    import re

    login_as("school")
    strings = next(attrs for tag, attrs in parse(client.get("/outbox")).tags if attrs.get("id") == "offline-strings")
    path = os.path.join(client.application.root_path, "static", "js", "offline.js")
    with open(path, encoding="utf-8") as fh:
        used = set(re.findall(r"\bT\.([A-Za-z]+)", fh.read()))
    for key in used:
        attribute = "data-" + re.sub(r"([A-Z])", lambda m: "-" + m.group(1).lower(), key)
        assert attribute in strings, attribute
    for state in ("waiting", "sending", "needs_login", "needs_correction", "conflict"):
        assert strings[f"data-state-{state}"]


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
