"""Hostile input to every form of the service (hypothesis): no answer is a 5xx, rejected input gets field
messages (or the outbox's JSON errors), and nothing posted comes back unescaped, on the answer or on the page
it leads to.

The forms are found, not listed: every POST route of the URL map is a test; its form is the <form> that posts
to it on some page that a role may read (the GET routes of the access matrix), and the fields, their types and
their options are read from that HTML. A POST route that no page offers a form for fails.
"""

import io
import os
import re
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import MethodNotAllowed, NotFound

from db import db, sqlite_url
from tests.access_matrix import MATRIX, ROLES, Site, expected, make_site, routes, rule_key
from tests.factories import PASSWORD, TINY_PDF

EXAMPLES = int(os.environ.get("KELISIM_FUZZ_EXAMPLES", "300"))
# Posted in text fields; an answer that contains one of these as is did not escape what it echoed.
XSS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "<svg onload=alert(1)>")
RAW_XSS = re.compile(r"<script>alert\(1\)|<img src=x onerror|<svg onload", re.I)
# Routes of files (a last segment with an extension, or a download): no form is ever on them.
FILE_ROUTE = re.compile(r"\.[^/]+$|/download$")


# ---------------------------------------------------------------- reading forms out of pages


@dataclass
class Field:
    name: str
    kind: str  # input type, or select / textarea
    value: str = ""
    options: list = field(default_factory=list)
    attrs: dict = field(default_factory=dict)


@dataclass
class Form:
    action: str
    attrs: dict
    fields: list = field(default_factory=list)

    @property
    def signature(self):
        return tuple(sorted((f.name, f.kind) for f in self.fields))

    @property
    def offline(self):
        return "data-offline" in self.attrs

    @property
    def multipart(self):
        return "multipart" in (self.attrs.get("enctype") or "") or any(f.kind == "file" for f in self.fields)


class FormParser(HTMLParser):
    """The POST forms of a page, with their named controls (radio buttons merged into one field)."""

    def __init__(self, page_url):
        super().__init__()
        self.page_url, self.forms = page_url, []
        self.form = self.select = self.textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if tag == "form":
            if attrs.get("method", "get").lower() == "post":
                self.form = Form(urljoin(self.page_url, attrs.get("action") or self.page_url), attrs)
                self.forms.append(self.form)
            return
        if self.form is None or not attrs.get("name"):
            if tag == "option" and self.select is not None:
                self.select.options.append(attrs.get("value", ""))
            return
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind in ("radio", "checkbox"):
                known = next((f for f in self.form.fields if f.name == attrs["name"]), None)
                if known is not None:
                    known.options.append(attrs.get("value", "on"))
                    return
                self.form.fields.append(Field(attrs["name"], kind, attrs.get("value", "on"),
                                              [attrs.get("value", "on")], attrs))
                return
            if kind not in ("button", "reset", "image"):
                self.form.fields.append(Field(attrs["name"], kind, attrs.get("value", ""), attrs=attrs))
        elif tag == "select":
            self.select = Field(attrs["name"], "select", attrs=attrs)
            self.form.fields.append(self.select)
        elif tag == "textarea":
            self.textarea = Field(attrs["name"], "textarea", attrs=attrs)
            self.form.fields.append(self.textarea)
        elif tag == "option" and self.select is not None:
            self.select.options.append(attrs.get("value", ""))

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def post_forms(page_url, html):
    parser = FormParser(page_url)
    parser.feed(html)
    return parser.forms


def post_route(app, action):
    """The key ("POST /rule") of the route a form posts to, or None for another site or no route."""
    parts = urlsplit(action)
    if parts.netloc not in ("", "localhost"):
        return None
    try:
        rule, _args = app.url_map.bind("localhost").match(parts.path, method="POST", return_rule=True)
    except (NotFound, MethodNotAllowed):
        return None
    return rule_key("POST", rule)


