"""Security headers on every page of the URL map, cookie flags, HSTS behind HTTPS, and the session rules that
tests/test_auth.py does not already cover (ended by a reset, forged cookies, throttling per address)."""

import re
import uuid
from datetime import datetime, timedelta

import pytest

from db import db
from models.auth import LoginFailure
from services.auth import common_passwords, password_problem
from tests.access_matrix import make_site, routes
from tests.factories import PASSWORD, session_data
from tests.helpers import parse

# Signed-in and public pages and the error pages (403/404) that other roles get.
ROLES_WALKED = ("anonymous", "school", "admin")
YEAR = 365 * 24 * 3600


@pytest.fixture(scope="module")
def module_secure_site(template_database, tmp_path_factory):
    """The service as deployed behind HTTPS (SESSION_COOKIE_SECURE on), walked once per role."""
    site, cleanup = make_site(template_database, str(tmp_path_factory.mktemp("headers")), "headers",
                              {"SESSION_COOKIE_SECURE": True})
    yield site
    cleanup()


@pytest.fixture
def secure_site(module_secure_site):
    module_secure_site.bind()
    yield module_secure_site
    if not db.is_closed():
        db.close()


def header_problems(response, signed_in, https):
    headers = response.headers
    problems = []
    csp = headers.get("Content-Security-Policy", "")
    if not csp:
        problems.append("no Content-Security-Policy")
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        problems.append(f"CSP allows inline code: {csp}")
    if "frame-ancestors 'none'" not in csp:
        problems.append(f"CSP lacks frame-ancestors 'none': {csp}")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if headers.get("Referrer-Policy") != "strict-origin-when-cross-origin":
        problems.append(f"Referrer-Policy is {headers.get('Referrer-Policy')!r}")
    if "camera=()" not in headers.get("Permissions-Policy", ""):
        problems.append(f"Permissions-Policy is {headers.get('Permissions-Policy')!r}")
    hsts = headers.get("Strict-Transport-Security", "")
    if https and not (re.search(r"max-age=(\d+)", hsts) and int(re.search(r"max-age=(\d+)", hsts)[1]) >= YEAR):
        problems.append(f"HSTS is {hsts!r}")
    if not https and hsts:
        problems.append("HSTS sent over plain HTTP")
    if signed_in and response.mimetype == "text/html" and "no-store" not in headers.get("Cache-Control", ""):
        problems.append(f"a signed-in page is cacheable: Cache-Control {headers.get('Cache-Control')!r}")
    if response.mimetype == "text/html":
        problems += inline_code(response)
    problems += [f"cookie {c.split('=')[0]}: {p}" for c in response.headers.getlist("Set-Cookie")
                 for p in cookie_problems(c, https)]
    return problems


def inline_code(response):
    """What the CSP would block on this page: inline scripts, styles, style attributes, event handlers."""
    found = []
    for tag, attrs in parse(response).tags:
        if tag == "script" and not attrs.get("src"):
            found.append("an inline <script>")
        if tag == "style":
            found.append("a <style> element")
        found += [f"<{tag} {name}=...>" for name in attrs if name == "style" or name.startswith("on")]
    return found


def cookie_problems(set_cookie, https):
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in set_cookie.split(";")[1:]}
    problems = []
    if "httponly" not in flags:
        problems.append("not HttpOnly")
    if flags.get("samesite", "").lower() not in ("samesite=lax", "samesite=strict"):
        problems.append("no SameSite=Lax or Strict")
    if https and "secure" not in flags:
        problems.append("not Secure although the service runs behind HTTPS")
    return problems


@pytest.mark.parametrize("role", ROLES_WALKED)
def test_every_page_carries_the_security_headers(secure_site, role):
    checked, problems = 0, []
    for key, rule in sorted(routes(secure_site.app).items()):
        if not key.startswith("GET "):
            continue
        url, response = secure_site.request(role, "GET", rule)
        checked += 1
        problems += [f"{url} ({response.status_code}): {p}"
                     for p in header_problems(response, role != "anonymous", https=True)]
    assert checked > 40
    assert not problems, "\n".join(problems)


def test_static_files_and_error_pages_carry_the_headers(secure_site):
    client = secure_site.client("anonymous")
    for url in ("/static/css/app.css", "/static/js/offline.js", "/no-such-page", "/surveys/999999"):
        response = client.get(url)
        assert not header_problems(response, False, https=True), url
    assert client.post("/healthz").status_code == 405
    assert not header_problems(client.post("/healthz"), False, https=True)


