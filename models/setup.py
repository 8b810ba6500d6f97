"""The setup checklist of each school's mediation service, and the region's deadlines for its items."""

from datetime import datetime

from peewee import BooleanField, CharField, DateField, DateTimeField, ForeignKeyField

from db import BaseModel
from models.auth import User
from models.directory import School, localized

# Items typed by the school (with evidence), then items computed from other records.
TYPED_ITEMS = ("service_created", "regulation_approved", "council_considered", "curator_appointed", "website_info")
DERIVED_ITEMS = ("curator_trained", "parents_informed", "surveys_filed")
ITEMS = TYPED_ITEMS + DERIVED_ITEMS
COUNCIL_KINDS = ("pedagogical_council", "directors_meeting")


class SchoolSetup(BaseModel):
    school = ForeignKeyField(School, backref="setup", on_delete="CASCADE", unique=True)
    # The school order that created the service.
    order_number = CharField(max_length=64, default="")
    order_date = DateField(null=True)
    # The regulation of the service; whether it follows the region's model regulation (None: not said).
    regulation_date = DateField(null=True)
    regulation_from_model = BooleanField(null=True)
    # The pedagogical council or director's meeting that considered it.
    council_kind = CharField(max_length=32, default="")
    council_date = DateField(null=True)
    # The appointed curator: adults' contact data, shown to parents only with the curator's consent.
    curator_name = CharField(max_length=200, default="")
    curator_position = CharField(max_length=200, default="")
    curator_phone = CharField(max_length=32, default="")
    curator_email = CharField(max_length=254, default="")
    curator_public = BooleanField(default=False)
    website_url = CharField(max_length=500, default="")
    updated_at = DateTimeField(default=datetime.utcnow)
    updated_by = ForeignKeyField(User, null=True, on_delete="SET NULL", index=True)


class SetupDeadline(BaseModel):
    """A date by which every school should have a checklist item done (one deadline per item)."""

    item = CharField(max_length=32, unique=True)
    due_on = DateField()
    title_kk = CharField(max_length=300)
    title_ru = CharField(max_length=300)
    updated_at = DateTimeField(default=datetime.utcnow)

    @property
    def title(self):
        return localized(self, "title")
