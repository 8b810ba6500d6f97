"""Load and fault figures (issue #7) on SQLite, then PostgreSQL: the service under gunicorn with 2 workers, 20
concurrent clients over loopback (127.0.0.1 only) sending BENCH_LOAD_N submissions of every offline-capable kind
(default the issue's 10,000 each), a fifth of them repeats, one in twenty cut before the answer is read, the whole
server killed with SIGKILL midway and restarted; then what was acknowledged is counted against what was stored.
The harness is bench/loadharness.py; tests/test_load.py runs a short version in `make test`.

The full run took 14 min on SQLite and 27 min on PostgreSQL on a 2-core machine shared with other work
(2026-11-26). BENCH_LOAD_N=2000 gives the same checks in about a fifth of the time; BENCH_LOAD_ENGINES=sqlite or
=postgres runs one engine. PostgreSQL is reached at TEST_DATABASE_URL (default postgres@127.0.0.1:5432); the run
creates and drops its own database.

    .venv/bin/python bench/run.py bench_load
    BENCH_LOAD_N=2000 BENCH_LOAD_ENGINES=sqlite .venv/bin/python bench/run.py bench_load
"""

import os
import shutil
import sys
import tempfile
import time

from bench import loadharness
from bench.common import report

PER_KIND = int(os.environ.get("BENCH_LOAD_N", "10000"))
CLIENTS = 20
ENGINES = [e.strip() for e in os.environ.get("BENCH_LOAD_ENGINES", "sqlite,postgres").split(",") if e.strip()]


def progress(text):
    print(f"  ({time.strftime('%H:%M:%S')} {text})", file=sys.stderr, flush=True)


def run_engine(engine):
    folder = tempfile.mkdtemp(prefix=f"kelisim-load-{engine}-")
    try:
        with loadharness.temporary_database(engine, folder) as url:
            result = loadharness.run(url, folder, PER_KIND, CLIENTS, engine, progress=progress)
        for name, value, goal in result.figures():
            report(name, value, goal)
        report(f"load_{engine}_ok", result.ok, "True: nothing lost or stored twice, no unexpected 5xx/4xx")
        for line in result.samples:
            print(f"  unexpected answer: {line}", flush=True)
        for line in result.server_problems[:10]:
            print(f"  server log: {line}", flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main():
    if "sqlite" in ENGINES:
        run_engine("sqlite")
    if "postgres" not in ENGINES:
        return
    problem = loadharness.postgres_reachable()
    if problem is not None:
        print(f"load_postgres: skipped, PostgreSQL not reachable at {loadharness.postgres_admin_url()} ({problem})",
              flush=True)
        return
    run_engine("postgres")


if __name__ == "__main__":
    main()
