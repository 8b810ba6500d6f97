"""Outbox files imported on another device: who imported which file for which school, and what became of each
item ("imported by … for …"). No field values are kept here: only each item's kind, code and outcome."""

from datetime import datetime

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from db import BaseModel, ClientUUIDField
from models.auth import User
from models.directory import School

OUTCOMES = ("created", "duplicate", "invalid", "refused")


class OutboxImport(BaseModel):
    importer = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    importer_name = CharField(max_length=200)  # kept when the account goes
    school = ForeignKeyField(School, backref="+", on_delete="RESTRICT", index=True)
    account = CharField(max_length=150)  # the account the file was exported under
    exported_at = DateTimeField(null=True)
    checksum = CharField(max_length=80)
    created_at = DateTimeField(default=datetime.utcnow)


class OutboxImportItem(BaseModel):
    outbox_import = ForeignKeyField(OutboxImport, backref="items", on_delete="CASCADE", index=True)
    position = IntegerField()
    kind = CharField(max_length=32)
    client_uuid = ClientUUIDField(index=True)
    filled_at = DateTimeField(null=True)  # when it was saved on the phone
    summary = TextField(default="{}")  # JSON: the values of the form's summary fields (a category, a date)
    outcome = CharField(max_length=16)
    record_id = IntegerField(null=True)
    messages = TextField(default="{}")  # JSON: {field or "_form": [messages]} for invalid and refused items
