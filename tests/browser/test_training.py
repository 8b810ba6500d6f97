"""A participant on a phone (real Chromium, 360 px, Kazakh) registers for an event, then checks in by the day's
QR link and downloads the certificate; an organizer ticks the roster on a tablet-sized screen."""

import re
from datetime import date, timedelta

import pytest

from models.training import Attendance, Registration
from services import training
from tests.factories import PASSWORD, make_event, make_registration

TODAY = date(2026, 3, 10)


@pytest.fixture
def app_overrides():
    return {"WTF_CSRF_ENABLED": True}


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(training, "local_today", lambda: TODAY)


def no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_register_and_self_check_in_on_a_phone(app, live_server, phone, world):
    event = make_event(days=[TODAY], title_kk="Мектеп медиациясы: негіздер")
    school = world.schools["school3"]
    page = phone.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_server}/e/{event.slug}")
    assert "Мектеп медиациясы: негіздер" in page.inner_text("main")
    page.get_by_role("textbox", name="Аты-жөні", exact=True).fill("Сәуле Нұрланова")
    page.get_by_role("combobox", name="Лауазымы").select_option("curator")
    page.get_by_role("combobox", name="Аудан немесе қала").select_option(str(school.district_id))
    assert not page.locator("#show_schools").is_visible()  # the script lists the district's schools itself
    page.get_by_role("combobox", name="Мектеп", exact=True).select_option(str(school.id))
    page.get_by_role("textbox", name="Ұялы телефон").fill("8 701 123 45 67")
    page.locator("#consent").check()
    no_sideways_scroll(page)
    page.get_by_role("button", name="Тіркелу").click()
    page.wait_for_url(re.compile(r"/participant/[\w-]+$"))
    assert "Сіз тіркелдіңіз" in page.inner_text("main")
    registration = Registration.get()
    assert (registration.phone, registration.school_id) == ("+77011234567", school.id)

    code = training.checkin_code(app.config["SECRET_KEY"], event.id, TODAY)
    page.goto(f"{live_server}/e/{event.slug}/checkin/{code}")
    page.get_by_label("Тіркелгендегідей аты-жөніңіз").fill("Нұрланова Сәуле")
    page.get_by_label("Ұялы телефон").fill("+7 701 123 45 67")
    no_sideways_scroll(page)
    page.get_by_role("button", name="Қатысуды растау").click()
    page.wait_for_url(f"{live_server}/participant/{registration.token}")
    main = page.inner_text("main")
    assert "Бүгінгі қатысуыңыз белгіленді" in main and "қатысты" in main
    assert Attendance.get().method == "self"
    with page.expect_download() as download:
        page.get_by_role("link", name="Сертификатты жүктеп алу (PDF)").click()
    assert download.value.suggested_filename.startswith("certificate-2026-SEM")
    no_sideways_scroll(page)
    assert errors == []


def test_organizer_ticks_the_roster_as_names_are_typed(live_server, browser, world):
    event = make_event(days=[TODAY, TODAY + timedelta(days=1)])  # two days: one tick issues no certificate
    for name, school in (("Гүлнәр Әлиева", "school"), ("Ирина Ким", "school2"), ("Ғалым Құрманғали", "school3")):
        make_registration(event, world.schools[school], full_name=name)
    day = event.ordered_days()[0]
    tablet = browser.new_context(viewport={"width": 800, "height": 1280}, locale="kk-KZ", has_touch=True)
    page = tablet.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_server}/login?next=/training/{event.id}/days/{day.id}")
    page.get_by_label("Пайдаланушы аты").fill("admin")
    page.get_by_label("Құпия сөз").fill(PASSWORD)
    page.get_by_role("button", name="Кіру").click()
    page.wait_for_url(re.compile(rf"/training/{event.id}/days/{day.id}$"))
    page.get_by_label("Аты-жөні бойынша іздеу").press_sequentially("ғал")
    rows = page.locator("#roster tbody tr:visible")
    assert rows.count() == 1 and "Ғалым Құрманғали" in rows.inner_text()
    rows.get_by_role("button", name="Келді").click()
    page.wait_for_selector("#roster tr.present")
    assert "Келгендер: 1 / 3" in page.inner_text("#roster-count")
    assert page.url.endswith(f"/days/{day.id}")  # no reload
    page.locator("#roster tr.present").get_by_role("button", name="Болдырмау").click()
    page.wait_for_selector("#roster tr.present", state="detached")
    assert Attendance.select().count() == 0 and "Келгендер: 0 / 3" in page.inner_text("#roster-count")
    assert errors == []
    tablet.close()
