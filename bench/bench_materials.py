"""Materials kept in the database: a 5 MB download through the whole service (session, audit row, bytes read
from the FileBlob table) against the same file sent from disk by a bare Flask app (what keeping files in a
folder would cost); and the library page against the same-sized page from a bare Flask app."""

import os
import tempfile

from flask import Flask, render_template_string, send_file

from bench.common import best_of, demo_app, report


def main():
    from db import db
    from services import materials

    app = demo_app({"WTF_CSRF_ENABLED": False})
    payload = b"%PDF-" + bytes(5 * 1024 * 1024 - 5)
    with app.app_context(), db.connection_context():
        from models.auth import User

        material, version = materials.publish(User.get(User.username == "admin"), kind="training_material",
                                              title_kk="Бенчмарк", title_ru="Бенчмарк", file_language="kk",
                                              filename="bench.pdf", data=payload)
    url = f"/materials/{material.id}/versions/{version.number}/download"
    client = app.test_client()
    client.post("/login", data={"username": "school", "password": "kelisim-demo"})
    assert client.get(url).data == payload
    html = client.get("/materials").get_data(as_text=True)

    bare = Flask("bare")
    template = html.replace("{", "{{ '{' }}")

    path = os.path.join(tempfile.mkdtemp(prefix="kelisim-bench-"), "bench.pdf")
    with open(path, "wb") as fh:
        fh.write(payload)

    @bare.get("/file")
    def file():
        return send_file(path, mimetype="application/pdf", as_attachment=True, max_age=0)

    @bare.get("/page")
    def page():
        return render_template_string(template)

    bare_client = bare.test_client()
    service = best_of(lambda: client.get(url).data, repeat=3, number=10)
    baseline = best_of(lambda: bare_client.get("/file").data, repeat=3, number=10)
    report("materials_download_5mb_ms", f"{service * 1000:.1f}", "informational")
    report("materials_download_5mb_ratio_to_bare_flask", f"{service / baseline:.2f}", "≤ 10")
    service = best_of(lambda: client.get("/materials"), repeat=3, number=30)
    baseline = best_of(lambda: bare_client.get("/page"), repeat=3, number=30)
    report("materials_library_page_ms", f"{service * 1000:.2f}", "informational")
    report("materials_library_page_ratio_to_bare_flask", f"{service / baseline:.2f}", "≤ 8")


if __name__ == "__main__":
    main()
