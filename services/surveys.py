"""Case outcome surveys: filing (exactly once per client_uuid), corrections within the quarter with a
revision trail, scoped lists, and the demo surveys."""

import json
import uuid
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l

from db import db
from models.auth import ROLE_SCHOOL
from models.directory import School
from models.surveys import (
    ADULT_KINDS,
    CATEGORIES,
    FOLLOW_UPS,
    OUTCOMES,
    PROCEDURES,
    REFERRALS,
    STUDENT_BANDS,
    CaseSurvey,
    SurveyRevision,
)
from services import DomainError, audit
from services.access import may_file_for, scope
from services.offline import fingerprint, submit_once
from services.quarters import Quarter, recent


def _quarter_fields(closed_on):
    quarter = Quarter.of(closed_on)
    return {"quarter": quarter.code, "year": quarter.year}


def file_survey(actor, client_uuid, data, school=None):
    """(survey, created) for the curator's own school (or, in an import of its outbox file, ``school`` of a district
    officer's district); an identical repeat creates nothing, a changed one raises services.offline.Conflict."""
    school = school or (actor.school if actor.role == ROLE_SCHOOL and actor.school_id else None)
    if not may_file_for(actor, school):
        raise DomainError(_l("Only a school curator can file a survey."))
    school_id = school.id
    values = {**data, **_quarter_fields(data["closed_on"])}

    def create(**ids):
        # The filing's who and when live on the row (created_by, created_at) and open its history; the audit
        # trail records the corrections, so a region's thousands of filings a quarter do not flood it.
        return CaseSurvey.create(school=school_id, created_by=actor.id, **values, **ids)

    # The school is part of the content: another school reusing a code is a conflict, not a duplicate.
    return submit_once(CaseSurvey, str(client_uuid), {"school": school_id, **data}, create)


def can_correct(survey, today=None):
    """Corrections are open while the quarter of the closing date lasts."""
    return Quarter.of(survey.closed_on) == Quarter.current(today)


def correct_survey(actor, survey, data, today=None):
    """Apply a correction; keeps a revision with each changed field's old and new value."""
    if not can_correct(survey, today):
        raise DomainError(_l("The quarter of this survey has ended: it can no longer be corrected."))
    if Quarter.of(data["closed_on"]) != Quarter.of(survey.closed_on):
        raise DomainError(_l("The closing date must stay in %(quarter)s.", quarter=Quarter.of(survey.closed_on).label),
                          field="closed_on")
    changes = {name: [_plain(getattr(survey, name)), _plain(value)] for name, value in data.items()
               if getattr(survey, name) != value}
    if not changes:
        return survey
    with db.atomic():
        for name, value in data.items():
            setattr(survey, name, value)
        survey.updated_at = datetime.utcnow()
        survey.save()
        SurveyRevision.create(survey=survey, actor=actor, changes=json.dumps(changes, ensure_ascii=False))
        audit.record(actor, "survey.corrected", survey, fields=sorted(changes))
    return survey


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


def history(survey):
    """The survey's revisions, oldest first, each with its changes decoded."""
    revisions = list(survey.revisions.order_by(SurveyRevision.at, SurveyRevision.id))
    for revision in revisions:
        revision.changed = json.loads(revision.changes or "{}")
    return revisions


def listing(user, quarter=None, category=None, outcome=None):
    """The surveys ``user`` may read, newest first, narrowed by the filters given."""
    query = CaseSurvey.select(CaseSurvey, School).join(School)
    query = scope(query, CaseSurvey, user)
    parsed = Quarter.parse(quarter) if quarter else None
    if parsed:
        query = query.where(CaseSurvey.quarter == parsed.code)
    if category:
        query = query.where(CaseSurvey.category == category)
    if outcome:
        query = query.where(CaseSurvey.outcome == outcome)
    return query.order_by(CaseSurvey.closed_on.desc(), CaseSurvey.id.desc())


def demo_surveys(ctx, n=200, today=None):
    """About ``n`` surveys spread over the demo schools and the last four quarters."""
    today = today or date.today()
    rng = ctx.rng
    curators = {u.school_id: u.id for u in ctx.users.values() if u.school_id}
    rows = []
    for _ in range(n):
        school = rng.choice(ctx.schools)
        quarter = rng.choice(recent(4, today))
        last = min(quarter.end, today)
        closed_on = quarter.start + timedelta(days=rng.randrange((last - quarter.start).days + 1))
        data = _demo_values(rng, closed_on)
        client_uuid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        filed = min(datetime.combine(closed_on, time(10)) + timedelta(minutes=rng.randrange(480)), datetime.utcnow())
        rows.append(dict(school=school.id, created_by=curators.get(school.id), client_uuid=client_uuid,
                         created_at=filed, updated_at=filed,
                         client_fingerprint=fingerprint({"school": school.id, **data}),
                         **data, **_quarter_fields(closed_on)))
    for start in range(0, len(rows), 100):
        CaseSurvey.insert_many(rows[start:start + 100]).execute()
    return len(rows)


def _demo_values(rng, closed_on):
    received_on = closed_on - timedelta(days=rng.randrange(0, 21))
    category = rng.choices([c for c, _ in CATEGORIES], weights=[30, 12, 6, 8, 3, 10, 25, 6])[0]
    students = {band: 0 for band in STUDENT_BANDS}
    if category not in ("parent_teacher", "teacher_teacher"):
        band = rng.choice(STUDENT_BANDS)
        students[band] = rng.randint(1, 4) + (category == "group") * rng.randint(2, 6)
    adults = {kind: 0 for kind in ADULT_KINDS}
    adults["teachers"] = rng.randint(0, 2) if category != "teacher_teacher" else 2
    adults["parents"] = rng.randint(0, 2) if category in ("student_parent", "parent_teacher") else 0
    if sum(students.values()) + sum(adults.values()) < 2:
        adults["teachers"] += 1
        students["students_5_9"] += 1
    mediators = rng.random() < 0.4
    outcome = rng.choices([o for o, _ in OUTCOMES], weights=[60, 20, 12, 8])[0]
    follow_up = rng.choice([f for f, _ in FOLLOW_UPS]) if outcome in ("agreement", "partial") else "not_checked"
    follow_up_on = None
    if follow_up != "not_checked":
        follow_up_on = min(closed_on + timedelta(days=rng.randint(7, 30)), date.today())
    return dict(received_on=received_on, closed_on=closed_on, category=category, **students, **adults,
                referral=rng.choice(REFERRALS)[0], procedure=rng.choices([p for p, _ in PROCEDURES],
                                                                       weights=[60, 15, 20, 5])[0],
                student_mediators=mediators, student_mediator_count=rng.randint(1, 3) if mediators else 0,
                outcome=outcome, follow_up=follow_up, follow_up_on=follow_up_on,
                satisfaction=rng.randint(2, 5) if outcome != "no_agreement" else rng.randint(1, 3), notes="")


def load_demo(ctx):
    demo_surveys(ctx)
