"""Every page, for each role, in Kazakh and in Russian, at 360×740 and at 1280×800, in real Chromium: no serious
or critical axe-core violation, no sideways scrolling on a phone, every control labelled, the page's language,
nothing fetched from elsewhere, no console error, and a page weight within 100 KB (60 KB for a form page).

The pages come from the URL map (tests/browser/crawl.py), so a page added later is crawled too. Each role has
one browser context per language and size, run side by side. With KELISIM_SCREENSHOTS=/some/dir each page is
saved at phone size as <role>-<lang>-<route>.png.
"""

import time

import pytest
from flask import request

from tests.browser.crawl import (
    FCP,
    KEPT,
    LANGUAGE_COOKIE,
    LANGUAGES,
    NO_THROTTLE,
    ROLES,
    SIZES,
    SLOW_3G,
    Crawler,
    Unresolved,
    axe_sizes,
    crawl,
    get_rules,
    make_records,
    plan,
    screenshot_dir,
    unreached,
)
from tests.factories import session_data, sign_in


def signed_in_client(app, user):
    client = app.test_client()
    if user is not None:
        sign_in(client, user)
    return client


def session_cookie(app, base, user):
    """The signed session cookie of ``user``, as the login page sets it."""
    if user is None:
        return None
    value = app.session_interface.get_signing_serializer(app).dumps(session_data(user))
    return dict(name=app.config["SESSION_COOKIE_NAME"], value=value, url=base)


def accounts(world, role):
    """The role's account for each language. A signed-in page speaks its account's language, and the contexts
    run side by side, so Russian has a twin account of the same school or district."""
    from models.auth import User
    from tests.factories import make_user

    user = world.users.get(role)
    if user is None:
        return dict.fromkeys(LANGUAGES)
    found = {"kk": user}
    for lang in LANGUAGES[1:]:
        found[lang] = make_user(user.role, f"{role}-{lang}", school=user.school, district_code=user.district
                                and user.district.code)
    for lang, account in found.items():
        User.update(locale=lang).where(User.id == account.id).execute()
    return found


@pytest.mark.parametrize("role", ROLES)
def test_every_page_passes_in_the_browser(role, app, live_server, world):
    started = time.monotonic()
    records = make_records(app, world)
    user = world.users.get(role)
    try:
        reach = plan(signed_in_client(app, user), get_rules(app), records)
    except Unresolved as exc:
        pytest.fail(str(exc))
    assert not reach.problems, "\n".join(reach.problems)
    assert {"/", "/login"} <= {path for path, _status in reach.pages.values()} if user is None else \
        {"/", "/password", "/surveys"} <= {path for path, _status in reach.pages.values()}
    users, shots = accounts(world, role), screenshot_dir()
    crawlers = [Crawler(live_server, session_cookie(app, live_server, users[lang]), lang, size, f"{role} {lang} {size}",
                        (lang, size) in axe_sizes(), shots) for lang in LANGUAGES for size in SIZES]
    problems = crawl(crawlers, reach.pages)
    print(f"\ncrawl {role}: {len(reach.pages)} pages x {len(crawlers)} contexts in {time.monotonic() - started:.1f} s")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


def test_every_route_is_reached_by_some_role(app, world):
    """A route that every role is refused is a page the crawl never sees: make_records() lacks a record."""
    records = make_records(app, world)
    rules = get_rules(app)
    plans = [plan(signed_in_client(app, world.users.get(role)), rules, records) for role in ROLES + ("monitor",)]
    assert unreached(plans, rules, records) == []


def test_a_route_the_crawl_cannot_fill_fails_with_its_name(app, world):
    app.add_url_rule("/gadgets/<int:gadget_id>", "gadget", lambda gadget_id: "")
    with pytest.raises(Unresolved, match=r"/gadgets/<int:gadget_id> \(gadget\): no value for gadget_id"):
        plan(signed_in_client(app, None), get_rules(app), make_records(app, world))


def test_a_route_known_to_the_access_matrix_is_crawled(app, world, monkeypatch):
    """A page added later, with a new kind of record in its address, is filled as the access matrix fills it."""
    from tests import access_matrix

    app.add_url_rule("/gadgets/<int:gadget_id>", "gadget", lambda gadget_id: f"<p>{gadget_id}</p>")
    monkeypatch.setitem(access_matrix.PARAMS, "gadget_id", (True, lambda r: r.school.id))
    reach = plan(signed_in_client(app, None), get_rules(app), make_records(app, world))
    assert reach.pages["gadgets-gadget_id"] == (f"/gadgets/{world.schools['school'].id}", 200)


