"""District tallies: each feature's records counted per school for a quarter or a year, in the database (one
GROUP BY school per source), rolled up to districts and the region; the small-count rule; the one layout that
the screen, the PDF, CSV and XLSX all render; and the exports, each recorded in the audit trail.

The aggregation functions take plain filters (a period, a district id, a school id) and return plain dicts, so
that later reports can call them for a range of quarters and freeze what they return.

Definitions (also shown to readers in the tally's notes):
- a case "with an agreement" has the outcome "agreement reached" or "partial agreement"; the share "held at
  follow-up" is over those of them whose follow-up was checked (held / held + did not hold);
- the checklist is taken as of the period's last day (today while the period lasts): a school is complete when
  every checklist item is done, not started when none is, in progress otherwise; items of a feature that is
  not installed are left out; "deadlines met" counts items with a deadline that are done, "overdue" items whose
  deadline has passed undone;
- training participants attended at least one day of an event during the period; certificates are those issued
  during the period and not revoked; a school's curator "holds a certificate" as the checklist says.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from flask_babel import force_locale, format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from peewee import Case, fn

from db import db
from models.auth import ROLE_ADMIN
from models.directory import District, School
from services import audit, setup
from services.access import scope
from services.exports import csv_bytes as _csv_bytes
from services.exports import xlsx_bytes as _xlsx_bytes
from services.quarters import Quarter, recent
from services.setup import _feature_model as feature_model

# ---------------------------------------------------------------- periods

_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True, order=True)
class Year:
    year: int

    @property
    def code(self):
        return str(self.year)

    @property
    def start(self):
        return date(self.year, 1, 1)

    @property
    def end(self):
        return date(self.year, 12, 31)

    @property
    def label(self):
        return _l("Year %(year)s", year=self.year)

    def previous(self):
        return Year(self.year - 1)

    def next(self):
        return Year(self.year + 1)

    def __str__(self):
        return self.code


def parse_period(text, today=None):
    """The Quarter ("2025-Q3") or Year ("2025") named in an address, or None when it is malformed or has not
    begun yet (nothing can have been filed in it)."""
    period = Quarter.parse(text)
    if period is None:
        match = _YEAR.match(text or "")
        period = Year(int(match.group(1))) if match and 2000 <= int(match.group(1)) <= 2100 else None
    if period is None or period.start > (today or setup.local_today()):
        return None
    return period


def quarters_of(period):
    return [Quarter(period.year, n) for n in range(1, 5)] if isinstance(period, Year) else [period]


def as_of(period, today=None):
    """The day the checklist is read at: the period's last day, or today while the period lasts."""
    return min(period.end, today or setup.local_today())


def recent_periods(today=None):
    """The periods offered for choosing: the last eight quarters and the years they fall in, newest first."""
    quarters = recent(8, today)
    years = sorted({Year(q.year) for q in quarters}, reverse=True)
    return quarters, years


# ---------------------------------------------------------------- figures

MARK_COMPLETE, MARK_IN_PROGRESS, MARK_NOT_STARTED = "complete", "in_progress", "not_started"
MARK_LABELS = {
    MARK_COMPLETE: _l("Complete"),
    MARK_IN_PROGRESS: _l("In progress"),
    MARK_NOT_STARTED: _l("Not started"),
}
AGREEMENT_OUTCOMES = ("agreement", "partial")

PART_SETUP, PART_TRAINING, PART_OUTREACH, PART_SURVEYS = "setup", "training", "outreach", "surveys"


def _survey_model():
    return feature_model("surveys", "CaseSurvey")


def survey_choices(name):
    """(value, label) pairs of a survey choice field, or () while surveys do not exist."""
    return tuple(feature_model("surveys", name) or ())


def _training_models():
    """(Registration, Attendance, EventDay, Certificate), or None while training does not exist."""
    names = ("Registration", "Attendance", "EventDay", "Certificate")
    models = tuple(feature_model("training", name) for name in names)
    return None if None in models else models


def _outreach_models():
    models = (feature_model("outreach", "OutreachActivity"), feature_model("outreach", "ParentConfirmation"))
    return None if None in models else models


def parts():
    """The parts of the tally whose records exist in this installation, in display order."""
    available = [PART_SETUP]
    if _training_models():
        available.append(PART_TRAINING)
    if _outreach_models():
        available.append(PART_OUTREACH)
    if _survey_model():
        available.append(PART_SURVEYS)
    return available