def test_plain_http_has_no_hsts_and_no_secure_cookies(client, world):
    response = client.get("/?lang=ru")
    assert not header_problems(response, False, https=False)
    assert "Strict-Transport-Security" not in response.headers
    assert "Secure" not in response.headers["Set-Cookie"]
    login = client.post("/login", data={"username": "school", "password": PASSWORD})
    session_cookie = next(c for c in login.headers.getlist("Set-Cookie") if c.startswith("kelisim="))
    assert not cookie_problems(session_cookie, https=False) and "Secure" not in session_cookie


@pytest.mark.parametrize("app_overrides", [{"SESSION_COOKIE_SECURE": True}])
def test_session_cookie_behind_https_is_host_prefixed_and_secure(client, world):
    response = client.post("/login", data={"username": "school", "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("__Host-kelisim="))
    assert not cookie_problems(cookie, https=True)
    # A __Host- cookie must be Secure, for the path / and without a Domain, or browsers refuse it.
    assert "; Path=/" in cookie and "Domain=" not in cookie
    assert client.get("/surveys").status_code == 200


@pytest.mark.parametrize("app_overrides", [{"SESSION_COOKIE_SECURE": True}])
def test_language_and_device_cookies_behind_https(client, world):
    from services import outreach

    language = client.get("/login?lang=en").headers["Set-Cookie"]
    assert language.startswith("kelisim_lang=en") and not cookie_problems(language, https=True)
    assert f"Max-Age={YEAR}" in language
    slug = outreach.links_for([world.schools["school"].id])[world.schools["school"].id]
    confirmed = client.post(f"/p/{slug}", data={"informed": "y", "client_uuid": str(uuid.uuid4())})
    assert confirmed.status_code == 302
    device = next(c for c in confirmed.headers.getlist("Set-Cookie") if c.startswith("kelisim_confirmed="))
    assert not cookie_problems(device, https=True) and "Path=/p/" in device


# ---------------------------------------------------------------- sessions


def test_a_password_reset_ends_the_accounts_sessions(client, world, login_as, app):
    curator = app.test_client()
    login_as("school", curator)
    assert curator.get("/surveys").status_code == 200
    login_as("district")
    assert client.post(f"/users/{world.users['school'].id}/reset").status_code == 200
    ended = curator.get("/surveys")
    assert ended.status_code == 302 and ended.headers["Location"].startswith("/login")


def test_a_session_cookie_signed_with_another_key_is_ignored(app, world):
    forger = app.test_client()
    app.secret_key, real = "a-guessed-key", app.secret_key
    try:
        with forger.session_transaction() as session:
            session.update(session_data(world.users["admin"]))
    finally:
        app.secret_key = real
    response = forger.get("/audit")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_throttling_is_per_account_and_address(client, world):
    def login(password, address):
        return client.post("/login", data={"username": "district", "password": password},
                           environ_base={"REMOTE_ADDR": address})

    LoginFailure.insert_many([{"username": "district", "address": "10.0.0.1", "at": datetime.utcnow()}] * 5).execute()
    assert login(PASSWORD, "10.0.0.1").status_code == 429  # even the right password waits
    assert login(PASSWORD, "10.0.0.2").status_code == 302  # a colleague behind another address is not locked out
    LoginFailure.update(at=datetime.utcnow() - timedelta(minutes=16)).execute()
    assert login(PASSWORD, "10.0.0.1").status_code == 302


@pytest.mark.parametrize("password, refused", [
    ("ab3-cd4-e9", False),          # exactly ten characters
    ("ab3-cd4-e", True),            # nine
    ("QWERTYUIOP", True),           # a common password in capitals
    ("aaaaaaaaaaaaaaaa", True),     # long but made of too few characters
    ("district-2024-kz", True),     # contains the username
    ("Сәуле-медиация-15", False),   # Kazakh letters count as characters
])
def test_password_policy_rules(password, refused):
    assert (password_problem(password, 10, "district") is not None) is refused


def test_common_password_list_is_loaded_and_only_holds_lengths_that_matter():
    words = common_passwords()
    assert len(words) >= 50 and "1234567890" in words and "qwertyuiop" in words
    assert all(len(w) >= 10 for w in words)  # shorter ones are refused by length already
