"""Effectiveness monitoring: the early flags' thresholds and the quarterly monitoring reports."""

from datetime import datetime

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class User(Base):  # frozen stub of the existing table, for the foreign keys only
        class Meta:
            table_name = "user"

    class MonitoringSettings(Base):
        quiet_quarters = IntegerField(default=2)
        agreement_drop_points = IntegerField(default=20)
        agreement_min_cases = IntegerField(default=5)
        updated_at = DateTimeField(default=datetime.utcnow)
        updated_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")

    class MonitoringReport(Base):
        quarter = CharField(max_length=7, unique=True)
        findings_kk = TextField(default="")
        findings_ru = TextField(default="")
        recommendations_kk = TextField(default="")
        recommendations_ru = TextField(default="")
        created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        created_at = DateTimeField(default=datetime.utcnow)
        updated_at = DateTimeField(default=datetime.utcnow)
        published_at = DateTimeField(null=True, index=True)
        published_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        published_by_name = CharField(max_length=200, default="")
        figures = TextField(default="")
        pdf_kk = CharField(max_length=128, default="")
        pdf_ru = CharField(max_length=128, default="")

    db.create_tables([MonitoringSettings, MonitoringReport])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "monitoring_report"')
    db.execute_sql('DROP TABLE IF EXISTS "monitoring_settings"')
