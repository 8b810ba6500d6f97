"""The load and fault harness (issue #7): Kelisim under gunicorn with 2 workers on a given database; virtual
phones post every offline-capable kind over loopback — a fifth of them repeats, one in twenty cut before the
answer is read, each retried like the phone's outbox until acknowledged — while the whole server is killed with
SIGKILL midway and restarted; then what was stored is counted against what was acknowledged.

Meanwhile outbox files are imported (issue #20), as a phone's outbox saved to a file would be on another device:
each holds submissions that its curator's phone also sends live, and others that only the file carries; half are
imported by the same curator from another session, half by the district officer of its school; each file is posted
until acknowledged (through the SIGKILL too), then once more, which must create nothing.

bench/bench_load.py prints the full figures, tests/test_load.py runs a short version. Each offline-capable kind
is one entry of KINDS; check_registry() fails loudly when a form subclasses OfflineForm and no entry covers it.
"""

import http.client
import importlib
import json
import os
import pkgutil
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from gunicorn import config as gunicorn_config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")
HOST = "127.0.0.1"  # the only address the harness ever talks to
# Fixed, so that sessions, CSRF tokens and the day's check-in code survive the restart.
SECRET_KEY = "kelisim-load-harness-secret"
CURATOR_PASSWORD = "load-harness-curator-7"
# Every client comes from 127.0.0.1: the per-address limits on parent confirmations and registrations are raised.
SERVER_SETTINGS = {"FLASK_PARENT_CONFIRMATIONS_PER_ADDRESS": "1000000000",
                   "FLASK_REGISTRATIONS_PER_ADDRESS": "1000000000"}
OUTBOX_HEADERS = {"X-Kelisim-Outbox": "1", "Accept": "application/json"}
REPEAT_SHARE, CUT_SHARE = 5, 20  # one in five submissions repeats an earlier one; one in twenty is cut
# Outbox files imported during the run: how many, how many of a client's live submissions each copies, and how many
# submissions (of the signed-in kinds) only the file carries.
IMPORT_FILES, IMPORT_COPIES, IMPORT_ONLY = 4, 12, 8
REQUEST_TIMEOUT = 30  # seconds for one request (gunicorn's worker timeout is 30 s too)
MAX_ATTEMPTS = 60  # per submission; with the back-off below that spans about 50 s of outage
BACKOFF, MAX_BACKOFF = 0.05, 1.0
READY_TIMEOUT = 60
# Recent gunicorn opens a control socket in the home folder: two servers at once (a test, a bench) would share it.
CONTROL_SOCKET = ["--no-control-socket"] if any(
    setting.name == "control_socket_disable" for setting in gunicorn_config.KNOWN_SETTINGS) else []
NAMES = ["Айгерім Сапарова", "Ғалым Құрманғали", "Динара Есенова", "Ирина Ким", "Марат Жақыпов", "Гүлнар Әбдірова",
         "Елена Петрова", "Нұрлан Сейітов", "Жанар Төлеубаева", "Ольга Смирнова", "Бауыржан Оспанов", "Светлана Ли"]


# ---------------------------------------------------------------- the offline-capable kinds


@dataclass(frozen=True)
class Kind:
    """One offline-capable form as the harness drives it."""

    name: str
    form: str  # the OfflineForm subclass it covers: "module.Class"
    model: str  # where its submissions are stored, with a unique client_uuid column: "module.Class"
    signed_in: bool  # posted by a signed-in school curator; else a public page
    prepare: Callable  # prepare(ctx, n) -> what n distinct payloads need; in an app context, after accounts
    path: Callable  # path(setup, i) -> where the i-th distinct submission is posted (at the time it is sent)
    payload: Callable  # payload(setup, i) -> its form fields, client_uuid aside


def _nothing(ctx, n):
    return {}


def _yesterday():
    # A day back is in the past in every time zone the forms check against.
    return (date.today() - timedelta(days=1)).isoformat()


def _survey(setup, i):
    from models.surveys import CATEGORIES, OUTCOMES, PROCEDURES, REFERRALS

    day = _yesterday()
    return dict(received_on=day, closed_on=day, category=CATEGORIES[i % len(CATEGORIES)][0],
                students_5_9=str(2 + i % 5), teachers=str(i % 2), referral=REFERRALS[i % len(REFERRALS)][0],
                procedure=PROCEDURES[i % len(PROCEDURES)][0], outcome=OUTCOMES[i % len(OUTCOMES)][0],
                follow_up="not_checked", satisfaction=str(1 + i % 5), notes=f"load harness survey {i}")


