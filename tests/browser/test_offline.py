"""The outbox in real Chromium at phone size, in Kazakh: surveys filed without a connection, lost answers,
form pages opened offline, an ended session and a refused survey (DESIGN.md, offline-friendly submissions)."""

import re
import time
from datetime import date

import pytest
from flask import request

from models.surveys import CaseSurvey
from services import auth
from tests.factories import PASSWORD

TODAY = date.today().isoformat()


@pytest.fixture
def app_overrides():
    return {"WTF_CSRF_ENABLED": True}  # the outbox fetches a fresh token for every sending


def sign_in(page, base, next_path="/surveys/new", go=True):
    if go:
        page.goto(f"{base}/login?next={next_path}")
    page.get_by_label("Пайдаланушы аты").fill("school")
    page.get_by_label("Құпия сөз").fill(PASSWORD)
    page.get_by_role("button", name="Кіру").click()
    page.wait_for_url(f"{base}{next_path}")


def worker_ready(page):
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("navigator.serviceWorker.controller !== null")


def fill_survey(page, notes=""):
    page.get_by_label("Жағдай түскен күн").fill(TODAY)
    page.get_by_label("Жағдай жабылған күн").fill(TODAY)
    page.get_by_label("Жанжал санаты").select_option("bullying")
    page.get_by_label("5–9 сынып оқушылары").fill("2")
    page.get_by_label("Мұғалімдер").fill("1")
    page.get_by_label("Жағдайды кім жолдады").select_option("teacher")
    page.get_by_label("Рәсім").select_option("mediation")
    page.locator("#outcome").select_option("agreement")
    page.get_by_label("4", exact=True).check()
    page.get_by_label("Ескертпелер").fill(notes)
    page.get_by_role("button", name="Сауалнаманы жіберу").click()


def outbox_size(page):
    return page.evaluate("window.KelisimOutbox.items().then(items => items.length)")


