"""Home page per role, health check and the CSRF token endpoint used by queued submissions."""

from flask import Blueprint, g, jsonify, render_template
from flask_wtf.csrf import generate_csrf
from peewee import PeeweeException

from db import db

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    if g.user is None:
        return render_template("main/welcome.html")
    return render_template("main/home.html")


@bp.get("/healthz")
def healthz():
    try:
        db.execute_sql("SELECT 1")
    except (PeeweeException, OSError, Exception):  # any driver error means the database is down
        return jsonify(status="error", database="error"), 503
    return jsonify(status="ok", database="ok")


@bp.get("/csrf-token")
def csrf_token():
    response = jsonify(csrf_token=generate_csrf(), signed_in=g.user is not None)
    response.headers["Cache-Control"] = "no-store"
    return response
