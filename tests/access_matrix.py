"""The answer every route gives every role (MATRIX), the records its address is built from (Records, PARAMS),
and a module-scoped site that the access-matrix, header and fuzz tests walk.

TABLE has one line per route: the method, the rule (converters left out: <int:survey_id> is <survey_id>), and
the answer to each role in ROLES order: an HTTP status ("200", "400", "403", "404", "302" for a redirect
elsewhere than the login page) or "L" for a redirect to the login page. A POST carries no valid form data (CSRF
is off, as in every test app), so a form answers 400 to those allowed to use it, while a bare button (EmptyForm)
does its work. A route whose address names a record of one school (an "owned" parameter in PARAMS) has two
lines, with the owner column: for records of "school" (KRG district) and of "school2" (TMR), so that another
school's or another district's record by id answers 404.

A new route: run `.venv/bin/python -m tests.access_matrix` to print the lines of the routes missing here, with
what each role gets now; check every answer (who may see it; 404 across schools and districts), then add them.
"""

import os
import re
import shutil
from functools import cached_property
from urllib.parse import urlsplit

import pytest

from db import db, open_database, sqlite_url
from models import ALL_MODELS
from models.auth import ROLE_SCHOOL, User, UserSession
from tests import factories
from tests.conftest import ENGINE, migrate, new_database_url, reset_postgres

ROLES = ("anonymous", "school", "school2", "district", "monitor", "admin")
OWNERS = ("school", "school2")