def _activity(setup, i):
    from models.outreach import FORMATS

    return dict(held_on=_yesterday(), format=FORMATS[i % len(FORMATS)], grade_from="1", grade_to=str(5 + i % 7),
                language=("kk", "ru", "kk_ru")[i % 3], parents_reached=str(1 + i % 900),
                description=f"load harness activity {i}")


def _links(ctx, n):
    from services import outreach

    return {"slugs": sorted(outreach.links_for([school.id for school in ctx.schools]).values())}


def _confirmation(setup, i):
    return dict(informed="y", grade_band=("1-4", "5-9", "10-11")[i % 3], language=("kk", "ru")[i % 2],
                would_turn=("yes", "no", "unsure")[i % 3])


def _open_event(title, days, opens, closes):
    from models.training import STATUS_OPEN
    from services import training

    return training.create_event(None, dict(
        title_kk=title, title_ru=title, kind="seminar", hours=8, status=STATUS_OPEN, capacity=10_000_000,
        venue="Қарағанды қ., Психологиялық қолдау орталығы", online_url="", organizer_kk="ПҚО", organizer_ru="ЦПП",
        registration_opens=opens, registration_closes=closes, min_days=None, days=days))


def _registration_event(ctx, n):
    from services.training import local_today

    today = local_today()
    event = _open_event("Жүктеме сынағы: тіркелу", [today + timedelta(days=7), today + timedelta(days=8)],
                        today - timedelta(days=1), today + timedelta(days=6))
    return {"slug": event.slug, "places": [(s.district_id, s.id) for s in ctx.schools]}


def _registration(setup, i):
    district_id, school_id = setup["places"][i % len(setup["places"])]
    return dict(full_name=NAMES[i % len(NAMES)], position=("curator", "psychologist", "teacher")[i % 3],
                district=str(district_id), school=str(school_id), phone=f"+7771{i:07d}", email="", consent="y")


def _checkin_people(ctx, n):
    """An event held today and tomorrow (one day earns no certificate) with ``n`` people registered for it: the
    first registration through the service, the rest copied from it in bulk (the service takes ~25 ms each)."""
    from db import db
    from models.training import Registration
    from services import training

    today = training.local_today()
    event = _open_event("Жүктеме сынағы: белгілену", [today, today + timedelta(days=1)], today - timedelta(days=1),
                        today)
    rng = random.Random(7)
    school = ctx.schools[0]
    first, _outcome = training.register(event, dict(
        full_name=NAMES[0], position="curator", district_id=school.district_id, school_id=school.id,
        phone=f"+7772{0:07d}", email=""), str(uuid.UUID(int=rng.getrandbits(128), version=4)), today)
    template = {name: value for name, value in first.__data__.items() if name != "id"}
    rows = [{**template, "token": uuid.uuid4().hex, "full_name": NAMES[i % len(NAMES)],
             "name_key": training.name_key(NAMES[i % len(NAMES)]), "phone": f"+7772{i:07d}",
             "client_uuid": uuid.UUID(int=rng.getrandbits(128), version=4)} for i in range(1, n)]
    with db.atomic():
        for start in range(0, len(rows), 500):
            Registration.insert_many(rows[start:start + 500]).execute()
    return {"slug": event.slug, "event_id": event.id}


def _checkin_path(setup, i):
    """The check-in address with the code of the region's today (a run across midnight checks in on day two)."""
    from config import Config
    from services.training import checkin_code

    today = datetime.now(ZoneInfo(Config.BABEL_DEFAULT_TIMEZONE)).date()
    return f"/e/{setup['slug']}/checkin/{checkin_code(SECRET_KEY, setup['event_id'], today)}"


def _checkin(setup, i):
    return dict(full_name=NAMES[i % len(NAMES)], phone=f"+7772{i:07d}")


KINDS = {kind.name: kind for kind in (
    Kind("survey", "forms.surveys.SurveyForm", "models.surveys.CaseSurvey", True, _nothing,
         lambda setup, i: "/surveys/new", _survey),
    Kind("outreach", "forms.outreach.OutreachForm", "models.outreach.OutreachActivity", True, _nothing,
         lambda setup, i: "/outreach/new", _activity),
    Kind("confirmation", "forms.outreach.ConfirmationForm", "models.outreach.ParentConfirmation", False, _links,
         lambda setup, i: f"/p/{setup['slugs'][i % len(setup['slugs'])]}", _confirmation),
    Kind("registration", "forms.training.RegistrationForm", "models.training.Registration", False,
         _registration_event, lambda setup, i: f"/e/{setup['slug']}", _registration),
    Kind("checkin", "forms.training.CheckinForm", "models.training.Attendance", False, _checkin_people,
         _checkin_path, _checkin),
)}


