"""A region admin finds a training participant, exports everything stored about them and erases it on request:
the certificate then verifies as issued, without the name. Exports and erasures are in the audit trail."""

import json
from datetime import date, timedelta

import pytest

from models.audit import AuditEvent
from models.training import CertificatePdf, Registration
from services import training
from tests.factories import make_event, make_registration
from tests.helpers import field_error, text

NAME, PHONE, EMAIL = "Сәуле Нұрланова", "+77015550101", "saule@mektep.kz"


@pytest.fixture
def person(world):
    """Sәуле, registered for two events (the first attended, with a certificate), and another participant."""
    admin, school = world.users["admin"], world.schools["school"]
    earlier = make_event(admin, days=[date.today() - timedelta(days=1)])
    later = make_event(admin, days=[date.today() + timedelta(days=10)])
    first = make_registration(earlier, school, full_name=NAME, phone=PHONE, email=EMAIL)
    second = make_registration(later, school, full_name="Нұрланова Сәуле Ержанқызы", phone=PHONE)
    other = make_registration(earlier, school, full_name="Ирина Ким", phone="+77015550202")
    training.mark_present(admin, first, earlier.ordered_days()[0])
    training.mark_present(admin, other, earlier.ordered_days()[0])
    certificate = first.certificates.get()
    CertificatePdf.create(certificate=certificate, content_hash="-", data=b"%PDF-1.4 stored")
    return dict(first=first, second=second, other=other, certificate=certificate, event=earlier)


@pytest.mark.parametrize("role, status", [(None, 302), ("school", 403), ("school2", 403), ("district", 403),
                                          ("district2", 403), ("monitor", 403), ("admin", 200)])
def test_only_region_admins_reach_personal_data(client, login_as, person, role, status):
    if role:
        login_as(role)
    for url in ("/personal-data?q=Сәуле", f"/personal-data/{person['first'].id}",
                f"/personal-data/{person['first'].id}/export.json", f"/personal-data/{person['first'].id}/erase"):
        assert client.get(url).status_code == status, url
    assert client.get("/personal-data/999999").status_code == (404 if role == "admin" else status)


@pytest.mark.parametrize("needle", ["сәуле", "НҰРЛАНОВА", "8 701 555 01 01", "+7 (701) 555-01-01", "5550101"])
def test_search_by_name_or_phone(client, login_as, person, needle):
    login_as("admin")
    page = client.get("/personal-data", query_string={"q": needle})
    assert page.status_code == 200
    found = text(page)
    assert "Нұрланова Сәуле Ержанқызы" in found and NAME in found and "Ирина Ким" not in found


def test_search_needs_a_name_or_enough_digits(client, login_as, person):
    login_as("admin")
    empty = client.get("/personal-data?q=&lang=en")
    assert empty.status_code == 400 and field_error(empty, "q")
    assert "Nobody found" in text(client.get("/personal-data?q=555&lang=en"))  # three digits match nothing
    assert client.get("/personal-data").status_code == 200  # the page itself, before a search


def test_person_page_shows_every_registration_of_that_person(client, login_as, person):
    login_as("admin")
    page = text(client.get(f"/personal-data/{person['first'].id}?lang=en"))
    assert person["event"].code in page and person["second"].event.code in page
    assert EMAIL in page and person["certificate"].number in page and "Ирина Ким" not in page


def test_export_json_holds_everything_and_is_audited(client, login_as, person):
    admin = login_as("admin")
    response = client.get(f"/personal-data/{person['first'].id}/export.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]
    data = json.loads(response.get_data(as_text=True))
    first = next(r for r in data["registrations"] if r["event"]["code"] == person["event"].code)
    assert (first["full_name"], first["phone"], first["email"]) == (NAME, PHONE, EMAIL)
    assert first["consent_at_utc"] and first["attendance"][0]["method"] == "roster"
    assert first["certificate"]["number"] == person["certificate"].number
    assert {"training.registered", "training.certificate_issued"} <= {h["action"] for h in first["history"]}
    assert len(data["registrations"]) == 2
    logged = AuditEvent.get(AuditEvent.action == "personal_data.exported")
    assert logged.actor_id == admin.id and logged.object_id == str(person["first"].id)
    assert NAME not in logged.details and PHONE not in logged.details


def test_export_csv_has_a_row_per_registration(client, login_as, person):
    login_as("admin")
    response = client.get(f"/personal-data/{person['second'].id}/export.csv?lang=ru")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data().decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("Мероприятие,") and len(lines) == 3
    assert all(PHONE in line for line in lines[1:])


def erase(client, registration_id, **data):
    return client.post(f"/personal-data/{registration_id}/erase?lang=en",
                       data={"reason": "Хат, 12.03.2025", "confirm": "y", **data})


def test_erasure_needs_a_reason_and_a_confirmation(client, login_as, person):
    login_as("admin")
    response = erase(client, person["first"].id, reason="", confirm="")
    assert response.status_code == 400
    assert field_error(response, "reason") and field_error(response, "confirm")
    assert Registration.get_by_id(person["first"].id).full_name == NAME


def test_erasure_removes_name_phone_email_and_keeps_the_certificate_valid(client, login_as, person, app):
    login_as("admin")
    old_token, code = person["first"].token, person["certificate"].code
    tally_before = training.tally(person["first"].event.created_by)
    response = erase(client, person["first"].id)
    assert response.status_code == 302 and response.headers["Location"] == f"/personal-data/{person['first'].id}"
    for original in (person["first"], person["second"]):
        erased = Registration.get_by_id(original.id)
        assert (erased.full_name, erased.name_key, erased.email) == ("—", "", "")
        assert erased.phone == f"erased-{original.id}" and erased.token != original.token
        assert erased.school_id == original.school_id and erased.position == original.position
    assert Registration.get_by_id(person["other"].id).full_name == "Ирина Ким"
    assert not CertificatePdf.select().where(CertificatePdf.certificate == person["certificate"].id).exists()
    assert training.tally(person["first"].event.created_by) == tally_before
    public = app.test_client()
    assert public.get(f"/participant/{old_token}").status_code == 404
    verified = public.get(f"/verify/{code}?lang=en")
    assert verified.status_code == 200
    shown = text(verified)
    assert "The certificate is valid." in shown and "erased at their request" in shown and NAME not in shown
    found = public.post("/certificates/find?lang=en", data={"full_name": NAME, "phone": PHONE})
    assert person["certificate"].number not in text(found)
    logged = list(AuditEvent.select().where(AuditEvent.action == "personal_data.erased"))
    assert {e.object_id for e in logged} == {str(person["first"].id), str(person["second"].id)}
    assert all(NAME not in e.details and PHONE not in e.details for e in logged)
    page = text(client.get(f"/personal-data/{person['first'].id}?lang=en"))
    assert "was erased on" in page and NAME not in page and PHONE not in page


def test_erased_data_is_gone_from_exports_and_searches(client, login_as, person):
    login_as("admin")
    erase(client, person["second"].id)
    exported = client.get(f"/personal-data/{person['first'].id}/export.json").get_data(as_text=True)
    assert NAME not in exported and PHONE not in exported and EMAIL not in exported
    assert "Nobody found" in text(client.get("/personal-data?q=Нұрланова&lang=en"))
    assert "Nobody found" in text(client.get(f"/personal-data?q={PHONE}&lang=en"))
    again = erase(client, person["first"].id)
    assert again.status_code == 400 and "already been erased" in text(again)