# Roles, in ROLES order: anon(ymous), sch(ool), sch2 (school2), dist(rict, KRG), mon(itor), adm(in).
TABLE = """
#    rule                                                                owner   anon sch  sch2 dist mon  adm
GET  /                                                                           200  200  200  200  200  200
GET  /audit                                                                      L    403  403  403  403  200
GET  /certificates/find                                                          200  200  200  200  200  200
POST /certificates/find                                                          400  400  400  400  400  400
GET  /csrf-token                                                                 200  200  200  200  200  200
GET  /e/<slug>                                                                   200  200  200  200  200  200
POST /e/<slug>                                                                   400  400  400  400  400  400
GET  /e/<slug>/checkin/<code>                                                    200  200  200  200  200  200
POST /e/<slug>/checkin/<code>                                                    400  400  400  400  400  400
GET  /e/<slug>/schools                                                           200  200  200  200  200  200
GET  /healthz                                                                    200  200  200  200  200  200
GET  /login                                                                      200  200  200  200  200  200
POST /login                                                                      400  400  400  400  400  400
POST /logout                                                                     L    L    L    L    L    L
GET  /manifest.webmanifest                                                       200  200  200  200  200  200
GET  /materials                                                                  L    200  200  200  200  200
GET  /materials/<material_id>                                                    L    200  200  200  200  200
GET  /materials/<material_id>/download                                           L    302  302  302  302  302
GET  /materials/<material_id>/edit                                               L    403  403  403  403  200
POST /materials/<material_id>/edit                                               L    403  403  403  403  302
GET  /materials/<material_id>/versions/<number>/download                         L    200  200  200  200  200
GET  /materials/<material_id>/versions/new                                       L    403  403  403  403  200
POST /materials/<material_id>/versions/new                                       L    403  403  403  403  400
GET  /materials/model-regulation                                                 L    302  302  302  302  302
GET  /materials/new                                                              L    403  403  403  403  200
POST /materials/new                                                              L    403  403  403  403  400
GET  /monitoring                                                                 L    302  302  302  302  302
GET  /monitoring/flags                                                           L    403  403  200  200  200
GET  /monitoring/reports                                                         L    403  403  200  200  200
GET  /monitoring/reports/<report_id>                                             L    403  403  404  200  200
GET  /monitoring/reports/<report_id>/districts/<district_code>/report-<lang>.pdf school  L    403  403  200  200  200
GET  /monitoring/reports/<report_id>/districts/<district_code>/report-<lang>.pdf school2 L    403  403  404  200  200
GET  /monitoring/reports/<report_id>/edit                                        L    403  403  403  200  200
POST /monitoring/reports/<report_id>/edit                                        L    403  403  403  302  302
GET  /monitoring/reports/<report_id>/publish                                     L    403  403  403  200  200
POST /monitoring/reports/<report_id>/publish                                     L    403  403  403  400  400
GET  /monitoring/reports/<report_id>/report-<lang>.pdf                           L    403  403  403  200  200
GET  /monitoring/reports/new                                                     L    403  403  403  200  200
POST /monitoring/reports/new                                                     L    403  403  403  400  400
GET  /monitoring/settings                                                        L    403  403  403  403  200
POST /monitoring/settings                                                        L    403  403  403  403  400
GET  /monitoring/trends                                                          L    302  302  302  200  200
GET  /monitoring/trends/<district_code>                                  school  L    403  403  200  200  200
GET  /monitoring/trends/<district_code>                                  school2 L    403  403  404  200  200
GET  /monitoring/trends/<district_code>/<school_id>                      school  L    200  404  200  200  200
GET  /monitoring/trends/<district_code>/<school_id>                      school2 L    404  200  404  200  200
GET  /offline                                                                    200  200  200  200  200  200
GET  /outbox                                                                     200  200  200  200  200  200
GET  /outbox/import                                                              L    200  200  200  403  403
POST /outbox/import                                                              L    400  400  400  403  403
GET  /outbox/imports/<import_id>                                         school  L    200  404  200  200  200
GET  /outbox/imports/<import_id>                                         school2 L    404  200  404  200  200
GET  /outreach                                                                   L    200  200  200  200  200
GET  /outreach/<activity_id>                                             school  L    200  404  200  200  200
GET  /outreach/<activity_id>                                             school2 L    404  200  404  200  200
POST /outreach/<activity_id>/delete                                      school  L    302  404  403  403  403
POST /outreach/<activity_id>/delete                                      school2 L    404  302  403  403  403
GET  /outreach/<activity_id>/edit                                        school  L    200  404  403  403  403
GET  /outreach/<activity_id>/edit                                        school2 L    404  200  403  403  403
POST /outreach/<activity_id>/edit                                        school  L    400  404  403  403  403
POST /outreach/<activity_id>/edit                                        school2 L    404  400  403  403  403
GET  /outreach/leaflets.pdf                                                      L    403  403  200  404  404
GET  /outreach/new                                                               L    200  200  403  403  403
POST /outreach/new                                                               L    400  400  403  403  403
GET  /outreach/schools/<school_id>                                       school  L    200  404  200  200  200
GET  /outreach/schools/<school_id>                                       school2 L    404  200  404  200  200
GET  /outreach/schools/<school_id>/leaflet.pdf                           school  L    200  404  200  200  200
GET  /outreach/schools/<school_id>/leaflet.pdf                           school2 L    404  200  404  200  200
GET  /p/<slug>                                                                   200  200  200  200  200  200
POST /p/<slug>                                                                   400  400  400  400  400  400
GET  /p/<slug>/thanks                                                            200  200  200  200  200  200
GET  /participant/<token>                                                        200  200  200  200  200  200
GET  /participant/<token>/certificate.pdf                                        200  200  200  200  200  200
GET  /password                                                                   L    200  200  200  200  200
POST /password                                                                   L    400  400  400  400  400
GET  /personal-data                                                              L    403  403  403  403  200
GET  /personal-data/<registration_id>                                    school  L    403  403  403  403  200
GET  /personal-data/<registration_id>                                    school2 L    403  403  403  403  200
GET  /personal-data/<registration_id>/erase                              school  L    403  403  403  403  200
GET  /personal-data/<registration_id>/erase                              school2 L    403  403  403  403  200
POST /personal-data/<registration_id>/erase                              school  L    403  403  403  403  400
POST /personal-data/<registration_id>/erase                              school2 L    403  403  403  403  400
GET  /personal-data/<registration_id>/export.<fmt>                       school  L    403  403  403  403  200
GET  /personal-data/<registration_id>/export.<fmt>                       school2 L    403  403  403  403  200
GET  /schools                                                                    L    403  403  200  200  200
GET  /schools/<school_id>/edit                                           school  L    403  403  403  403  200
GET  /schools/<school_id>/edit                                           school2 L    403  403  403  403  200
POST /schools/<school_id>/edit                                           school  L    403  403  403  403  400
POST /schools/<school_id>/edit                                           school2 L    403  403  403  403  400
GET  /schools/new                                                                L    403  403  403  403  200
POST /schools/new                                                                L    403  403  403  403  400
GET  /sessions                                                                   L    200  200  200  200  200
POST /sessions/<session_id>/end                                                  L    404  404  404  404  404
POST /sessions/end-all                                                           L    L    L    L    L    L
GET  /setup                                                                      L    200  200  200  200  200
GET  /setup/deadlines                                                            L    200  200  200  200  200
POST /setup/deadlines/<deadline_id>/delete                                       L    403  403  403  403  302
GET  /setup/deadlines/<deadline_id>/edit                                         L    403  403  403  403  200
POST /setup/deadlines/<deadline_id>/edit                                         L    403  403  403  403  400
GET  /setup/deadlines/new                                                        L    403  403  403  403  200
POST /setup/deadlines/new                                                        L    403  403  403  403  400
GET  /setup/edit                                                                 L    200  200  403  403  403
POST /setup/edit                                                                 L    400  400  403  403  403
GET  /setup/schools/<school_id>                                          school  L    200  404  200  200  200
GET  /setup/schools/<school_id>                                          school2 L    404  200  404  200  200
GET  /surveys                                                                    L    200  200  200  200  200
GET  /surveys/<survey_id>                                                school  L    200  404  200  200  200
GET  /surveys/<survey_id>                                                school2 L    404  200  404  200  200
GET  /surveys/<survey_id>/edit                                           school  L    200  404  403  403  403
GET  /surveys/<survey_id>/edit                                           school2 L    404  200  403  403  403
POST /surveys/<survey_id>/edit                                           school  L    400  404  403  403  403
POST /surveys/<survey_id>/edit                                           school2 L    404  400  403  403  403
GET  /surveys/new                                                                L    200  200  403  403  403
POST /surveys/new                                                                L    400  400  403  403  403
GET  /sw.js                                                                      200  200  200  200  200  200
GET  /tallies                                                                    L    302  302  302  302  302
GET  /tallies/<period>                                                           L    302  302  302  200  200
GET  /tallies/<period>/<district_code>                                   school  L    403  403  200  200  200
GET  /tallies/<period>/<district_code>                                   school2 L    403  403  404  200  200
GET  /tallies/<period>/<district_code>/<school_id>                       school  L    200  404  200  200  200
GET  /tallies/<period>/<district_code>/<school_id>                       school2 L    404  200  404  200  200
GET  /tallies/<period>/<district_code>/<school_id>/records/<kind>.<fmt>  school  L    403  403  200  200  200
GET  /tallies/<period>/<district_code>/<school_id>/records/<kind>.<fmt>  school2 L    403  403  404  200  200
GET  /tallies/<period>/<district_code>/<school_id>/tally.<fmt>           school  L    403  403  200  200  200
GET  /tallies/<period>/<district_code>/<school_id>/tally.<fmt>           school2 L    403  403  404  200  200
GET  /tallies/<period>/<district_code>/records/<kind>.<fmt>              school  L    403  403  200  200  200
GET  /tallies/<period>/<district_code>/records/<kind>.<fmt>              school2 L    403  403  404  200  200
GET  /tallies/<period>/<district_code>/tally.<fmt>                       school  L    403  403  200  200  200
GET  /tallies/<period>/<district_code>/tally.<fmt>                       school2 L    403  403  404  200  200
GET  /tallies/<period>/records/<kind>.<fmt>                                      L    403  403  403  200  200
GET  /tallies/<period>/tally.<fmt>                                               L    403  403  403  200  200
GET  /training                                                                   L    200  200  200  200  200
GET  /training/<event_id>                                                        L    200  200  200  200  200
POST /training/<event_id>/certificates                                           L    403  403  403  403  302
GET  /training/<event_id>/certificates.pdf                                       L    403  403  403  403  200
GET  /training/<event_id>/days/<day_id>                                          L    403  403  403  200  200
POST /training/<event_id>/days/<day_id>/<state>/<registration_id>        school  L    403  403  403  403  302
POST /training/<event_id>/days/<day_id>/<state>/<registration_id>        school2 L    403  403  403  403  302
GET  /training/<event_id>/days/<day_id>/checkin                                  L    403  403  403  403  200
GET  /training/<event_id>/edit                                                   L    403  403  403  403  200
POST /training/<event_id>/edit                                                   L    403  403  403  403  400
GET  /training/<event_id>/poster                                                 L    403  403  403  200  200
GET  /training/<event_id>/roster.<fmt>                                           L    200  200  200  200  200
GET  /training/certificates/<certificate_id>.pdf                                 L    403  403  403  403  200
GET  /training/certificates/<certificate_id>/revoke                              L    403  403  403  403  200
POST /training/certificates/<certificate_id>/revoke                              L    403  403  403  403  400
GET  /training/new                                                               L    403  403  403  403  200
POST /training/new                                                               L    403  403  403  403  400
GET  /training/tally                                                             L    200  200  200  200  200
GET  /training/tally.<fmt>                                                       L    200  200  200  200  200
GET  /users                                                                      L    403  403  200  403  200
GET  /users/<user_id>/edit                                               school  L    403  403  200  403  200
GET  /users/<user_id>/edit                                               school2 L    403  403  404  403  200
POST /users/<user_id>/edit                                               school  L    403  403  302  403  302
POST /users/<user_id>/edit                                               school2 L    403  403  404  403  302
POST /users/<user_id>/reset                                              school  L    403  403  200  403  200
POST /users/<user_id>/reset                                              school2 L    403  403  404  403  200
GET  /users/new                                                                  L    403  403  200  403  200
POST /users/new                                                                  L    403  403  400  403  400
GET  /verify/<code>                                                              200  200  200  200  200  200
"""