def readable_pages(app):
    """(GET key, rule, role) of every page a role reads (200 in the matrix; every role for a route not in it)."""
    for key, rule in sorted(routes(app).items()):
        if not key.startswith("GET "):
            continue
        answers = expected(key)["school"] if key in MATRIX else ["200"] * len(ROLES)
        for role, got in zip(ROLES, answers, strict=True):
            if got == "200":
                yield key, rule, role


@dataclass
class Spot:
    """Where a form is found: the page (GET key) and the role reading it."""

    page: str
    role: str


# ---------------------------------------------------------------- the POST routes (known when collecting)


def _post_keys():
    from app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        previous = os.environ.get("KELISIM_INSTANCE")
        os.environ["KELISIM_INSTANCE"] = tmp
        try:
            app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": sqlite_url(f"{tmp}/routes.db")})
        finally:
            os.environ.pop("KELISIM_INSTANCE") if previous is None else os.environ.update(KELISIM_INSTANCE=previous)
        return sorted(key for key in routes(app) if key.startswith("POST "))


POST_KEYS = _post_keys()


@pytest.fixture(scope="module")
def spots(template_database, tmp_path_factory):
    """{POST key: {form signature: Spot}}: the forms every page offers, read once per module."""
    site, cleanup = make_site(template_database, str(tmp_path_factory.mktemp("fuzz")), "fuzz_discovery")
    found = {}
    try:
        for key, rule, role in readable_pages(site.app):
            if FILE_ROUTE.search(rule.rule):
                continue  # a download (PDF, CSV, ...) holds no form
            url, response = site.request(role, "GET", rule)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            for form in post_forms("http://localhost" + url, response.get_data(as_text=True)):
                target = post_route(site.app, form.action)
                if target is not None:
                    found.setdefault(target, {}).setdefault(form.signature, Spot(key, role))
    finally:
        cleanup()
    return found


# ---------------------------------------------------------------- what is posted

FIXED_UUIDS = [str(uuid.UUID(int=n, version=4)) for n in (1, 2, 3)]  # repeats: duplicates and conflicts
NAMES = ["Айгерім Сапарова", "Ғалым Құрманғали", "Ирина Ким", "John O'Neil", "Ли Мин-хо", "Әсел-Жібек Нұрова"]
HOSTILE = [
    *XSS, "' OR '1'='1", "'; DROP TABLE school; --", "1; SELECT pg_sleep(5)", "%", "_", "\\", "\"", "'", "`",
    "{{7*7}}", "{% raw %}", "${7*7}", "%(name)s", "%s%s%n", "../../etc/passwd", "javascript:alert(1)",
    "\x00", "a\x00b", "\x1b[31m", "\r\n\r\n", "\t", "\u200b", "\u202e\u0644", "\ufeff", "\x7f", "\x85",
    "Қазақстан Republic 🇰🇿 Россия", "ӘҒҚҢӨҰҮҺІ әғқңөұүһі", "مرحبا", "日本語", "👩‍👩‍👧‍👦" * 20,
    "A" * 10_000, "Ә" * 5_000, "😀" * 2_000, " " * 300, "", " ",
]
NUMBERS = ["-1", "0", "1", "5000", "5001", "99999999999999999999", "-99999999999999999999", "1e309", "NaN", "inf",
           "-0", "1.5", "0x10", "١٢٣", "１２", "1_000", " 7 ", "+3", "2147483648", "9223372036854775808"]
DATES = ["2024-02-30", "0000-00-00", "2024-13-01", "2024-00-10", "9999-12-31", "0001-01-01", "1900-01-01",
         "2024-1-1", "31.12.2024", "30.02.2024", "2024-02-29", "2023-02-29", "2024-10-15T10:00", "20241015",
         "2024/10/15", "١٢٠٢٤-١٠-١٥"]
UUIDS = ["not-a-uuid", "00000000-0000-0000-0000-000000000000", str(uuid.uuid1()), str(uuid.uuid4()).upper(),
         "{" + str(uuid.uuid4()) + "}", str(uuid.uuid4()) + "x"]


