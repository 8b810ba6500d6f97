"""Effectiveness monitoring: the thresholds of the early flags, and the quarterly monitoring reports (drafts, and
published ones frozen with their figures and PDFs)."""

from datetime import datetime

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from db import BaseModel
from models.auth import User

# Each threshold: (default, lowest, highest) accepted.
THRESHOLDS = {
    # Quarters in a row without a case survey after which a school is flagged.
    "quiet_quarters": (2, 1, 8),
    # Percentage points by which a school's agreement share may fall against its previous four quarters.
    "agreement_drop_points": (20, 1, 100),
    # Cases a school needs in the quarter, and in the four before it, for its agreement share to be compared.
    "agreement_min_cases": (5, 1, 100),
}
REPORT_TEXTS = ("findings_kk", "findings_ru", "recommendations_kk", "recommendations_ru")


class MonitoringSettings(BaseModel):
    """The region's thresholds for the early flags: one row (none until a region admin first saves them)."""

    quiet_quarters = IntegerField(default=THRESHOLDS["quiet_quarters"][0])
    agreement_drop_points = IntegerField(default=THRESHOLDS["agreement_drop_points"][0])
    agreement_min_cases = IntegerField(default=THRESHOLDS["agreement_min_cases"][0])
    updated_at = DateTimeField(default=datetime.utcnow)
    updated_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")


class MonitoringReport(BaseModel):
    """The monitoring report of one quarter. A draft follows the data; publishing freezes its figures (JSON) and
    its PDFs (kk, ru, in file storage), after which nothing of it changes."""

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
    # The publisher's name as it was when publishing (an account may be renamed or removed later).
    published_by_name = CharField(max_length=200, default="")
    # The frozen figures (JSON) and the storage keys of the frozen PDFs.
    figures = TextField(default="")
    pdf_kk = CharField(max_length=128, default="")
    pdf_ru = CharField(max_length=128, default="")

    @property
    def is_published(self):
        return self.published_at is not None
