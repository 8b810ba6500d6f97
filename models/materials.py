"""The library of methodological materials: each material, its versions, and the file bytes they point to."""

from datetime import datetime

from flask_babel import format_decimal, gettext
from peewee import BlobField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from db import BaseModel
from models.auth import User
from models.directory import localized

KIND_MODEL_REGULATION = "model_regulation"
KIND_RECOMMENDATION = "methodological_recommendation"
KIND_TRAINING = "training_material"
KIND_TEMPLATE = "template"
KIND_OTHER = "other"
KINDS = (KIND_MODEL_REGULATION, KIND_RECOMMENDATION, KIND_TRAINING, KIND_TEMPLATE, KIND_OTHER)

# The language the file itself is written in (not the language of the page).
FILE_LANGUAGES = ("kk", "ru", "en", "kk+ru")


def size_label(size):
    """A file size for people, in the reader's language: "340 KB", "1,5 MB"."""
    if size < 1024 * 1024:
        return gettext("%(n)s KB", n=format_decimal(max(1, round(size / 1024))))
    return gettext("%(n)s MB", n=format_decimal(round(size / (1024 * 1024), 1)))


class FileBlob(BaseModel):
    """File bytes kept in the database (BYTEA / BLOB), one row per distinct content (sha256)."""

    sha256 = CharField(max_length=64, unique=True)
    size = IntegerField()
    content = BlobField()
    created_at = DateTimeField(default=datetime.utcnow)


class Material(BaseModel):
    kind = CharField(max_length=40, index=True)
    title_kk = CharField(max_length=300)
    title_ru = CharField(max_length=300)
    description_kk = TextField(default="")
    description_ru = TextField(default="")
    file_language = CharField(max_length=8)
    # The training event (models.training.TrainingEvent) the material belongs to; a plain id so that the
    # library does not depend on the training feature's table.
    event_id = IntegerField(null=True, index=True)
    # Number of the version shown on the page; bumped under a row lock when a version is added.
    current_number = IntegerField(default=0)
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL", index=True)
    created_at = DateTimeField(default=datetime.utcnow)
    updated_at = DateTimeField(default=datetime.utcnow, index=True)

    @property
    def title(self):
        return localized(self, "title")

    @property
    def description(self):
        return localized(self, "description")

    def __str__(self):
        return self.title


class MaterialVersion(BaseModel):
    material = ForeignKeyField(Material, backref="versions", on_delete="CASCADE", index=True)
    number = IntegerField()
    # The key services.storage gave for the bytes (the sha256 for the database storage).
    file_key = CharField(max_length=128, index=True)
    filename = CharField(max_length=255)
    content_type = CharField(max_length=100)
    size = IntegerField()
    uploaded_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL", index=True)
    uploaded_at = DateTimeField(default=datetime.utcnow)

    class Meta:
        indexes = ((("material", "number"), True),)

    @property
    def size_text(self):
        return size_label(self.size)

    @property
    def extension(self):
        return self.filename.rsplit(".", 1)[-1].upper() if "." in self.filename else ""
