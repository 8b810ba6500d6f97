"""A district officer on a phone opens the district's tally, reads it without sideways scrolling (charts are
server-drawn SVG: no script, nothing the CSP blocks) and follows it down to a school."""

from tests.factories import PASSWORD
from tests.test_tallies import Q3, tally_world  # noqa: F401  (the fixture data of the HTTP tests)


def test_district_officer_reads_the_tally_on_a_phone(live_server, phone, tally_world):  # noqa: F811
    page = phone.new_page()
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type in ("error", "warning") else None)
    page.goto(f"{live_server}/login?lang=ru")
    page.get_by_label("Имя пользователя").fill("district")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(f"{live_server}/")
    page.get_by_role("link", name="Сводные отчёты").first.click()
    page.wait_for_load_state()
    page.goto(f"{live_server}/tallies/{Q3}/KRG")
    assert "г. Караганда" in page.inner_text("h1")
    assert page.locator("figure.chart svg").count() >= 3
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_text("Другие периоды").click()
    assert page.locator(".periods details li a").count() >= 8
    assert page.locator(".periods details li a").first.is_visible()
    page.get_by_role("link", name="Тестовая школа №1").first.click()
    page.wait_for_load_state()
    assert "Тестовая школа №1" in page.inner_text("h1")
    assert "Подано анкет" in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert problems == []