def eventually(page, script, timeout=10.0):
    """Polls an async page expression until it yields true (wait_for_function does not await promises)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(script):
        assert time.monotonic() < deadline, f"timed out waiting for: {script}"
        time.sleep(0.1)


def wait_outbox_empty(page):
    eventually(page, "window.KelisimOutbox.items().then(items => items.length === 0)")


def test_survey_filed_offline_waits_in_the_outbox_and_goes_once(live_server, phone, world):
    page = phone.new_page()
    sign_in(page, live_server)
    worker_ready(page)
    phone.set_offline(True)
    fill_survey(page, notes="Тараптар татуласты.")
    banner = page.locator("#outbox-banner")
    assert "осы құрылғыда сақталды" in banner.inner_text()
    assert page.locator("#outbox-count").inner_text() == "(1)"
    page.get_by_role("link", name="Жіберу кезегін ашу").click()  # the outbox opens offline, from the cache
    item = page.locator(".outbox-item")
    assert "Жіберуді күтуде" in item.inner_text()
    assert "Жаңа сауалнама" in item.inner_text()
    assert CaseSurvey.select().count() == 0
    phone.set_offline(False)  # the `online` event sends it
    page.wait_for_selector(".outbox-item", state="detached")
    assert CaseSurvey.select().count() == 1
    assert CaseSurvey.get().notes == "Тараптар татуласты."
    assert "Осы құрылғыда жіберуді күтіп тұрған ештеңе жоқ." in page.inner_text("#outbox-status")


def test_answer_lost_on_the_way_is_sent_again_and_stored_once(live_server, phone, world):
    page = phone.new_page()
    sign_in(page, live_server)
    worker_ready(page)
    reached = []

    def lose_the_answer(route):
        if route.request.method == "POST":
            reached.append(route.fetch().status)  # the server takes it ...
            route.abort("connectionreset")  # ... and the phone never hears back
        else:
            route.continue_()

    page.route("**/surveys/new", lose_the_answer)
    fill_survey(page)
    page.wait_for_selector("#outbox-banner")
    # Background Sync may already have tried again: every later answer is the same success, nothing new.
    assert reached.count(201) == 1 and set(reached) <= {200, 201} and CaseSurvey.select().count() == 1
    assert outbox_size(page) == 1  # not confirmed, so still on the phone
    tries = len(reached)
    page.goto(f"{live_server}/outbox")  # sending on page load: the answer is lost once more
    deadline = time.monotonic() + 10
    while len(reached) == tries:
        assert time.monotonic() < deadline
        page.wait_for_timeout(100)
    page.locator(".outbox-item[data-state=waiting]").wait_for()
    page.unroute("**/surveys/new")
    page.get_by_role("button", name="Қазір жіберу").click()
    wait_outbox_empty(page)
    assert "Барлығы жіберілді." in page.inner_text("#outbox-status")
    assert CaseSurvey.select().count() == 1


def test_form_page_visited_online_opens_again_offline(live_server, phone, world):
    page = phone.new_page()
    sign_in(page, live_server)
    worker_ready(page)
    first_code = page.input_value("input[name=client_uuid]")
    eventually(page, """caches.keys().then(keys => Promise.all(keys.filter(k => k.startsWith('kelisim-pages-'))
        .map(k => caches.open(k).then(c => c.match(location.href))))).then(found => found.some(Boolean))""")
    phone.set_offline(True)
    response = page.reload()
    assert response.from_service_worker
    assert page.locator("h1").inner_text() == "Жаңа сауалнама"
    assert page.get_by_label("Жанжал санаты").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing scrolls sideways
    # A page from the cache still gets its own submission code.
    assert page.input_value("input[name=client_uuid]") not in ("", first_code)
    page.goto(f"{live_server}/surveys")  # never opened: the offline page instead
    assert page.locator("h1").inner_text() == "Байланыс жоқ"
    kept = page.locator("#offline-pages a").first
    assert kept.get_attribute("href") == "/surveys/new"
    assert kept.inner_text() == "Жаңа сауалнама"  # by its name, not its path (review defect 18)
    phone.set_offline(False)


def test_survey_queued_after_the_session_ended_goes_after_login(live_server, phone, world):
    page = phone.new_page()
    sign_in(page, live_server)
    worker_ready(page)
    auth.end_sessions(world.users["school"])  # e.g. signed out on another device
    fill_survey(page)
    banner = page.locator("#outbox-banner")
    assert "Сессияңыз аяқталды" in banner.inner_text()
    assert outbox_size(page) == 1 and CaseSurvey.select().count() == 0
    banner.get_by_role("link", name="Кіру").click()
    sign_in(page, live_server, go=False)  # the login page leads back to the form
    wait_outbox_empty(page)
    assert CaseSurvey.select().count() == 1


def test_invalid_queued_survey_reopens_with_its_errors(live_server, phone, world):
    page = phone.new_page()
    sign_in(page, live_server)
    worker_ready(page)
    phone.set_offline(True)
    fill_survey(page, notes="Айгерім 7Б сабақтан кейін")
    page.wait_for_selector("#outbox-banner")
    page.goto(f"{live_server}/outbox")
    phone.set_offline(False)
    item = page.locator(".outbox-item[data-state=needs_correction]")
    item.wait_for()
    assert "Түзету қажет" in item.inner_text() and "анонимді" in item.inner_text()
    item.get_by_role("link", name="Ашып, түзету").click()
    page.wait_for_selector("#notes-error")  # refilled from the phone, the server's message beside the field
    notes = page.get_by_label("Ескертпелер")
    assert notes.input_value() == "Айгерім 7Б сабақтан кейін"  # not lost
    assert "анонимді" in page.inner_text("#notes-error")
    assert page.get_by_label("Жанжал санаты").input_value() == "bullying"
    notes.fill("Сабақтан кейін келісімге келді.")
    page.get_by_role("button", name="Сауалнаманы жіберу").click()
    page.wait_for_url(re.compile(r"/surveys/\d+$"))
    assert "Сауалнама сақталды." in page.inner_text("#outbox-banner")
    wait_outbox_empty(page)
    assert CaseSurvey.select().count() == 1
    assert CaseSurvey.get().notes == "Сабақтан кейін келісімге келді."


def test_signing_out_with_unsent_forms_warns_and_erases_only_when_asked(live_server, phone, world):
    page = phone.new_page()
    sign_in(page, live_server)
    worker_ready(page)
    page.route("**/surveys/new", lambda route: route.abort() if route.request.method == "POST" else route.continue_())
    fill_survey(page)
    page.wait_for_selector("#outbox-banner")
    page.get_by_role("button", name="Шығу").click()
    panel = page.get_by_role("alertdialog")
    assert "әлі жіберілмеген нысандар: 1" in panel.inner_text()
    panel.get_by_role("button", name="Жүйеде қалу").click()
    assert page.url.endswith("/surveys/new") and outbox_size(page) == 1  # nothing erased, still signed in
    page.get_by_role("button", name="Шығу").click()
    erase = page.get_by_role("button", name="Оларды өшіріп, шығу")
    erase.click()
    assert outbox_size(page) == 1  # one click only arms it
    page.get_by_role("button", name="Иә, жіберілмеген нысандарды біржола өшіру").click()
    page.wait_for_url(f"{live_server}/login")
    assert outbox_size(page) == 0 and CaseSurvey.select().count() == 0
    assert page.evaluate("caches.keys().then(keys => keys.filter(k => k.startsWith('kelisim-pages-')).length)") == 0


def test_a_slow_line_gets_the_kept_form_page_then_a_fresh_copy(app, live_server, phone, world):
    """Network first, but not at any price: when the server is slow the worker shows the copy of the form page it
    kept, and the server's late answer replaces that copy for the next visit."""
    served = {"n": 0, "delay": 0.0}

    @app.before_request
    def slow_form():
        if request.path == "/surveys/new" and served["delay"]:
            time.sleep(served["delay"])

    @app.after_request
    def number_answers(response):
        if request.path == "/surveys/new":
            served["n"] += 1
            response.headers["X-Test-Answer"] = str(served["n"])
        return response

    page = phone.new_page()
    sign_in(page, live_server)
    worker_ready(page)
    kept = "caches.keys().then(ks => Promise.all(ks.filter(k => k.startsWith('kelisim-pages-')).map(k => " \
           "caches.open(k).then(c => c.match(location.origin + '/surveys/new'))))).then(rs => rs.find(Boolean))" \
           ".then(r => r ? r.headers.get('X-Test-Answer') : null)"
    eventually(page, f"{kept}.then(n => n !== null)")
    first_kept = page.evaluate(kept)

    served["delay"] = 2.0
    response = page.goto(f"{live_server}/surveys/new")
    assert response.from_service_worker and response.headers["x-test-answer"] == first_kept
    assert page.get_by_role("button", name="Сауалнаманы жіберу").is_visible()
    # The slow answer arrives later and is kept in place of the old copy.
    eventually(page, f"{kept}.then(n => n !== {first_kept!r})")
    refreshed = page.evaluate(kept)
    assert int(refreshed) > int(first_kept)

    served["delay"] = 0.0
    response = page.goto(f"{live_server}/surveys/new")  # a quick server: its own answer, not the kept one
    assert int(response.headers["x-test-answer"]) > int(refreshed)
