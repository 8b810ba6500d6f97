"""Languages: catalogs complete, the switcher, the cookie, the account's choice, formats."""

import os
import re
import subprocess
import sys
from datetime import date

import pytest
from babel.messages.pofile import read_po

from tests.helpers import text

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def catalog(lang):
    with open(os.path.join(ROOT, "translations", lang, "LC_MESSAGES", "messages.po"), encoding="utf-8") as fh:
        return read_po(fh, locale=lang)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
                    "--no-location", "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    with open(pot, encoding="utf-8") as fh:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_catalog_complete(lang, extracted):
    cat = catalog(lang)
    ids = {m.id if isinstance(m.id, str) else m.id[0]: m for m in cat if m.id}
    missing = sorted(extracted - set(ids))
    assert not missing, f"{lang}: strings not in the catalog (run flask translate update): {missing[:10]}"
    problems = []
    for msg_id, message in ids.items():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {msg_id}")
        if not all(strings):
            problems.append(f"untranslated: {msg_id}")
            continue
        for s in strings:
            if set(PLACEHOLDER.findall(s)) != set(PLACEHOLDER.findall(msg_id)):
                problems.append(f"placeholders differ: {msg_id}")
    assert not problems, f"{lang}: {problems[:10]}"


def test_kazakh_catalog_is_kazakh():
    """Kazakh letters appear across the catalog; no Russian-only letters such as щ, ъ, ё-words left over."""
    cat = catalog("kk")
    kazakh = re.compile(r"[әғқңөұүһі]", re.I)
    strings = [m.string for m in cat if m.id and isinstance(m.string, str) and re.search(r"[а-яА-Я]", m.string)]
    with_kazakh = [s for s in strings if kazakh.search(s)]
    assert len(with_kazakh) >= 0.6 * len(strings)
    assert not [s for s in strings if re.search(r"[щъ]", s)]


def test_default_language_is_kazakh(client):
    response = client.get("/login")
    assert '<html lang="kk"' in response.get_data(as_text=True)
    assert "Кіру" in text(response)


def test_accept_language_then_query_then_cookie(client):
    assert '<html lang="ru"' in client.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).get_data(True)
    response = client.get("/login?lang=en")
    assert '<html lang="en"' in response.get_data(as_text=True)
    assert "kelisim_lang=en" in response.headers["Set-Cookie"]
    assert '<html lang="en"' in client.get("/login", headers={"Accept-Language": "ru"}).get_data(as_text=True)


def test_language_is_remembered_in_the_account(client, login_as, world, app):
    user = login_as("school")
    client.get("/?lang=ru")
    from models.auth import User

    assert User.get_by_id(user.id).locale == "ru"
    other = app.test_client()
    login_as(user, target=other)
    assert '<html lang="ru"' in other.get("/").get_data(as_text=True)


def test_switcher_links_keep_the_page(client, login_as):
    login_as("admin")
    html = client.get("/schools?q=%E2%84%96").get_data(as_text=True)
    assert 'href="/schools?q=%E2%84%96&amp;lang=ru"' in html


@pytest.mark.parametrize("lang, expected", [("kk", "25.11.2026"), ("ru", "25.11.2026"), ("en", "25 Nov 2026")])
def test_dates_formatted_for_locale(app, lang, expected):
    from flask_babel import force_locale

    from templating import fmt_date

    with app.test_request_context(), force_locale(lang):
        assert fmt_date(date(2026, 11, 25)) == expected


def test_district_names_in_reader_language(app):
    from flask_babel import force_locale

    from models.directory import District

    with app.test_request_context():
        district = District.get(District.code == "BZH")
        with force_locale("kk"):
            assert district.name == "Бұқар жырау ауданы"
        with force_locale("ru"):
            assert district.name == "Бухар-Жырауский район"