def _dotted(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def _load(dotted):
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def offline_forms():
    """Every subclass of OfflineForm defined in the forms package ("module.Class")."""
    import forms
    from forms.offline import OfflineForm

    for info in pkgutil.iter_modules(forms.__path__):
        importlib.import_module(f"forms.{info.name}")
    found, todo = set(), [OfflineForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("forms."):
                found.add(_dotted(sub))
    return found


class RegistryGap(RuntimeError):
    pass


def check_registry(found=None):
    """Fail when an offline-capable form has no kind here (or a kind names a form that is gone)."""
    found = offline_forms() if found is None else set(found)
    covered = {kind.form for kind in KINDS.values()}
    missing, stale = sorted(found - covered), sorted(covered - found)
    if missing or stale:
        raise RegistryGap(
            "bench/loadharness.py KINDS does not match the offline-capable forms: "
            + (f"not covered: {', '.join(missing)} (add a Kind that builds its payload and names its model). "
               if missing else "")
            + (f"no longer offline-capable: {', '.join(stale)}." if stale else ""))


# ---------------------------------------------------------------- the database


def postgres_admin_url():
    return os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg_admin():
    import psycopg

    return psycopg.connect(postgres_admin_url(), autocommit=True, connect_timeout=5)


def postgres_reachable():
    try:
        _pg_admin().close()
    except Exception as exc:  # any connection failure
        return exc
    return None


@contextmanager
def temporary_database(engine, folder):
    """The URL of an empty database of ``engine`` (sqlite: a file in ``folder``), dropped afterwards."""
    if engine == "sqlite":
        yield "sqlite:///" + os.path.join(folder, "load.db")
        return
    name = f"kelisim_load_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(postgres_admin_url())._replace(path="/" + name))
    finally:
        with _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare_database(url, distinct, clients):
    """Migrations, the school directory and demo accounts, a curator of its own school for each client, and
    each kind's needs for ``distinct[kind]`` distinct submissions; returns {"curators": [...], kind: its setup}."""
    from app import create_app
    from db import db
    from models.auth import ROLE_DISTRICT, ROLE_SCHOOL, User
    from services import auth, demo, schema

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY})
    setup = {}
    try:
        with app.app_context(), db.connection_context():
            schema.upgrade(db.obj)
            ctx = demo.DemoContext()
            demo.load_directory(ctx)
            taken = {user.school_id for user in User.select().where(User.role == ROLE_SCHOOL)}
            free = [school for school in ctx.schools if school.id not in taken]
            if len(free) < clients:
                raise ValueError(f"the demo directory has schools for {len(free)} curators, not {clients}")
            password_hash = auth.hash_password(CURATOR_PASSWORD)  # once for all: argon2 is slow on purpose
            setup["curators"], setup["officers"] = [], {}
            for school in free[:clients]:
                User.create(username=f"load-{school.code.lower()}", password_hash=password_hash, role=ROLE_SCHOOL,
                            full_name="Load harness", district=school.district_id, school=school)
                setup["curators"].append(f"load-{school.code.lower()}")
                officer = f"load-district-{school.district.code.lower()}"
                if officer not in setup["officers"].values():
                    User.create(username=officer, password_hash=password_hash, role=ROLE_DISTRICT,
                                full_name="Load harness officer", district=school.district_id)
                setup["officers"][setup["curators"][-1]] = officer
            for kind in KINDS.values():
                setup[kind.name] = kind.prepare(ctx, distinct[kind.name])
    finally:
        if not db.is_closed():
            db.close()
    return setup


def stored_client_uuids(url):
    """{kind: Counter of the client_uuids stored in its table}."""
    from db import open_database

    database = open_database(url)
    models = {name: _load(kind.model) for name, kind in KINDS.items()}
    result = {}
    with database.bind_ctx(list(models.values())), database.connection_context():
        for name, model in models.items():
            rows = model.select(model.client_uuid).tuples()
            result[name] = Counter(str(uuid.UUID(str(value))) for (value,) in rows)
    database.close()
    return result


