"""Directory (districts with the region's 13 units, schools), accounts, login throttling, audit."""

from datetime import datetime

from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

DISTRICTS = [
    ("KRG", "Қарағанды қаласы", "г. Караганда", "Karaganda city"),
    ("BLK", "Балқаш қаласы", "г. Балхаш", "Balkhash city"),
    ("PRZ", "Приозерск қаласы", "г. Приозерск", "Priozersk city"),
    ("SRN", "Саран қаласы", "г. Сарань", "Saran city"),
    ("TMR", "Теміртау қаласы", "г. Темиртау", "Temirtau city"),
    ("SHK", "Шахтинск қаласы", "г. Шахтинск", "Shakhtinsk city"),
    ("ABY", "Абай ауданы", "Абайский район", "Abai district"),
    ("AKT", "Ақтоғай ауданы", "Актогайский район", "Aktogay district"),
    ("BZH", "Бұқар жырау ауданы", "Бухар-Жырауский район", "Bukhar-Zhyrau district"),
    ("KRK", "Қарқаралы ауданы", "Каркаралинский район", "Karkaraly district"),
    ("NUR", "Нұра ауданы", "Нуринский район", "Nura district"),
    ("OSK", "Осакаров ауданы", "Осакаровский район", "Osakarov district"),
    ("SHT", "Шет ауданы", "Шетский район", "Shet district"),
]


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class District(Base):
        code = CharField(max_length=8, unique=True)
        name_kk = CharField(max_length=200)
        name_ru = CharField(max_length=200)
        name_en = CharField(max_length=200, default="")

    class School(Base):
        district = ForeignKeyField(District, on_delete="RESTRICT", index=True)
        code = CharField(max_length=32, unique=True)
        name_kk = CharField(max_length=300)
        name_ru = CharField(max_length=300)
        bin = CharField(max_length=12, null=True)
        created_at = DateTimeField(default=datetime.utcnow)
        updated_at = DateTimeField(default=datetime.utcnow)

    class User(Base):
        username = CharField(max_length=64, unique=True)
        password_hash = CharField(max_length=255)
        role = CharField(max_length=16, index=True)
        full_name = CharField(max_length=200, default="")
        district = ForeignKeyField(District, null=True, on_delete="RESTRICT", index=True)
        school = ForeignKeyField(School, null=True, on_delete="RESTRICT", index=True)
        locale = CharField(max_length=8, null=True)
        is_active = BooleanField(default=True)
        must_change_password = BooleanField(default=False)
        session_version = IntegerField(default=1)
        created_at = DateTimeField(default=datetime.utcnow)
        last_login_at = DateTimeField(null=True)

    class LoginFailure(Base):
        username = CharField(max_length=64)
        address = CharField(max_length=64)
        at = DateTimeField(default=datetime.utcnow)

        class Meta:
            indexes = ((("username", "address", "at"), False),)

    class AuditEvent(Base):
        at = DateTimeField(default=datetime.utcnow, index=True)
        actor = ForeignKeyField(User, null=True, on_delete="SET NULL", index=True)
        action = CharField(max_length=64, index=True)
        object_type = CharField(max_length=64)
        object_id = CharField(max_length=64, default="")
        details = TextField(default="")

    db.create_tables([District, School, User, LoginFailure, AuditEvent])
    fields = [District.code, District.name_kk, District.name_ru, District.name_en]
    District.insert_many(DISTRICTS, fields=fields).execute()