def figure_keys():
    """Every numeric figure of a row, in a fixed order (all are plain ints)."""
    keys = ["schools", MARK_COMPLETE, MARK_IN_PROGRESS, MARK_NOT_STARTED, "curator_certified", "deadlines_met",
            "deadlines_overdue", *(f"item_{item}" for item in setup.ITEMS)]
    if _training_models():
        keys += ["participants", "certificates"]
    if _outreach_models():
        keys += ["activities", "parents_reached", "confirmations"]
    if _survey_model():
        keys += ["surveys", "schools_no_survey", "agreements", "held_yes", "held_no", "satisfaction_sum",
                 "satisfaction_n"]
        for prefix, name in (("cat", "CATEGORIES"), ("proc", "PROCEDURES"), ("out", "OUTCOMES")):
            keys += [f"{prefix}_{value}" for value, _label in survey_choices(name)]
    return keys


def _school_filter(school_field, district_id=None, school_id=None):
    """The condition narrowing a record's ``school`` foreign key to a district or one school (None: all)."""
    if school_id is not None:
        return school_field == school_id
    if district_id is not None:
        return school_field.in_(School.select(School.id).where(School.district == district_id))
    return None


def _narrow(query, condition):
    return query if condition is None else query.where(condition)


def _count_if(condition):
    return fn.SUM(Case(None, [(condition, 1)], 0))


def _int_rows(query, keys=None):
    """{group: {figure: int}} from an aggregate query whose first columns are the group and the others are aliased
    figures; read from the cursor as they are (no model conversion: thousands of rows). The group is the first
    column (a school id), or with ``keys`` the tuple of the first ``keys`` columns (none, one or several)."""
    width = 1 if keys is None else keys
    names = [column._alias for column in query._returning[width:]]
    return {(row[0] if keys is None else tuple(row[:width])):
            dict(zip(names, (int(v or 0) for v in row[width:]), strict=True)) for row in db.execute(query).fetchall()}


def _survey_period(survey, period):
    """Surveys of the period by their quarter (a year is its four quarters), so the quarter-first index serves."""
    codes = [q.code for q in quarters_of(period)]
    return survey.quarter == codes[0] if len(codes) == 1 else survey.quarter.in_(codes)


def survey_figures(period, district_id=None, school_id=None):
    """Per school: surveys filed, by category, procedure and outcome, agreements, follow-up, satisfaction; one
    GROUP BY school over a quarter's surveys, read from the quarter-first covering index (migration 0007). A year
    adds up its quarters' per-school rows: grouping four quarters at once, SQLite's planner walks the whole table
    in school order instead."""
    survey = _survey_model()
    if survey is None:
        return {}
    if isinstance(period, Year):
        result = {}
        for quarter in quarters_of(period):
            for school, row in survey_figures(quarter, district_id, school_id).items():
                into = result.setdefault(school, dict.fromkeys(row, 0))
                for key, value in row.items():
                    into[key] += value
        return result
    agreed = survey.outcome.in_(AGREEMENT_OUTCOMES)
    columns = [survey.school, fn.COUNT(survey.id).alias("surveys")]
    for prefix, name, column in (("cat", "CATEGORIES", survey.category), ("proc", "PROCEDURES", survey.procedure),
                                 ("out", "OUTCOMES", survey.outcome)):
        columns += [_count_if(column == value).alias(f"{prefix}_{value}") for value, _label in survey_choices(name)]
    columns += [_count_if(agreed).alias("agreements"),
                _count_if(agreed & (survey.follow_up == "yes")).alias("held_yes"),
                _count_if(agreed & (survey.follow_up == "no")).alias("held_no"),
                fn.SUM(survey.satisfaction).alias("satisfaction_sum"),
                fn.COUNT(survey.satisfaction).alias("satisfaction_n")]
    query = survey.select(*columns).where(survey.quarter == period.code).group_by(survey.school)
    return _int_rows(_narrow(query, _school_filter(survey.school, district_id, school_id)))


