"""What the crawl of every page (test_crawl.py) needs: the pages, found in the app's URL map and filled from
records made for the crawl, and the checks that each page must pass in the browser.

A route is a page when it answers GET with HTML. Its arguments are filled by name (and, where one name means
two things, by endpoint) from CrawlRecords; a route whose arguments cannot be filled fails the crawl, so a page
added later is never skipped silently.
"""

import os
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

ROLES = ("anonymous", "school", "district", "admin")
LANGUAGES = ("kk", "ru")
SIZES = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 800}}
PAGE_LIMIT = 100 * 1024  # bytes: HTML, CSS, JS and images of one page, uncompressed
FORM_PAGE_LIMIT = 60 * 1024
BAD_IMPACTS = ("serious", "critical")
# Routes that serve files, never pages.
NOT_PAGES = {"static"}
# Addresses that answer the standard error pages (crawled once per role, like any page).
ERROR_PAGES = {"error-404": "/kelisim-no-such-page"}
SCREENSHOTS_ENV = "KELISIM_SCREENSHOTS"


class Unresolved(Exception):
    """A route whose arguments the crawl cannot fill: teach CrawlRecords about them."""


@dataclass
class CrawlRecords:
    """Argument values by name, and by (endpoint, name) where one name means different things."""

    values: dict
    by_endpoint: dict = field(default_factory=dict)

    def value(self, endpoint, name, converter):
        if name in self.by_endpoint.get(endpoint, {}):
            return self.by_endpoint[endpoint][name]
        if name in self.by_endpoint.get(endpoint.split(".")[0], {}):
            return self.by_endpoint[endpoint.split(".")[0]][name]
        if name in self.values:
            return self.values[name]
        items = getattr(converter, "items", None)
        if items:  # <any(csv, xlsx):fmt>: one of them is enough (sorted, so the run is the same every time)
            return sorted(items)[0]
        raise KeyError(name)


def make_records(world, secret):
    """One record of each kind a page is about, in the school "school" (KRG), visible to school, district
    and admin."""
    from models.setup import SetupDeadline
    from services import certificates, outreach, training
    from services.quarters import Quarter
    from tests import factories

    school, curator, admin = world.schools["school"], world.users["school"], world.users["admin"]
    survey = factories.make_survey(school, created_by=curator)
    activity = factories.make_outreach(school, created_by=curator)
    factories.make_confirmation(school)
    factories.make_setup(school)
    deadline = SetupDeadline.select().first() or factories.set_deadlines(
        ("service_created", date.today() + timedelta(days=30)))[0]
    event = factories.make_event(admin)
    day = training.event_days(event)[0]
    registration = factories.make_registration(event, school)
    training.mark_present(admin, registration, day)
    certificate = certificates.issue(registration, admin)
    material = factories.make_material(admin)
    parent_slug = outreach.links_for([school.id])[school.id]
    values = dict(survey_id=survey.id, activity_id=activity.id, event_id=event.id, day_id=day.id,
                  material_id=material.id, number=1, school_id=school.id, user_id=curator.id,
                  deadline_id=deadline.id, certificate_id=certificate.id, token=registration.token,
                  period=Quarter.of(date.today()).code, district_code=school.district.code)
    by_endpoint = {
        "training": {"slug": event.slug},
        "outreach": {"slug": parent_slug},
        "training.checkin": {"code": training.checkin_code(secret, event.id, day.day)},
        "training.verify": {"code": certificate.code},
    }
    return CrawlRecords(values, by_endpoint)


def get_rules(app):
    """The routes that answer GET, except files (static)."""
    rules = [rule for rule in app.url_map.iter_rules() if "GET" in rule.methods and rule.endpoint not in NOT_PAGES]
    return sorted(rules, key=lambda rule: rule.rule)


