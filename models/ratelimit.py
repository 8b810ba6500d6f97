"""Events counted for rate limits kept in the database, so every worker and host sees them."""

from datetime import datetime

from peewee import CharField, DateTimeField

from db import BaseModel


class RateEvent(BaseModel):
    bucket = CharField(max_length=32)
    key = CharField(max_length=128)
    at = DateTimeField(default=datetime.utcnow)

    class Meta:
        indexes = ((("bucket", "key", "at"), False),)