def hostile_text():
    # Long strings are a short drawn text repeated: drawing thousands of characters one by one is slow.
    return st.one_of(st.sampled_from(HOSTILE), st.sampled_from(NUMBERS + DATES + UUIDS), st.text(max_size=40),
                     st.tuples(st.text(min_size=1, max_size=8), st.integers(100, 1500)).map(lambda t: t[0] * t[1]))


def plausible_text(f):
    limit = int(f.attrs.get("maxlength") or 0) or 200
    words = st.one_of(st.sampled_from(NAMES), st.text(st.characters(categories=("L", "Zs", "Nd")), min_size=1,
                                                           max_size=30))
    text = st.one_of(words, st.tuples(st.sampled_from(NAMES), st.sampled_from(XSS)).map(" ".join))
    if f.kind == "email":
        text = st.sampled_from(["name@example.kz", "Ә.Нұрова@мектеп.қз", "a@b.c", "<script>@x.kz", "@", "a@@b.kz"])
    elif f.kind == "tel":
        text = st.sampled_from(["+7 701 123 45 67", "87011234567", "+77011234567", "8 (701) 765-43-21"])
    elif f.kind == "url":
        text = st.sampled_from(["https://school.kz/mediation", "http://example.kz", "https://x.kz/<script>"])
    elif f.kind == "password":
        text = st.sampled_from([PASSWORD, "Жаңа-құпия-сөз-2024", "short"])
    return text.map(lambda value: value[:limit])


def plausible_number(f):
    lo = int(f.attrs.get("min") or 0)
    hi = int(f.attrs.get("max") or 100)
    return st.integers(lo, max(lo, hi)).map(str)


def plausible_date():
    today = date.today()
    return st.dates(date(2024, 1, 1), today + timedelta(days=30)).map(date.isoformat)


def value_strategy(f, plausible):
    """What one control may carry: a value the page offers (or like it), or something hostile."""
    if f.kind == "file":
        name = st.sampled_from(["material.pdf", "Ереже.docx", "x.exe", "../../a.pdf", "<script>.pdf", "", "a" * 300])
        content = st.sampled_from([TINY_PDF, b"", b"\x00" * 64, b"PK\x03\x04junk", "Ә".encode() * 100])
        return st.tuples(content, name) if plausible else st.tuples(st.binary(max_size=2000), name)
    if not plausible:
        return hostile_text()
    if f.name == "client_uuid":
        return st.one_of(st.uuids(version=4).map(str), st.sampled_from(FIXED_UUIDS))
    if f.kind in ("select", "radio", "checkbox"):
        return st.sampled_from(f.options or [f.value or "y"])
    if f.kind in ("hidden", "submit"):
        return st.just(f.value)
    if f.kind == "number":
        return plausible_number(f)
    if f.kind == "date":
        return plausible_date()
    return plausible_text(f)


@st.composite
def submissions(draw, form):
    """(items, outbox): the (name, value) pairs posted, some fields missing or sent twice, some unknown ones."""
    careful = draw(st.booleans())  # mostly plausible values, so that the service behind the form is reached too
    items = []
    for f in form.fields:
        presence = draw(st.sampled_from(["once"] * 8 + ["missing", "twice"]))
        for _ in range({"once": 1, "missing": 0, "twice": 2}[presence]):
            plausible = draw(st.integers(0, 9)) < (9 if careful else 3)
            items.append((f.name, draw(value_strategy(f, plausible))))
    if draw(st.integers(0, 9)) == 0:
        items.append((draw(st.sampled_from(["id", "school_id", "role", "__proto__", "csrf_token", ""])),
                      draw(hostile_text())))
    outbox = form.offline and draw(st.integers(0, 9)) < 3
    return items, outbox


def encode(items):
    """The items as the test client posts them (a file as a fresh stream each time)."""
    return MultiDict([(name, (io.BytesIO(value[0]), value[1]) if isinstance(value, tuple) else value)
                      for name, value in items])


# ---------------------------------------------------------------- what the answers must be


