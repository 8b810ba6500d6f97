"""What the crawl of every page (test_crawl.py) needs: the pages, found in the app's URL map and filled from
records made for the crawl, and the checks that each page must pass in the browser.

A route is a page when it answers GET with HTML. Its arguments are filled as the access matrix fills them (its
PARAMS and Records, tests/access_matrix.py), which every new route needs anyway; a route whose arguments cannot
be filled fails the crawl, so a page added later is never skipped silently. Pages with tables are also checked
as printed on A4.
"""

import asyncio
import os
import re
import threading
from dataclasses import dataclass, field
from functools import cached_property

from axe_playwright_python.base import AXE_FILE_PATH

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

ROLES = ("anonymous", "school", "district", "admin")
LANGUAGES = ("kk", "ru")
SIZES = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 800}}
PAGE_LIMIT = 100 * 1024  # bytes: HTML, CSS, JS and images of one page, uncompressed
FORM_PAGE_LIMIT = 60 * 1024
BAD_IMPACTS = ("serious", "critical")
# axe-core runs at phone size in both languages: a run costs as much as all the other checks of a page together,
# and at 1280 px it finds nothing more (the same HTML and colours; tables fit). KELISIM_CRAWL_AXE=all runs it in
# every context too.
AXE_ENV = "KELISIM_CRAWL_AXE"
# Routes that serve files, never pages.
NOT_PAGES = {"static"}
# Addresses that answer the standard error pages (crawled once per role, like any page).
ERROR_PAGES = {"error-404": "/kelisim-no-such-page"}
SCREENSHOTS_ENV = "KELISIM_SCREENSHOTS"
LANGUAGE_COOKIE = "kelisim_lang"

# Chromium's network emulation (CDP Network.emulateNetworkConditions): slow 3G, 400 ms round trip and 400 kbit/s
# each way (bench/bench_slow3g.py times the survey form on it; test_crawl.py checks what a repeat visit loads).
SLOW_3G = dict(offline=False, latency=400, downloadThroughput=400 * 1000 / 8, uploadThroughput=400 * 1000 / 8)
NO_THROTTLE = dict(offline=False, latency=0, downloadThroughput=-1, uploadThroughput=-1)
# The first contentful paint of the page, once the browser has one (ms since the navigation began).
FCP = """() => new Promise((resolve) => {
  const found = () => performance.getEntriesByName("first-contentful-paint")[0];
  if (found()) { resolve(found().startTime); return; }
  new PerformanceObserver(() => found() && resolve(found().startTime)).observe({type: "paint", buffered: true});
})"""
# True once the service worker controls the page and keeps this page in its cache of form pages.
KEPT = """async () => {
  if (!navigator.serviceWorker.controller) { return false; }
  for (const name of await caches.keys()) {
    if (name.startsWith("kelisim-pages-") && await (await caches.open(name)).match(location.href)) { return true; }
  }
  return false;
}"""


class Unresolved(Exception):
    """A route whose arguments the crawl cannot fill: teach CrawlRecords about them."""


@dataclass
class CrawlRecords:
    """Argument values from the access matrix's Records of the school "school" (tests/access_matrix.py PARAMS,
    which every new route must have); a converter with fixed choices (<any(csv, xlsx):fmt>) gives its first."""

    matrix_records: object

    def value(self, endpoint, name, converter):
        from tests.access_matrix import param

        found = param(endpoint, name)
        if found is not None:
            return found[1](self.matrix_records)
        items = getattr(converter, "items", None)
        if items:  # one of them is enough (sorted, so the run is the same every time)
            return sorted(items)[0]
        raise KeyError(name)


def make_records(app, world):
    """The records pages are about, in the school "school" (KRG), visible to school, district and admin: the
    access matrix's, and besides them what makes the school's other pages show content (its checklist, a parent's
    confirmation, the model regulation at /materials/model-regulation)."""
    from models.materials import Material
    from models.setup import SchoolSetup
    from tests import factories

    school, admin = world.schools["school"], world.users["admin"]
    factories.make_confirmation(school)
    if not SchoolSetup.select().where(SchoolSetup.school == school).exists():  # the demo data may have one
        factories.make_setup(school)
    if not Material.select().where(Material.kind == "model_regulation").exists():
        factories.make_material(admin, kind="model_regulation")
    return CrawlRecords(MatrixSite(app, world).records())


class MatrixSite:
    """Just enough of the access matrix's Site for its Records of the school "school" (tests/access_matrix.py): a
    page added later, with a new kind of record in its address, is reached as the access matrix reaches it."""

    def __init__(self, app, world):
        self.app, self.world = app, world

    @cached_property
    def shared_event(self):
        from tests import factories

        return factories.make_event(self.world.users["admin"])

    def records(self):
        from tests.access_matrix import Records

        return Records(self, "school")


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
                         "add it to PARAMS in tests/access_matrix.py")
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