def fill(rule, records):
    """The path of ``rule`` with its arguments filled from ``records``; Unresolved names what is missing."""
    values, missing = {}, []
    for name in sorted(rule.arguments):
        try:
            values[name] = records.value(rule.endpoint, name, rule._converters.get(name))
        except KeyError:
            missing.append(name)
    if missing:
        raise Unresolved(f"{rule.rule} ({rule.endpoint}): no value for {', '.join(missing)}; "
                         "add it to tests/browser/crawl.py make_records()")
    return rule.build(values, append_unknown=False)[1]


def route_name(rule):
    """A file-name-safe name of a route: /surveys/<int:survey_id>/edit -> surveys-survey_id-edit."""
    text = re.sub(r"<(?:[^:>]*:)?([^>]+)>", r"\1", rule.rule).strip("/")
    return re.sub(r"[^A-Za-z0-9_.]+", "-", text) or "home"


@dataclass
class Plan:
    """What one role reaches: the HTML pages to crawl (name -> (path, status)) and what was set aside."""

    pages: dict = field(default_factory=dict)
    downloads: list = field(default_factory=list)
    refused: list = field(default_factory=list)
    redirects: list = field(default_factory=list)
    problems: list = field(default_factory=list)


def plan(client, rules, records):
    """Asks every route once through the test client (signed in as the role) and sorts the answers: HTML
    pages to crawl, downloads (not pages), refusals and redirects (not this role's pages). A server error is a
    problem; an unfillable route raises Unresolved."""
    result = Plan()
    unresolved = []
    for rule in rules:
        try:
            path = fill(rule, records)
        except Unresolved as exc:
            unresolved.append(str(exc))
            continue
        response = client.get(path)
        kind = response.mimetype
        response.close()
        if response.status_code >= 500:
            result.problems.append(f"{path}: answers {response.status_code}")
        elif 300 <= response.status_code < 400:
            result.redirects.append(path)
        elif response.status_code >= 400:
            result.refused.append((path, response.status_code))
        elif kind != "text/html":
            result.downloads.append((path, kind))
        else:
            result.pages[route_name(rule)] = (path, response.status_code)
    if unresolved:
        raise Unresolved("routes the crawl cannot reach:\n" + "\n".join(unresolved))
    for name, path in ERROR_PAGES.items():
        result.pages[name] = (path, 404)
    if result.refused:  # the page a role sees for another role's page
        denied = next((item for item in result.refused if item[1] == 403), None)
        if denied:
            result.pages["error-403"] = denied
    return result


def screenshot_dir():
    folder = os.environ.get(SCREENSHOTS_ENV)
    if folder:
        os.makedirs(folder, exist_ok=True)
    return folder


# Everything the crawl reads from a loaded page in one round trip.
PAGE_FACTS = """() => {
  const skip = ["hidden", "submit", "button", "reset", "image"];
  const controls = Array.from(document.querySelectorAll("input, select, textarea"))
    .filter((el) => !(el.tagName === "INPUT" && skip.includes(el.type)));
  const unlabelled = controls.filter((el) => !(el.labels && el.labels.length) &&
      !(el.getAttribute("aria-label") || "").trim() && !el.getAttribute("aria-labelledby"))
    .map((el) => el.outerHTML.slice(0, 120));
  const forms = Array.from(document.querySelectorAll("form")).filter((f) => f.method === "post" &&
      Array.from(f.elements).some((el) => controls.includes(el)));
  return {scrollWidth: document.documentElement.scrollWidth, lang: document.documentElement.lang,
          unlabelled: unlabelled, formPage: forms.length > 0};
}"""


def axe_problems(results):
    """One line per serious or critical axe violation: rule, impact, what it asks and where."""
    lines = []
    for violation in results.get("violations", []):
        if violation.get("impact") not in BAD_IMPACTS:
            continue
        where = "; ".join(" ".join(node["target"]) if isinstance(node["target"], list) else str(node["target"])
                          for node in violation["nodes"][:3])
        lines.append(f"axe {violation['id']} ({violation['impact']}): {violation['help']} at {where}")
    return lines