def problems_of(response, outbox):
    status = response.status_code
    found = []
    if status >= 500:
        found.append(f"answered {status}")
    if response.mimetype == "text/html":
        body = response.get_data(as_text=True)
        if RAW_XSS.search(body):
            found.append("echoed markup unescaped: " + RAW_XSS.search(body)[0])
        if status == 400 and not outbox and 'class="error' not in body:
            found.append("400 without a field message")
    elif status == 400 and outbox:
        errors = (response.get_json(silent=True) or {}).get("errors")
        if not errors:
            found.append(f"400 to the outbox without errors: {response.get_data(as_text=True)[:200]}")
    return found


def carries_markup(items):
    return any(isinstance(value, str) and any(m in value for m in XSS) for _name, value in items)


def next_page(response):
    """The local page an accepted post leads to (its redirect, or the outbox's "redirect"), or None."""
    if 300 <= response.status_code < 400:
        target = response.headers.get("Location", "")
    elif response.mimetype == "application/json" and response.status_code in (200, 201):
        target = (response.get_json(silent=True) or {}).get("redirect") or ""
    else:
        return None
    parts = urlsplit(target)
    return target if not parts.netloc or parts.netloc == "localhost" else None


@pytest.fixture
def fast_password_hash(monkeypatch, world):
    """A cheap argon2 for the standard accounts: as configured it costs ~0.3 s a check by design, and the fuzz
    posts hundreds of logins, password changes and resets. Returns the accounts' (cheap) hash."""
    from argon2 import PasswordHasher

    from services import auth

    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(auth, "_hasher", cheap)
    monkeypatch.setattr(auth, "_DUMMY_HASH", cheap.hash("kelisim-dummy-password"))
    return cheap.hash(PASSWORD)


@pytest.mark.parametrize("key", POST_KEYS)
def test_hostile_input(key, spots, app, world, fast_password_hash):
    forms = spots.get(key)
    assert forms, (f"no page offers a form that posts to {key}: the fuzz test finds forms on the pages of the "
                   "GET routes (as the roles the access matrix lets read them)")
    site = Site(app, db.obj, world)
    site.heal(fast_password_hash)
    for spot in forms.values():
        fuzz_form(site, key, spot, fast_password_hash)


def fuzz_form(site, key, spot, password_hash):
    page_rule = routes(site.app)[spot.page]
    url, page = site.request(spot.role, "GET", page_rule)
    assert page.status_code == 200, f"{spot.page} as {spot.role}: {page.status_code}"
    form = next((f for f in post_forms("http://localhost" + url, page.get_data(as_text=True))
                 if post_route(site.app, f.action) == key), None)
    assert form is not None, f"{spot.page} as {spot.role} no longer shows the form posting to {key}"
    action = urlsplit(form.action)
    target = action.path + (f"?{action.query}" if action.query else "")
    cookie_name, cookie = site.session_cookie(spot.role)

    @settings(max_examples=EXAMPLES, deadline=None, phases=[Phase.generate], database=None,
              suppress_health_check=list(HealthCheck))
    @given(submissions(form))
    def post(submission):
        items, outbox = submission
        site.heal(password_hash)  # an example may have changed the password, blocked or reset the account
        client = site.app.test_client()  # no cookie of an earlier example (a parent's confirmation)
        if cookie:
            client.set_cookie(cookie_name, cookie)
        headers = {"X-Kelisim-Outbox": "1", "Accept": "application/json"} if outbox else {}
        response = client.post(target, data=encode(items), headers=headers,
                               content_type="multipart/form-data" if form.multipart else None)
        problems = problems_of(response, outbox)
        follow = next_page(response)
        if follow and not problems and carries_markup(items):  # stored: is it escaped where shown?
            shown = client.get(follow)
            problems += [f"then GET {follow}: {p}" for p in problems_of(shown, False)]
        assert not problems, f"POST {target} as {spot.role} (form of {spot.page}) {items!r:.2000}: {problems}"

    post()