def unreached(plans, rules, records):
    """The routes that no role reaches (every role refused them): pages the crawl would never see."""
    reached = set()
    for result in plans:
        reached.update(path for path, _status in result.pages.values())
        reached.update(path for path, _kind in result.downloads)
        reached.update(result.redirects)
    return [f"{rule.rule} ({rule.endpoint})" for rule in rules if fill(rule, records) not in reached]


def axe_sizes():
    if os.environ.get(AXE_ENV) == "all":
        return {(lang, size) for lang in LANGUAGES for size in SIZES}
    return {(lang, "phone") for lang in LANGUAGES}


def screenshot_dir():
    folder = os.environ.get(SCREENSHOTS_ENV)
    if folder:
        os.makedirs(folder, exist_ok=True)
    return folder


# Everything the crawl reads from a loaded page in one round trip.
PAGE_FACTS = """async () => {
  const skip = ["hidden", "submit", "button", "reset", "image"];
  const controls = Array.from(document.querySelectorAll("input, select, textarea"))
    .filter((el) => !(el.tagName === "INPUT" && skip.includes(el.type)));
  const unlabelled = controls.filter((el) => !(el.labels && el.labels.length) &&
      !(el.getAttribute("aria-label") || "").trim() && !el.getAttribute("aria-labelledby"))
    .map((el) => el.outerHTML.slice(0, 120));
  const forms = Array.from(document.querySelectorAll("form")).filter((f) => f.method === "post" &&
      Array.from(f.elements).some((el) => controls.includes(el)));
  // The page weight: the HTML and every file it loaded, uncompressed, wherever it came from (network, HTTP cache,
  // the service worker's cache): the browser's own account of this document, each address once (now and then
  // Chromium lists the shell's files twice for one load).
  const sizes = new Map();
  performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource")).forEach((entry) =>
    sizes.set(entry.name, Math.max(sizes.get(entry.name) || 0, entry.decodedBodySize)));
  // The icon is the browser's own fetch, listed only now and then: always counted, so a weight is the same each run.
  for (const link of document.querySelectorAll("link[rel~=icon]")) {
    if (!sizes.has(link.href)) {
      sizes.set(link.href, (await (await fetch(link.href, {credentials: "omit"})).arrayBuffer()).byteLength);
    }
  }
  const loaded = Array.from(sizes, ([name, size]) => [name.replace(location.origin, ""), size]);
  return {scrollWidth: document.documentElement.scrollWidth, lang: document.documentElement.lang,
          unlabelled: unlabelled, formPage: forms.length > 0, tables: document.querySelectorAll("table").length,
          weight: loaded.reduce((sum, [_name, size]) => sum + size, 0), loaded: loaded};
}"""


# Printed on A4 (210 mm less the print stylesheet's 12 mm margins, at 96 px an inch): a page with tables (tallies,
# rosters, lists) prints without navigation, and its tables fit the width.
A4_CONTENT = {"width": round((210 - 2 * 12) / 25.4 * 96), "height": 1000}
PRINT_FACTS = """() => {
  const shown = (el) => el.getClientRects().length > 0;
  const describe = (el) => el.outerHTML.slice(0, 80);
  return {
    shown: Array.from(document.querySelectorAll("header.site, nav, footer.site, .filters, .pages")).filter(shown)
      .map(describe),
    wide: Array.from(document.querySelectorAll("table"))
      .filter((table) => table.getBoundingClientRect().right > window.innerWidth + 1)
      .map((table) => `${describe(table)} (${Math.round(table.getBoundingClientRect().width)} px)`),
    scrollWidth: document.documentElement.scrollWidth};
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


class PageVisit:
    """One page's visit: its console errors (and how many of them were already reported)."""

    def __init__(self, path):
        self.path = path
        self.errors = []
        self.reported = 0


