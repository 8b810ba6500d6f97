"""The app factory: configuration, health check, headers, CSRF, error pages."""

import os
import re

import pytest

from app import create_app
from config import Config
from tests.helpers import text


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_unreachable_database(tmp_path, monkeypatch):
    monkeypatch.setenv("KELISIM_INSTANCE", str(tmp_path))
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none?connect_timeout=1"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error"}


def test_flask_prefixed_environment_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("KELISIM_INSTANCE", str(tmp_path))
    monkeypatch.setenv("FLASK_PAGE_SIZE", "7")
    monkeypatch.setenv("FLASK_SESSION_COOKIE_SECURE", "true")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///" + str(tmp_path / "x.db"))
    app = create_app()
    assert app.config["PAGE_SIZE"] == 7
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-kelisim"
    assert app.config["DATABASE_URL"].endswith("x.db")


def test_secret_key_generated_once_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("KELISIM_INSTANCE", str(tmp_path))
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").read_text().strip() == first
    assert oct(os.stat(tmp_path / "secret_key").st_mode)[-3:] == "600"


def test_default_database_is_sqlite_in_instance(tmp_path, monkeypatch):
    from db import database_url

    monkeypatch.setenv("KELISIM_INSTANCE", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("FLASK_DATABASE_URL", raising=False)
    app = create_app({"SECRET_KEY": "x"})
    assert database_url(app) == "sqlite:///" + str(tmp_path / "kelisim.db")


def test_sqlite_pragmas(tmp_path):
    """The embedded database is opened with WAL, foreign keys, a busy timeout and synchronous=NORMAL (checked in
    both runs: the PostgreSQL run opens a SQLite file of its own)."""
    from db import open_database, sqlite_url

    database = open_database(sqlite_url(str(tmp_path / "pragmas.db")))
    with database.connection_context():
        assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        assert database.execute_sql("PRAGMA busy_timeout").fetchone()[0] >= 1000
        assert database.execute_sql("PRAGMA synchronous").fetchone()[0] == 1


def test_security_headers_on_every_page(client):
    for url in ("/", "/login", "/healthz", "/no-such-page"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "camera=()" in headers["Permissions-Policy"]


def test_no_inline_scripts_or_styles(client, login_as):
    login_as("admin")
    for url in ("/", "/schools", "/users", "/users/new", "/password"):
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert "<style" not in html and " style=" not in html, url


@pytest.mark.parametrize("app_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_post_without_csrf_token_is_rejected(client, world):
    response = client.post("/login", data={"username": "admin", "password": "x"}, headers={"Accept-Language": "ru"})
    assert response.status_code == 400
    assert "Обновите страницу" in text(response)


@pytest.mark.parametrize("app_overrides", [{"MAX_CONTENT_LENGTH": 1000}])
def test_oversized_request_gets_413_page(client):
    response = client.post("/login", data={"username": "a" * 5000}, headers={"Accept-Language": "kk"})
    assert response.status_code == 413
    assert "<html lang=\"kk\"" in response.get_data(as_text=True)


@pytest.mark.parametrize("code, url, method", [(404, "/nope", "get"), (405, "/logout", "get")])
def test_error_pages_are_translated(client, code, url, method):
    response = getattr(client, method)(url, headers={"Accept-Language": "ru"})
    assert response.status_code == code
    assert "<html lang=\"ru\"" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_unexpected_error_gives_translated_500_without_trace(app):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret detail")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/boom?lang=ru")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret detail" not in body and "Traceback" not in body
    assert "Ошибка" in body or "ошибка" in body


def test_every_setting_is_documented_in_readme():
    readme = open(os.path.join(os.path.dirname(__file__), "..", "README.md"), encoding="utf-8").read()
    keys = [k for k in vars(Config) if k.isupper()]
    missing = [k for k in keys if f"`{k}`" not in readme]
    assert not missing, f"settings not documented in README.md: {missing}"
