"""Effectiveness monitoring: quarter-by-quarter trends of a school, a district and the region (computed in the
database, a GROUP BY per source), the early flags and their thresholds, and the quarterly monitoring report,
which publishing freezes (its figures as JSON, its PDFs in kk and ru) so that later corrections do not reach it.

Definitions follow the tallies (services/tallies.py): a case "with an agreement" has the outcome "agreement
reached" or "partial agreement"; "held" is over those of them whose follow-up was checked. "Curators trained"
counts the schools whose curator had, by the quarter's end, a training certificate that is not revoked.

The flags read the last quarter that has ended (the current one is still being filled in) and the checklist as of
today (a report: as of the day after its quarter).
"""

import json
from datetime import date, datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import Case, IntegrityError, fn

from db import db
from models.directory import District, School
from models.monitoring import REPORT_TEXTS, THRESHOLDS, MonitoringReport, MonitoringSettings
from services import DomainError, audit, setup, storage
from services.quarters import Quarter
from services.tallies import (
    AGREEMENT_OUTCOMES,
    COUNT,
    MEAN,
    _count_if,
    _int_rows,
    _narrow,
    _outreach_models,
    _school_filter,
    _survey_model,
    _training_models,
    display,
    mean,
    share,
    small,
)

TREND_QUARTERS = 8
BASELINE_QUARTERS = 4
FIGURES = ("cases", "agreements", "held_yes", "held_no", "satisfaction_sum", "satisfaction_n", "activities",
           "parents_reached", "confirmations", "curators_trained")
LANGS = ("kk", "ru")

# ---------------------------------------------------------------- quarters


def quarters_ending(last, n=TREND_QUARTERS):
    """The ``n`` quarters that end with ``last``, oldest first."""
    result = [last]
    while len(result) < n:
        result.append(result[-1].previous())
    return result[::-1]


def last_ended(today=None):
    return Quarter.of(today or setup.local_today()).previous()


ROMAN = ("I", "II", "III", "IV")


def tick(quarter):
    """A quarter as a chart's axis shows it in every language: "III 2025"."""
    return f"{ROMAN[quarter.number - 1]} {quarter.year}"


# ---------------------------------------------------------------- trends, in the database


def _grouped(query, school_field, by_district, district_id, school_id, *group):
    """The query narrowed to the scope and grouped by district (when asked) and ``group``."""
    if by_district:
        query = query.join(School, on=(school_field == School.id))
    query = _narrow(query, _school_filter(school_field, district_id, school_id))
    columns = ([School.district] if by_district else []) + list(group)
    return query.group_by(*columns) if columns else query


