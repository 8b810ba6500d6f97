"""How soon the case survey form shows on a slow connection: its first contentful paint (FCP) at phone size, with
Chromium's network emulation (CDP Network.emulateNetworkConditions).

Slow 3G: 400 ms round trip, 400 kbit/s each way (the goals: ≤ 3 s on a first visit, ≤ 1 s on a repeat visit).
Chromium's emulation adds the latency once per request, so DevTools' own "Slow 3G" preset multiplies the round
trip by 5 (2 s a request) to stand for a new connection's handshakes; its figures are printed too, for comparison.

First visit: an empty cache and no service worker. Repeat visit: the worker has installed and kept the form page;
the worker's own fetch of the page (network first) goes over the same emulated network, and the app shell comes
from the worker's cache. Offline: no network at all, the page from the worker's cache. Each figure is the median
of a few fresh phones; the unthrottled figures are the run's own baseline.
"""

import asyncio
import json
import logging
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.bench_pages_weight import demo_world, serve  # noqa: E402
from bench.common import demo_app, report  # noqa: E402
from tests.browser.crawl import FCP, KEPT, NO_THROTTLE, SLOW_3G  # noqa: E402

DEVTOOLS_SLOW_3G = dict(SLOW_3G, latency=400 * 5)
NETWORKS = {"fast": NO_THROTTLE, "slow3g": SLOW_3G, "devtools_slow3g": DEVTOOLS_SLOW_3G}
FORM = "/surveys/new"
ROUNDS = 3


async def until(page, script, timeout=30.0):
    """Polls an async page expression until it yields true (wait_for_function does not await promises)."""
    deadline = time.monotonic() + timeout
    while not await page.evaluate(script):
        if time.monotonic() > deadline:
            raise TimeoutError(script)
        await asyncio.sleep(0.1)


async def throttle_workers(browser, network):
    """Emulates ``network`` in every service worker too: the page's emulation does not reach the worker's own
    fetches, and Playwright opens no session on a worker, so this attaches through the browser's session (the
    older, non-flat way: each command wrapped in Target.sendMessageToTarget). Returns the session."""
    session = await browser.new_browser_cdp_session()
    targets = (await session.send("Target.getTargets"))["targetInfos"]
    workers = [target["targetId"] for target in targets if target["type"] == "service_worker"]
    if not workers:
        raise RuntimeError("no service worker to throttle")
    for number, target in enumerate(workers):
        attached = await session.send("Target.attachToTarget", {"targetId": target, "flatten": False})
        for offset, (method, params) in enumerate((("Network.enable", {}),
                                                   ("Network.emulateNetworkConditions", network))):
            message = json.dumps({"id": 1000 * (number + 1) + offset, "method": method, "params": params})
            await session.send("Target.sendMessageToTarget", {"sessionId": attached["sessionId"], "message": message})
    return session


async def form_paint(browser, base, cookie, network):
    """FCP in ms of the survey form on a fresh phone: (first visit, repeat visit, repeat visit offline)."""
    from tests.browser.crawl import LANGUAGE_COOKIE, SIZES

    context = await browser.new_context(viewport=SIZES["phone"], is_mobile=True, has_touch=True, locale="kk-KZ")
    await context.add_cookies([cookie, dict(name=LANGUAGE_COOKIE, value="kk", url=base)])
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    workers = None
    try:
        await cdp.send("Network.emulateNetworkConditions", network)
        await page.goto(base + FORM)
        first = await page.evaluate(FCP)
        await cdp.send("Network.emulateNetworkConditions", NO_THROTTLE)  # the worker installs and keeps the page
        await until(page, KEPT)
        await context.set_offline(True)  # first offline: a throttled worker would learn it only after the latency
        await page.goto(base + FORM)
        offline = await page.evaluate(FCP)
        await context.set_offline(False)
        workers = await throttle_workers(browser, network)
        await cdp.send("Network.emulateNetworkConditions", network)
        await page.goto(base + FORM)
        repeat = await page.evaluate(FCP)
    finally:
        if workers is not None:
            await workers.detach()
        await context.close()
    return first, repeat, offline


def form_paints(base, cookie, rounds=ROUNDS):
    """{network: (first, repeat, offline)}: median FCPs in ms."""
    from statistics import median

    from tests.browser.crawl import in_browser

    async def work(browser):
        figures = {}
        for name, network in NETWORKS.items():
            runs = [await form_paint(browser, base, cookie, network) for _round in range(rounds)]
            figures[name] = tuple(median(run[i] for run in runs) for i in range(3))
        return figures

    return in_browser(work)


def main():
    from tests.browser.test_crawl import session_cookie

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    app = demo_app({"WTF_CSRF_ENABLED": True})
    server, base = serve(app)
    try:
        with app.app_context():
            cookie = session_cookie(app, base, demo_world().users["school"])
        paints = form_paints(base, cookie)
    finally:
        server.shutdown()
    fast, slow, devtools = paints["fast"], paints["slow3g"], paints["devtools_slow3g"]
    report("survey_form_fcp_first_visit_ms", f"{fast[0]:.0f}", "informational (no throttling)")
    report("survey_form_fcp_repeat_visit_ms", f"{fast[1]:.0f}", "informational (no throttling)")
    report("survey_form_fcp_slow3g_first_visit_ms", f"{slow[0]:.0f}", "≤ 3000")
    report("survey_form_fcp_slow3g_repeat_visit_ms", f"{slow[1]:.0f}",
           "≤ 1000 (service worker: the page over slow 3G, the shell from its cache)")
    report("survey_form_fcp_offline_repeat_visit_ms", f"{slow[2]:.0f}", "≤ 1000 (the service worker's cache only)")
    report("survey_form_fcp_devtools_slow3g_first_visit_ms", f"{devtools[0]:.0f}",
           "informational (2 s a request: the HTML, then the stylesheet)")
    report("survey_form_fcp_devtools_slow3g_repeat_visit_ms", f"{devtools[1]:.0f}",
           "informational (the page kept by the service worker once the network has taken 0.7 s)")


if __name__ == "__main__":
    main()
