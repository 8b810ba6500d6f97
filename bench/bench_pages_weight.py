"""What a phone downloads for each page.

Every page the crawl finds (tests/browser/crawl.py), for each role, on the demo data, at phone size in Kazakh:
HTML, CSS, JS and images, uncompressed. The largest page and the largest form page, against the issue's limits
(100 KB, 60 KB for a form page), and what the crawl's other checks (but axe) find on the demo data. The survey
form on a slow connection: bench_slow3g.py.
"""

import logging
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from werkzeug.serving import make_server  # noqa: E402

from bench.common import demo_app, report  # noqa: E402

FORM = "/surveys/new"


def serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def demo_world():
    """The demo's curator "school", district officer and admin, in the shape the crawl's records expect."""
    from models.auth import User
    from tests.factories import World

    users = {user.username: user for user in User.select().where(User.username.in_(["school", "district", "admin"]))}
    return World(schools={"school": users["school"].school}, users=users)


def page_weights(app, base):
    """{role: {path: (bytes, is a form page)}} for every page each role reaches, at phone size in Kazakh; and what
    the crawl's other checks (but axe) find on the demo data, which is larger than the tests'."""
    from tests.browser import crawl
    from tests.browser.test_crawl import session_cookie, signed_in_client

    with app.app_context():
        world = demo_world()
        records = crawl.make_records(app, world)
        plans = {role: crawl.plan(signed_in_client(app, world.users.get(role)), crawl.get_rules(app), records)
                 for role in crawl.ROLES}
        cookies = {role: session_cookie(app, base, world.users.get(role)) for role in crawl.ROLES}
    weights, problems = {}, []
    for role in crawl.ROLES:
        crawler = crawl.Crawler(base, cookies[role], "kk", "phone", role, run_axe=False, shots=None)
        problems += crawl.crawl([crawler], plans[role].pages)
        weights[role] = crawler.weights
    return weights, problems


def main():
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    app = demo_app({"WTF_CSRF_ENABLED": True})
    server, base = serve(app)
    try:
        weights, problems = page_weights(app, base)
    finally:
        server.shutdown()
    pages = [(size, f"{role} {path}") for role, found in weights.items() for path, (size, _form) in found.items()]
    forms = [(size, f"{role} {path}") for role, found in weights.items() for path, (size, form) in found.items()
             if form]
    largest, largest_form = max(pages), max(forms)
    report("pages_weighed", len(pages), "informational")
    report("largest_page_kb", f"{largest[0] / 1024:.1f} ({largest[1]})", "≤ 100")
    report("largest_form_page_kb", f"{largest_form[0] / 1024:.1f} ({largest_form[1]})", "≤ 60")
    report("survey_form_weight_kb", f"{weights['school'][FORM][0] / 1024:.1f}", "≤ 60")
    report("demo_data_page_problems", len(problems), "0 (listed on stderr)")
    for problem in problems:
        print("  " + problem, file=sys.stderr)


if __name__ == "__main__":
    main()
