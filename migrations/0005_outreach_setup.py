"""Parent outreach (activities, public links, confirmations), the setup checklist and its deadlines.

The deadlines come from Order No. 420 (3 September 2024): curators appointed so they can attend the PSC
seminars, the service created, its regulation approved and considered by 1 November 2024, parents informed
by 1 December 2024.
"""

from datetime import date, datetime

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
    UUIDField,
)

DEADLINES = [
    ("curator_appointed", date(2024, 10, 1), "Мектеп медиациясы қызметінің кураторы 2024 жылғы 1 қазанға дейін "
     "тағайындалсын", "Назначить куратора службы школьной медиации до 1 октября 2024 года"),
    ("service_created", date(2024, 11, 1), "Мектеп медиациясы қызметі мектеп бұйрығымен 2024 жылғы 1 қарашаға "
     "дейін құрылсын", "Создать службу школьной медиации приказом по школе до 1 ноября 2024 года"),
    ("regulation_approved", date(2024, 11, 1), "Қызмет туралы ереже 2024 жылғы 1 қарашаға дейін бекітілсін",
     "Утвердить положение о службе до 1 ноября 2024 года"),
    ("council_considered", date(2024, 11, 1), "Қызметті құру педагогикалық кеңесте немесе директор жанындағы "
     "кеңесте 2024 жылғы 1 қарашаға дейін қаралсын", "Рассмотреть создание службы на педагогическом совете "
     "или совещании при директоре до 1 ноября 2024 года"),
    ("curator_trained", date(2024, 11, 1), "Куратор Психологиялық қолдау орталығының семинарында 2024 жылғы "
     "1 қарашаға дейін оқытылсын", "Обучить куратора на семинаре Центра психологической поддержки до 1 ноября "
     "2024 года"),
    ("parents_informed", date(2024, 12, 1), "Ата-аналар мектеп медиациясы қызметі туралы 2024 жылғы "
     "1 желтоқсанға дейін хабардар етілсін", "Информировать родителей о службе школьной медиации до 1 декабря "
     "2024 года"),
    ("website_info", date(2024, 12, 1), "Қызмет туралы ақпарат мектеп сайтында 2024 жылғы 1 желтоқсанға дейін "
     "орналастырылсын", "Разместить информацию о службе на сайте школы до 1 декабря 2024 года"),
]


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class School(Base):  # stub of the existing table
        class Meta:
            table_name = "school"

    class User(Base):  # stub of the existing table
        class Meta:
            table_name = "user"

    class OutreachActivity(Base):
        school = ForeignKeyField(School, on_delete="RESTRICT", index=True)
        held_on = DateField()
        format = CharField(max_length=32)
        grade_from = IntegerField()
        grade_to = IntegerField()
        language = CharField(max_length=8)
        parents_reached = IntegerField()
        description = TextField(default="")
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL", index=True)
        created_at = DateTimeField(default=datetime.utcnow)
        updated_at = DateTimeField(default=datetime.utcnow)
        client_uuid = UUIDField(unique=True)
        client_fingerprint = CharField(max_length=64)

        class Meta:
            indexes = ((("school", "held_on"), False),)

    class ParentLink(Base):
        school = ForeignKeyField(School, on_delete="CASCADE", unique=True)
        slug = CharField(max_length=16, unique=True)
        created_at = DateTimeField(default=datetime.utcnow)

    class ParentConfirmation(Base):
        school = ForeignKeyField(School, on_delete="RESTRICT", index=True)
        confirmed_at = DateTimeField(default=datetime.utcnow)
        quarter = CharField(max_length=7, index=True)
        grade_band = CharField(max_length=8, default="")
        language = CharField(max_length=8, default="")
        would_turn = CharField(max_length=8, default="")
        client_uuid = UUIDField(unique=True)
        client_fingerprint = CharField(max_length=64)

        class Meta:
            indexes = ((("school", "quarter"), False),)

    class SchoolSetup(Base):
        school = ForeignKeyField(School, on_delete="CASCADE", unique=True)
        order_number = CharField(max_length=64, default="")
        order_date = DateField(null=True)
        regulation_date = DateField(null=True)
        regulation_from_model = BooleanField(null=True)
        council_kind = CharField(max_length=32, default="")
        council_date = DateField(null=True)
        curator_name = CharField(max_length=200, default="")
        curator_position = CharField(max_length=200, default="")
        curator_phone = CharField(max_length=32, default="")
        curator_email = CharField(max_length=254, default="")
        curator_public = BooleanField(default=False)
        website_url = CharField(max_length=500, default="")
        updated_at = DateTimeField(default=datetime.utcnow)
        updated_by = ForeignKeyField(User, null=True, on_delete="SET NULL", index=True)

    class SetupDeadline(Base):
        item = CharField(max_length=32, unique=True)
        due_on = DateField()
        title_kk = CharField(max_length=300)
        title_ru = CharField(max_length=300)
        updated_at = DateTimeField(default=datetime.utcnow)

    db.create_tables([OutreachActivity, ParentLink, ParentConfirmation, SchoolSetup, SetupDeadline])
    now = datetime.utcnow()
    SetupDeadline.insert_many(
        [(item, due_on, title_kk, title_ru, now) for item, due_on, title_kk, title_ru in DEADLINES],
        fields=[SetupDeadline.item, SetupDeadline.due_on, SetupDeadline.title_kk, SetupDeadline.title_ru,
                SetupDeadline.updated_at],
    ).execute()
