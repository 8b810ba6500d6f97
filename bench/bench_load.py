"""Load and fault figures (issue #7) on SQLite, then PostgreSQL: the service under gunicorn with 2 workers, 20
concurrent clients over loopback sending BENCH_LOAD_N submissions of every offline-capable kind (default 2,000 each:
the issue's 10,000 each took 26 min on SQLite and 35 on PostgreSQL here, 2 cores shared with other work), a fifth of
them repeats, one in twenty cut before the answer is read, the whole server killed with SIGKILL midway and restarted;
then what was acknowledged is counted against what was stored. The harness is bench/loadharness.py.

    .venv/bin/python bench/run.py bench_load
    BENCH_LOAD_N=10000 .venv/bin/python bench/run.py bench_load
"""

import os
import shutil
import sys
import tempfile
import time

from bench import loadharness
from bench.common import report

PER_KIND = int(os.environ.get("BENCH_LOAD_N", "2000"))
CLIENTS = 20


def progress(text):
    print(f"  ({time.strftime('%H:%M:%S')} {text})", file=sys.stderr, flush=True)


def run_engine(engine):
    folder = tempfile.mkdtemp(prefix=f"kelisim-load-{engine}-")
    try:
        with loadharness.temporary_database(engine, folder) as url:
            result = loadharness.run(url, folder, PER_KIND, CLIENTS, engine, progress=progress)
        for name, value, goal in result.figures():
            report(name, value, goal)
        for line in result.samples:
            print(f"  unexpected answer: {line}", flush=True)
        for line in result.server_problems[:10]:
            print(f"  server log: {line}", flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main():
    run_engine("sqlite")
    problem = loadharness.postgres_reachable()
    if problem is not None:
        print(f"load_postgres: skipped, PostgreSQL not reachable at {loadharness.postgres_admin_url()} ({problem})",
              flush=True)
        return
    run_engine("postgres")


if __name__ == "__main__":
    main()
