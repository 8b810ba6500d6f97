"""Training events, their days, registrations, attendance, certificates and stored certificate PDFs."""

from datetime import datetime

from peewee import (
    BlobField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
    UUIDField,
)


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class District(Base):
        class Meta:
            table_name = "district"

    class School(Base):
        class Meta:
            table_name = "school"

    class User(Base):
        class Meta:
            table_name = "user"

    class TrainingEvent(Base):
        code = CharField(max_length=16, unique=True)
        code_seq = IntegerField()
        slug = CharField(max_length=12, unique=True)
        title_kk = CharField(max_length=300)
        title_ru = CharField(max_length=300)
        kind = CharField(max_length=16)
        hours = IntegerField()
        venue = CharField(max_length=300, default="")
        online_url = CharField(max_length=500, default="")
        organizer_kk = CharField(max_length=300)
        organizer_ru = CharField(max_length=300)
        capacity = IntegerField()
        registration_opens = DateField()
        registration_closes = DateField()
        min_days = IntegerField(null=True)
        status = CharField(max_length=8, default="draft", index=True)
        first_day = DateField(index=True)
        last_day = DateField(index=True)
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = DateTimeField(default=datetime.utcnow)
        updated_at = DateTimeField(default=datetime.utcnow)

    class EventDay(Base):
        event = ForeignKeyField(TrainingEvent, on_delete="CASCADE")
        day = DateField()

        class Meta:
            indexes = ((("event", "day"), True),)

    class Registration(Base):
        event = ForeignKeyField(TrainingEvent, on_delete="RESTRICT", index=True)
        token = CharField(max_length=32, unique=True)
        full_name = CharField(max_length=200)
        name_key = CharField(max_length=200)
        position = CharField(max_length=24)
        district = ForeignKeyField(District, on_delete="RESTRICT", index=True)
        school = ForeignKeyField(School, on_delete="RESTRICT", index=True)
        phone = CharField(max_length=16)
        email = CharField(max_length=254, default="")
        consent_at = DateTimeField()
        registered_at = DateTimeField(default=datetime.utcnow)
        client_uuid = UUIDField(unique=True)
        client_fingerprint = CharField(max_length=64)

        class Meta:
            indexes = ((("phone", "event"), True),)

    class Attendance(Base):
        registration = ForeignKeyField(Registration, on_delete="CASCADE")
        day = ForeignKeyField(EventDay, on_delete="RESTRICT", index=True)
        at = DateTimeField(default=datetime.utcnow)
        method = CharField(max_length=8)
        marked_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        client_uuid = UUIDField(unique=True)
        client_fingerprint = CharField(max_length=64)

        class Meta:
            indexes = ((("registration", "day"), True),)

    class Certificate(Base):
        registration = ForeignKeyField(Registration, on_delete="RESTRICT", unique=True)
        event = ForeignKeyField(TrainingEvent, on_delete="RESTRICT")
        seq = IntegerField()
        number = CharField(max_length=32, unique=True)
        code = CharField(max_length=32, unique=True)
        holder_name = CharField(max_length=200)
        issued_at = DateTimeField(default=datetime.utcnow)
        issued_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        revoked_at = DateTimeField(null=True)
        revoked_reason = TextField(default="")
        revoked_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        verify_count = IntegerField(default=0)
        last_verified_at = DateTimeField(null=True)

        class Meta:
            indexes = ((("event", "seq"), True),)

    class CertificatePdf(Base):
        certificate = ForeignKeyField(Certificate, on_delete="CASCADE", unique=True)
        content_hash = CharField(max_length=64)
        data = BlobField()
        rendered_at = DateTimeField(default=datetime.utcnow)

    db.create_tables([TrainingEvent, EventDay, Registration, Attendance, Certificate, CertificatePdf])
