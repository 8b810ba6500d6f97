import time, collections
import tests.browser.test_crawl as tc
from axe_playwright_python.base import AXE_SCRIPT

def test_x(app, live_server, browser, world):
    records = tc.make_records(world, app.config["SECRET_KEY"])
    user = world.users["admin"]
    reach = tc.plan(tc.signed_in_client(app, user), tc.get_rules(app), records)
    cookie = tc.session_cookie(app, live_server, user)
    for sw in ("allow", "block"):
        ctx = browser.new_context(viewport=tc.SIZES["phone"], service_workers=sw)
        ctx.add_cookies([cookie])
        page = ctx.new_page()
        page.goto(live_server + "/?lang=kk")
        t = time.perf_counter()
        for name, (path, status) in reach.pages.items():
            page.goto(live_server + path)
        print(sw, "goto", (time.perf_counter() - t) / len(reach.pages))
        t = time.perf_counter()
        for name, (path, status) in reach.pages.items():
            page.goto(live_server + path, wait_until="domcontentloaded")
        print(sw, "goto dcl", (time.perf_counter() - t) / len(reach.pages))
        t = time.perf_counter()
        for name, (path, status) in reach.pages.items():
            page.evaluate("1")
        print(sw, "eval", (time.perf_counter() - t) / len(reach.pages))
        ctx.close()
    ctx = browser.new_context(viewport=tc.SIZES["phone"])
    ctx.add_cookies([cookie])
    page = ctx.new_page()
    T = collections.Counter()
    for name, (path, status) in list(reach.pages.items())[:12]:
        page.goto(live_server + path)
        page.evaluate(AXE_SCRIPT)
        res = page.evaluate("""async () => { const out = {}; for (const r of axe.getRules()) { const t = performance.now();
            await axe.run({runOnly: {type: 'rule', values: [r.ruleId]}, resultTypes: ['violations']}); out[r.ruleId] = performance.now() - t; } return out; }""")
        T.update(res)
    print(T.most_common(15), sum(T.values()) / 12)
    t = time.perf_counter()
    for name, (path, status) in list(reach.pages.items())[:12]:
        page.goto(live_server + path)
        page.evaluate(AXE_SCRIPT)
        page.evaluate("axe.run({resultTypes: ['violations']})")
    print("full axe", (time.perf_counter() - t) / 12)
