"""A signed-in page through the whole service (session, user, locale, scoping, layout) against the
same-sized page from a bare Flask app with one template: the cost of the service's own layers."""

from flask import Flask, render_template_string

from bench.common import best_of, demo_app, report


def main():
    app = demo_app({"WTF_CSRF_ENABLED": False})
    client = app.test_client()
    client.post("/login", data={"username": "admin", "password": "kelisim-demo"})
    html = client.get("/schools").get_data(as_text=True)
    assert "<table>" in html

    bare = Flask("bare")
    template = html.replace("{", "{{ '{' }}")

    @bare.get("/")
    def page():
        return render_template_string(template)

    bare_client = bare.test_client()
    service = best_of(lambda: client.get("/schools"))
    baseline = best_of(lambda: bare_client.get("/"))
    report("schools_page_ms", f"{service * 1000:.2f}", "informational")
    report("schools_page_ratio_to_bare_flask", f"{service / baseline:.2f}", "≤ 8")
