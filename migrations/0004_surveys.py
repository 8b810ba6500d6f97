"""Case outcome surveys and their corrections (revisions)."""

from datetime import datetime

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class School(Base):
        class Meta:
            table_name = "school"

    class User(Base):
        class Meta:
            table_name = "user"

    class CaseSurvey(Base):
        school = ForeignKeyField(School, on_delete="RESTRICT", index=True)
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        client_uuid = CharField(max_length=36, unique=True)
        client_fingerprint = CharField(max_length=64)
        received_on = DateField()
        closed_on = DateField()
        quarter = CharField(max_length=7, index=True)
        year = IntegerField(index=True)
        category = CharField(max_length=24, index=True)
        students_1_4 = IntegerField(default=0)
        students_5_9 = IntegerField(default=0)
        students_10_11 = IntegerField(default=0)
        teachers = IntegerField(default=0)
        parents = IntegerField(default=0)
        administration = IntegerField(default=0)
        other_adults = IntegerField(default=0)
        referral = CharField(max_length=24)
        procedure = CharField(max_length=24)
        student_mediators = BooleanField(default=False)
        student_mediator_count = IntegerField(default=0)
        outcome = CharField(max_length=24, index=True)
        follow_up = CharField(max_length=16, default="not_checked")
        follow_up_on = DateField(null=True)
        satisfaction = IntegerField()
        notes = TextField(default="")
        created_at = DateTimeField(default=datetime.utcnow)
        updated_at = DateTimeField(default=datetime.utcnow)

    class SurveyRevision(Base):
        survey = ForeignKeyField(CaseSurvey, on_delete="CASCADE", index=True)
        actor = ForeignKeyField(User, null=True, on_delete="SET NULL")
        at = DateTimeField(default=datetime.utcnow)
        changes = TextField(default="{}")

    db.create_tables([CaseSurvey, SurveyRevision])
