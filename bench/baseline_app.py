"""The baseline for bench_surveys: a minimal Flask endpoint that inserts one row per request on the same
engine (same pragmas), served by the same gunicorn; nothing else (no session, CSRF, forms or templates)."""

import os

from flask import Flask, request
from peewee import CharField, Model, TextField

from db import open_database

database = open_database(os.environ.get("DATABASE_URL", "sqlite:///baseline.db"))


class BaselineRow(Model):
    client_uuid = CharField(max_length=36, unique=True)
    body = TextField(default="")

    class Meta:
        database = database
        table_name = "baseline_row"


def create_app():
    app = Flask(__name__)

    @app.post("/insert")
    def insert():
        with database.connection_context():
            row = BaselineRow.create(client_uuid=request.form["client_uuid"], body=request.form.get("notes", ""))
        return {"status": "created", "id": row.id}, 201

    return app
