"""Shared bench helpers: a migrated throw-away SQLite database, timing, one output format."""

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def report(name, value, goal):
    print(f"{name}: {value} (goal: {goal})", flush=True)


def best_of(fn, repeat=5, number=50):
    """Best mean seconds per call over ``repeat`` rounds of ``number`` calls."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def demo_app(extra=None):
    """The service on a fresh SQLite file with migrations and demo data; returns the app."""
    from app import create_app
    from db import db
    from services import demo, schema

    folder = tempfile.mkdtemp(prefix="kelisim-bench-")
    os.environ["KELISIM_INSTANCE"] = folder
    app = create_app({"DATABASE_URL": "sqlite:///" + os.path.join(folder, "bench.db"), "SECRET_KEY": "bench",
                      **(extra or {})})
    with app.app_context(), db.connection_context():
        schema.upgrade(db.obj)
        demo.load()
    return app