def series(quarters, district_id=None, school_id=None, by_district=False):
    """{district id, or None for the whole scope: {quarter code: {figure: int}}} over ``quarters`` (oldest first):
    one aggregate query per source, grouped by quarter (and by district when ``by_district``)."""
    codes = [q.code for q in quarters]
    result = {}

    def put(key, code, row):
        into = result.setdefault(key, {c: dict.fromkeys(FIGURES, 0) for c in codes})
        into[code].update(row)

    head = [School.district] if by_district else []
    keys = len(head)
    survey = _survey_model()
    if survey is not None:
        agreed = survey.outcome.in_(AGREEMENT_OUTCOMES)
        query = survey.select(*head, survey.quarter, fn.COUNT(survey.id).alias("cases"),
                              _count_if(agreed).alias("agreements"),
                              _count_if(agreed & (survey.follow_up == "yes")).alias("held_yes"),
                              _count_if(agreed & (survey.follow_up == "no")).alias("held_no"),
                              fn.SUM(survey.satisfaction).alias("satisfaction_sum"),
                              fn.COUNT(survey.satisfaction).alias("satisfaction_n")).where(survey.quarter.in_(codes))
        query = _grouped(query, survey.school, by_district, district_id, school_id, survey.quarter)
        for key, row in _int_rows(query, keys + 1).items():
            put(key[0] if by_district else None, key[-1], row)
    models = _outreach_models()
    if models is not None:
        activity, confirmation = models
        # One row per group with a column pair per quarter: held_on is a date, and a date's quarter is written
        # differently by each engine, so the quarters are conditions rather than a GROUP BY.
        columns = []
        for index, quarter in enumerate(quarters):
            held = activity.held_on.between(quarter.start, quarter.end)
            columns += [_count_if(held).alias(f"activities_{index}"),
                        fn.SUM(Case(None, [(held, activity.parents_reached)], 0)).alias(f"reached_{index}")]
        query = activity.select(*head, *columns).where(activity.held_on.between(quarters[0].start, quarters[-1].end))
        query = _grouped(query, activity.school, by_district, district_id, school_id)
        for key, row in _int_rows(query, keys).items():
            for index, code in enumerate(codes):
                put(key[0] if by_district else None, code, {"activities": row[f"activities_{index}"],
                                                            "parents_reached": row[f"reached_{index}"]})
        query = confirmation.select(*head, confirmation.quarter, fn.COUNT(confirmation.id).alias("confirmations"))
        query = _grouped(query.where(confirmation.quarter.in_(codes)), confirmation.school, by_district,
                         district_id, school_id, confirmation.quarter)
        for key, row in _int_rows(query, keys + 1).items():
            put(key[0] if by_district else None, key[-1], row)
    models = _training_models()
    if models is not None:
        registration, _attendance, _event_day, certificate = models
        columns = []
        for index, quarter in enumerate(quarters):
            by_end = certificate.issued_at < datetime.combine(quarter.end + timedelta(days=1), datetime.min.time())
            columns.append(fn.COUNT(fn.DISTINCT(Case(None, [(by_end, registration.school)]))).alias(f"trained_{index}"))
        query = (registration.select(*head, *columns)
                 .join(certificate, on=(certificate.registration == registration.id))
                 .where(registration.position.in_(setup.CURATOR_POSITIONS), certificate.revoked_at.is_null()))
        query = _grouped(query, registration.school, by_district, district_id, school_id)
        for key, row in _int_rows(query, keys).items():
            for index, code in enumerate(codes):
                put(key[0] if by_district else None, code, {"curators_trained": row[f"trained_{index}"]})
    return result


def _points(by_quarter, quarters):
    empty = dict.fromkeys(FIGURES, 0)
    return [{"quarter": q.code, **(by_quarter or {}).get(q.code, empty)} for q in quarters]


def trend(quarters, district_id=None, school_id=None):
    """[{"quarter": code, figure: int, ...}] oldest first, for a school, a district or (neither) the region."""
    return _points(series(quarters, district_id, school_id).get(None), quarters)


def district_trends(quarters):
    """{district id: trend} for every district, in one query per source."""
    found = series(quarters, by_district=True)
    return {d.id: _points(found.get(d.id), quarters) for d in District.select(District.id)}


# ---------------------------------------------------------------- trends, as read


def point_view(point, suppress=True, today=None):
    """One quarter's figures as shown: counts of cases 1 to 4 as "<5" when ``suppress`` (outside the school),
    shares as whole percentages and the mean to one decimal, None where not shown."""
    quarter = Quarter.parse(point["quarter"])
    cases = point["cases"]
    held_base = point["held_yes"] + point["held_no"]
    view = {
        "quarter": quarter.code, "label": str(quarter.label), "tick": tick(quarter),
        "ongoing": not quarter.has_ended(today or setup.local_today()),
        "cases": small(cases) if suppress else cases,
        "agreement_share": share(point["agreements"], cases, suppress),
        "held_share": share(point["held_yes"], held_base, suppress),
        "satisfaction": mean(point["satisfaction_sum"], point["satisfaction_n"], suppress),
        "activities": point["activities"], "parents_reached": point["parents_reached"],
        "confirmations": point["confirmations"], "curators_trained": point["curators_trained"],
    }
    view["texts"] = {key: cell_text(view[key]) for key, _label in TREND_COLUMNS}
    return view


TREND_COLUMNS = (
    ("cases", _l("Cases filed")),
    ("agreement_share", _l("With an agreement, %")),
    ("held_share", _l("Agreement held at follow-up, %")),
    ("satisfaction", _l("Mean satisfaction (1–5)")),
    ("parents_reached", _l("Parents reached")),
    ("confirmations", _l("Parents' confirmations")),
    ("curators_trained", _l("Schools with a trained curator")),
)