def parse_table(table):
    """{key: {owner or None: [answer per role]}} from the lines of TABLE."""
    matrix = {}
    for number, line in enumerate(table.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        method, path, *rest = line.split()
        owner = rest.pop(0) if rest and rest[0] in OWNERS else None
        if len(rest) != len(ROLES):
            raise ValueError(f"access matrix line {number}: {len(rest)} answers for {len(ROLES)} roles: {line!r}")
        rows = matrix.setdefault(f"{method} {path}", {})
        if owner in rows:
            raise ValueError(f"access matrix line {number}: {method} {path} given twice")
        rows[owner] = rest
    return matrix


MATRIX = parse_table(TABLE)


# A word in the free text of each owner's records: a page that a role of the other side reads must never show it.
MARKERS = {"school": "LeakKrg", "school2": "LeakTmr"}


class Records:
    """Records of one owner's school, made on first use: a survey, an outreach activity, a registration for a
    training event (attended, with a certificate), a material, a deadline, a curator account. Shared records (GET)
    put both owners' registrations in one event; fresh ones (POST) get an event of their own."""

    def __init__(self, site, owner, fresh=False):
        self.site, self.owner, self.fresh = site, owner, fresh
        self.marker = MARKERS[owner]

    @property
    def world(self):
        return self.site.world

    @property
    def admin(self):
        return self.world.users["admin"]

    @cached_property
    def school(self):
        return self.world.schools[self.owner]

    @cached_property
    def survey(self):
        return factories.make_survey(self.school, notes=f"{self.marker} survey")

    @cached_property
    def activity(self):
        return factories.make_outreach(self.school, description=f"{self.marker} outreach")

    @cached_property
    def parent_slug(self):
        from services import outreach

        return outreach.links_for([self.school.id])[self.school.id]

    @cached_property
    def curator(self):
        return factories.make_user(ROLE_SCHOOL, school=self.school, full_name=f"{self.marker} Куратор")

    @cached_property
    def user_session(self):
        """A session of the curator account (no role of the matrix): someone else's session for every reader."""
        from services import sessions

        sessions.start(self.curator, "Matrix")
        return self.curator.sessions.get()

    @cached_property
    def event(self):
        return factories.make_event(self.admin) if self.fresh else self.site.shared_event

    @cached_property
    def day(self):
        return self.event.ordered_days()[0]

    @cached_property
    def registration(self):
        return factories.make_registration(self.event, self.school, full_name=f"{self.marker} Қатысушы",
                                           email=f"{self.marker.lower()}@example.kz")

    @cached_property
    def certificate(self):
        from services import training

        training.mark_present(self.admin, self.registration, self.day)
        return self.registration.certificates.get()

    @cached_property
    def checkin_code(self):
        from services import training

        return training.checkin_code(self.site.app.config["SECRET_KEY"], self.event.id, self.day.day)

    @cached_property
    def outbox_import(self):
        """An import of an outbox file of this school by its curator, with one item."""
        import uuid

        from services import handover

        item = handover.Item("survey", "/surveys/new", str(uuid.uuid4()), [("category", "bullying")])
        outbox_file = handover.OutboxFile(self.owner, None, "sha256:-", [item])
        return handover.record_import(self.world.users[self.owner], self.school, outbox_file,
                                      [handover.Outcome("created", self.survey.id)])

    @cached_property
    def material(self):
        return factories.make_material(self.admin)

    @cached_property
    def deadline(self):
        from models.setup import ITEMS, SetupDeadline

        found = SetupDeadline.select().order_by(SetupDeadline.id).first()
        if found is not None:
            return found
        return factories.set_deadlines((ITEMS[0], self.today))[0]

    @cached_property
    def today(self):
        from services.setup import local_today

        return local_today()

    @cached_property
    def quarter(self):
        from services.quarters import Quarter

        return Quarter.of(self.today).code

    @cached_property
    def report(self):
        """A draft monitoring report with its texts, for a past quarter that has no report yet."""
        from services import monitoring

        texts = {name: "Тексеру мәтіні" for name in ("findings_kk", "findings_ru", "recommendations_kk",
                                                     "recommendations_ru")}
        return monitoring.create_report(self.admin, self._free_quarter(), texts)

    @cached_property
    def published_report(self):
        """A published monitoring report (one for the whole site: publishing renders its PDFs)."""
        from models.monitoring import MonitoringReport
        from services import monitoring

        found = MonitoringReport.select().where(MonitoringReport.published_at.is_null(False)).first()
        if found is not None:
            return found
        texts = {name: "Жарияланған мәтін" for name in ("findings_kk", "findings_ru", "recommendations_kk",
                                                        "recommendations_ru")}
        report = monitoring.create_report(self.admin, self._free_quarter(), texts)
        with self.site.app.test_request_context():
            return monitoring.publish(self.admin, report)

    def _free_quarter(self):
        from models.monitoring import MonitoringReport
        from services.quarters import Quarter

        quarter = Quarter.of(self.today).previous()
        while MonitoringReport.select().where(MonitoringReport.quarter == quarter.code).exists():
            quarter = quarter.previous()
        return quarter.code

    def make_all(self):
        """Every record at once (so that pages which list records have the other side's to leak)."""
        for name in ("survey", "activity", "parent_slug", "curator", "certificate", "checkin_code", "material",
                     "deadline"):
            getattr(self, name)


# URL parameter -> (owned: does access depend on whose record it is?, value from Records). A key may be narrowed to
# an endpoint ("training.verify:code") or a blueprint ("outreach:slug") where one name means different records.
PARAMS = {
    "survey_id": (True, lambda r: r.survey.id),
    "activity_id": (True, lambda r: r.activity.id),
    "school_id": (True, lambda r: r.school.id),
    "district_code": (True, lambda r: r.school.district.code),
    "user_id": (True, lambda r: r.curator.id),
    "registration_id": (True, lambda r: r.registration.id),
    "event_id": (False, lambda r: r.certificate.event_id),
    "day_id": (False, lambda r: r.day.id),
    "certificate_id": (False, lambda r: r.certificate.id),
    "token": (False, lambda r: r.certificate.registration.token),
    "training:slug": (False, lambda r: r.event.slug),
    "training.verify:code": (False, lambda r: r.certificate.code),
    "training.checkin:code": (False, lambda r: r.checkin_code),
    "outreach:slug": (False, lambda r: r.parent_slug),
    "material_id": (False, lambda r: r.material.id),
    "import_id": (True, lambda r: r.outbox_import.id),
    "number": (False, lambda r: 1),
    "deadline_id": (False, lambda r: r.deadline.id),
    "session_id": (False, lambda r: r.user_session.id),
    "period": (False, lambda r: r.quarter),
    "kind": (False, lambda r: "surveys"),
    "fmt": (False, lambda r: "csv"),
    "state": (False, lambda r: "present"),
    "monitoring:report_id": (False, lambda r: r.report.id),
    "monitoring.report_pdf:report_id": (False, lambda r: r.published_report.id),
    "monitoring.district_pdf:report_id": (False, lambda r: r.published_report.id),
    "monitoring:lang": (False, lambda r: "kk"),
}


def param(endpoint, name):
    """(owned, value function) for one URL parameter of an endpoint, or None when PARAMS does not know it."""
    blueprint = endpoint.split(".")[0]
    for key in (f"{endpoint}:{name}", f"{blueprint}:{name}", name):
        if key in PARAMS:
            return PARAMS[key]
    return None


# ---------------------------------------------------------------- routes


CONVERTER = re.compile(r"<(?:[^<>]*:)?([^<>:]+)>")


def rule_key(method, rule):
    """"GET /surveys/<survey_id>" for the rule /surveys/<int:survey_id>."""
    return method + " " + CONVERTER.sub(r"<\1>", rule.rule)


def routes(app):
    """{key: rule} for every route of the app but static files."""
    found = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            key = rule_key(method, rule)
            if key in found:
                raise ValueError(f"two rules read {key}: {found[key].rule} and {rule.rule}")
            found[key] = rule
    return found


def is_owned(rule):
    return any((param(rule.endpoint, name) or (False,))[0] for name in rule.arguments)


def expected(key):
    """{owner: [answer per role]} of a MATRIX entry (a line without owner names records of "school")."""
    return {owner or "school": answers for owner, answers in MATRIX[key].items()}


def answer(response):
    """The matrix's token for a response: its status, or L for a redirect to the login page."""
    if 300 <= response.status_code < 400 and urlsplit(response.headers.get("Location", "")).path == "/login":
        return "L"
    return str(response.status_code)


# ---------------------------------------------------------------- the site: one app and database per test module


class Site:
    """One app (its templates compiled once) on one database, the standard world, a client per role."""

    def __init__(self, app, database, empty):
        self.app, self.database, self.empty = app, database, empty
        self.clients = {role: app.test_client() for role in ROLES}
        self.world = None
        self._shared = {}

    def populate(self):
        self.world = factories.make_world()
        with self.app.app_context():  # the model regulation, so that its stable address has something to lead to
            factories.make_material(self.world.users["admin"], kind="model_regulation")

    def reset(self):
        """The migrated database again with a new standard world, for a test that changes things at will."""
        self.bind()
        if not db.is_closed():
            db.close()
        self.empty()
        self._shared.clear()
        self.__dict__.pop("shared_event", None)
        self.populate()
        return self

    def bind(self):
        """Point the database proxy at this site's database (other fixtures may have moved it)."""
        db.initialize(self.database)
        return self

    def records(self, owner, fresh=False):
        """Records of ``owner``; GETs share one set, a POST gets its own (a button may delete what it names)."""
        if fresh:
            return Records(self, owner, fresh=True)
        if owner not in self._shared:
            self._shared[owner] = Records(self, owner)
        return self._shared[owner]

    @cached_property
    def shared_event(self):
        return factories.make_event(self.world.users["admin"])

    def url(self, rule, owner="school", fresh=False):
        records = self.records(owner, fresh)
        values = {}
        with self.app.app_context():
            for name in rule.arguments:
                found = param(rule.endpoint, name)
                if found is None:
                    raise LookupError(f"no value for URL parameter <{name}> of {rule.rule} ({rule.endpoint}): "
                                      f"add it to PARAMS in tests/access_matrix.py")
                values[name] = found[1](records)
        built = rule.build(values, append_unknown=False)
        return built[1] if built else None

    def client(self, role):
        """The role's test client, signed in afresh (the account is re-read: its session may have ended)."""
        client = self.clients[role]
        with client.session_transaction() as session:
            session.clear()
            if role != "anonymous":
                session.update(factories.session_data(User.get_by_id(self.world.users[role].id)))
        return client

    def request(self, role, method, rule, owner="school", data=None, **kwargs):
        """(url, response) of one request by ``role``; a POST without ``data`` carries one unknown field, so that
        a form sees a submission with nothing valid in it (an empty body would re-submit an edit form's record)."""
        url = self.url(rule, owner, fresh=method != "GET")
        if method != "GET" and data is None:
            data = {"access-matrix": "1"}
        return url, self.client(role).open(url, method=method, data=data, **kwargs)

    def heal(self, password_hash=None):
        """Undo what a request may have done to the standard accounts (a reset, a block, a password change)."""
        ids = [user.id for user in self.world.users.values()]
        changes = dict(is_active=True, must_change_password=False, session_version=1)
        if password_hash:
            changes["password_hash"] = password_hash
        User.update(**changes).where(User.id.in_(ids)).execute()
        UserSession.update(ended_at=None).where(UserSession.user.in_(ids)).execute()

    def session_cookie(self, role):
        """(name, value) of a session cookie signing ``role`` in (valid while its account is healed)."""
        client = self.app.test_client()
        if role != "anonymous":
            user = User.get_by_id(self.world.users[role].id)
            with client.session_transaction() as session:
                session.update(factories.session_data(user), sv=1)
        name = self.app.config["SESSION_COOKIE_NAME"]
        cookie = client.get_cookie(name)
        return name, cookie.value if cookie else None


def module_database(template_url, tmp_dir, name):
    """(url, drop, empty): a migrated database of the engine under test for one test module, a function that
    drops it and one that empties it back to the migrated state (the connection closed)."""
    if ENGINE == "postgres":
        url, drop = new_database_url(tmp_dir, name)
        migrate(url)

        def empty():
            database = open_database(url)
            with database.connection_context(), database.bind_ctx(ALL_MODELS):
                reset_postgres(database, template_url)
            database.close()

        return url, drop, empty
    path = os.path.join(tmp_dir, f"{name}.db")

    def copy():
        for stale in (path + "-wal", path + "-shm"):
            if os.path.exists(stale):
                os.remove(stale)
        shutil.copyfile(template_url[len("sqlite:///"):], path)

    copy()
    return sqlite_url(path), lambda: None, copy


def make_app(url, instance, overrides=None):
    """The app as the test fixtures make it (CSRF off), on ``url``, with its instance folder in ``instance``."""
    from app import create_app

    previous = os.environ.get("KELISIM_INSTANCE")
    os.environ["KELISIM_INSTANCE"] = instance
    try:
        return create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret",
                           "WTF_CSRF_ENABLED": False, **(overrides or {})})
    finally:
        if previous is None:
            os.environ.pop("KELISIM_INSTANCE", None)
        else:
            os.environ["KELISIM_INSTANCE"] = previous


