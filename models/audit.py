"""The audit trail: who changed what, and when."""

from datetime import datetime

from peewee import CharField, DateTimeField, ForeignKeyField, TextField

from db import BaseModel
from models.auth import User


class AuditEvent(BaseModel):
    at = DateTimeField(default=datetime.utcnow, index=True)
    actor = ForeignKeyField(User, null=True, backref="audit_events", on_delete="SET NULL", index=True)
    action = CharField(max_length=64, index=True)
    object_type = CharField(max_length=64)
    object_id = CharField(max_length=64, default="")
    details = TextField(default="")