def trend_view(points, suppress=True, today=None):
    """{"columns": [(key, label)], "rows": [point_view], "charts": [svg]} of a trend, in the current locale."""
    from services import charts

    rows = [point_view(p, suppress, today) for p in points]
    return {"columns": [(key, str(label)) for key, label in TREND_COLUMNS], "rows": rows,
            "charts": charts.trend_charts(rows)}


def cell_text(value):
    """A figure as printed in the reader's language: "—" where not shown, "<5" as it is, a mean to one decimal
    (the tallies' cells: shares here are whole numbers under a "%" heading)."""
    return display(value, MEAN if isinstance(value, float) else COUNT)


# ---------------------------------------------------------------- thresholds


def thresholds():
    """{name: value} of the flags' thresholds: the region's, or the defaults until a region admin saves them."""
    row = MonitoringSettings.select().order_by(MonitoringSettings.id).first()
    return {name: getattr(row, name) if row else default for name, (default, _lo, _hi) in THRESHOLDS.items()}


def save_thresholds(actor, values):
    """Store the thresholds (every name of THRESHOLDS), each within its range."""
    if set(values) != set(THRESHOLDS):
        raise ValueError(f"thresholds expected: {sorted(THRESHOLDS)}")
    for name, (_default, lo, hi) in THRESHOLDS.items():
        value = values[name]
        if not isinstance(value, int) or not lo <= value <= hi:
            raise DomainError(_l("Enter a number from %(min)s to %(max)s.", min=lo, max=hi), field=name)
    with db.atomic():
        row = MonitoringSettings.select().order_by(MonitoringSettings.id).first() or MonitoringSettings()
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_at, row.updated_by = datetime.utcnow(), actor
        row.save()
        audit.record(actor, "monitoring.thresholds", row, **values)
    return row


# ---------------------------------------------------------------- early flags

FLAG_NO_CASES = "no_cases"
FLAG_AGREEMENT_DROP = "agreement_drop"
FLAG_CURATOR = "curator_uncertified"
FLAG_PARENTS = "parents_not_informed"
FLAG_OVERDUE = "setup_overdue"
FLAG_KINDS = (FLAG_NO_CASES, FLAG_AGREEMENT_DROP, FLAG_CURATOR, FLAG_PARENTS, FLAG_OVERDUE)
FLAG_TITLES = {
    FLAG_NO_CASES: _l("No cases filed"),
    FLAG_AGREEMENT_DROP: _l("Fewer agreements"),
    FLAG_CURATOR: _l("Curator not trained"),
    FLAG_PARENTS: _l("Parents not informed"),
    FLAG_OVERDUE: _l("Checklist item overdue"),
}
# Checklist items whose overdue state is a flag of its own kind (or, for surveys, read from the quarters).
_OWN_FLAG_ITEMS = ("curator_trained", "parents_informed", "surveys_filed")


def _survey_counts(quarters, district_id, school_id):
    """{(school id, quarter code): {"cases", "agreements"}}: one GROUP BY school and quarter."""
    survey = _survey_model()
    if survey is None:
        return None
    query = (survey.select(survey.school, survey.quarter, fn.COUNT(survey.id).alias("cases"),
                           _count_if(survey.outcome.in_(AGREEMENT_OUTCOMES)).alias("agreements"))
             .where(survey.quarter.in_([q.code for q in quarters])))
    query = _narrow(query, _school_filter(survey.school, district_id, school_id)).group_by(survey.school,
                                                                                           survey.quarter)
    return _int_rows(query, 2)


