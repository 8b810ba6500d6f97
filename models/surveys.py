"""Case outcome surveys (anonymous: counts and grade bands, never names) and their corrections."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from peewee import BooleanField, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from db import BaseModel, ClientUUIDField
from models.auth import User
from models.directory import School

CATEGORIES = [
    ("student_student", _l("Student – student")),
    ("student_teacher", _l("Student – teacher")),
    ("student_parent", _l("Student – parent")),
    ("parent_teacher", _l("Parent – teacher")),
    ("teacher_teacher", _l("Teacher – teacher")),
    ("group", _l("Group conflict")),
    ("bullying", _l("Bullying or cyberbullying")),
    ("other", _l("Other")),
]
REFERRALS = [
    ("students", _l("The students themselves")),
    ("teacher", _l("A teacher")),
    ("parent", _l("A parent")),
    ("administration", _l("The school administration")),
    ("prevention_council", _l("The prevention council")),
    ("police_inspector", _l("The juvenile police inspector")),
    ("other", _l("Other")),
]
PROCEDURES = [
    ("mediation", _l("Mediation")),
    ("restorative_circle", _l("Restorative circle")),
    ("conversation", _l("Conversation without mediation")),
    ("refused", _l("Refused by the parties")),
]
OUTCOMES = [
    ("agreement", _l("Agreement reached")),
    ("partial", _l("Partial agreement")),
    ("no_agreement", _l("No agreement")),
    ("referred", _l("Referred to another body")),
]
FOLLOW_UPS = [
    ("yes", _l("Yes, it held")),
    ("no", _l("No, it did not hold")),
    ("not_checked", _l("Not yet checked")),
]
# Fields whose stored value is a choice key, with the choices that label it.
CHOICES = {"category": CATEGORIES, "referral": REFERRALS, "procedure": PROCEDURES, "outcome": OUTCOMES,
           "follow_up": FOLLOW_UPS}
STUDENT_BANDS = ("students_1_4", "students_5_9", "students_10_11")
ADULT_KINDS = ("teachers", "parents", "administration", "other_adults")


class CaseSurvey(BaseModel):
    school = ForeignKeyField(School, backref="surveys", on_delete="RESTRICT", index=True)
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    # Made on the phone when the form opened: a repeat of the same submission creates nothing.
    client_uuid = ClientUUIDField(unique=True)
    client_fingerprint = CharField(max_length=64)
    received_on = DateField()
    closed_on = DateField()
    # Derived from closed_on ("2025-Q3"); tallies group by it.
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

    class Meta:
        # Made by migrations/0007_tallies.py: a quarter's surveys school by school with every column a tally
        # counts, so the tallies' GROUP BY reads this index alone.
        indexes = ((("quarter", "school", "category", "procedure", "outcome", "follow_up", "satisfaction"), False),)

    @property
    def students(self):
        return sum(getattr(self, name) for name in STUDENT_BANDS)

    @property
    def adults(self):
        return sum(getattr(self, name) for name in ADULT_KINDS)

    def label(self, name):
        """The reader's label for a choice field's stored value."""
        return dict(CHOICES[name]).get(getattr(self, name), getattr(self, name))


class SurveyRevision(BaseModel):
    """One correction of a survey: who, when, and each changed field's old and new value (JSON)."""

    survey = ForeignKeyField(CaseSurvey, backref="revisions", on_delete="CASCADE", index=True)
    actor = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    at = DateTimeField(default=datetime.utcnow)
    changes = TextField(default="{}")
