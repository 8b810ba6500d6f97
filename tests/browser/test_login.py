"""A curator on a phone signs in in Kazakh, reaches the school's home page, switches to Russian."""

from tests.factories import PASSWORD


def test_school_logs_in_on_phone_in_kazakh_then_switches_to_russian(live_server, phone, world):
    page = phone.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_server}/login")
    assert page.get_attribute("html", "lang") == "kk"
    page.get_by_label("Пайдаланушы аты").fill("school")
    page.get_by_label("Құпия сөз").fill(PASSWORD)
    page.get_by_role("button", name="Кіру").click()
    page.wait_for_url(f"{live_server}/")
    assert "№1 тест мектебі" in page.inner_text("main")
    # Nothing scrolls sideways at 360 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("link", name="Русский").click()
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "ru"
    assert "Тестовая школа №1" in page.inner_text("main")
    # The choice is remembered on the next page without ?lang=.
    page.goto(f"{live_server}/password")
    assert page.get_attribute("html", "lang") == "ru"
    assert errors == []
