"""At phone size, in Kazakh: a curator records an outreach activity, then a parent on a second phone opens the
school's confirmation link and confirms, once."""

from models.outreach import OutreachActivity, ParentConfirmation
from services.setup import local_today
from tests.browser.conftest import PHONE
from tests.factories import PASSWORD, make_setup


def test_curator_records_activity_and_parent_confirms_in_kazakh(live_server, phone, browser, world):
    make_setup(world.schools["school"])
    errors = []
    page = phone.new_page()
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_server}/login")
    page.get_by_label("Пайдаланушы аты").fill("school")
    page.get_by_label("Құпия сөз").fill(PASSWORD)
    page.get_by_role("button", name="Кіру").click()
    page.wait_for_url(f"{live_server}/")

    page.goto(f"{live_server}/outreach/new")
    assert page.get_attribute("html", "lang") == "kk"
    page.get_by_label("Күні").fill(local_today().isoformat())
    page.get_by_label("Өткізу түрі").select_option("class_meetings")
    page.get_by_label("Қай сыныптан").select_option("5")
    page.get_by_label("Қай сыныпқа дейін").select_option("9")
    page.get_by_role("combobox", name="Тіл", exact=True).select_option("kk")
    page.get_by_label("Қамтылған ата-аналар саны").fill("48")
    page.get_by_label("Қысқаша сипаттама").fill("5–9 сыныптардың ата-аналар жиналыстары")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="Іс-шараны сақтау").click()
    page.wait_for_url(f"{live_server}/outreach")
    page.get_by_text("Іс-шара сақталды.").wait_for()
    assert "Сыныптық ата-аналар жиналыстары" in page.inner_text("main")
    activity = OutreachActivity.get()
    assert (activity.parents_reached, activity.grade_from, activity.grade_to) == (48, 5, 9)
    link = page.locator("a.outreach-url").inner_text().strip()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    parent_context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                         locale="kk-KZ")
    try:
        parent = parent_context.new_page()
        parent.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        parent.goto(link)
        assert parent.get_attribute("html", "lang") == "kk"
        assert "мектеп медиациясы қызметі" in parent.inner_text("main").lower()
        assert "Сәуле Нұрланова" in parent.inner_text("main")
        assert parent.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        parent.get_by_label("Маған мектеп медиациясы қызметі туралы хабарланды").check()
        parent.get_by_label("5–9 сыныптар", exact=True).check()
        parent.get_by_label("Қазақ тілі", exact=True).check()
        parent.get_by_role("button", name="Растау").click()
        parent.wait_for_url(f"{link}/thanks")
        assert "Рахмет" in parent.inner_text("main")
        confirmation = ParentConfirmation.get()
        assert (confirmation.grade_band, confirmation.language) == ("5-9", "kk")
        parent.goto(link)
        assert "Сіз осы құрылғыда бұрын растағансыз" in parent.inner_text("main")
        assert ParentConfirmation.select().count() == 1
    finally:
        parent_context.close()
    assert errors == []