def outreach_figures(period, district_id=None, school_id=None):
    """Per school: outreach activities held in the period, parents reached, parents' confirmations (one GROUP BY
    each)."""
    models = _outreach_models()
    if models is None:
        return {}
    activity, confirmation = models
    query = (activity.select(activity.school, fn.COUNT(activity.id).alias("activities"),
                             fn.SUM(activity.parents_reached).alias("parents_reached"))
             .where(activity.held_on.between(period.start, period.end)).group_by(activity.school))
    result = _int_rows(_narrow(query, _school_filter(activity.school, district_id, school_id)))
    codes = [q.code for q in quarters_of(period)]
    query = (confirmation.select(confirmation.school, fn.COUNT(confirmation.id).alias("confirmations"))
             .where(confirmation.quarter.in_(codes)).group_by(confirmation.school))
    for school, row in _int_rows(_narrow(query, _school_filter(confirmation.school, district_id, school_id))).items():
        result.setdefault(school, {}).update(row)
    return result


def training_figures(period, district_id=None, school_id=None):
    """Per school: participants who attended a training day in the period; certificates issued in it and not
    revoked (one GROUP BY each)."""
    models = _training_models()
    if models is None:
        return {}
    registration, attendance, event_day, certificate = models
    query = (registration.select(registration.school,
                                 fn.COUNT(fn.DISTINCT(attendance.registration)).alias("participants"))
             .join(attendance, on=(attendance.registration == registration.id))
             .join(event_day, on=(attendance.day == event_day.id))
             .where(event_day.day.between(period.start, period.end)).group_by(registration.school))
    result = _int_rows(_narrow(query, _school_filter(registration.school, district_id, school_id)))
    start = datetime.combine(period.start, datetime.min.time())
    end = datetime.combine(period.end + timedelta(days=1), datetime.min.time())
    query = (registration.select(registration.school, fn.COUNT(certificate.id).alias("certificates"))
             .join(certificate, on=(certificate.registration == registration.id))
             .where(certificate.issued_at >= start, certificate.issued_at < end, certificate.revoked_at.is_null())
             .group_by(registration.school))
    for school, row in _int_rows(_narrow(query, _school_filter(registration.school, district_id, school_id))).items():
        result.setdefault(school, {}).update(row)
    return result


def checklist_figures(schools_query, day, surveys_filed=None):
    """Per school: its mark, whether its curator holds a certificate, deadlines met and overdue, each item done
    (0/1), from services.setup.checklist_status (one GROUP BY per derived item)."""
    result = {}
    for school_id, items in setup.checklist_status(schools_query, today=day, surveys_filed=surveys_filed).items():
        row = {f"item_{item}": 0 for item in items}
        done = counted = met = overdue = 0
        for item, status in items.items():
            if status.state == setup.UNAVAILABLE:
                continue
            counted += 1
            if status.state == setup.DONE:
                done += 1
                met += status.due_on is not None
                row[f"item_{item}"] = 1
            elif status.state == setup.OVERDUE:
                overdue += 1
        mark = MARK_COMPLETE if done == counted else MARK_NOT_STARTED if done == 0 else MARK_IN_PROGRESS
        row.update({MARK_COMPLETE: 0, MARK_IN_PROGRESS: 0, MARK_NOT_STARTED: 0, "deadlines_met": met,
                    "deadlines_overdue": overdue, "curator_certified": row["item_curator_trained"]})
        row[mark] = 1
        result[school_id] = (mark, row)
    return result


def school_rows(period, district_id=None, school_id=None, today=None):
    """One row per school in the scope: {"id", "code", "names", "district_id", "mark", "figures"}; every figure
    comes from the per-school aggregates above."""
    schools = School.select(School.id, School.code, School.name_kk, School.name_ru, School.district)
    schools = _narrow(schools, _school_filter(School.id, district_id, school_id)).order_by(School.code)
    keys = figure_keys()
    sources = [survey_figures(period, district_id, school_id), outreach_figures(period, district_id, school_id),
               training_figures(period, district_id, school_id)]
    day = as_of(period, today)
    # The checklist's "surveys filed" item reads the quarter of its day: when that is this period, the survey
    # figures just counted say which schools filed (one query fewer over the largest table).
    filed = set(sources[0]) if _survey_model() and period == Quarter.of(day) else None
    checklist = checklist_figures(schools, day, filed)
    has_surveys = "surveys" in keys
    rows = []
    for school_id, code, name_kk, name_ru, district_id in db.execute(schools).fetchall():
        figures = dict.fromkeys(keys, 0)
        figures["schools"] = 1
        mark, checklist_row = checklist[school_id]
        figures.update(checklist_row)
        for source in sources:
            figures.update(source.get(school_id, ()))
        if has_surveys:
            figures["schools_no_survey"] = int(figures["surveys"] == 0)
        rows.append({"kind": "school", "id": school_id, "code": code, "names": {"kk": name_kk, "ru": name_ru, "en": ""},
                     "district_id": district_id, "mark": mark, "figures": figures})
    return rows


