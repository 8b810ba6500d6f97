"""Login, logout, remember me, throttling, password change and one-time passwords."""

from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest

from models.auth import LoginFailure, User, UserSession
from tests.factories import PASSWORD
from tests.helpers import field_error, input_value, text


def login(client, username, password, remember=False, lang="kk"):
    data = {"username": username, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post(f"/login?lang={lang}", data=data)


def test_login_and_reach_home(client, world):
    response = login(client, "school", PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/")
    assert "№1 тест мектебі" in text(home)


def test_login_redirects_to_safe_next_only(client, world):
    assert login(client, "admin", PASSWORD).status_code == 302
    client.post("/logout")
    response = client.post("/login?next=//evil.example/x", data={"username": "admin", "password": PASSWORD})
    assert response.headers["Location"] == "/"
    client.post("/logout")
    response = client.post("/login?next=/schools", data={"username": "admin", "password": PASSWORD})
    assert response.headers["Location"] == "/schools"


@pytest.mark.parametrize("username, password", [("school", "wrong-password"), ("nobody", "whatever-123")])
def test_wrong_password_or_unknown_user_same_message(client, world, username, password):
    response = login(client, username, password, lang="ru")
    assert response.status_code == 401
    assert field_error(response, "password") == "Неверное имя пользователя или пароль."
    assert input_value(response, "username") == username
    assert client.get("/schools").status_code == 302


def test_login_is_case_insensitive_on_username(client, world):
    assert login(client, "SCHOOL", PASSWORD).status_code == 302


def test_remember_me_makes_a_30_day_cookie(client, world):
    response = login(client, "school", PASSWORD, remember=True)
    cookie = session_cookie(response)
    assert "Expires=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0]).replace(tzinfo=None)
    assert timedelta(days=29) < expires - datetime.utcnow() <= timedelta(days=30)
    plain = login(client.application.test_client(), "school", PASSWORD)
    assert "Expires=" not in session_cookie(plain)


def session_cookie(response):
    return next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("kelisim="))


def test_throttling_after_five_failures_per_account_and_address(client, world):
    for _attempt in range(5):
        assert login(client, "school", "wrong-password").status_code == 401
    response = login(client, "school", PASSWORD, lang="kk")
    assert response.status_code == 429
    assert "минуттан кейін" in field_error(response, "password")
    # Another account from the same address is not blocked.
    assert login(client, "school2", PASSWORD).status_code == 302
    # The window passes: the account can sign in again.
    LoginFailure.update(at=datetime.utcnow() - timedelta(minutes=16)).execute()
    assert login(client, "school", PASSWORD).status_code == 302


def test_logout_requires_post_and_ends_session(client, world):
    login(client, "school", PASSWORD)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/schools").status_code == 302


def test_password_change_ends_other_sessions(client, world, app):
    other = app.test_client()
    login(client, "district", PASSWORD)
    login(other, "district", PASSWORD)
    response = client.post("/password", data={"current_password": PASSWORD, "new_password": "Жаңа-құпия-сөз-2024",
                                              "confirm": "Жаңа-құпия-сөз-2024"})
    assert response.status_code == 302
    assert client.get("/schools").status_code == 200  # this device stays signed in
    ended = other.get("/schools")
    assert ended.status_code == 302 and "/login" in ended.headers["Location"]
    assert login(other.application.test_client(), "district", "Жаңа-құпия-сөз-2024").status_code == 302


@pytest.mark.parametrize("new, message_part", [
    ("short", "10"),
    ("1234567890", "тым жиі"),
    ("qwertyuiop", "тым жиі"),
])
def test_password_policy(client, world, new, message_part):
    login(client, "school", PASSWORD)
    response = client.post("/password", data={"current_password": PASSWORD, "new_password": new, "confirm": new})
    assert response.status_code == 400
    assert message_part in field_error(response, "new_password")


def test_password_change_needs_current_password(client, world):
    login(client, "school", PASSWORD)
    response = client.post("/password", data={"current_password": "wrong", "new_password": "Ұзын-жақсы-сөз-99",
                                              "confirm": "Ұзын-жақсы-сөз-99"})
    assert response.status_code == 400
    assert field_error(response, "current_password")


def test_reset_gives_one_time_password_that_must_be_changed(client, world, login_as, app):
    login_as("district")
    curator = world.users["school"]
    response = client.post(f"/users/{curator.id}/reset")
    assert response.status_code == 200
    otp = response.get_data(as_text=True).split("<code>")[1].split("</code>")[0]
    assert len(otp) == 12
    phone = app.test_client()
    assert login(phone, "school", otp).headers["Location"].endswith("/password")
    forced = phone.get("/schools")
    assert forced.status_code == 302 and forced.headers["Location"].endswith("/password")
    phone.post("/password", data={"current_password": otp, "new_password": "Менің-жаңа-сөзім-7",
                                  "confirm": "Менің-жаңа-сөзім-7"})
    assert User.get_by_id(curator.id).must_change_password is False
    assert phone.get("/").status_code == 200


def test_session_ends_when_account_blocked(client, world, login_as, app):
    login_as("school")
    assert client.get("/").status_code == 200
    User.update(is_active=False).where(User.id == world.users["school"].id).execute()
    response = client.get("/password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_expired_session_shows_message(client, world, login_as):
    user = login_as("school")
    User.update(session_version=User.session_version + 1).where(User.id == user.id).execute()
    response = client.get("/login?lang=ru")
    assert "Ваш сеанс завершён" in text(response)


# ---------------------------------------------------------------- server-side sessions (issue #16)


def cookie_of(client, app):
    return client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value


def replay(app, cookie, url="/schools"):
    """A new browser that carries a copied session cookie."""
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    return thief.get(url)


def test_a_cookie_copied_before_logout_no_longer_signs_in(client, world, app):
    login(client, "district", PASSWORD, remember=True)
    copied = cookie_of(client, app)
    assert replay(app, copied).status_code == 200
    assert client.post("/logout").status_code == 302
    ended = replay(app, copied)
    assert ended.status_code == 302 and ended.headers["Location"].startswith("/login")
    assert UserSession.get().ended_at is not None


def test_a_block_by_the_region_admin_ends_every_session(client, world, app, login_as):
    phones = [app.test_client() for _ in range(2)]
    for phone in phones:
        login(phone, "school", PASSWORD)
    login_as("admin")
    curator = world.users["school"]
    response = client.post(f"/users/{curator.id}/edit", data={"full_name": curator.full_name, "role": "school",
                                                              "school": str(curator.school_id)})
    assert response.status_code == 302 and not User.get_by_id(curator.id).is_active
    for phone in phones:
        assert phone.get("/surveys").headers["Location"].startswith("/login")
    assert UserSession.select().where(UserSession.user == curator.id, UserSession.ended_at.is_null()).count() == 0


def test_your_sessions_lists_devices_and_ends_one_or_all(client, world, app):
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "school", PASSWORD)
    phone.environ_base["HTTP_USER_AGENT"] = ("Mozilla/5.0 (Linux; Android 14; SM-A546B) AppleWebKit/537.36 (KHTML, "
                                             "like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36")
    login(phone, "school", PASSWORD)
    page = laptop.get("/sessions?lang=en")
    assert page.status_code == 200 and "Chrome · Android" in text(page) and "this device" in text(page)
    rows = list(UserSession.select().order_by(UserSession.id))
    assert [row.device for row in rows][1] == "Chrome · Android"
    assert laptop.post(f"/sessions/{rows[1].id}/end").status_code == 302
    assert phone.get("/surveys").headers["Location"].startswith("/login")
    assert laptop.get("/surveys").status_code == 200
    # Someone else's session by id: 404, and it stays.
    other = app.test_client()
    login(other, "school2", PASSWORD)
    theirs = UserSession.get(UserSession.user == world.users["school2"].id)
    assert laptop.post(f"/sessions/{theirs.id}/end").status_code == 404
    assert other.get("/surveys").status_code == 200
    # Sign out everywhere: this device too.
    login(phone, "school", PASSWORD)
    assert laptop.post("/sessions/end-all").headers["Location"].startswith("/login")
    for device in (laptop, phone):
        assert device.get("/surveys").headers["Location"].startswith("/login")
    assert other.get("/surveys").status_code == 200


def test_last_seen_is_written_at_most_every_few_minutes(client, world, app):
    login(client, "school", PASSWORD)
    row = UserSession.get()
    UserSession.update(last_seen_at=row.created_at - timedelta(seconds=60)).execute()
    client.get("/surveys")
    assert UserSession.get().last_seen_at == row.created_at - timedelta(seconds=60)  # not written: 1 minute old
    UserSession.update(last_seen_at=datetime.utcnow() - timedelta(seconds=app.config["SESSION_TOUCH_SECONDS"] + 5)
                       ).execute()
    client.get("/surveys")
    assert datetime.utcnow() - UserSession.get().last_seen_at < timedelta(seconds=5)
    # Unused for longer than the session lifetime: ended on the server, whatever the cookie says.
    UserSession.update(last_seen_at=datetime.utcnow() - timedelta(days=31)).execute()
    assert client.get("/surveys").headers["Location"].startswith("/login")
    assert UserSession.get().ended_at is not None


def test_a_password_change_ends_every_session_and_gives_this_device_a_new_one(client, world, app):
    login(client, "district", PASSWORD)
    before = cookie_of(client, app)
    new = "Жаңа-құпия-сөз-2024"
    client.post("/password", data={"current_password": PASSWORD, "new_password": new, "confirm": new})
    assert client.get("/schools").status_code == 200
    assert replay(app, before).headers["Location"].startswith("/login")
    assert UserSession.select().where(UserSession.ended_at.is_null()).count() == 1


@pytest.mark.parametrize("target", [
    "/%09/evil.example", "/\t/evil.example", "//evil.example", "/\\evil.example", "\\\\evil.example",
    "https://evil.example/", "/%2F%2Fevil.example", "/%5Cevil.example", "/surveys\r\nSet-Cookie: x=1",
    "/surveys%0d%0aSet-Cookie:%20x=1", "/ /evil.example", "javascript:alert(1)", "/no-such-page", "/logout",
    "/\u3000/evil.example", "", "/" + "a" * 3000])
def test_login_never_leads_off_the_site(client, world, target):
    """After login, ``next`` leads only to a page of this site (a route that answers GET); anything else goes
    home, and nothing in it answers 500 or reaches the Location header as is."""
    response = client.post("/login", query_string={"next": target}, data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == "/", (target, location)


def test_login_keeps_a_next_page_of_the_site_with_its_query(client, world):
    response = client.post("/login?next=" + "/surveys%3Fpage%3D2", data={"username": "admin", "password": PASSWORD})
    assert response.headers["Location"] == "/surveys?page=2"


@pytest.mark.parametrize("lang, new, says", [
    ("en", "Kelisim2024", "the service"),
    ("ru", "kelisim-demo1", "названии сервиса"),
    ("kk", "Kelisim-Kelisim", "қызмет атауына"),
    ("en", "Тест Пайдаланушы 2024", "your name"),
    ("ru", "password2024!", "легко угадать"),
    ("kk", "Qwerty!2024", "оңай табуға"),
])
def test_weak_passwords_are_refused_saying_what_to_do(client, world, lang, new, says):
    login(client, "school", PASSWORD)
    User.update(full_name="Тест Пайдаланушы").where(User.username == "school").execute()
    response = client.post(f"/password?lang={lang}", data={"current_password": PASSWORD, "new_password": new,
                                                           "confirm": new})
    assert response.status_code == 400
    message = field_error(response, "new_password")
    assert message and says in message, message


@pytest.mark.parametrize("lang, says", [("kk", "қазіргісінен өзгеше"), ("ru", "отличаться от текущего"),
                                        ("en", "differ from the current one")])
def test_the_current_password_is_not_a_new_one(client, world, lang, says):
    login(client, "school", PASSWORD)
    response = client.post(f"/password?lang={lang}", data={"current_password": PASSWORD, "new_password": PASSWORD,
                                                           "confirm": PASSWORD})
    assert response.status_code == 400 and says in field_error(response, "new_password")


def test_a_strong_password_of_words_is_accepted(client, world):
    login(client, "school", PASSWORD)
    new = "жасыл алма терезе бұлт"
    response = client.post("/password", data={"current_password": PASSWORD, "new_password": new, "confirm": new})
    assert response.status_code == 302
