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


def test_case_survey_codes_become_canonical_and_twins_by_case_both_stay(tmp_path):
    """0010 turns the surveys' client_uuid (text compared as sent) into the one canonical form: an upper-case code
    finds its survey afterwards, and two surveys whose codes differed only in case (the bug) are both kept."""
    import uuid

    from models.surveys import CaseSurvey

    url, drop = new_database_url(str(tmp_path), "migrate_uuid")
    database = open_database(url)
    code, twin = str(uuid.uuid4()), str(uuid.uuid4())
    try:
        with database.connection_context():
            schema.runner(database).up(target="0008_monitoring")
            p = database.param
            database.execute_sql(f'INSERT INTO "school" (district_id, code, name_kk, name_ru, created_at, updated_at) '
                                 f"SELECT id, 'MIG-1', 'М', 'Ш', {p}, {p} FROM district WHERE code = 'KRG'",
                                 ("2025-01-01 00:00:00", "2025-01-01 00:00:00"))
            school_id = database.execute_sql("SELECT id FROM school WHERE code = 'MIG-1'").fetchone()[0]
            for value in (code.upper(), twin, twin.upper()):
                database.execute_sql(
                    'INSERT INTO "case_survey" (school_id, client_uuid, client_fingerprint, received_on, closed_on, '
                    'quarter, year, category, students_1_4, students_5_9, students_10_11, teachers, parents, '
                    'administration, other_adults, referral, "procedure", student_mediators, student_mediator_count, '
                    'outcome, follow_up, satisfaction, notes, created_at, updated_at) VALUES '
                    f"({p}, {p}, '-', '2025-01-10', '2025-01-10', '2025-Q1', 2025, 'student_student', 0, 2, 0, 0, 0, "
                    "0, 0, 'self', 'mediation', false, 0, 'agreement', 'not_checked', 5, '', "
                    "'2025-01-10 00:00:00', '2025-01-10 00:00:00')", (school_id, value))
            schema.upgrade(database)
            with database.bind_ctx(ALL_MODELS):
                assert CaseSurvey.select().count() == 3
                assert CaseSurvey.get(CaseSurvey.client_uuid == code).client_uuid == uuid.UUID(code)
                assert CaseSurvey.select().where(CaseSurvey.client_uuid == twin.upper()).count() == 1
                assert len({s.client_uuid for s in CaseSurvey.select()}) == 3
    finally:
        database.close()
        drop()
