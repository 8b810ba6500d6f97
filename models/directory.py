"""Districts and schools: the region's directory, names in Kazakh, Russian and English."""

from datetime import datetime

from flask_babel import get_locale
from peewee import CharField, DateTimeField, ForeignKeyField

from db import BaseModel


def localized(obj, stem):
    """The attribute ``<stem>_<lang>`` for the reader's language, falling back to Kazakh."""
    lang = str(get_locale() or "kk")
    return getattr(obj, f"{stem}_{lang}", None) or getattr(obj, f"{stem}_kk")


class District(BaseModel):
    code = CharField(max_length=8, unique=True)
    name_kk = CharField(max_length=200)
    name_ru = CharField(max_length=200)
    name_en = CharField(max_length=200, default="")

    @property
    def name(self):
        return localized(self, "name")

    def __str__(self):
        return self.name


class School(BaseModel):
    district = ForeignKeyField(District, backref="schools", on_delete="RESTRICT", index=True)
    code = CharField(max_length=32, unique=True)
    name_kk = CharField(max_length=300)
    name_ru = CharField(max_length=300)
    # Business identification number (12 digits), optional.
    bin = CharField(max_length=12, null=True)
    created_at = DateTimeField(default=datetime.utcnow)
    updated_at = DateTimeField(default=datetime.utcnow)

    @property
    def name(self):
        return localized(self, "name")

    def __str__(self):
        return self.name
