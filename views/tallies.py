"""District tallies on screen, as PDF, CSV and XLSX, and the raw records behind them, within the reader's access:
region admins and the monitor see every district, a district officer its own district and its schools, a school
curator its own school's page (on screen only: whatever leaves the school goes through the district)."""

from flask import Blueprint, abort, g, make_response, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BuildError

from models.auth import ROLE_ADMIN, ROLE_DISTRICT, ROLE_MONITOR, ROLE_SCHOOL
from models.directory import District, School
from services import charts, setup, tallies
from services.access import get_visible
from services.quarters import Quarter
from views.common import login_required, roles_required

bp = Blueprint("tallies", __name__, url_prefix="/tallies")

EXPORTERS = (ROLE_ADMIN, ROLE_MONITOR, ROLE_DISTRICT)
FORMATS = "any(pdf, csv, xlsx)"
RECORD_FORMATS = "any(csv, xlsx)"
KINDS = "any(surveys, outreach, attendance)"
MIME = {"pdf": tallies.PDF_TYPE, "csv": tallies.CSV_TYPE, "xlsx": tallies.XLSX_TYPE}


def not_found(message):
    """A 404 page that says what was not found (an unknown district and another district's read the same)."""
    page = render_template("errors/error.html", code=404, title=_("Page not found"), message=message)
    abort(make_response(page, 404))


def load(period_text, district_code=None, school_id=None):
    """(period, district, school) named in the address, each checked against the reader's access."""
    period = tallies.parse_period(period_text)
    if period is None:
        not_found(_("There is no tally for “%(period)s”. A quarter is written as 2025-Q3 and a year as 2025; a "
                    "period that has not begun has no tally yet.", period=period_text[:16]))
    if district_code is None:
        if not g.user.is_region:
            abort(403)
        return period, None, None
    district = District.get_or_none(District.code == district_code)
    if g.user.role == ROLE_SCHOOL and school_id is None:
        abort(403)
    if district is None or (g.user.role == ROLE_DISTRICT and g.user.district_id != district.id):
        not_found(_("There is no district “%(code)s”, or you do not have access to it.", code=district_code[:16]))
    if school_id is None:
        return period, district, None
    school = get_visible(School, school_id, g.user)
    if school is None or school.district_id != district.id:
        not_found(_("There is no such school in this district, or you do not have access to it."))
    return period, district, school


def compute(period, district, school):
    if school is not None:
        return tallies.school_tally(period, school)
    if district is not None:
        return tallies.district_tally(period, district)
    return tallies.region_tally(period)


def title_of(district, school):
    if school is not None:
        return school.name
    return district.name if district is not None else _("Karaganda region")


def own_page(user, period_code):
    """Where a reader's tally starts: the region, the officer's district, the curator's school."""
    if user.role == ROLE_SCHOOL:
        return url_for("tallies.show", period=period_code, district_code=user.school.district.code,
                       school_id=user.school_id)
    if user.role == ROLE_DISTRICT:
        return url_for("tallies.show", period=period_code, district_code=user.district.code)
    return url_for("tallies.show", period=period_code)


@bp.get("")
@login_required
def index():
    return redirect(own_page(g.user, Quarter.current(setup.local_today()).code))


@bp.get("/<period>")
@bp.get("/<period>/<district_code>")
@bp.get("/<period>/<district_code>/<int:school_id>")
@login_required
def show(period, district_code=None, school_id=None):
    if district_code is None and g.user.role in (ROLE_DISTRICT, ROLE_SCHOOL) and tallies.parse_period(period):
        return redirect(own_page(g.user, period))
    period, district, school = load(period, district_code, school_id)
    tally = compute(period, district, school)
    # Inside the school its own curator sees exact counts; everyone else sees small counts as "<5".
    suppress = not (school is not None and g.user.role == ROLE_SCHOOL)
    return render_template("tallies/tally.html", tally=tally, shown=tallies.layout(tally, suppress),
                           charts=charts.tally_charts(tally, suppress), period=period, district=district,
                           school=school, title=title_of(district, school),
                           periods=period_links(period, district, school),
                           checklist=school_checklist(school, tally["as_of"]), links=record_links(school, period),
                           record_kinds=tallies.record_kinds(),
                           can_export=g.user.role in EXPORTERS)


