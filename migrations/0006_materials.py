"""The materials library: file bytes kept in the database, materials, and their versions."""

from datetime import datetime

from peewee import BlobField, CharField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class User(Base):  # frozen stub of the existing table, for the foreign keys only
        class Meta:
            table_name = "user"

    class FileBlob(Base):
        sha256 = CharField(max_length=64, unique=True)
        size = IntegerField()
        content = BlobField()
        created_at = DateTimeField(default=datetime.utcnow)

    class Material(Base):
        kind = CharField(max_length=40, index=True)
        title_kk = CharField(max_length=300)
        title_ru = CharField(max_length=300)
        description_kk = TextField(default="")
        description_ru = TextField(default="")
        file_language = CharField(max_length=8)
        event_id = IntegerField(null=True, index=True)
        current_number = IntegerField(default=0)
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL", index=True)
        created_at = DateTimeField(default=datetime.utcnow)
        updated_at = DateTimeField(default=datetime.utcnow, index=True)

    class MaterialVersion(Base):
        material = ForeignKeyField(Material, on_delete="CASCADE", index=True)
        number = IntegerField()
        file_key = CharField(max_length=128, index=True)
        filename = CharField(max_length=255)
        content_type = CharField(max_length=100)
        size = IntegerField()
        uploaded_by = ForeignKeyField(User, null=True, on_delete="SET NULL", index=True)
        uploaded_at = DateTimeField(default=datetime.utcnow)

        class Meta:
            indexes = ((("material", "number"), True),)

    db.create_tables([FileBlob, Material, MaterialVersion])