def add_up(rows, keys=None):
    """The figures of several rows added together (a district from its schools, the region from its districts)."""
    keys = keys or figure_keys()
    columns = zip(*([row["figures"][key] for key in keys] for row in rows), strict=True)
    return dict(zip(keys, map(sum, columns), strict=True)) if rows else dict.fromkeys(keys, 0)


def _district_row(district, figures):
    return {"kind": "district", "id": district.id, "code": district.code,
            "names": {"kk": district.name_kk, "ru": district.name_ru, "en": district.name_en},
            "mark": None, "figures": figures}


def _tally(level, period, rows, total, unit=None, today=None):
    return {"level": level, "period": period.code, "as_of": as_of(period, today), "parts": parts(), "unit": unit,
            "rows": rows, "total": total}


def region_tally(period, today=None):
    """One row per district (its schools' figures added up) and the region's total."""
    schools = school_rows(period, today=today)
    by_district = {}
    for row in schools:
        by_district.setdefault(row["district_id"], []).append(row)
    keys = figure_keys()
    districts = District.select().order_by(District.code)
    rows = [_district_row(d, add_up(by_district.get(d.id, ()), keys)) for d in districts]
    return _tally("region", period, rows, add_up(rows, keys), today=today)


def district_tally(period, district, today=None):
    """One row per school of ``district`` and the district's total."""
    rows = school_rows(period, district_id=district.id, today=today)
    return _tally("district", period, rows, add_up(rows), unit=_district_row(district, None), today=today)


def school_tally(period, school, today=None):
    """The school's own figures (one row) and, as total, the same figures."""
    rows = school_rows(period, school_id=school.id, today=today)
    unit = rows[0] if rows else None
    return _tally("school", period, rows, add_up(rows), unit=unit, today=today)


# ---------------------------------------------------------------- small counts

SMALL = "<5"
NOT_SHOWN = None


def small(n):
    """A count of cases as it may leave the school: 1 to 4 become "<5" (0 stays 0), so no child is recognised."""
    return SMALL if 1 <= n <= 4 else n


def _hidden(n):
    return 1 <= n <= 4


def share(numerator, base, suppress=True):
    """A whole percentage, or None when there is no base or, when suppressing, when the numerator, the base or
    their difference is a small count (any of them would give a small count away)."""
    if base <= 0:
        return NOT_SHOWN
    if suppress and (_hidden(numerator) or _hidden(base) or _hidden(base - numerator)):
        return NOT_SHOWN
    return (200 * numerator + base) // (2 * base)