def level_args(district, school):
    return dict(district_code=district.code if district else None, school_id=school.id if school else None)


def period_links(period, district, school):
    """The previous and next period and the recent quarters and years, each (label, address, is this one), at
    the same level of the tally."""
    today = setup.local_today()
    quarters, years = tallies.recent_periods(today)
    args = level_args(district, school)

    def link(p):
        return (p.label, url_for("tallies.show", period=p.code, **args), p == period)

    following = period.next()
    return dict(previous=link(period.previous()), next=link(following) if following.start <= today else None,
                recent=[link(p) for p in [*quarters, *years]])


def school_checklist(school, day):
    """The school's checklist items as the tally read them (as of the period's last day)."""
    if school is None:
        return None
    status = setup.checklist_status([school.id], today=day)[school.id]
    return [(setup.ITEM_LABELS[item], status[item]) for item in setup.ITEMS]


# (label, endpoint, arguments) of the lists where a school's records are read, when those pages exist.
RECORD_PAGES = (
    (_l("Case surveys"), "surveys.index",
     lambda school, period: {"quarter": period.code} if isinstance(period, Quarter) else {}),
    (_l("Parent outreach"), "outreach.school_page", lambda school, period: {"school_id": school.id}),
    (_l("Service setup checklist"), "setup.school_checklist", lambda school, period: {"school_id": school.id}),
)


def record_links(school, period):
    """Links from a school's tally to the lists of its records, for the list pages this installation has."""
    if school is None:
        return []
    links = []
    for label, endpoint, arguments in RECORD_PAGES:
        try:
            links.append((label, url_for(endpoint, **arguments(school, period))))
        except BuildError:  # that feature's pages are not installed
            continue
    return links


def _download(body, fmt, stem):
    response = make_response(body)
    response.headers["Content-Type"] = MIME[fmt]
    response.headers["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response


def _stem(prefix, period, district, school):
    parts = [prefix, period.code] + ([district.code] if district else []) + ([school.code] if school else [])
    return "-".join(parts).replace('"', "")


@bp.get(f"/<period>/tally.<{FORMATS}:fmt>")
@bp.get(f"/<period>/<district_code>/tally.<{FORMATS}:fmt>")
@bp.get(f"/<period>/<district_code>/<int:school_id>/tally.<{FORMATS}:fmt>")
@roles_required(*EXPORTERS)
def export(period, fmt, district_code=None, school_id=None):
    period, district, school = load(period, district_code, school_id)
    tally = compute(period, district, school)
    body = tallies.tally_file(g.user, tally, fmt, str(get_locale()), title_of(district, school),
                              district.name if district else None)
    return _download(body, fmt, _stem("tally", period, district, school))


@bp.get(f"/<period>/records/<{KINDS}:kind>.<{RECORD_FORMATS}:fmt>")
@bp.get(f"/<period>/<district_code>/records/<{KINDS}:kind>.<{RECORD_FORMATS}:fmt>")
@bp.get(f"/<period>/<district_code>/<int:school_id>/records/<{KINDS}:kind>.<{RECORD_FORMATS}:fmt>")
@roles_required(*EXPORTERS)
def records(period, kind, fmt, district_code=None, school_id=None):
    period, district, school = load(period, district_code, school_id)
    if kind not in tallies.record_kinds():
        abort(404)
    body = tallies.records_file(g.user, kind, fmt, period, str(get_locale()), district_id=district and district.id,
                                school_id=school and school.id)
    return _download(body, fmt, _stem(kind, period, district, school))