def flags(district_id=None, school_id=None, today=None, limits=None):
    """The early flags of the schools in scope, sorted by district and school: plain dicts (kept in a published
    report's figures) {"kind", "school_id", "school_code", "school" {kk, ru}, "district_id", "district_code",
    "district" {kk, ru, en}, "params"}; ``flag_reason`` words them."""
    today = today or setup.local_today()
    limits = limits or thresholds()
    last = last_ended(today)
    quiet = quarters_ending(last, limits["quiet_quarters"])
    current, baseline = last, quarters_ending(last.previous(), BASELINE_QUARTERS)
    window = quarters_ending(last, max(len(quiet), BASELINE_QUARTERS + 1))
    schools = (School.select(School.id, School.code, School.name_kk, School.name_ru, District.id, District.code,
                             District.name_kk, District.name_ru, District.name_en)
               .join(District, on=(School.district == District.id)))
    schools = _narrow(schools, _school_filter(School.id, district_id, school_id)).order_by(District.code, School.code)
    rows = db.execute(schools).fetchall()
    if not rows:
        return []
    counts = _survey_counts(window, district_id, school_id)
    ids = School.select(School.id)
    status = setup.checklist_status(_narrow(ids, _school_filter(School.id, district_id, school_id)), today=today)
    result = []
    for sid, code, name_kk, name_ru, did, dcode, dname_kk, dname_ru, dname_en in rows:
        base = {"school_id": sid, "school_code": code, "school": {"kk": name_kk, "ru": name_ru},
                "district_id": did, "district_code": dcode,
                "district": {"kk": dname_kk, "ru": dname_ru, "en": dname_en}}

        def add(kind, **params):
            result.append({"kind": kind, **base, "params": params})  # noqa: B023 (used at once)

        if counts is not None:
            def of(quarter, name):
                return counts.get((sid, quarter.code), {}).get(name, 0)  # noqa: B023 (used at once)

            if not any(of(q, "cases") for q in quiet):
                add(FLAG_NO_CASES, n=len(quiet), first=quiet[0].code, last=quiet[-1].code)
            now_cases = of(current, "cases")
            before_cases = sum(of(q, "cases") for q in baseline)
            if min(now_cases, before_cases) >= limits["agreement_min_cases"]:
                now_share = 100 * of(current, "agreements") / now_cases
                before_share = 100 * sum(of(q, "agreements") for q in baseline) / before_cases
                if before_share - now_share > limits["agreement_drop_points"]:
                    add(FLAG_AGREEMENT_DROP, quarter=current.code, now=round(now_share),
                        before=round(before_share), points=limits["agreement_drop_points"])
        items = status.get(sid, {})
        curator = items.get("curator_trained")
        if curator is not None and curator.state not in (setup.DONE, setup.UNAVAILABLE):
            add(FLAG_CURATOR)
        parents = items.get("parents_informed")
        if parents is not None and parents.state == setup.OVERDUE:
            add(FLAG_PARENTS, due_on=parents.due_on.isoformat())
        for item in setup.ITEMS:
            state = items.get(item)
            if item not in _OWN_FLAG_ITEMS and state is not None and state.state == setup.OVERDUE:
                add(FLAG_OVERDUE, item=item, due_on=state.due_on.isoformat())
    return result


def _day(text):
    from templating import fmt_date

    return fmt_date(date.fromisoformat(text))


def _quarter_label(code):
    return str(Quarter.parse(code).label)


def flag_reason(flag):
    """Why a school is flagged, in words, in the current locale."""
    kind, p = flag["kind"], flag["params"]
    if kind == FLAG_NO_CASES:
        if p["n"] == 1:
            return _("No case survey was filed in %(quarter)s.", quarter=_quarter_label(p["last"]))
        return _("No case survey was filed for %(n)s quarters in a row (%(first)s – %(last)s).", n=p["n"],
                 first=_quarter_label(p["first"]), last=_quarter_label(p["last"]))
    if kind == FLAG_AGREEMENT_DROP:
        return _("Share of cases with an agreement in %(quarter)s: %(now)s, against %(before)s over the four quarters "
                 "before (a fall of more than %(points)s percentage points).", now=f"{p['now']}%",
                 quarter=_quarter_label(p["quarter"]), before=f"{p['before']}%", points=p["points"])
    if kind == FLAG_CURATOR:
        return _("The curator of the school's mediation service holds no training certificate.")
    if kind == FLAG_PARENTS:
        return _("Parents have not been informed about the mediation service; the deadline was %(day)s.",
                 day=_day(p["due_on"]))
    return _("Overdue since %(day)s: %(item)s.", day=_day(p["due_on"]), item=setup.ITEM_LABELS[p["item"]])


def localized_name(names):
    from flask_babel import get_locale

    return names.get(str(get_locale())) or names.get("kk") or ""


