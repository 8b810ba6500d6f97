"""Rate-limit events (parent confirmations, certificate look-ups, ...), shared by all workers."""

from datetime import datetime

from peewee import CharField, DateTimeField, Model


def up(migrator, db):
    class RateEvent(Model):
        bucket = CharField(max_length=32)
        key = CharField(max_length=128)
        at = DateTimeField(default=datetime.utcnow)

        class Meta:
            database = db
            legacy_table_names = False
            indexes = ((("bucket", "key", "at"), False),)

    db.create_tables([RateEvent])
