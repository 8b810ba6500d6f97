"""The region tally on a country-sized data set (bench/generate_country.py, sized by BENCH_SCALE), on SQLite and on
PostgreSQL: the tally as services.tallies computes it against the plainest GROUP BY that returns the same case
counts, the district PDF of the 300-school district, and peak memory.

Each engine's data set is generated in this process (progress bar on stderr); the timings run in a fresh child
process, whose peak resident memory (getrusage ru_maxrss: Python, the app, WeasyPrint and the database driver
together) is the figure reported. The PostgreSQL database is created on 127.0.0.1:5432 as user postgres (or
BENCH_PG_URL) and dropped afterwards; without a server that part is skipped.
"""

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import report  # noqa: E402

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
HERE = os.path.abspath(__file__)

# The baseline: one plain GROUP BY giving every case count the tally shows (by district and by category,
# procedure and outcome; totals are its sums).
BASELINE = ('SELECT s.district_id, c.category, c.procedure, c.outcome, COUNT(*) FROM case_survey c '
            'JOIN school s ON s.id = c.school_id WHERE c.quarter = {p} GROUP BY 1, 2, 3, 4')


CPU = {}
# The PostgreSQL server process that serves this benchmark's connection (its pid), when on this machine.
SERVER = {}


def server_cpu():
    """CPU seconds the database server process has spent for this connection (PostgreSQL on this machine; 0 for
    SQLite, which works inside this process and is counted by process_time())."""
    pid = SERVER.get("pid")
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:  # a server on another machine: its CPU time is not ours to read
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_now():
    return time.process_time() + server_cpu()


def best(fn, repeat=3, name=None):
    """(best wall seconds, result); the CPU seconds of that run (this process and, on PostgreSQL, its server
    process) go to CPU[name]: on a busy machine wall time grows with the load, CPU time much less."""
    best_wall, result = float("inf"), None
    for _ in range(repeat):
        start, cpu = time.perf_counter(), cpu_now()
        result = fn()
        wall = time.perf_counter() - start
        if wall < best_wall:
            best_wall = wall
            if name:
                CPU[name] = cpu_now() - cpu
    return best_wall, result


def measure(url, quarter, big_district):
    """Runs in the child process: prints one JSON line of figures."""
    from flask_babel import force_locale

    from app import create_app
    from db import db, is_sqlite
    from models.auth import User
    from models.directory import District
    from services import tallies
    from services.quarters import Quarter

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True})
    period = Quarter.parse(quarter)
    figures = {}
    with app.test_request_context(), force_locale("ru"), db.connection_context():
        if not is_sqlite():
            SERVER["pid"] = db.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
        tallies.region_tally(period)  # warm: imports, first queries, caches of the planner
        figures["tally_s"], tally = best(lambda: tallies.region_tally(period), name="tally")
        mark = "?" if is_sqlite() else "%s"
        figures["baseline_s"], rows = best(lambda: db.execute_sql(BASELINE.format(p=mark), (quarter,)).fetchall())
        figures["surveys_part_s"], _ = best(lambda: tallies.survey_figures(period))
        figures["year_tally_s"], _ = best(lambda: tallies.region_tally(tallies.Year(period.year)), repeat=1)
        # The service's case counts are the baseline's, district by district.
        plain = {}
        for district_id, category, procedure, outcome, n in rows:
            counts = plain.setdefault(district_id, {"surveys": 0})
            counts["surveys"] += n
            for key in (f"cat_{category}", f"proc_{procedure}", f"out_{outcome}"):
                counts[key] = counts.get(key, 0) + n
        for row in tally["rows"]:
            expected = plain.get(row["id"], {"surveys": 0})
            assert all(row["figures"].get(k, 0) == v for k, v in expected.items()), row["code"]
        figures["surveys"] = tally["total"]["surveys"]
        figures["schools"] = tally["total"]["schools"]
        district = District.get(District.code == big_district)
        admin = User.get(User.username == "bench-admin")

        def district_pdf():
            d_tally = tallies.district_tally(period, district)
            return tallies.tally_file(admin, d_tally, "pdf", "ru", district.name, district.name), len(d_tally["rows"])

        figures["first_pdf_s"], _ = best(district_pdf, repeat=1)
        figures["district_pdf_s"], (pdf, figures["pdf_schools"]) = best(district_pdf, repeat=2, name="pdf")
        figures["pdf_kb"] = len(pdf) // 1024
    figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["cpu"] = CPU
    figures["load"] = os.getloadavg()[0]
    print(json.dumps(figures))