def flags_by_district(found):
    """[(district name, [(school name, school id, [(title, reason)])])] in the current locale, in order."""
    groups = []
    for flag in found:
        if not groups or groups[-1]["code"] != flag["district_code"]:
            groups.append({"code": flag["district_code"], "name": localized_name(flag["district"]), "schools": []})
        schools = groups[-1]["schools"]
        if not schools or schools[-1]["id"] != flag["school_id"]:
            schools.append({"id": flag["school_id"], "code": flag["school_code"],
                            "name": localized_name(flag["school"]), "flags": []})
        schools[-1]["flags"].append({"kind": flag["kind"], "title": str(FLAG_TITLES[flag["kind"]]),
                                     "reason": flag_reason(flag)})
    return groups


def flag_counts(found):
    """{district code: {kind: schools flagged for it}} and the region's under None (a school with two overdue
    items counts once)."""
    schools = {}
    for flag in found:
        for key in (flag["district_code"], None):
            schools.setdefault(key, {kind: set() for kind in FLAG_KINDS})[flag["kind"]].add(flag["school_id"])
    return {key: {kind: len(ids) for kind, ids in kinds.items()} for key, kinds in schools.items()}


# ---------------------------------------------------------------- the quarterly report


class ReportFrozen(DomainError):
    def __init__(self):
        super().__init__(_l("This report has been published; a published report is never changed."))


def report_quarters(today=None):
    """The quarters a report can be prepared for: the last eight (the current one included), newest first."""
    from services.quarters import recent

    return recent(TREND_QUARTERS, today or setup.local_today())


def _texts(values):
    unknown = set(values) - set(REPORT_TEXTS)
    if unknown:
        raise ValueError(f"unknown report fields: {sorted(unknown)}")
    return {name: (values.get(name) or "").strip() for name in REPORT_TEXTS}


def create_report(actor, quarter_code, values, today=None):
    """A draft report for a quarter that has begun (one per quarter)."""
    quarter = Quarter.parse(quarter_code)
    if quarter is None or quarter.start > (today or setup.local_today()):
        raise DomainError(_l("Choose a quarter from the list."), field="quarter")
    taken = DomainError(_l("There is already a report for this quarter: open it from the list."), field="quarter")
    if MonitoringReport.select().where(MonitoringReport.quarter == quarter.code).exists():
        raise taken
    try:
        with db.atomic():
            report = MonitoringReport.create(quarter=quarter.code, created_by=actor, **_texts(values))
            audit.record(actor, "monitoring.report_created", report, quarter=quarter.code)
    except IntegrityError:  # the same quarter created by someone else a moment ago
        raise taken from None
    return report


def update_report(actor, report, values):
    """Change a draft's texts; a published report is refused (the update only touches an unpublished row)."""
    texts = _texts(values)
    with db.atomic():
        changed = (MonitoringReport.update(updated_at=datetime.utcnow(), **texts)
                   .where(MonitoringReport.id == report.id, MonitoringReport.published_at.is_null()).execute())
        if not changed:
            raise ReportFrozen()
        audit.record(actor, "monitoring.report_updated", report, quarter=report.quarter)
    return MonitoringReport.get_by_id(report.id)


def report_figures(quarter):
    """The figures of a quarter's report, as plain data (what publishing freezes): the region's and each
    district's trend over the eight quarters ending with it, and the flags as of the day after it."""
    quarters = quarters_ending(quarter)
    limits = thresholds()
    trends = district_trends(quarters)
    found = flags(today=quarter.end + timedelta(days=1), limits=limits)
    districts = [{"id": d.id, "code": d.code, "names": {"kk": d.name_kk, "ru": d.name_ru, "en": d.name_en},
                  "trend": trends[d.id], "flags": [f for f in found if f["district_id"] == d.id]}
                 for d in District.select().order_by(District.code)]
    return {"quarter": quarter.code, "computed_at": datetime.utcnow().isoformat(timespec="seconds"),
            "thresholds": limits, "region": trend(quarters), "districts": districts}


def frozen_figures(report):
    """The figures of a published report as they were frozen; a draft's as the data say now."""
    if report.is_published:
        return json.loads(report.figures)
    return report_figures(Quarter.parse(report.quarter))