BAD_PAGE = """<!doctype html><html lang="en"><head><title>Bad</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/css/app.css"><script src="/crawl-test/noisy.js" defer></script></head>
<body><main><h1>Bad</h1>
<form method="post"><input name="nameless"><button>Go</button></form>
<img src="/static/icons/icon-192.png">
<img src="http://127.0.0.2:1234/pixel.png" alt="">
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="500" height="2" alt="">
<!-- %s -->
</main></body></html>""" % ("x" * 70_000)


WIDE_PAGE = """<!doctype html><html lang="kk"><head><title>Wide</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/css/app.css"></head>
<body><nav aria-label="Мәзір" style="display: block !important"><a href="/">Басты бет</a></nav>
<main><h1>Кесте</h1><table><tr><th scope="col">А</th></tr><tr><td style="min-width: 900px">Б</td></tr></table>
</main></body></html>"""


def test_the_crawl_catches_each_kind_of_problem(app, live_server):
    """A page with one of every fault: each check says so (the crawl of the real pages finds none)."""
    from flask import make_response

    def bad():
        response = make_response(BAD_PAGE)
        response.headers["Content-Security-Policy"] = "img-src * data:; frame-ancestors 'none'"  # lets the image out
        return response

    def noisy():
        response = make_response('console.error("noisy"); throw new Error("boom");')
        response.mimetype = "text/javascript"
        return response

    def wide():
        response = make_response(WIDE_PAGE)
        response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"  # lets the inline styles in
        return response

    app.add_url_rule("/crawl-test/bad", "crawl_test_bad", bad)
    app.add_url_rule("/crawl-test/noisy.js", "crawl_test_noisy", noisy)
    app.add_url_rule("/crawl-test/wide", "crawl_test_wide", wide)
    crawler = Crawler(live_server, None, "kk", "phone", "anonymous kk phone", run_axe=True, shots=None)
    problems = "\n".join(crawl([crawler], {"bad": ("/crawl-test/bad", 200)}))
    desktop = Crawler(live_server, None, "kk", "desktop", "anonymous kk desktop", run_axe=False, shots=None)
    printed = "\n".join(crawl([desktop], {"wide": ("/crawl-test/wide", 200)}))
    assert 'printed, shows <nav aria-label="Мәзір"' in printed and "printed, a table wider than A4" in printed
    for expected in ("scrolls sideways: 5", "control without a label: <input name=\"nameless\">",
                     '<html lang="en">, expected kk', "request leaves the service: http://127.0.0.2:1234/pixel.png",
                     "form page weighs", "more than 60 KB", "axe image-alt (critical)", "axe label (critical)",
                     "console error: noisy", "console error: uncaught: boom"):
        assert expected in problems, f"{expected!r} not in:\n{problems}"


def test_survey_form_on_slow_3g_comes_again_from_the_service_workers_cache(app, live_server, phone, world):
    """On slow 3G the survey form paints on a first visit; on a repeat visit the service worker answers the page
    and every file it loads, and the server is asked for the page alone (network first), not for the app shell.
    (How soon: bench/bench_slow3g.py.)"""
    asked = []
    app.before_request(lambda: asked.append(request.path))
    phone.add_cookies([session_cookie(app, live_server, world.users["school"]),
                       dict(name=LANGUAGE_COOKIE, value="kk", url=live_server)])
    page = phone.new_page()
    cdp = phone.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    first = page.goto(live_server + "/surveys/new")
    assert not first.from_service_worker and page.get_by_label("Жанжал санаты").is_visible()
    assert page.evaluate(FCP) > 0 and "/static/css/app.css" in asked
    cdp.send("Network.emulateNetworkConditions", NO_THROTTLE)  # the worker installs and keeps the page
    deadline = time.monotonic() + 15
    while not page.evaluate(KEPT):
        assert time.monotonic() < deadline, "the service worker did not keep the survey form"
        time.sleep(0.1)
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    answers = []
    page.on("response", lambda response: answers.append((response.url, response.from_service_worker)))
    asked.clear()
    page.goto(live_server + "/surveys/new")
    assert page.get_by_label("Жанжал санаты").is_visible()
    assert page.evaluate(FCP) > 0
    loaded = {url.replace(live_server, "") for url, _worker in answers}
    assert {"/surveys/new", "/static/css/app.css", "/static/js/offline.js"} <= loaded
    assert [url for url, worker in answers if not worker] == []
    assert "/surveys/new" in asked and [path for path in asked if path.startswith("/static/")] == []
