"""Login, logout, remember me, throttling, password change and one-time passwords."""

from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest

from models.auth import LoginFailure, User
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
