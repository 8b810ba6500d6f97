"""Surveys posted through the whole service (session, CSRF from /csrf-token, form, idempotent insert, audit)
under gunicorn with 2 workers, against a minimal Flask endpoint that inserts one row per request under the
same server and engine: 2,000 posts from 8 concurrent clients over loopback, a fifth of them repeats.
SQLite first, then PostgreSQL (skipped with a note when 127.0.0.1:5432 is not reachable)."""

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import date
from urllib.parse import urlencode

from bench.common import report

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")
PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TOTAL = 2000
CLIENTS = 8
REPEAT_EVERY = 5  # every fifth post repeats an earlier one of the same client
ROUNDS = 5  # baseline and survey rounds alternate
PASSWORD = "kelisim-demo"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def survey(client_uuid):
    today = date.today().isoformat()
    return dict(client_uuid=client_uuid, received_on=today, closed_on=today, category="bullying",
                students_5_9="2", teachers="1", referral="teacher", procedure="mediation", outcome="agreement",
                follow_up="not_checked", satisfaction="4", notes="Тараптар келісімге келді.")


class Client:
    """One phone: its own connection and cookies, over loopback only."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            body = urlencode(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(3):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()
                if attempt == 2:
                    raise
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
        return response.status, data

    def token(self):
        import json

        status, data = self.request("GET", "/csrf-token", headers={"Accept": "application/json"})
        assert status == 200, status
        return json.loads(data)["csrf_token"]

    def sign_in(self, username):
        status, _ = self.request("POST", "/login", {"username": username, "password": PASSWORD,
                                                    "csrf_token": self.token()})
        assert status == 302, f"sign-in failed: {status}"
        return self.token()


def start_server(app_spec, port, env, folder):
    log = open(os.path.join(folder, f"gunicorn-{port}.log"), "wb")
    process = subprocess.Popen(
        [GUNICORN, "--workers", "2", "--bind", f"127.0.0.1:{port}", "--max-requests", "0", "--no-control-socket",
         "--log-level", "warning", app_spec],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.1)
    stop_server(process)
    raise RuntimeError(f"{app_spec} did not start on port {port}")


def stop_server(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Phone:
    """One client's plan: where it posts, with which headers, and the surveys it has sent (for repeats)."""

    def __init__(self, port, path, username=None, repeats=False):
        self.client = Client(port)
        self.path, self.repeats, self.sent, self.posted = path, repeats, [], 0
        self.headers = {"Accept": "application/json", "X-Kelisim-Outbox": "1"}
        if username:
            self.headers["X-CSRFToken"] = self.client.sign_in(username)

    def post_next(self):
        self.posted += 1
        if self.repeats and self.posted % REPEAT_EVERY == 0:
            body = self.sent[(self.posted * 7) % len(self.sent)]
        else:
            body = survey(str(uuid.uuid4()))
            self.sent.append(body)
        start = time.perf_counter()
        status, _ = self.client.request("POST", self.path, body, self.headers)
        return status, time.perf_counter() - start


def run_round(phones, per_phone):
    """All phones post ``per_phone`` times at once; (seconds, latencies, statuses)."""
    latencies, statuses, errors = [], {}, []
    lock = threading.Lock()

    def worker(phone):
        try:
            mine = [phone.post_next() for _ in range(per_phone)]
        except Exception as exc:  # reported below
            errors.append(exc)
            return
        with lock:
            for status, seconds in mine:
                latencies.append(seconds)
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=worker, args=(phone,)) for phone in phones]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    seconds = time.perf_counter() - start
    if errors:
        raise errors[0]
    return seconds, latencies, statuses


