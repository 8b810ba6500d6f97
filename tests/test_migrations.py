"""Migrations build the schema the models describe, from an empty database, on both engines."""

from playhouse.schema_diff import diff_models

from db import open_database
from models import ALL_MODELS
from services import schema
from tests.conftest import new_database_url


def test_migrations_from_empty_database_match_models(tmp_path):
    url, drop = new_database_url(str(tmp_path), "migrate")
    database = open_database(url)
    try:
        with database.connection_context():
            assert [applied for _name, applied in schema.status(database)] == [None] * len(schema.status(database))
            applied = schema.upgrade(database)
            assert applied and applied[0] == "0001_initial"
            assert all(when is not None for _name, when in schema.status(database))
            with database.bind_ctx(ALL_MODELS):
                diff = diff_models(database, ALL_MODELS)
                assert not diff, f"schema differs from models: {diff}"
                from models.directory import District

                codes = {d.code for d in District.select()}
            assert codes == {"KRG", "BLK", "PRZ", "SRN", "TMR", "SHK", "ABY", "AKT", "BZH", "KRK", "NUR", "OSK",
                             "SHT"}
            assert schema.upgrade(database) == []  # a second run applies nothing
    finally:
        database.close()
        drop()