def report_view(report, figures, district_code=None, suppress=True):
    """What the page and the PDFs show of a report, in the current locale: the region (or one district) with its
    trend, the districts' figures for the quarter and their flags."""
    quarter = Quarter.parse(figures["quarter"])
    lang = "ru" if _current_lang() == "ru" else "kk"
    texts = {"findings": getattr(report, f"findings_{lang}"),
             "recommendations": getattr(report, f"recommendations_{lang}")}
    district = next((d for d in figures["districts"] if d["code"] == district_code), None)
    today = quarter.end + timedelta(days=1) if report.is_published else None
    if district is not None:
        unit_trend, found = district["trend"], district["flags"]
        title = localized_name(district["names"])
    else:
        unit_trend, found = figures["region"], [f for d in figures["districts"] for f in d["flags"]]
        title = _("Karaganda region")
    counts = flag_counts(found)
    rows = []
    for d in figures["districts"]:
        last = point_view(d["trend"][-1], suppress, today)
        rows.append({"code": d["code"], "name": localized_name(d["names"]),
                     "cells": [last["texts"][key] for key, _label in TREND_COLUMNS],
                     "flags": [counts.get(d["code"], {}).get(kind, 0) for kind in FLAG_KINDS]})
    return {"quarter_label": str(quarter.label), "title": title, "texts": texts, "district": district,
            "trend": trend_view(unit_trend, suppress, today), "districts": rows,
            "flag_titles": [str(FLAG_TITLES[k]) for k in FLAG_KINDS],
            "flag_total": [counts.get(None, {}).get(k, 0) for k in FLAG_KINDS],
            "flags": flags_by_district(found) if district is not None else [],
            "thresholds": figures["thresholds"]}


def _current_lang():
    from flask_babel import get_locale

    return str(get_locale())


def render_report_pdf(report, figures, lang, district_code=None):
    """Bytes of the report (or one district's part of it) in ``lang``, from ``figures``."""
    from services.pdf import render_pdf

    with force_locale(lang):
        context = {"view": report_view(report, figures, district_code), "published_at": report.published_at,
                   "published_by": report.published_by_name, "part": district_code is not None}
    return render_pdf("pdf/monitoring_report.html", context, lang, stylesheets=("base.css", "tally.css"))


def publish(actor, report, today=None):
    """Freeze the report: check it may be published, compute its figures, render its PDFs, store them with who
    published it and when. Refuses a published report, a quarter that has not ended and an empty text."""
    if report.is_published:
        raise ReportFrozen()
    quarter = Quarter.parse(report.quarter)
    today = today or setup.local_today()
    if not quarter.has_ended(today):
        from templating import fmt_date

        raise DomainError(_l("%(quarter)s has not ended yet: its report can be published from %(day)s.",
                             quarter=quarter.label, day=fmt_date(quarter.end + timedelta(days=1))))
    if any(not (getattr(report, name) or "").strip() for name in REPORT_TEXTS):
        raise DomainError(_l("Write the findings and the recommendations in Kazakh and in Russian before "
                             "publishing."))
    figures = report_figures(quarter)
    report.published_at = datetime.utcnow().replace(microsecond=0)
    report.published_by_name = actor.full_name or actor.username
    pdfs = {lang: render_report_pdf(report, figures, lang) for lang in LANGS}
    with db.atomic():
        keys = {lang: storage.put(body) for lang, body in pdfs.items()}
        changed = (MonitoringReport.update(published_at=report.published_at, published_by=actor,
                                           published_by_name=report.published_by_name,
                                           figures=json.dumps(figures, ensure_ascii=False, sort_keys=True),
                                           pdf_kk=keys["kk"], pdf_ru=keys["ru"])
                   .where(MonitoringReport.id == report.id, MonitoringReport.published_at.is_null()).execute())
        if not changed:  # published by someone else a moment ago
            raise ReportFrozen()
        audit.record(actor, "monitoring.report_published", report, quarter=report.quarter)
    return MonitoringReport.get_by_id(report.id)


def report_pdf(report, lang):
    """The frozen PDF of a published report."""
    return storage.get(getattr(report, f"pdf_{lang}"))


def district_pdf(actor, report, district_code, lang):
    """One district's part of a published report, rendered from the frozen figures (so it never changes either);
    the download is recorded in the audit trail."""
    body = render_report_pdf(report, json.loads(report.figures), lang, district_code)
    with db.atomic():
        audit.record(actor, "export.monitoring_district", report, quarter=report.quarter, district=district_code,
                     lang=lang)
    return body


