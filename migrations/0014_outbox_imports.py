"""Outbox files imported on another device (issue #20): the import and the outcome of each of its items."""

from datetime import datetime

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField, UUIDField


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class User(Base):  # frozen stubs of the existing tables, for the foreign keys only
        class Meta:
            table_name = "user"

    class School(Base):
        class Meta:
            table_name = "school"

    class OutboxImport(Base):
        importer = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        importer_name = CharField(max_length=200)
        school = ForeignKeyField(School, backref="+", on_delete="RESTRICT", index=True)
        account = CharField(max_length=150)
        exported_at = DateTimeField(null=True)
        checksum = CharField(max_length=80)
        created_at = DateTimeField(default=datetime.utcnow)

    class OutboxImportItem(Base):
        outbox_import = ForeignKeyField(OutboxImport, backref="items", on_delete="CASCADE", index=True)
        position = IntegerField()
        kind = CharField(max_length=32)
        client_uuid = UUIDField(index=True)  # db.ClientUUIDField's column
        filled_at = DateTimeField(null=True)
        summary = TextField(default="{}")
        outcome = CharField(max_length=16)
        record_id = IntegerField(null=True)
        messages = TextField(default="{}")

    db.create_tables([OutboxImport, OutboxImportItem])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "outbox_import_item"')
    db.execute_sql('DROP TABLE IF EXISTS "outbox_import"')