def make_site(template_url, tmp_dir, name, overrides=None):
    """(site, cleanup): an app on its own migrated database with the standard world."""
    url, drop, empty = module_database(template_url, tmp_dir, name)
    app = make_app(url, os.path.join(tmp_dir, f"{name}-instance"), overrides)
    site = Site(app, db.obj, empty)
    site.populate()

    def cleanup():
        site.bind()
        if not db.is_closed():
            db.close()
        drop()

    return site, cleanup


@pytest.fixture(scope="module", name="module_site")
def module_site_fixture(template_database, tmp_path_factory, request):
    site, cleanup = make_site(template_database, str(tmp_path_factory.mktemp("site")),
                              request.module.__name__.rsplit(".", 1)[-1])
    yield site
    cleanup()


@pytest.fixture(name="site")
def site_fixture(module_site):
    """The module's site, bound to its database for this test."""
    module_site.bind()
    yield module_site
    if not db.is_closed():
        db.close()


def observe(site, keys):
    """{key: {owner or None: [answer per role]}}: what every role gets now, for the routes named by ``keys``."""
    result = {}
    for key, rule in sorted(routes(site.app).items(), key=lambda item: (item[1].rule, item[0])):
        if key not in keys:
            continue
        owners = OWNERS if is_owned(rule) else (None,)
        result[key] = {owner: [answer(site.request(role, key.split()[0], rule, owner or "school")[1])
                               for role in ROLES] for owner in owners}
    return result


def table_line(key, owner, answers):
    method, path = key.split(" ", 1)
    return f"{method:<4} {path:<67} {owner or '':<7} {''.join(f'{a:<5}' for a in answers).rstrip()}"


def main():
    """Print TABLE lines for the routes missing from it (every route with --all), as each role answers now."""
    import sys
    import tempfile

    from tests.conftest import compile_catalogs

    compile_catalogs()
    with tempfile.TemporaryDirectory() as tmp:
        template, drop_template = new_database_url(tmp, "matrix_template")
        migrate(template)
        try:
            site, cleanup = make_site(template, tmp, "matrix")
            try:
                keys = set(routes(site.app)) - (set() if "--all" in sys.argv else set(MATRIX))
                for key, rows in observe(site, keys).items():
                    for owner, answers in rows.items():
                        print(table_line(key, owner, answers))
            finally:
                cleanup()
        finally:
            drop_template()


if __name__ == "__main__":
    main()
