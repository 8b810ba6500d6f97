"""Training events and their days, public registrations, attendance per day, certificates and their stored PDFs."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from peewee import (
    BlobField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from db import BaseModel, ClientUUIDField
from models.auth import User
from models.directory import District, School, localized

KIND_SEMINAR, KIND_TRAINING, KIND_WEBINAR = "seminar", "training", "webinar"
KIND_LABELS = {
    KIND_SEMINAR: _l("Seminar"),
    KIND_TRAINING: _l("Training"),
    KIND_WEBINAR: _l("Webinar"),
}
# The letters of an event's code, and so of every certificate number: 2024-SEM07-0042.
KIND_CODES = {KIND_SEMINAR: "SEM", KIND_TRAINING: "TRN", KIND_WEBINAR: "WEB"}

STATUS_DRAFT, STATUS_OPEN, STATUS_CLOSED = "draft", "open", "closed"
STATUS_LABELS = {
    STATUS_DRAFT: _l("Draft"),
    STATUS_OPEN: _l("Open for registration"),
    STATUS_CLOSED: _l("Registration closed"),
}

POSITION_LABELS = {
    "curator": _l("Mediation service curator"),
    "psychologist": _l("Psychologist"),
    "social_pedagogue": _l("Social pedagogue"),
    "deputy_director": _l("Deputy director"),
    "teacher": _l("Teacher"),
    "other": _l("Other"),
}

METHOD_ROSTER, METHOD_SELF = "roster", "self"
METHOD_LABELS = {METHOD_ROSTER: _l("marked on the roster"), METHOD_SELF: _l("self check-in")}


class TrainingEvent(BaseModel):
    # "2024-SEM07": the year, the kind and the sequence of that kind in the year; fixed when created.
    code = CharField(max_length=16, unique=True)
    code_seq = IntegerField()
    # The short public address: /e/<slug>.
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
    # Days a participant must attend for a certificate; None means every day.
    min_days = IntegerField(null=True)
    status = CharField(max_length=8, default=STATUS_DRAFT, index=True)
    # The first and last of the event's days, kept with them, so lists sort and split past/upcoming in SQL.
    first_day = DateField(index=True)
    last_day = DateField(index=True)
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=datetime.utcnow)
    updated_at = DateTimeField(default=datetime.utcnow)

    @property
    def title(self):
        return localized(self, "title")

    @property
    def organizer(self):
        return localized(self, "organizer")

    @property
    def kind_label(self):
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def status_label(self):
        return STATUS_LABELS.get(self.status, self.status)

    def ordered_days(self):
        return list(EventDay.select().where(EventDay.event == self.id).order_by(EventDay.day))

    def __str__(self):
        return self.title


class EventDay(BaseModel):
    event = ForeignKeyField(TrainingEvent, backref="days", on_delete="CASCADE")
    day = DateField()

    class Meta:
        indexes = ((("event", "day"), True),)


class Registration(BaseModel):
    event = ForeignKeyField(TrainingEvent, backref="registrations", on_delete="RESTRICT", index=True)
    # The participant's private link (/participant/<token>): attendance and the certificate.
    token = CharField(max_length=32, unique=True)
    full_name = CharField(max_length=200)
    # The name in lower case with single spaces: roster search and recognising a second registration.
    name_key = CharField(max_length=200)
    position = CharField(max_length=24)
    district = ForeignKeyField(District, backref="training_registrations", on_delete="RESTRICT", index=True)
    school = ForeignKeyField(School, backref="training_registrations", on_delete="RESTRICT", index=True)
    # Normalised to +7XXXXXXXXXX; one registration per phone and event (the index also finds a phone's events).
    phone = CharField(max_length=16)
    email = CharField(max_length=254, default="")
    consent_at = DateTimeField()
    registered_at = DateTimeField(default=datetime.utcnow)
    client_uuid = ClientUUIDField(unique=True)
    client_fingerprint = CharField(max_length=64)

    class Meta:
        indexes = ((("phone", "event"), True),)

    @property
    def position_label(self):
        return POSITION_LABELS.get(self.position, self.position)


class Attendance(BaseModel):
    registration = ForeignKeyField(Registration, backref="attendance", on_delete="CASCADE")
    day = ForeignKeyField(EventDay, backref="attendance", on_delete="RESTRICT", index=True)
    at = DateTimeField(default=datetime.utcnow)
    method = CharField(max_length=8)
    # Who ticked the roster; None for a self check-in.
    marked_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    client_uuid = ClientUUIDField(unique=True)
    client_fingerprint = CharField(max_length=64)

    class Meta:
        indexes = ((("registration", "day"), True),)


class Certificate(BaseModel):
    registration = ForeignKeyField(Registration, backref="certificates", on_delete="RESTRICT", unique=True)
    event = ForeignKeyField(TrainingEvent, backref="certificates", on_delete="RESTRICT")
    seq = IntegerField()
    # "2024-SEM07-0042": the event's code and the certificate's sequence in the event.
    number = CharField(max_length=32, unique=True)
    # Unguessable; the public verification page is /verify/<code>.
    code = CharField(max_length=32, unique=True)
    # The name as printed, kept as issued.
    holder_name = CharField(max_length=200)
    issued_at = DateTimeField(default=datetime.utcnow)
    issued_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    revoked_at = DateTimeField(null=True)
    revoked_reason = TextField(default="")
    revoked_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    verify_count = IntegerField(default=0)
    last_verified_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("event", "seq"), True),)

    @property
    def is_valid(self):
        return self.revoked_at is None


class CertificatePdf(BaseModel):
    """A rendered certificate, served again while its content hash (what was printed) is unchanged."""

    certificate = ForeignKeyField(Certificate, backref="pdfs", on_delete="CASCADE", unique=True)
    content_hash = CharField(max_length=64)
    data = BlobField()
    rendered_at = DateTimeField(default=datetime.utcnow)
