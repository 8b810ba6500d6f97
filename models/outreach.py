"""Parent outreach: a school's information activities, each school's public link, parents' confirmations.

Confirmations are counts, not identities: no names, no phone numbers, no child data.
"""

from datetime import datetime

from peewee import CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from db import BaseModel, ClientUUIDField
from models.auth import User
from models.directory import School

FORMATS = ("general_meeting", "class_meetings", "messenger", "website", "leaflet", "consultations", "other")
ACTIVITY_LANGUAGES = ("kk", "ru", "kk_ru")
GRADE_BANDS = ("1-4", "5-9", "10-11")
PARENT_LANGUAGES = ("kk", "ru")
WOULD_TURN = ("yes", "no", "unsure")


class OutreachActivity(BaseModel):
    school = ForeignKeyField(School, backref="outreach_activities", on_delete="RESTRICT", index=True)
    held_on = DateField()
    format = CharField(max_length=32)
    grade_from = IntegerField()
    grade_to = IntegerField()
    language = CharField(max_length=8)
    parents_reached = IntegerField()
    description = TextField(default="")
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL", index=True)
    created_at = DateTimeField(default=datetime.utcnow)
    updated_at = DateTimeField(default=datetime.utcnow)
    # Made on the phone when the form opens: a repeated post of the same submission creates nothing.
    client_uuid = ClientUUIDField(unique=True)
    client_fingerprint = CharField(max_length=64)

    class Meta:
        indexes = ((("school", "held_on"), False),)


class ParentLink(BaseModel):
    """The random slug of a school's public confirmation page (/p/<slug>): printed leaflets keep working
    when a school's code changes, and nobody can walk through all schools' pages by guessing codes."""

    school = ForeignKeyField(School, backref="parent_links", on_delete="CASCADE", unique=True)
    slug = CharField(max_length=16, unique=True)
    created_at = DateTimeField(default=datetime.utcnow)


class ParentConfirmation(BaseModel):
    school = ForeignKeyField(School, backref="parent_confirmations", on_delete="RESTRICT", index=True)
    confirmed_at = DateTimeField(default=datetime.utcnow)
    # "2025-Q3" (local date of the confirmation), so tallies group by an indexed column.
    quarter = CharField(max_length=7, index=True)
    grade_band = CharField(max_length=8, default="")
    language = CharField(max_length=8, default="")
    would_turn = CharField(max_length=8, default="")
    client_uuid = ClientUUIDField(unique=True)
    client_fingerprint = CharField(max_length=64)

    class Meta:
        indexes = ((("school", "quarter"), False),)