# ---------------------------------------------------------------- the server


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn with 2 workers in its own process group, so that a SIGKILL takes master and workers together.
    Remembers when it was down, so that failures then can be told from failures while it was up."""

    def __init__(self, url, folder):
        self.url, self.folder, self.port = url, folder, free_port()
        self.process = None
        self.log_path = os.path.join(folder, "gunicorn.log")
        self.down = []  # [start, end] of each outage, monotonic seconds; end None while it lasts
        self.lock = threading.Lock()

    def env(self):
        env = {**os.environ, "DATABASE_URL": self.url, "KELISIM_INSTANCE": self.folder, "FLASK_SECRET_KEY": SECRET_KEY,
               **SERVER_SETTINGS}
        env.pop("FLASK_DATABASE_URL", None)
        return env

    def start(self):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [GUNICORN, "--workers", "2", "--bind", f"{HOST}:{self.port}", *CONTROL_SOCKET, "app:create_app()"],
                cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            if self.healthy():
                return
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn was not ready within {READY_TIMEOUT} s:\n{self.log_tail()}")

    def healthy(self):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
        try:
            conn.request("GET", "/healthz")
            return conn.getresponse().status == 200
        except (OSError, http.client.HTTPException):
            return False
        finally:
            conn.close()

    def crash_and_restart(self):
        """SIGKILL to master and workers at once (no graceful anything), then a fresh start on the same port."""
        with self.lock:
            self.down.append([time.monotonic(), None])
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.start()
        with self.lock:
            self.down[-1][1] = time.monotonic()

    def was_down(self, start, end):
        """Whether the server was down at any moment between ``start`` and ``end``."""
        with self.lock:
            return any(s <= end and (e is None or e >= start) for s, e in self.down)

    def downtime(self):
        return sum((e or time.monotonic()) - s for s, e in self.down)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)
        except ProcessLookupError:
            pass

    def log_tail(self, lines=40):
        with open(self.log_path, encoding="utf-8", errors="replace") as fh:
            return "".join(fh.readlines()[-lines:])

    def log_problems(self):
        """Lines of the server's log that tell of a failure (tracebacks, errors), for the report."""
        with open(self.log_path, encoding="utf-8", errors="replace") as fh:
            return [line.rstrip() for line in fh if "Traceback" in line or "Error" in line or "[ERROR]" in line]


# ---------------------------------------------------------------- a phone


class Phone:
    """One virtual phone: its own cookies (session, CSRF), one connection per request, loopback only. The
    parents' one-per-device cookie is never kept: every confirmation comes from a new device."""

    def __init__(self, port):
        from views.outreach import DEVICE_COOKIE

        self.port, self.cookies, self.token, self.dropped = port, {}, None, DEVICE_COOKIE

    def headers(self, extra=None):
        headers = dict(extra or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token:
            headers["X-CSRFToken"] = self.token
        return headers

    def request(self, method, path, fields=None, headers=None, upload=None):
        """(status, body); raises OSError or http.client.HTTPException when the connection fails. ``upload`` is a
        file (name, bytes) posted as the form field "file" (multipart), as a browser's file input does."""
        body = None if fields is None else urlencode(fields).encode()
        headers = self.headers(headers)
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if upload is not None:
            boundary = uuid.uuid4().hex
            body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{upload[0]}"\r\n'
                    f"Content-Type: application/json\r\n\r\n").encode() + upload[1] + f"\r\n--{boundary}--\r\n".encode()
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        conn = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            value, _, attributes = rest.partition(";")
            if name.strip() == self.dropped:
                continue
            if "max-age=0" in attributes.lower().replace(" ", ""):
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return response.status, data

    def cut(self, path, fields, headers):
        """Send the whole request, then close the connection without reading the answer."""
        body = urlencode(fields).encode()
        lines = [f"POST {path} HTTP/1.1", f"Host: {HOST}:{self.port}", f"Content-Length: {len(body)}",
                 "Content-Type: application/x-www-form-urlencoded", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in self.headers(headers).items()]
        with socket.create_connection((HOST, self.port), timeout=REQUEST_TIMEOUT) as sock:
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    def fetch_token(self):
        self.token = None
        status, data = self.request("GET", "/csrf-token", headers={"Accept": "application/json"})
        if status != 200:
            raise RuntimeError(f"/csrf-token answered {status}: {data[:300]!r}")
        self.token = json.loads(data)["csrf_token"]

    def sign_in(self, username, password):
        self.fetch_token()
        status, data = self.request("POST", "/login", {"username": username, "password": password,
                                                       "csrf_token": self.token})
        if status != 302:
            raise RuntimeError(f"signing in as {username} answered {status}: {data[:300]!r}")
        self.fetch_token()  # signing in starts a new session, with a new token


# ---------------------------------------------------------------- the plan and the run


@dataclass
class Submission:
    kind: str
    index: int  # the distinct submission it is (a repeat has the index of the one it repeats)
    client_uuid: str
    fields: dict
    client: int = 0  # which client sends it
    repeat: bool = False
    cut: bool = False