def mean(total, n, suppress=True):
    """A mean to one decimal, or None when there is nothing to average or, when suppressing, fewer than 5
    answers."""
    if n <= 0 or (suppress and n < 5):
        return NOT_SHOWN
    return ((20 * total + n) // (2 * n)) / 10


# ---------------------------------------------------------------- layout shared by every renderer

COUNT, CASES, SHARE, MEAN, MARK = "count", "cases", "share", "mean", "mark"
ALL, UNITS, SCHOOLS = "all", "units", "schools"


@dataclass(frozen=True)
class Column:
    key: str
    label: object
    kind: str = COUNT
    # SHARE: (numerator, base); MEAN: (sum, n).
    of: tuple = ()
    # Which rows carry it: ALL, UNITS (districts, the region) or SCHOOLS.
    rows: str = ALL
    # Printed in the PDF's one-row-per-unit table.
    main: bool = False


@dataclass(frozen=True)
class Section:
    key: str
    title: object
    part: str
    columns: tuple = field(default_factory=tuple)


def sections():
    """The tally's tables, in order, for the parts that exist."""
    result = [Section("setup", _l("Service setup"), PART_SETUP, (
        Column("mark", _l("Status"), MARK, rows=SCHOOLS, main=True),
        Column("schools", _l("Schools"), rows=UNITS, main=True),
        Column(MARK_COMPLETE, _l("Schools with the service set up"), rows=UNITS, main=True),
        Column(MARK_IN_PROGRESS, _l("Set-up in progress"), rows=UNITS),
        Column(MARK_NOT_STARTED, _l("Set-up not started"), rows=UNITS),
        Column("curator_certified", _l("Curator holds a certificate"), main=True),
        Column("deadlines_met", _l("Deadlines met")),
        Column("deadlines_overdue", _l("Deadlines overdue"), main=True),
    ))]
    if _training_models():
        result.append(Section("training", _l("Training and certificates"), PART_TRAINING, (
            Column("participants", _l("Training participants")),
            Column("certificates", _l("Certificates issued")),
        )))
    if _outreach_models():
        result.append(Section("outreach", _l("Parent outreach"), PART_OUTREACH, (
            Column("activities", _l("Outreach activities"), main=True),
            Column("parents_reached", _l("Parents reached")),
            Column("confirmations", _l("Parent confirmations"), main=True),
        )))
    if _survey_model():
        result.append(Section("surveys", _l("Case surveys"), PART_SURVEYS, (
            Column("surveys", _l("Surveys filed"), CASES, main=True),
            Column("schools_no_survey", _l("Schools that filed no survey"), rows=UNITS, main=True),
            Column("agreement_share", _l("With an agreement, %"), SHARE, of=("agreements", "surveys"), main=True),
            Column("held_share", _l("Agreement held at follow-up, %"), SHARE, of=("held_yes", "checked")),
            Column("satisfaction", _l("Mean satisfaction (1–5)"), MEAN, of=("satisfaction_sum", "satisfaction_n")),
        )))
        for key, title, prefix, name in (("categories", _l("Cases by category"), "cat", "CATEGORIES"),
                                         ("procedures", _l("Cases by procedure"), "proc", "PROCEDURES"),
                                         ("outcomes", _l("Cases by outcome"), "out", "OUTCOMES")):
            columns = tuple(Column(f"{prefix}_{value}", label, CASES) for value, label in survey_choices(name))
            result.append(Section(key, title, PART_SURVEYS, columns))
    return result


def cell(row_figures, mark, column, suppress):
    """The value of one cell: an int, "<5", a share or mean (None when not shown), or a mark code."""
    if column.kind == MARK:
        return mark
    if column.kind == SHARE:
        numerator, base = column.of
        figures = {**row_figures, "checked": row_figures.get("held_yes", 0) + row_figures.get("held_no", 0)}
        return share(figures[numerator], figures[base], suppress)
    if column.kind == MEAN:
        return mean(row_figures[column.of[0]], row_figures[column.of[1]], suppress)
    value = row_figures[column.key]
    return small(value) if suppress and column.kind == CASES else value


def display(value, kind):
    """A cell as text in the current locale (screen and PDF)."""
    if value is None:
        return "" if kind == MARK else "—"
    if kind == MARK:
        return str(MARK_LABELS[value])
    if value == SMALL:
        return SMALL
    if kind == SHARE:
        return f"{value}%"
    if kind == MEAN:
        return format_decimal(value, "0.0")
    # Below a thousand no locale groups digits: skip Babel, called for every cell of a 300-school district.
    return str(value) if -1000 < value < 1000 else format_decimal(value)


def unit_name(names):
    lang = str(get_locale() or "kk")
    return names.get(lang) or names.get("kk") or ""


def layout(tally, suppress=True):
    """Everything a renderer shows, in the current locale: the unit's summary, one table per section with a row
    per district or school and the total, the PDF's main table. Values are kept raw (for CSV and XLSX) and as
    text (for the screen and the PDF)."""
    school_rows_ = tally["level"] != "region"
    row_kind = SCHOOLS if school_rows_ else UNITS
    total_kind = SCHOOLS if tally["level"] == "school" else UNITS

    def columns_for(section, kind):
        return [c for c in section.columns if c.rows in (ALL, kind)]

    def shown_cells(values, columns):
        texts = [display(v, c.kind) for v, c in zip(values, columns, strict=True)]
        # Exports write a mark as its label, every other value as it is ("<5" as text).
        values = [text if c.kind == MARK else v for v, text, c in zip(values, texts, columns, strict=True)]
        return {"values": values, "texts": texts}

    def make_row(row, columns):
        values = [cell(row["figures"], row["mark"], c, suppress) for c in columns]
        return {"id": row["id"], "code": row["code"], "name": unit_name(row["names"]),
                **shown_cells(values, columns)}

    def make_total(columns):
        values = [None if c.rows == SCHOOLS else cell(tally["total"], None, c, suppress) for c in columns]
        return {"name": str(_l("Total")), **shown_cells(values, columns)}

    tables = []
    summary = []
    main_columns = []
    unit_mark = tally["unit"]["mark"] if tally["level"] == "school" and tally["unit"] else None
    for section in sections():
        columns = columns_for(section, row_kind)
        tables.append({"key": section.key, "title": str(section.title), "labels": [str(c.label) for c in columns],
                       "kinds": [c.kind for c in columns], "rows": [make_row(r, columns) for r in tally["rows"]],
                       "total": make_total(columns)})
        items = []
        for c in columns_for(section, total_kind):
            value = cell(tally["total"], unit_mark, c, suppress)
            text = display(value, c.kind)
            items.append({"key": c.key, "label": str(c.label), "value": text if c.kind == MARK else value,
                          "text": text})
        summary.append({"key": section.key, "title": str(section.title), "items": items})
        main_columns += [c for c in columns if c.main]
    main = {"labels": [str(c.label) for c in main_columns], "kinds": [c.kind for c in main_columns],
            "rows": [make_row(r, main_columns) for r in tally["rows"]], "total": make_total(main_columns)}
    return {"tables": tables, "summary": summary, "main": main, "suppressed": suppress,
            "row_label": str(_l("School") if school_rows_ else _l("District"))}


def fixed_width(main):
    """The PDF's one-row-per-unit table with its figures as fixed-width text, numbered columns and their key:
    WeasyPrint lays out one text run per row several times faster than one cell per figure (300 schools: about
    0.9 s instead of 2.3 s), which keeps a district's PDF within its 3 s."""
    heads = [f"({n})" for n in range(1, len(main["labels"]) + 1)]
    lines = [r["texts"] for r in main["rows"]] + [main["total"]["texts"]]
    widths = [max(len(head), *(len(texts[i]) for texts in lines)) for i, head in enumerate(heads)]

    def line(texts):
        return "  ".join(text.ljust(w) if kind == MARK else text.rjust(w)
                         for text, w, kind in zip(texts, widths, main["kinds"], strict=True))

    return {"key": list(zip(heads, main["labels"], strict=True)), "head": line(heads),
            "rows": [(r["name"], line(r["texts"])) for r in main["rows"]],
            "total": (main["total"]["name"], line(main["total"]["texts"]))}


def item_counts(tally):
    """(label, schools done, schools) per checklist item, for the chart of checklist items."""
    total = tally["total"]
    return [(str(setup.ITEM_LABELS[item]), total[f"item_{item}"], total["schools"]) for item in setup.ITEMS]


# ---------------------------------------------------------------- exports

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"


def _head(shown):
    return [shown["row_label"], str(_l("Code"))]


def tally_csv(shown):
    """One flat table: a row per district or school (and the total) with every column of every section."""
    header = _head(shown)
    for table in shown["tables"]:
        header += [f"{table['title']}: {label}" for label in table["labels"]]
    rows = [header]
    count = len(shown["tables"][0]["rows"])
    for index in range(count):
        first = shown["tables"][0]["rows"][index]
        values = [first["name"], first["code"]]
        for table in shown["tables"]:
            values += table["rows"][index]["values"]
        rows.append(values)
    total = [shown["tables"][0]["total"]["name"], ""]
    for table in shown["tables"]:
        total += table["total"]["values"]
    rows.append(total)
    return _csv_bytes(rows)


def tally_xlsx(shown):
    """A summary sheet, then one sheet per section: a row per district or school and the total."""
    summary = [[str(_l("Figure")), str(_l("Value"))]]
    for section in shown["summary"]:
        summary += [[f"{section['title']}: {item['label']}", item["value"]] for item in section["items"]]
    sheets = [(str(_l("Summary")), summary)]
    for table in shown["tables"]:
        rows = [_head(shown) + table["labels"]]
        rows += [[r["name"], r["code"], *r["values"]] for r in table["rows"]]
        rows.append([table["total"]["name"], "", *table["total"]["values"]])
        sheets.append((table["title"], rows))
    return _xlsx_bytes(sheets)


def tally_pdf(context, locale):
    from services.pdf import render_pdf

    return render_pdf("pdf/tally.html", context, locale, stylesheets=("base.css", "tally.css"))


def tally_file(actor, tally, fmt, locale, title, district_name=None):
    """Bytes of the tally as PDF, CSV or XLSX in ``locale``, small counts shown as "<5"; the export is recorded
    in the audit trail. ``title`` names the region, district or school (in ``locale``); ``district_name`` is
    printed above a school's title."""
    with force_locale(locale):
        shown = layout(tally, suppress=True)
        if fmt == "pdf":
            from services.charts import tally_charts  # charts draw this module's figures

            context = dict(title=title, district=district_name, period_label=str(period_label(tally["period"])),
                           generated=datetime.now(UTC), level=tally["level"], as_of=tally["as_of"],
                           charts=tally_charts(tally, True), shown=shown, fixed=fixed_width(shown["main"]))
        else:
            body = tally_csv(shown) if fmt == "csv" else tally_xlsx(shown)
    if fmt == "pdf":
        body = tally_pdf(context, locale)
    _record_export(actor, "tally", fmt, tally)
    return body


def period_label(code):
    period = Quarter.parse(code) or Year(int(code))
    return period.label


def _record_export(actor, kind, fmt, tally=None, **details):
    if tally is not None:
        unit = tally["unit"] or {}
        details.update(period=tally["period"], level=tally["level"], unit=unit.get("code", ""))
    with db.atomic():
        audit.record(actor, f"export.{kind}", object_type="tally", object_id=details.get("period", ""), fmt=fmt,
                     **details)


# ---------------------------------------------------------------- raw records


def _label_map(pairs):
    return {value: str(label) for value, label in pairs}


def _period_in(model_field, period):
    return model_field.between(period.start, period.end)


def survey_records(user, period, district_id=None, school_id=None):
    """(header, rows) of the case surveys ``user`` may read in the period (no notes: free text stays inside)."""
    survey = _survey_model()
    from models.surveys import ADULT_KINDS, STUDENT_BANDS

    names = ("received_on", "closed_on", "quarter", "category", *STUDENT_BANDS, *ADULT_KINDS, "referral",
             "procedure", "student_mediators", "student_mediator_count", "outcome", "follow_up", "follow_up_on",
             "satisfaction")
    labels = _survey_labels()
    header = [str(_l("Survey")), str(_l("District")), str(_l("School code")), str(_l("School")),
              *[labels.get(name, name) for name in names]]
    choices = {name: _label_map(survey_choices(const)) for name, const in (
        ("category", "CATEGORIES"), ("referral", "REFERRALS"), ("procedure", "PROCEDURES"), ("outcome", "OUTCOMES"),
        ("follow_up", "FOLLOW_UPS"))}
    in_period = _survey_period(survey, period)
    query = (survey.select(survey.id, District.code.alias("district_code"), School.code.alias("school_code"),
                           School.name_kk, School.name_ru, *[getattr(survey, n) for n in names])
             .join(School).join(District).where(in_period))
    query = _narrow(scope(query, survey, user), _school_filter(survey.school, district_id, school_id))
    yes, no = str(_l("Yes")), str(_l("No"))
    lang_name = _school_name_column()
    rows = []
    for row in query.order_by(survey.closed_on, survey.id).dicts().iterator():
        values = [row["id"], row["district_code"], row["school_code"], row[lang_name] or row["name_kk"]]
        for name in names:
            value = row[name]
            if name in choices:
                value = choices[name].get(value, value)
            elif isinstance(value, bool):
                value = yes if value else no
            values.append(value)
        rows.append(values)
    return header, rows


def _survey_labels():
    try:
        from forms.surveys import field_labels
    except ImportError:  # the surveys feature without its forms
        return {}
    labels = {name: str(label) for name, label in field_labels().items()}
    labels["quarter"] = str(_l("Quarter"))
    return labels


def _school_name_column():
    return "name_ru" if str(get_locale()) == "ru" else "name_kk"


def outreach_records(user, period, district_id=None, school_id=None):
    """(header, rows) of the outreach activities ``user`` may read, held in the period."""
    activity, _confirmation = _outreach_models()
    try:
        from forms.outreach import ACTIVITY_LANGUAGE_LABELS, FORMAT_LABELS
    except ImportError:  # labels live with the outreach forms
        FORMAT_LABELS, ACTIVITY_LANGUAGE_LABELS = {}, {}
    header = [str(_l("Activity")), str(_l("District")), str(_l("School code")), str(_l("School")),
              str(_l("Date")), str(_l("Format")), str(_l("Grades from")), str(_l("Grades to")), str(_l("Language")),
              str(_l("Parents reached")), str(_l("Description"))]
    query = (activity.select(activity.id, District.code.alias("district_code"), School.code.alias("school_code"),
                             School.name_kk, School.name_ru, activity.held_on, activity.format, activity.grade_from,
                             activity.grade_to, activity.language, activity.parents_reached, activity.description)
             .join(School).join(District).where(_period_in(activity.held_on, period)))
    query = _narrow(scope(query, activity, user), _school_filter(activity.school, district_id, school_id))
    lang_name = _school_name_column()
    rows = [[r["id"], r["district_code"], r["school_code"], r[lang_name] or r["name_kk"], r["held_on"],
             str(FORMAT_LABELS.get(r["format"], r["format"])), r["grade_from"], r["grade_to"],
             str(ACTIVITY_LANGUAGE_LABELS.get(r["language"], r["language"])), r["parents_reached"], r["description"]]
            for r in query.order_by(activity.held_on, activity.id).dicts().iterator()]
    return header, rows


def attendance_records(user, period, district_id=None, school_id=None):
    """(header, rows) of training attendance in the period within ``user``'s scope: each participant's name for
    region admins (adults' data given for certificates), counts per event, day and school for everyone else."""
    registration, attendance, event_day, _certificate = _training_models()
    event = registration.event.rel_model
    lang_name = _school_name_column()
    title = event.title_ru if lang_name == "name_ru" else event.title_kk
    base = [str(_l("Event")), str(_l("Title")), str(_l("Day")), str(_l("District")), str(_l("School code")),
            str(_l("School"))]
    common = [event.code.alias("event_code"), title.alias("title"), event_day.day, District.code.alias("district_code"),
              School.code.alias("school_code"), School.name_kk, School.name_ru]
    query = (attendance.select().join(registration, on=(attendance.registration == registration.id))
             .join(event_day, on=(attendance.day == event_day.id)).join(event, on=(registration.event == event.id))
             .join(School, on=(registration.school == School.id)).join(District, on=(School.district == District.id))
             .where(_period_in(event_day.day, period)))
    query = _narrow(scope(query, registration, user), _school_filter(registration.school, district_id, school_id))
    order = (event_day.day, event.code, School.code)
    if user.role == ROLE_ADMIN:
        query = query.select(*common, registration.full_name, registration.position).order_by(
            *order, registration.full_name)
        header = [*base, str(_l("Participant")), str(_l("Position"))]
        positions = _position_labels()
        extra = lambda r: [r["full_name"], positions.get(r["position"], r["position"])]  # noqa: E731
    else:
        query = (query.select(*common, fn.COUNT(attendance.id).alias("participants"))
                 .group_by(event.code, title, event_day.day, District.code, School.code, School.name_kk,
                           School.name_ru).order_by(*order))
        header = [*base, str(_l("Participants"))]
        extra = lambda r: [int(r["participants"])]  # noqa: E731
    rows = [[r["event_code"], r["title"], r["day"], r["district_code"], r["school_code"], r[lang_name] or r["name_kk"],
             *extra(r)] for r in query.dicts().iterator()]
    return header, rows


def _position_labels():
    labels = feature_model("training", "POSITION_LABELS") or {}
    return {key: str(label) for key, label in labels.items()}


RECORD_KINDS = {"surveys": (PART_SURVEYS, survey_records), "outreach": (PART_OUTREACH, outreach_records),
                "attendance": (PART_TRAINING, attendance_records)}


def record_kinds():
    """The raw record exports this installation offers."""
    available = parts()
    return [kind for kind, (part, _fn) in RECORD_KINDS.items() if part in available]


def records_file(actor, kind, fmt, period, locale, district_id=None, school_id=None):
    """Bytes of the raw records of ``kind`` that ``actor`` may read, as CSV or XLSX; recorded in the audit
    trail."""
    _part, builder = RECORD_KINDS[kind]
    with force_locale(locale):
        header, rows = builder(actor, period, district_id, school_id)
        title = str(_l("Records"))
    body = _csv_bytes([header, *rows]) if fmt == "csv" else _xlsx_bytes([(title, [header, *rows])])
    _record_export(actor, kind, fmt, period=period.code, district=district_id or "", school=school_id or "",
                   rows=len(rows))
    return body

