"""A school curator on a phone, in Kazakh, finds the current model regulation in the library and downloads it."""

import re

from services import materials as library
from tests.factories import PASSWORD, TINY_PDF, make_material


def test_school_curator_downloads_the_model_regulation_on_a_phone(live_server, phone, world):
    admin = world.users["admin"]
    regulation = make_material(admin, kind="model_regulation", file_language="kk+ru",
                               title_kk="Мектеп медиациясы қызметінің үлгілік ережесі",
                               title_ru="Типовое положение о службе школьной медиации",
                               data=TINY_PDF + b"% edition 1\n", filename="Үлгілік ереже.pdf")
    library.add_version(admin, regulation, "Үлгілік ереже (2025).pdf", TINY_PDF + b"% edition 2\n")
    make_material(admin, title_kk="Семинар слайдтары", title_ru="Слайды семинара")

    page = phone.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_server}/login")
    page.get_by_label("Пайдаланушы аты").fill("school")
    page.get_by_label("Құпия сөз").fill(PASSWORD)
    page.get_by_role("button", name="Кіру").click()
    page.wait_for_url(f"{live_server}/")
    page.get_by_role("navigation", name="Негізгі мәзір").get_by_role("link", name="Материалдар").click()
    page.wait_for_url(f"{live_server}/materials")

    pinned = page.locator("section.pinned")
    assert "Мектеп медиациясы қызметінің үлгілік ережесі" in pinned.inner_text()
    assert re.search(r"\d\d\.\d\d\.\d{4} күнгі 2-нұсқа", pinned.inner_text())
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing scrolls sideways

    with page.expect_download() as caught:
        pinned.get_by_role("link", name=re.compile("^Жүктеп алу")).click()
    download = caught.value
    assert download.suggested_filename == "Үлгілік ереже (2025).pdf"
    with open(download.path(), "rb") as fh:
        data = fh.read()
    assert data.startswith(b"%PDF") and data.endswith(b"% edition 2\n")
    assert errors == []