def plan(setup, per_kind, clients, seed=420):
    """``per_kind`` submissions of every kind, interleaved and dealt to ``clients``: a fifth repeat (same
    client_uuid, same content) an earlier one of the same kind, one in twenty of all are cut. A signed-in kind's
    repeat comes from the phone that sent the first (its school is part of the content); a public kind's from any
    phone (a parent's second device)."""
    rng = random.Random(seed)
    per_kind_plans = {}
    for name, kind in KINDS.items():
        repeats = set(rng.sample(range(per_kind // 10, per_kind), per_kind // REPEAT_SHARE))
        items, distinct = [], []
        lag = 2  # repeat what was sent some rounds ago, mostly acknowledged by now
        for position in range(per_kind):
            client = (position * len(KINDS) + len(per_kind_plans)) % clients
            if position in repeats and len(distinct) > lag:
                original = distinct[rng.randrange(len(distinct) - lag)]
                items.append(Submission(name, original.index, original.client_uuid, original.fields,
                                        original.client if kind.signed_in else client, repeat=True))
            else:
                index = len(distinct)
                client_uuid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                distinct.append(Submission(name, index, client_uuid, kind.payload(setup[name], index), client))
                items.append(distinct[-1])
        per_kind_plans[name] = items
    submissions = [items[position] for position in range(per_kind) for items in per_kind_plans.values()]
    submissions = [Submission(s.kind, s.index, s.client_uuid, s.fields, s.client, s.repeat) for s in submissions]
    for position in rng.sample(range(len(submissions)), len(submissions) // CUT_SHARE):
        submissions[position].cut = True
    return submissions


@dataclass
class ImportFile:
    """An outbox file saved on a curator's phone and imported on another device meanwhile."""

    account: str  # the curator whose phone saved it
    importer: str  # who imports it: the same curator, or the district officer of its school
    by_officer: bool
    items: list  # its Submissions: copies of some the phone sends live, and those only the file carries
    only: list
    at_crash: bool = False  # posted the moment the server is about to be killed (when the run is half done)

    def body(self, setup):
        from services import handover

        items = [{"kind": s.kind, "action": KINDS[s.kind].path(setup[s.kind], s.index), "client_uuid": s.client_uuid,
                  "created": int(time.time() * 1000), "fields": [[k, str(v)] for k, v in s.fields.items()]}
                 for s in self.items]
        payload = {"format": handover.FORMAT, "version": 1, "account": self.account, "items": items, "drafts": [],
                   "exported_at": datetime.now(ZoneInfo("UTC")).isoformat()}
        payload["checksum"] = handover.checksum(payload)
        return json.dumps(payload, ensure_ascii=False).encode()


def plan_imports(setup, submissions, per_kind, clients, seed=421):
    """IMPORT_FILES files, one per client in turn: IMPORT_COPIES of the client's live submissions (any kind) and
    IMPORT_ONLY surveys and activities that only the file carries; every other file is the district officer's."""
    rng = random.Random(seed)
    files, extra, base = [], Counter(), distinct_counts(per_kind)
    for number in range(IMPORT_FILES):
        client = number % clients
        curator = setup["curators"][client]
        live = [s for s in submissions if s.client == client and not s.repeat]
        only = []
        for j in range(IMPORT_ONLY):
            name = ("survey", "outreach")[j % 2]
            index = base[name] + extra[name]
            extra[name] += 1
            only.append(Submission(name, index, str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                                   KINDS[name].payload(setup[name], index), client))
        by_officer = number % 2 == 1
        files.append(ImportFile(curator, setup["officers"][curator] if by_officer else curator, by_officer,
                                rng.sample(live, min(IMPORT_COPIES, len(live))) + only, only, at_crash=number == 1))
    return files


def distinct_counts(per_kind):
    """How many distinct submissions plan() makes of each kind (prepare needs it before the plan exists)."""
    return {name: per_kind - per_kind // REPEAT_SHARE for name in KINDS}


@dataclass
class Result:
    engine: str
    per_kind: int
    clients: int
    seconds: float = 0.0
    downtime: float = 0.0
    restarts: int = 0
    counts: Counter = field(default_factory=Counter)  # (kind, what) -> n
    acknowledged: dict = field(default_factory=dict)  # kind -> set of client_uuids
    distinct: dict = field(default_factory=dict)  # kind -> set of client_uuids
    stored: dict = field(default_factory=dict)  # kind -> Counter of stored client_uuids (ours only)
    rows_added: dict = field(default_factory=dict)  # kind -> rows after minus rows before
    samples: list = field(default_factory=list)  # a few unexpected answers, for the report
    server_problems: list = field(default_factory=list)
    imports: list = field(default_factory=list)  # the outbox files imported meanwhile (ImportFile)

    def total(self, what):
        return sum(n for (_kind, w), n in self.counts.items() if w == what)

    @property
    def duplicates(self):
        return sum(n - 1 for counter in self.stored.values() for n in counter.values() if n > 1)

    @property
    def lost(self):
        """Distinct submissions (acknowledged or not) that are not stored."""
        return sum(1 for kind, uuids in self.distinct.items() for u in uuids if self.stored[kind][u] == 0)

    @property
    def acknowledged_not_once(self):
        return sum(1 for kind, uuids in self.acknowledged.items() for u in uuids if self.stored[kind][u] != 1)

    @property
    def distinct_total_right(self):
        return all(self.rows_added[k] == len(self.distinct[k]) == sum(self.stored[k].values()) for k in self.distinct)

    def figures(self):
        """(name, value, goal) lines, in the order they are printed."""
        distinct = sum(len(v) for v in self.distinct.values())
        stored = sum(1 for counter in self.stored.values() for n in counter.values() if n > 0)
        prefix = f"load_{self.engine}"
        repeats = self.per_kind // REPEAT_SHARE * len(self.distinct)
        return [
            (f"{prefix}_run", f"{self.per_kind} submissions of each of {len(self.distinct)} kinds "
             f"({', '.join(self.distinct)}), {self.clients} clients, {self.seconds:.0f} s, {self.restarts} SIGKILL "
             f"+ restart ({self.downtime:.1f} s down)", "informational"),
            (f"{prefix}_sent", self.total("sent"), f"{self.per_kind * len(self.distinct)} submissions + retries"),
            (f"{prefix}_acknowledged", self.total("acknowledged"), self.per_kind * len(self.distinct)),
            (f"{prefix}_repeats", self.total("repeat"), f"a fifth: {repeats}"),
            (f"{prefix}_cut_connections", self.total("cut"), "one in twenty"),
            (f"{prefix}_errors_while_down", self.total("down"), "informational (connection errors while killed)"),
            (f"{prefix}_unexpected_5xx", self.total("5xx"), 0),
            (f"{prefix}_unexpected_connection_errors", self.total("conn"), 0),
            (f"{prefix}_unexpected_4xx", self.total("4xx"), 0),
            (f"{prefix}_given_up", self.total("given_up"), 0),
            (f"{prefix}_stored", f"{stored} of {distinct} distinct", f"{distinct}"),
            (f"{prefix}_distinct_total_right", self.distinct_total_right, True),
            (f"{prefix}_acknowledged_not_stored_once", self.acknowledged_not_once, 0),
            (f"{prefix}_duplicates", self.duplicates, 0),
            (f"{prefix}_lost", self.lost, 0),
            (f"{prefix}_import_files", f"{len(self.imports)} files of {sum(len(f.items) for f in self.imports)} "
             f"items ({sum(len(f.only) for f in self.imports)} only in a file), imported by "
             f"{sum(1 for f in self.imports if f.by_officer)} district officers and "
             f"{sum(1 for f in self.imports if not f.by_officer)} curators, concurrently with the live sends",
             "informational"),
            (f"{prefix}_import_posts", self.total("import_sent"), f"{2 * len(self.imports)} + retries"),
            (f"{prefix}_imports_acknowledged", self.total("import_acknowledged"), len(self.imports)),
            (f"{prefix}_second_imports_created", self.total("second_import_created"), 0),
            (f"{prefix}_import_items_not_taken", self.total("import_not_taken"), 0),
            (f"{prefix}_mean_answer_ms", ", ".join(
                f"{kind} {self.counts[(kind, 'answer_ms')] / max(1, self.counts[(kind, 'acknowledged')]):.0f}"
                for kind in self.distinct), f"informational (2xx answers; {self.clients} clients queue for 2 workers)"),
        ]

    @property
    def ok(self):
        return (self.lost == 0 and self.duplicates == 0 and self.acknowledged_not_once == 0
                and self.distinct_total_right and all(self.total(w) == 0 for w in ("5xx", "conn", "4xx", "given_up"))
                and self.total("import_acknowledged") == len(self.imports)
                and self.total("second_import_created") == self.total("import_not_taken") == 0)


class Run:
    """The clients of one run: each delivers its share of the plan like the phone's outbox does."""

    def __init__(self, server, setup, submissions, result):
        self.server, self.setup, self.submissions, self.result = server, setup, submissions, result
        self.lock = threading.Lock()
        self.done = 0
        self.halfway = threading.Event()

    def count(self, kind, what, n=1):
        with self.lock:
            self.result.counts[(kind, what)] += n

    def sample(self, text):
        with self.lock:
            if len(self.result.samples) < 10:
                self.result.samples.append(text)

    def finished(self, submission, acknowledged):
        with self.lock:
            if acknowledged:
                self.result.acknowledged[submission.kind].add(submission.client_uuid)
            self.done += 1
            if self.done * 2 >= len(self.submissions):
                self.halfway.set()

    def failure(self, kind, start, what, detail):
        """A failed attempt: expected while the server was down, else counted as unexpected."""
        if self.server.was_down(start, time.monotonic()):
            self.count(kind, "down")
        else:
            self.count(kind, what)
            self.sample(f"{kind}: {detail}")

    def deliver(self, phone, submission, curator):
        """Send until a 2xx is read (bounded); True when acknowledged."""
        kind = KINDS[submission.kind]
        fields = {**submission.fields, "client_uuid": submission.client_uuid}
        cut = submission.cut
        for attempt in range(MAX_ATTEMPTS):
            path = kind.path(self.setup[kind.name], submission.index)
            start = time.monotonic()
            self.count(kind.name, "sent")
            try:
                if cut:
                    phone.cut(path, fields, OUTBOX_HEADERS)
                    self.count(kind.name, "cut")
                    cut = False
                    continue  # the answer was never read: the outbox sends it again
                status, body = phone.request("POST", path, fields, OUTBOX_HEADERS)
            except (OSError, http.client.HTTPException) as exc:
                self.failure(kind.name, start, "conn", f"{type(exc).__name__}: {exc}")
                time.sleep(min(MAX_BACKOFF, BACKOFF * (attempt + 1)))
                continue
            if 200 <= status < 300:
                self.count(kind.name, "acknowledged")
                self.count(kind.name, "answer_ms", round((time.monotonic() - start) * 1000))
                self.count(kind.name, json.loads(body).get("status", "?"))
                return True
            if status >= 500:
                self.failure(kind.name, start, "5xx", f"{status} {body[:300]!r}")
                time.sleep(min(MAX_BACKOFF, BACKOFF * (attempt + 1)))
                continue
            if not self.recover(phone, status, body, kind, curator):
                self.count(kind.name, "4xx")
                self.sample(f"{kind.name}: {status} {body[:300]!r}")
                return False
        self.count(kind.name, "given_up")
        return False

    def recover(self, phone, status, body, kind, curator):
        """What the outbox does on an expired token or an ended session; False for a real refusal."""
        try:
            answer = json.loads(body)
        except ValueError:
            return False
        try:
            if status == 400 and answer.get("error") == 400:  # the CSRF token: fetch a fresh one
                self.count(kind.name, "fresh_token")
                phone.fetch_token()
                return True
            if status == 401 and kind.signed_in:
                self.count(kind.name, "signed_in_again")
                phone.sign_in(curator, CURATOR_PASSWORD)
                return True
        except (OSError, http.client.HTTPException, RuntimeError):
            return True  # the server went away meanwhile: the next attempt tells
        return False

    def post_import(self, phone, upload, importer):
        """Posts an outbox file until the import is acknowledged (its JSON answer), as deliver(); None if refused."""
        for attempt in range(MAX_ATTEMPTS):
            start = time.monotonic()
            self.count("import", "import_sent")
            try:
                status, body = phone.request("POST", "/outbox/import", headers=OUTBOX_HEADERS, upload=upload)
            except (OSError, http.client.HTTPException) as exc:
                self.failure("import", start, "conn", f"{type(exc).__name__}: {exc}")
                time.sleep(min(MAX_BACKOFF, BACKOFF * (attempt + 1)))
                continue
            if status == 201:
                return json.loads(body)
            if status >= 500:
                self.failure("import", start, "5xx", f"{status} {body[:300]!r}")
                time.sleep(min(MAX_BACKOFF, BACKOFF * (attempt + 1)))
                continue
            if not self.recover(phone, status, body, KINDS["survey"], importer):
                self.count("import", "4xx")
                self.sample(f"import: {status} {body[:300]!r}")
                return None
        self.count("import", "given_up")
        return None

    def importer(self, files, barrier, errors, deadline):
        """Imports its files spread over the run (file n once n/(files+1) of the live submissions are done; one the
        moment the server is killed), each until acknowledged and then once more: the second must create nothing."""
        try:
            phones = {}
            for name in {f.importer for f in files}:
                phones[name] = Phone(self.server.port)
                phones[name].sign_in(name, CURATOR_PASSWORD)
            barrier.wait()
            for n, outbox_file in enumerate(files):
                if outbox_file.at_crash:
                    self.halfway.wait(timeout=max(1, deadline[0] - time.monotonic()))
                while (not outbox_file.at_crash and self.done * (len(files) + 1) < (n + 1) * len(self.submissions)
                       and time.monotonic() < deadline[0]):
                    time.sleep(0.05)
                phone, upload = phones[outbox_file.importer], ("outbox.json", outbox_file.body(self.setup))
                answer = self.post_import(phone, upload, outbox_file.importer)
                if answer is None:
                    continue
                self.count("import", "import_acknowledged")
                by_code = {s.client_uuid: s for s in outbox_file.items}
                for item in answer["items"]:
                    if item["outcome"] in ("created", "duplicate"):
                        with self.lock:
                            self.result.acknowledged[by_code[item["client_uuid"]].kind].add(item["client_uuid"])
                    else:
                        self.count("import", "import_not_taken")
                        self.sample(f"import item {item}")
                again = self.post_import(phone, upload, outbox_file.importer)
                if again is not None:
                    self.count("import", "second_import_created", again["created"])
        except Exception as exc:  # reported by run(); the barrier must not hang the others
            errors.append(exc)
            barrier.abort()

    def client(self, number, barrier, errors):
        try:
            phone = Phone(self.server.port)
            curator = self.setup["curators"][number]
            phone.sign_in(curator, CURATOR_PASSWORD)
            barrier.wait()
            for submission in self.submissions:
                if submission.client == number:
                    self.finished(submission, self.deliver(phone, submission, curator))
        except Exception as exc:  # reported by run(); the barrier must not hang the others
            errors.append(exc)
            barrier.abort()


def run(url, folder, per_kind, clients, engine, crash=True, progress=None):
    """One run on the database at ``url`` (empty); returns the Result. The server is always stopped."""
    check_registry()
    say = progress or (lambda text: None)
    say(f"{engine}: preparing the database")
    setup = prepare_database(url, distinct_counts(per_kind), clients)
    before = {kind: sum(c.values()) for kind, c in stored_client_uuids(url).items()}
    submissions = plan(setup, per_kind, clients)
    result = Result(engine, per_kind, clients)
    result.imports = plan_imports(setup, submissions, per_kind, clients)
    for kind in KINDS:
        result.acknowledged[kind] = set()
        result.distinct[kind] = {s.client_uuid for s in submissions if s.kind == kind}
        result.distinct[kind] |= {s.client_uuid for f in result.imports for s in f.only if s.kind == kind}
    result.counts.update({(s.kind, "repeat"): 0 for s in submissions})
    for submission in submissions:
        result.counts[(submission.kind, "repeat")] += submission.repeat
    server = Server(url, folder)
    try:
        server.start()
        work = Run(server, setup, submissions, result)
        importers = [result.imports[0::2], result.imports[1::2]]  # the curators' files, the officers'
        errors, barrier = [], threading.Barrier(clients + len(importers) + 1)
        wait_until = [time.monotonic() + 600]
        threads = [threading.Thread(target=work.client, args=(n, barrier, errors), daemon=True) for n in range(clients)]
        threads += [threading.Thread(target=work.importer, args=(files, barrier, errors, wait_until), daemon=True)
                    for files in importers]
        for thread in threads:
            thread.start()
        try:
            barrier.wait(timeout=120)
        except threading.BrokenBarrierError:
            errors.append(RuntimeError("the clients did not sign in within 120 s"))
            raise RuntimeError(f"{errors[0]}\nserver log:\n{server.log_tail()}") from errors[0]
        say(f"{engine}: {len(submissions)} submissions from {clients} clients")
        start = time.monotonic()
        deadline = start + max(300, len(submissions) / 10)  # bounded, even at 10 submissions a second
        wait_until[0] = deadline
        if crash:
            while not work.halfway.wait(timeout=1) and any(t.is_alive() for t in threads):
                if time.monotonic() > deadline:
                    break
            if work.halfway.is_set():
                say(f"{engine}: SIGKILL to the server at {work.done} of {len(submissions)}, restarting")
                server.crash_and_restart()
                result.restarts += 1
        for thread in threads:
            thread.join(timeout=max(1, deadline - time.monotonic()))
        result.seconds = time.monotonic() - start
        result.downtime = server.downtime()
        if any(thread.is_alive() for thread in threads):
            raise RuntimeError(f"clients still running after {result.seconds:.0f} s")
        if errors:
            raise RuntimeError(f"a client failed: {errors[0]!r}\nserver log:\n{server.log_tail()}") from errors[0]
    finally:
        server.stop()
    result.server_problems = server.log_problems()
    stored = stored_client_uuids(url)
    for kind, counter in stored.items():
        result.rows_added[kind] = sum(counter.values()) - before[kind]
        result.stored[kind] = Counter({u: counter[u] for u in result.distinct[kind]})
    return result