def _pg_admin():
    import psycopg

    return psycopg.connect(urlunsplit(urlsplit(PG_URL)._replace(scheme="postgresql")), autocommit=True,
                           connect_timeout=5)


def engines(folder):
    """(name, url, drop) for SQLite and, when a server answers, PostgreSQL."""
    path = os.path.join(folder, "country.db")
    yield "sqlite", "sqlite:///" + path, lambda: [os.remove(p) for p in (path, path + "-wal", path + "-shm")
                                                  if os.path.exists(p)]
    try:
        _pg_admin().close()
    except Exception as exc:  # no server: the PostgreSQL figures are skipped
        print(f"tallies: PostgreSQL not reachable at {PG_URL} ({exc}); skipping it", file=sys.stderr)
        return
    name = f"kelisim_bench_{os.getpid()}"

    def drop():
        with _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield "postgres", urlunsplit(urlsplit(PG_URL)._replace(path="/" + name)), drop


def main():
    scale = float(os.environ.get("BENCH_SCALE", "1.0"))
    folder = tempfile.mkdtemp(prefix="kelisim-country-")
    report("tallies_scale", f"{scale:g}", "1 = 7,500 schools, 1,000,000 surveys")
    try:
        _run(scale, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # the SQLite country is half a gigabyte


def _run(scale, folder):
    from bench import generate_country

    for engine, url, drop in engines(folder):
        try:
            started = time.perf_counter()
            counts = generate_country.generate(url, scale)
            report(f"tallies_{engine}_generate_s", f"{time.perf_counter() - started:.1f}", "informational")
            child = subprocess.run([sys.executable, HERE, "--measure", url, counts["quarter"], counts["big_district"]],
                                   capture_output=True, text=True)
            if child.returncode:
                sys.stderr.write(child.stderr)
                raise SystemExit(f"tallies: measuring on {engine} failed")
            f = json.loads(child.stdout.strip().splitlines()[-1])
        finally:
            drop()
        report(f"tallies_{engine}_region_tally_s", f"{f['tally_s']:.3f}",
               f"< 1 s ({f['schools']} schools, {f['surveys']} surveys in {counts['quarter']}; CPU of this "
               f"process and its database server {f['cpu']['tally']:.3f} s; load average {f['load']:.1f} on "
               f"{os.cpu_count()} cores)")
        report(f"tallies_{engine}_baseline_group_by_s", f"{f['baseline_s']:.3f}", "informational")
        # Like for like: the tally's case-count query (one GROUP BY school, every count at once, read into
        # per-school rows) against the plain GROUP BY.
        report(f"tallies_{engine}_case_counts_ratio_to_group_by", f"{f['surveys_part_s'] / f['baseline_s']:.2f}",
               "≤ 2")
        # The whole tally also reads every school's checklist, outreach and training.
        report(f"tallies_{engine}_whole_tally_ratio_to_group_by", f"{f['tally_s'] / f['baseline_s']:.2f}",
               "≤ 2 (the baseline counts cases only)")
        report(f"tallies_{engine}_year_tally_s", f"{f['year_tally_s']:.3f}", "informational")
        report(f"tallies_{engine}_district_pdf_s", f"{f['district_pdf_s']:.2f}",
               f"< 3 s ({f['pdf_schools']} schools, {f['pdf_kb']} KB; CPU {f['cpu']['pdf']:.2f} s; first in process "
               f"{f['first_pdf_s']:.2f} s)")
        report(f"tallies_{engine}_peak_memory_mb", f"{f['peak_mb']:.0f}", "< 300 (peak RSS of the measuring process)")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--measure":
        measure(*sys.argv[2:])
    else:
        main()