class Crawler:
    """One browser context (a role, a language, a size) that visits the pages one after another."""

    def __init__(self, base, cookie, lang, size, label, run_axe, shots):
        self.base, self.cookie, self.lang, self.size, self.label = base, cookie, lang, size, label
        self.run_axe, self.shots = run_axe, shots
        self.problems = []
        self.weights = {}  # path -> (bytes, is a form page)
        self.visit = PageVisit("(start)")

    async def open(self, browser):
        phone = self.size == "phone"
        self.context = await browser.new_context(viewport=SIZES[self.size], is_mobile=phone, has_touch=phone,
                                                 locale=f"{self.lang}-KZ")
        self.context.set_default_timeout(20_000)
        await self.context.add_cookies([dict(name=LANGUAGE_COOKIE, value=self.lang, url=self.base)] +
                                       ([self.cookie] if self.cookie else []))
        if self.run_axe:
            await self.context.add_init_script(path=str(AXE_FILE_PATH))
        self.context.on("request", self._request)
        self.page = await self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.visit.errors.append(f"uncaught: {exc}"))

    def _request(self, request):
        url = request.url
        if not (url.startswith(self.base + "/") or url.startswith(("data:", "blob:"))):
            self.problems.append(f"{self.label} {self.visit.path}: request leaves the service: {url[:120]}")

    def _console(self, message):
        if message.type != "error":
            return
        # The browser's own line for an error page's status is the answer the crawl asked for, not an error.
        if message.text.startswith("Failed to load resource") and message.location.get("url") == \
                self.base + self.visit.path:
            return
        self.visit.errors.append(message.text)

    async def check(self, name, path, status):
        """Visits one page and notes its problems and its weight."""
        self.visit = visit = PageVisit(path)
        problems = []
        response = await self.page.goto(self.base + path)
        if response is None or response.status != status:
            problems.append(f"answers {response and response.status}, expected {status}")
        facts = await self.page.evaluate(PAGE_FACTS)
        if self.size == "phone" and facts["scrollWidth"] > SIZES["phone"]["width"]:
            problems.append(f"scrolls sideways: {facts['scrollWidth']} px wide")
        problems += [f"control without a label: {html}" for html in facts["unlabelled"]]
        if facts["lang"] != self.lang:
            problems.append(f'<html lang="{facts["lang"]}">, expected {self.lang}')
        weight = facts["weight"]
        limit = FORM_PAGE_LIMIT if facts["formPage"] else PAGE_LIMIT
        if weight > limit:
            kind = "form page" if facts["formPage"] else "page"
            files = ", ".join(f"{name} {size / 1024:.1f}" for name, size in facts["loaded"])
            problems.append(f"{kind} weighs {weight / 1024:.1f} KB, more than {limit // 1024} KB ({files})")
        if self.run_axe:
            problems += axe_problems(await self.page.evaluate(AXE_RUN))
        if self.size == "desktop" and facts["tables"]:
            problems += await self.print_problems()
        if self.shots and self.size == "phone":
            role = self.label.split()[0]
            await self.page.screenshot(path=os.path.join(self.shots, f"{role}-{self.lang}-{name}.png"),
                                       full_page=True)
        problems += [f"console error: {text}" for text in visit.errors]
        visit.reported = len(visit.errors)
        self.problems += [f"{self.label} {path}: {problem}" for problem in problems]
        self.weights[path] = (weight, facts["formPage"])

    async def print_problems(self):
        """The page as printed on A4: navigation shown, tables wider than the paper."""
        await self.page.set_viewport_size(A4_CONTENT)
        await self.page.emulate_media(media="print")
        try:
            facts = await self.page.evaluate(PRINT_FACTS)
        finally:
            await self.page.emulate_media(media="screen")
            await self.page.set_viewport_size(SIZES[self.size])
        problems = [f"printed, shows {html}" for html in facts["shown"]]
        problems += [f"printed, a table wider than A4: {html}" for html in facts["wide"]]
        if facts["scrollWidth"] > A4_CONTENT["width"]:
            problems.append(f"printed, {facts['scrollWidth']} px wide, more than A4 ({A4_CONTENT['width']} px)")
        return problems

    async def crawl(self, browser, pages):
        await self.open(browser)
        try:
            for name, (path, status) in pages.items():
                await self.check(name, path, status)
        finally:
            self.problems += [f"{self.label} {self.visit.path}: console error after the checks: {text}"
                              for text in self.visit.errors[self.visit.reported:]]
            await self.context.close()


# axe-core's own defaults (WCAG 2 A and AA, best practices); no stylesheet preloading: no rule we keep needs it.
AXE_RUN = "axe.run({resultTypes: ['violations'], preload: false})"


# With several contexts of one site side by side, Chromium throws its spare renderer away and starts a new one
# on almost every navigation (a third more CPU): keep none spare.
CRAWL_ARGS = ["--disable-features=SpareRendererForSitePerProcess"]


def in_browser(work):
    """Runs ``await work(browser)`` with its own Chromium in its own event loop and thread (the sync Playwright
    of the other browser tests owns this thread's loop) and returns what it returns."""
    from playwright.async_api import async_playwright

    async def run():
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + CRAWL_ARGS,
                                                       headless=True)
            try:
                return await work(browser)
            finally:
                await browser.close()

    outcome = {}

    def target():
        try:
            outcome["value"] = asyncio.run(run())
        except BaseException as exc:  # re-raised in the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def crawl(crawlers, pages):
    """Runs the crawlers side by side, one browser context each: a page's server time, layout and axe run in one
    context overlap with another's, on both cores. Returns every problem found."""

    async def work(browser):
        await asyncio.gather(*(crawler.crawl(browser, pages) for crawler in crawlers))

    in_browser(work)
    return [problem for crawler in crawlers for problem in crawler.problems]