# ---------------------------------------------------------------- demo data


def load_demo(ctx):
    """Eight quarters of history for the trends, and every kind of flag: older case surveys for every demo school
    (the surveys' own demo covers the last four quarters), a school whose agreements fall in the last ended
    quarter, two schools that stopped filing cases, and a past deadline for a typed checklist item (curators
    without a certificate and parents not informed after the seeded deadline show on their own)."""
    import uuid

    from models.setup import SetupDeadline
    from models.surveys import CaseSurvey
    from services.offline import fingerprint
    from services.surveys import _demo_values

    rng = ctx.rng
    today = setup.local_today()
    quarters = quarters_ending(Quarter.of(today), TREND_QUARTERS)
    last = last_ended(today)
    rows = []

    def add(school, quarter, **overrides):
        end = min(quarter.end, today)
        closed_on = quarter.start + timedelta(days=rng.randrange((end - quarter.start).days + 1))
        data = {**_demo_values(rng, closed_on), **overrides}
        filed = datetime.combine(closed_on, datetime.min.time()) + timedelta(hours=10)
        rows.append(dict(school=school.id, client_uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                         client_fingerprint=fingerprint({"school": school.id, **data}), created_at=filed,
                         updated_at=filed, quarter=quarter.code, year=quarter.year, **data))

    for school in ctx.schools:
        for quarter in quarters[:TREND_QUARTERS - 4]:
            for _n in range(rng.randrange(0, 4)):
                add(school, quarter)
    by_code = {s.code: s for s in ctx.schools}
    falling = by_code.get("KRG-061")
    if falling is not None:
        for quarter in quarters_ending(last.previous(), BASELINE_QUARTERS):
            for _n in range(3):
                add(falling, quarter, outcome="agreement", follow_up="yes")
        for _n in range(6):
            add(falling, last, outcome="no_agreement", follow_up="not_checked", follow_up_on=None)
    for start in range(0, len(rows), 100):
        CaseSurvey.insert_many(rows[start:start + 100]).execute()
    # Parents reached and confirmations in each quarter, by the schools whose checklist has begun.
    from models.outreach import OutreachActivity, ParentConfirmation
    from models.setup import SchoolSetup

    started = [s for s in ctx.schools if SchoolSetup.select().where(SchoolSetup.school == s.id).exists()]
    activities, confirmations = [], []
    for school in started:
        for quarter in quarters:
            if rng.random() < 0.5:
                continue
            end = min(quarter.end, today)
            held_on = quarter.start + timedelta(days=rng.randrange((end - quarter.start).days + 1))
            activities.append(dict(school=school.id, held_on=held_on, format="general_meeting", grade_from=1,
                                   grade_to=11, language="kk_ru", parents_reached=rng.randrange(30, 300),
                                   description="", client_uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
                                   client_fingerprint="demo"))
            confirmations += [dict(school=school.id, quarter=quarter.code,
                                   confirmed_at=datetime.combine(held_on, datetime.min.time()),
                                   client_uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
                                   client_fingerprint="demo") for _n in range(rng.randrange(0, 8))]
    for rows_of, model in ((activities, OutreachActivity), (confirmations, ParentConfirmation)):
        for start in range(0, len(rows_of), 100):
            model.insert_many(rows_of[start:start + 100]).execute()
    quiet = [by_code[code].id for code in ("BLK-010", "SRN-014") if code in by_code]
    recent_codes = [q.code for q in quarters_ending(Quarter.of(today), 3)]
    CaseSurvey.delete().where(CaseSurvey.school.in_(quiet), CaseSurvey.quarter.in_(recent_codes)).execute()
    # A past deadline for a typed item, so that unfinished checklists show as overdue.
    deadline = dict(item="regulation_approved", due_on=date(2024, 12, 1),
                    title_kk="Қызмет ережесі 2024 жылғы 1 желтоқсанға дейін бекітіледі",
                    title_ru="Положение о службе утверждается до 1 декабря 2024 года")
    SetupDeadline.insert(**deadline).on_conflict_ignore().execute()
