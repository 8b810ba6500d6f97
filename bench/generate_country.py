"""A country-sized data set for the tally bench: 7,500 schools in 200 districts (one of 300 schools), 1,000,000 case
surveys over the last eight complete quarters, 100,000 training attendances, 300,000 parents' confirmations, plus
outreach activities, setup checklists and certificates; every count times BENCH_SCALE (default 1.0).

Rows are made lazily and written in bulk, one transaction per table: a prepared INSERT over chunks of 10,000 rows
(executemany) on SQLite, COPY on PostgreSQL. Surveys, activities and confirmations are written in date order, as
they arrive in real life. A textual progress bar goes to stderr.

    python bench/generate_country.py sqlite:////tmp/country.db [--scale 0.1]
"""

import argparse
import os
import random
import sys
import time
import uuid
from datetime import date, datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from db import db, is_sqlite, open_database  # noqa: E402

BIG_DISTRICT = "D001"
FULL = dict(districts=200, schools=7500, big_district_schools=300, surveys=1_000_000, attendances=100_000,
            confirmations=300_000, activities=60_000, events=60)


def sizes(scale):
    """The row counts at ``scale`` (1.0 is the country)."""
    scaled = {name: max(1, round(n * scale)) for name, n in FULL.items()}
    scaled["districts"] = max(2, scaled["districts"])
    scaled["big_district_schools"] = min(scaled["big_district_schools"], scaled["schools"] // 2)
    return scaled


class Progress:
    """A one-line textual progress bar on stderr, redrawn at most five times a second."""

    def __init__(self, label, total, stream=sys.stderr):
        self.label, self.total, self.stream = label, max(1, total), stream
        self.done, self.started, self.drawn = 0, time.perf_counter(), 0.0

    def update(self, n):
        self.done += n
        now = time.perf_counter()
        if now - self.drawn >= 0.2 or self.done >= self.total:
            self.drawn = now
            share = min(1.0, self.done / self.total)
            bar = "#" * int(share * 30)
            self.stream.write(f"\r{self.label:<14} [{bar:<30}] {share:6.1%} {self.done:>9,}/{self.total:,} "
                              f"{now - self.started:6.1f}s")
            self.stream.flush()

    def close(self):
        self.stream.write("\n")
        self.stream.flush()


def row_columns(model, given):
    """The model's fields in insertion order: the ``given`` ones, then every other field at its default (or
    NULL); a required field the generator does not know stops it with its name."""
    fields, constants = [], []
    for name, f in model._meta.fields.items():
        if f is model._meta.primary_key:
            continue
        if name in given:
            fields.append(f)
            continue
        if f.default is not None:
            constants.append((f, f.default() if callable(f.default) else f.default))
        elif f.null:
            constants.append((f, None))
        else:
            raise SystemExit(f"generate_country: {model.__name__}.{name} is new and required; teach the generator")
    ordered = [model._meta.fields[name] for name in given] + [f for f, _value in constants]
    return ordered, tuple(value for _f, value in constants)


def bulk(model, given, rows, total, label, chunk=None):
    """Write ``rows`` (tuples in the order of ``given``) into ``model``'s table; returns how many."""
    fields, constants = row_columns(model, given)
    progress = Progress(label, total)
    written = 0
    database = db.obj
    if is_sqlite(database):
        # One prepared INSERT run over chunks of rows (executemany) in one transaction: peewee's insert_many
        # builds its SQL in Python and managed only ~4,000 rows/s here.
        columns = ", ".join(f'"{f.column_name}"' for f in fields)
        sql = f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES ({", ".join("?" * len(fields))})'
        converters = [(i, f.db_value) for i, f in enumerate(fields) if not _plain(f)]
        chunk = chunk or 10000
        batch = []
        with database.atomic():
            cursor = database.cursor()
            for row in rows:
                row = list(row + constants)
                for i, convert in converters:
                    row[i] = convert(row[i])
                batch.append(row)
                if len(batch) >= chunk:
                    cursor.executemany(sql, batch)
                    written += len(batch)
                    progress.update(len(batch))
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                written += len(batch)
                progress.update(len(batch))
    else:
        columns = ", ".join(f'"{f.column_name}"' for f in fields)
        converters = [_pg_value(f) for f in fields]
        with database.atomic():
            cursor = database.connection().cursor()
            with cursor.copy(f'COPY "{model._meta.table_name}" ({columns}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row([convert(v) for convert, v in zip(converters, row + constants, strict=True)])
                    written += 1
                    if written % 5000 == 0:
                        progress.update(5000)
            progress.update(written % 5000)
    progress.close()
    return written


def _plain(f):
    """Fields whose Python values SQLite takes as they are (the others go through the field's db_value)."""
    from peewee import CharField, IntegerField, TextField, UUIDField

    return isinstance(f, CharField | IntegerField | TextField) and not isinstance(f, UUIDField)


def _pg_value(f):
    from peewee import UUIDField

    if isinstance(f, UUIDField):
        return lambda v: v if v is None or isinstance(v, uuid.UUID) else uuid.UUID(str(v))
    return lambda v: v


def _uuid(n, salt):
    return uuid.UUID(int=(salt << 96) | n, version=4)


def last_quarters(n, today):
    from services.quarters import recent

    return list(reversed(recent(n + 1, today)[1:]))


def generate(url, scale=1.0, today=None, seed=420):
    """Migrate an empty database at ``url`` and fill it; returns the counts written and the bench's quarter."""
    from services import schema
    from services.auth import hash_password

    today = today or date.today()
    n = sizes(scale)
    rng = random.Random(seed)
    database = open_database(url)
    db.initialize(database)
    counts = {}
    with database.connection_context():
        schema.upgrade(database)
        from models.auth import User
        from models.directory import District, School

        quarters = last_quarters(8, today)
        with database.atomic():
            # The region's 13 districts are replaced by the country's (no school refers to them yet).
            District.delete().execute()
            District.insert_many([dict(code=f"D{i:03d}", name_kk=f"№{i} аудан", name_ru=f"Район №{i}",
                                       name_en=f"District {i}") for i in range(1, n["districts"] + 1)]).execute()
            User.create(username="bench-admin", password_hash=hash_password("bench-password-123"), role="admin",
                        full_name="Bench")
        districts = [d.id for d in District.select(District.id).order_by(District.code)]
        big, others = districts[0], districts[1:]

        def school_rows():
            for i in range(n["schools"]):
                district = big if i < n["big_district_schools"] else others[i % len(others)]
                yield (district, f"S{i + 1:05d}", f"№{i + 1} мектеп", f"Школа №{i + 1}")

        counts["schools"] = bulk(School, ["district", "code", "name_kk", "name_ru"], school_rows(), n["schools"],
                                 "schools")
        schools = [s.id for s in School.select(School.id).order_by(School.id)]
        counts["setups"] = _setups(rng, schools)
        counts.update(_surveys(rng, schools, quarters, n["surveys"]))
        counts.update(_outreach(rng, schools, quarters, n["activities"], n["confirmations"]))
        counts.update(_training(rng, schools, quarters, n["events"], n["attendances"]))
        # Production databases keep planner statistics (PostgreSQL's autovacuum, SQLite's PRAGMA optimize).
        database.execute_sql("ANALYZE")
    database.close()
    counts["quarter"] = quarters[-1].code
    counts["big_district"] = BIG_DISTRICT
    return counts


def _setups(rng, schools):
    from models.setup import SchoolSetup

    def rows():
        for school in schools:
            kind = rng.random()
            if kind < 0.2:
                continue
            full = kind < 0.75
            yield (school, "12-н", date(2024, 10, 1), date(2024, 10, 15) if full else None,
                   "pedagogical_council" if full else "", date(2024, 10, 25) if full else None,
                   "Куратор" if full else "", "Педагог-психолог" if full else "",
                   "https://school.kz/mediation" if full and kind < 0.6 else "")

    given = ["school", "order_number", "order_date", "regulation_date", "council_kind", "council_date",
             "curator_name", "curator_position", "website_url"]
    return bulk(SchoolSetup, given, rows(), int(len(schools) * 0.8), "setup")


CATEGORY_WEIGHTS = [30, 12, 6, 8, 3, 10, 25, 6]
PROCEDURE_WEIGHTS = [60, 15, 20, 5]
OUTCOME_WEIGHTS = [60, 20, 12, 8]


def _surveys(rng, schools, quarters, total):
    from models.surveys import CATEGORIES, OUTCOMES, PROCEDURES, REFERRALS, CaseSurvey

    categories = [c for c, _ in CATEGORIES]
    procedures = [p for p, _ in PROCEDURES]
    outcomes = [o for o, _ in OUTCOMES]
    referrals = [r for r, _ in REFERRALS]
    per_quarter = total // len(quarters)

    def rows():
        serial = 0
        for index, quarter in enumerate(quarters):
            count = per_quarter + (total - per_quarter * len(quarters) if index == len(quarters) - 1 else 0)
            # About one school in ten files nothing in a given quarter.
            active = rng.sample(schools, max(1, int(len(schools) * 0.9)))
            days = (quarter.end - quarter.start).days + 1
            cats = rng.choices(categories, CATEGORY_WEIGHTS, k=count)
            procs = rng.choices(procedures, PROCEDURE_WEIGHTS, k=count)
            outs = rng.choices(outcomes, OUTCOME_WEIGHTS, k=count)
            for i in range(count):
                serial += 1
                closed = quarter.start + timedelta(days=i * days // count)
                outcome = outs[i]
                agreed = outcome in ("agreement", "partial")
                follow = rng.choice(("yes", "yes", "no", "not_checked")) if agreed else "not_checked"
                yield (rng.choice(active), str(_uuid(serial, 1)), "-", closed - timedelta(days=serial % 14), closed,
                       quarter.code, quarter.year, cats[i], serial % 3, 2, serial % 2, 1, serial % 2, 0, 0,
                       referrals[serial % len(referrals)], procs[i], outcome, follow,
                       closed + timedelta(days=20) if follow != "not_checked" else None,
                       rng.randint(2, 5) if agreed else rng.randint(1, 3))

    given = ["school", "client_uuid", "client_fingerprint", "received_on", "closed_on", "quarter", "year",
             "category", "students_1_4", "students_5_9", "students_10_11", "teachers", "parents", "administration",
             "other_adults", "referral", "procedure", "outcome", "follow_up", "follow_up_on", "satisfaction"]
    return {"surveys": bulk(CaseSurvey, given, rows(), total, "surveys")}


def _outreach(rng, schools, quarters, activities, confirmations):
    from models.outreach import OutreachActivity, ParentConfirmation

    start, end = quarters[0].start, quarters[-1].end
    span = (end - start).days + 1

    def activity_rows():
        for i in range(activities):
            held = start + timedelta(days=i * span // activities)
            yield (rng.choice(schools), held, "general_meeting", 1, 11, "kk", rng.randint(20, 400),
                   _uuid(i + 1, 2), "-")

    given = ["school", "held_on", "format", "grade_from", "grade_to", "language", "parents_reached", "client_uuid",
             "client_fingerprint"]
    result = {"activities": bulk(OutreachActivity, given, activity_rows(), activities, "activities")}

    def confirmation_rows():
        for i in range(confirmations):
            quarter = quarters[i * len(quarters) // confirmations]
            at = datetime.combine(quarter.start, datetime.min.time()) + timedelta(minutes=i % 120000)
            yield (rng.choice(schools), at, quarter.code, "5-9", "kk", "yes", _uuid(i + 1, 3), "-")

    given = ["school", "confirmed_at", "quarter", "grade_band", "language", "would_turn", "client_uuid",
             "client_fingerprint"]
    result["confirmations"] = bulk(ParentConfirmation, given, confirmation_rows(), confirmations, "confirmations")
    return result


def _training(rng, schools, quarters, events, attendances):
    """Events of two days each; registrations (the first of each school, for most schools, its curator) attending
    one or two days, to about ``attendances`` attendances; certificates for curators who attended both days."""
    try:
        from models.training import Attendance, Certificate, EventDay, Registration, TrainingEvent
    except ImportError:  # the training feature is not installed
        return {}
    from models.directory import School

    district_of = {s.id: s.district_id for s in School.select(School.id, School.district)}
    start, end = quarters[0].start, quarters[-1].end
    span = (end - start).days - 2
    event_rows = []
    for i in range(events):
        first = start + timedelta(days=i * span // events)
        event_rows.append(dict(code=f"B{i:04d}", code_seq=i + 1, slug=f"b{i:05d}", title_kk=f"№{i + 1} семинар",
                               title_ru=f"Семинар №{i + 1}", kind="seminar", hours=16, organizer_kk="ПҚО",
                               organizer_ru="ЦПП", capacity=5000, registration_opens=first - timedelta(days=30),
                               registration_closes=first, status="closed", first_day=first,
                               last_day=first + timedelta(days=1)))
    with db.atomic():
        TrainingEvent.insert_many(event_rows).execute()
    event_ids = [e.id for e in TrainingEvent.select(TrainingEvent.id).where(TrainingEvent.code.startswith("B"))
                 .order_by(TrainingEvent.code)]
    with db.atomic():
        EventDay.insert_many([dict(event=event_id, day=row["first_day"] + timedelta(days=d))
                              for event_id, row in zip(event_ids, event_rows, strict=True) for d in (0, 1)]).execute()
    days = {}
    for day in EventDay.select().order_by(EventDay.event, EventDay.day):
        days.setdefault(day.event_id, []).append(day.id)
    # Each registration attends 1 or 2 days (1.5 on average).
    registrations = int(attendances / 1.5)
    curators = set(rng.sample(schools, int(len(schools) * 0.8)))
    plan = []  # (event id, school, position, days attended)
    for i in range(registrations):
        school = schools[i % len(schools)]
        curator = i < len(schools) and school in curators
        plan.append((event_ids[i % len(event_ids)], school, "curator" if curator else "teacher",
                     2 if curator else 1 + i % 2))

    def registration_rows():
        for i, (event_id, school, position, _days) in enumerate(plan):
            name = f"Қатысушы {i + 1}"
            yield (event_id, f"t{i:031d}", name, name.lower(), position, district_of[school], school,
                   f"+77{i:09d}", datetime(2024, 1, 1), _uuid(i + 1, 4), "-")

    given = ["event", "token", "full_name", "name_key", "position", "district", "school", "phone", "consent_at",
             "client_uuid", "client_fingerprint"]
    counts = {"registrations": bulk(Registration, given, registration_rows(), len(plan), "registrations")}
    registration_ids = [r.id for r in Registration.select(Registration.id).order_by(Registration.id)]

    def attendance_rows():
        serial = 0
        for registration_id, (event_id, _school, _position, attended) in zip(registration_ids, plan, strict=True):
            for day_id in days[event_id][:attended]:
                serial += 1
                yield (registration_id, day_id, "roster", _uuid(serial, 5), "-")

    total = sum(p[3] for p in plan)
    given = ["registration", "day", "method", "client_uuid", "client_fingerprint"]
    counts["attendances"] = bulk(Attendance, given, attendance_rows(), total, "attendances")
    issued = datetime.combine(start, datetime.min.time())

    def certificate_rows():
        seq = 0
        for registration_id, (event_id, _school, position, attended) in zip(registration_ids, plan, strict=True):
            if position == "curator" and attended == 2 and registration_id % 2:
                seq += 1
                revoked = issued + timedelta(days=40) if seq % 50 == 0 else None
                yield (registration_id, event_id, seq, f"B-{seq:06d}", f"c{seq:031d}", f"Қатысушы {seq}",
                       issued + timedelta(days=(seq * 7) % 700), revoked)

    given = ["registration", "event", "seq", "number", "code", "holder_name", "issued_at", "revoked_at"]
    expected = sum(1 for rid, p in zip(registration_ids, plan, strict=True) if p[2] == "curator" and rid % 2)
    counts["certificates"] = bulk(Certificate, given, certificate_rows(), expected, "certificates")
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="database URL of an empty database (sqlite:///... or postgresql://...)")
    parser.add_argument("--scale", type=float, default=float(os.environ.get("BENCH_SCALE", "1.0")))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    counts = generate(args.url, args.scale)
    print(f"generated in {time.perf_counter() - started:.1f}s: {counts}", file=sys.stderr)
    return counts


if __name__ == "__main__":
    main()
