"""Every page, for each role, in Kazakh and in Russian, at 360×740 and at 1280×800, in real Chromium: no serious
or critical axe-core violation, no sideways scrolling on a phone, every control labelled, the page's language,
nothing fetched from elsewhere, no console error, and a page weight within 100 KB (60 KB for a form page).

The pages come from the URL map (tests/browser/crawl.py), so a page added later is crawled too. Each role has
one browser context per language and size; axe-core runs at both sizes. With KELISIM_SCREENSHOTS=/some/dir
each page is saved at phone size as <role>-<lang>-<route>.png.
"""

import time

import pytest
from axe_playwright_python.base import AXE_FILE_PATH

from tests.browser.conftest import PHONE
from tests.browser.crawl import (
    FORM_PAGE_LIMIT,
    LANGUAGES,
    PAGE_FACTS,
    PAGE_LIMIT,
    ROLES,
    SIZES,
    Unresolved,
    axe_problems,
    get_rules,
    make_records,
    plan,
    screenshot_dir,
)


def signed_in_client(app, user):
    client = app.test_client()
    if user is not None:
        with client.session_transaction() as session:
            session.update(uid=user.id, sv=user.session_version)
    return client


def session_cookie(app, base, user):
    """The signed session cookie of ``user``, as the login page would set it."""
    serializer = app.session_interface.get_signing_serializer(app)
    value = serializer.dumps(dict(uid=user.id, sv=user.session_version))
    return dict(name=app.config["SESSION_COOKIE_NAME"], value=value, url=base)


class PageVisit:
    """What one page did in the browser: its responses and console errors."""

    def __init__(self, path):
        self.path = path
        self.responses = []
        self.errors = []
        self.reported = 0


class Crawler:
    """One browser context (a role, a language, a size) that visits pages one after another."""

    static_sizes = {}  # URL path of a static file -> its size; the files do not change during the run

    def __init__(self, browser, base, cookie, lang, size, label):
        self.base, self.lang, self.size, self.label = base, lang, size, label
        phone = size == "phone"
        self.context = browser.new_context(viewport=SIZES[size], is_mobile=phone, has_touch=phone,
                                           locale=f"{lang}-KZ")
        self.context.set_default_timeout(15_000)
        if cookie:
            self.context.add_cookies([cookie])
        self.context.add_init_script(path=str(AXE_FILE_PATH))
        self.problems = []
        self.visit = PageVisit("(start)")
        self.context.on("request", self._request)
        self.page = self.context.new_page()
        self.page.on("response", lambda response: self.visit.responses.append(response))
        self.page.on("console", lambda msg: self.visit.errors.append(msg.text) if msg.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.visit.errors.append(f"uncaught: {exc}"))
        # The first visit chooses the language: the cookie, and the account's language for a signed-in role.
        self.page.goto(f"{base}/?lang={lang}")

    def _request(self, request):
        url = request.url
        if not (url.startswith(self.base + "/") or url.startswith(("data:", "blob:"))):
            self.problems.append(f"{self.label} {self.visit.path}: request leaves the service: {url[:120]}")

    def weight(self):
        """The bytes of the page's HTML and of every file it loaded, uncompressed (the service sends no
        compressed bodies, so Content-Length is the body's size; a file from a cache counts all the same)."""
        total = 0
        for response in self.visit.responses:
            path = response.url[len(self.base):]
            if path in self.static_sizes:
                total += self.static_sizes[path]
                continue
            if 300 <= response.status < 400:
                continue
            length = response.headers.get("content-length")
            size = int(length) if length is not None else len(response.body())
            if path.startswith("/static/"):
                self.static_sizes[path] = size
            total += size
        return total

    def check(self, name, path, status, run_axe, shots):
        self.visit = visit = PageVisit(path)
        problems = []
        response = self.page.goto(self.base + path)
        if response is None or response.status != status:
            problems.append(f"answers {response and response.status}, expected {status}")
        facts = self.page.evaluate(PAGE_FACTS)
        if self.size == "phone" and facts["scrollWidth"] > PHONE["width"]:
            problems.append(f"scrolls sideways: {facts['scrollWidth']} px wide")
        problems += [f"control without a label: {html}" for html in facts["unlabelled"]]
        if facts["lang"] != self.lang:
            problems.append(f'<html lang="{facts["lang"]}">, expected {self.lang}')
        limit = FORM_PAGE_LIMIT if facts["formPage"] else PAGE_LIMIT
        weight = self.weight()
        if weight > limit:
            kind = "form page" if facts["formPage"] else "page"
            problems.append(f"{kind} weighs {weight / 1024:.1f} KB, more than {limit // 1024} KB")
        if run_axe:
            problems += axe_problems(self.page.evaluate("axe.run({resultTypes: ['violations']})"))
        problems += [f"console error: {text}" for text in visit.errors]
        visit.reported = len(visit.errors)
        if shots and self.size == "phone":
            self.page.screenshot(path=f"{shots}/{self.label.split()[0]}-{self.lang}-{name}.png", full_page=True)
        self.problems += [f"{self.label} {path}: {problem}" for problem in problems]
        return weight, facts["formPage"]

    def close(self):
        self.problems += [f"{self.label} {self.visit.path}: late console error: {text}"
                          for text in self.visit.errors[self.visit.reported:]]
        self.context.close()


@pytest.mark.parametrize("role", ROLES)
def test_every_page_passes_in_the_browser(role, app, live_server, browser, world):
    started = time.monotonic()
    records = make_records(world, app.config["SECRET_KEY"])
    user = world.users.get(role)
    try:
        reach = plan(signed_in_client(app, user), get_rules(app), records)
    except Unresolved as exc:
        pytest.fail(str(exc))
    assert not reach.problems, "\n".join(reach.problems)
    assert len(reach.pages) > len(reach_minimum(role)), reach.pages
    cookie = session_cookie(app, live_server, user) if user else None
    shots = screenshot_dir()
    problems = []
    for lang in LANGUAGES:
        for size in SIZES:
            crawler = Crawler(browser, live_server, cookie, lang, size, f"{role} {lang} {size}")
            try:
                for name, (path, status) in reach.pages.items():
                    crawler.check(name, path, status, run_axe=True, shots=shots)
            finally:
                crawler.close()
            problems += crawler.problems
    print(f"\ncrawl {role}: {len(reach.pages)} pages x {len(LANGUAGES) * len(SIZES)} in "
          f"{time.monotonic() - started:.1f} s")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


def reach_minimum(role):
    return ("/", "/login") if role == "anonymous" else ("/", "/password", "/surveys")