def compare(ports):
    """Baseline and survey rounds taken in turn, so that both see the same load from the rest of the machine."""
    phones = {
        "baseline": [Phone(ports["baseline"], "/insert") for _ in range(CLIENTS)],
        "surveys": [Phone(ports["surveys"], "/surveys/new", ("school", "school2")[i % 2], repeats=True)
                    for i in range(CLIENTS)],
    }
    totals = {name: [0.0, [], {}] for name in phones}
    for _ in range(ROUNDS):
        for name, group in phones.items():
            seconds, latencies, statuses = run_round(group, TOTAL // CLIENTS // ROUNDS)
            totals[name][0] += seconds
            totals[name][1].extend(latencies)
            for status, count in statuses.items():
                totals[name][2][status] = totals[name][2].get(status, 0) + count
    return totals


def prepare(url):
    """Migrations and the demo accounts (no other demo data), plus the baseline's table."""
    from app import create_app
    from bench.baseline_app import BaselineRow
    from db import db, open_database
    from services import demo, schema

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    with app.app_context(), db.connection_context():
        schema.upgrade(db.obj)
        demo.load_directory(demo.DemoContext())
    db.close()
    database = open_database(url)
    with database.bind_ctx([BaselineRow]), database.connection_context():
        database.create_tables([BaselineRow])
    database.close()


def count_rows(url, table):
    from db import open_database

    database = open_database(url)
    with database.connection_context():
        (count,) = database.execute_sql(f'SELECT COUNT(*) FROM "{table}"').fetchone()
    database.close()
    return count


def bench_engine(engine, url, folder):
    prepare(url)
    env = {**os.environ, "DATABASE_URL": url, "KELISIM_INSTANCE": folder, "FLASK_SECRET_KEY": "bench-secret",
           "PYTHONPATH": ROOT}
    env.pop("FLASK_DATABASE_URL", None)
    servers, ports = [], {}
    try:
        for name, spec in (("baseline", "bench.baseline_app:create_app()"), ("surveys", "app:create_app()")):
            ports[name] = free_port()
            servers.append(start_server(spec, ports[name], env, folder))
        results = compare(ports)
    finally:
        for server in servers:
            stop_server(server)
    seconds, latencies, statuses = results["surveys"]
    latencies.sort()
    base_seconds, _base_latencies, base_statuses = results["baseline"]
    rate, base_rate = TOTAL / seconds, TOTAL / base_seconds
    p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000
    distinct = TOTAL - (TOTAL // CLIENTS // REPEAT_EVERY) * CLIENTS
    stored = count_rows(url, "case_survey")
    report(f"surveys_{engine}_per_second", f"{rate:.0f}", "informational")
    report(f"surveys_{engine}_baseline_inserts_per_second", f"{base_rate:.0f}", "informational")
    report(f"surveys_{engine}_ratio_to_baseline", f"{rate / base_rate:.2f}", "≥ 0.5")
    report(f"surveys_{engine}_p95_ms", f"{p95:.1f}", "informational")
    report(f"surveys_{engine}_stored_exactly_distinct", f"{stored == distinct} ({stored} of {distinct} distinct; "
           f"answers {dict(sorted(statuses.items()))})", "True")
    if base_statuses != {201: TOTAL}:
        report(f"surveys_{engine}_baseline_answers", str(base_statuses), f"{{201: {TOTAL}}}")


def pg_admin():
    import psycopg

    return psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)


def main():
    folder = tempfile.mkdtemp(prefix="kelisim-bench-surveys-")
    try:
        bench_engine("sqlite", "sqlite:///" + os.path.join(folder, "bench.db"), folder)
        try:
            pg_admin().close()
        except Exception as exc:  # any connection failure
            print(f"surveys_postgres: skipped, PostgreSQL not reachable at 127.0.0.1:5432 ({exc})", flush=True)
            return
        name = f"kelisim_bench_{os.getpid()}"
        with pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            bench_engine("postgres", PG_ADMIN.rsplit("/", 1)[0] + "/" + name, folder)
        finally:
            from db import db

            if db.obj is not None and not db.is_closed():
                db.close()
            with pg_admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.path.insert(0, ROOT)
    main()
