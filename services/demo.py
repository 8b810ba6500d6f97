"""Demo data: districts come from the first migration; schools, accounts and feature records here.

Each feature adds one loader to LOADERS; a loader takes the DemoContext and adds its records.
"""

import random
from dataclasses import dataclass, field

from db import db
from models.auth import ROLE_ADMIN, ROLE_DISTRICT, ROLE_MONITOR, ROLE_SCHOOL, User
from models.directory import District, School
from services import materials, monitoring, setup, surveys, training
from services.auth import hash_password

DEMO_PASSWORD = "kelisim-demo"
DEMO_USERS = ["admin", "monitor", "district", "school", "school2"]

# (district code, school code, Kazakh name, Russian name)
SCHOOLS = [
    ("KRG", "KRG-001", "№1 жалпы білім беретін мектеп", "Общеобразовательная школа №1"),
    ("KRG", "KRG-012", "№12 жалпы білім беретін мектеп", "Общеобразовательная школа №12"),
    ("KRG", "KRG-038", "№38 гимназия", "Гимназия №38"),
    ("KRG", "KRG-045", "№45 жалпы білім беретін мектеп", "Общеобразовательная школа №45"),
    ("KRG", "KRG-061", "№61 мектеп-лицей", "Школа-лицей №61"),
    ("KRG", "KRG-072", "№72 жалпы білім беретін мектеп", "Общеобразовательная школа №72"),
    ("KRG", "KRG-083", "№83 IT-мектеп-лицей", "IT-школа-лицей №83"),
    ("KRG", "KRG-093", "№93 гимназия", "Гимназия №93"),
    ("KRG", "KRG-097", "№97 жалпы білім беретін мектеп", "Общеобразовательная школа №97"),
    ("KRG", "KRG-101", "Абай атындағы №101 мектеп-гимназия", "Школа-гимназия №101 имени Абая"),
    ("TMR", "TMR-004", "№4 жалпы білім беретін мектеп", "Общеобразовательная школа №4"),
    ("TMR", "TMR-009", "№9 мектеп-лицей", "Школа-лицей №9"),
    ("TMR", "TMR-016", "№16 жалпы білім беретін мектеп", "Общеобразовательная школа №16"),
    ("TMR", "TMR-024", "№24 гимназия", "Гимназия №24"),
    ("BLK", "BLK-002", "№2 жалпы білім беретін мектеп", "Общеобразовательная школа №2"),
    ("BLK", "BLK-010", "№10 мектеп-лицей", "Школа-лицей №10"),
    ("BLK", "BLK-016", "№16 жалпы білім беретін мектеп", "Общеобразовательная школа №16"),
    ("SRN", "SRN-003", "№3 жалпы білім беретін мектеп", "Общеобразовательная школа №3"),
    ("SRN", "SRN-014", "№14 гимназия", "Гимназия №14"),
    ("SHK", "SHK-005", "№5 жалпы білім беретін мектеп", "Общеобразовательная школа №5"),
    ("PRZ", "PRZ-001", "№1 жалпы білім беретін мектеп", "Общеобразовательная школа №1"),
    ("ABY", "ABY-TOP", "Топар кентінің жалпы білім беретін мектебі", "Общеобразовательная школа посёлка Топар"),
    ("ABY", "ABY-KAR", "Қарабас кентінің №1 мектебі", "Школа №1 посёлка Карабас"),
    ("BZH", "BZH-BOT", "Ботақара жалпы білім беретін мектебі", "Общеобразовательная школа посёлка Ботакара"),
    ("BZH", "BZH-UMT", "Үміткер ауылының мектебі", "Школа села Умиткер"),
    ("KRK", "KRK-001", "Қарқаралы қаласының №1 мектеп-гимназиясы", "Школа-гимназия №1 города Каркаралинск"),
    ("NUR", "NUR-KIE", "Киевка кентінің жалпы білім беретін мектебі", "Общеобразовательная школа посёлка Киевка"),
    ("OSK", "OSK-OSK", "Осакаровка кентінің №1 мектебі", "Школа №1 посёлка Осакаровка"),
    ("SHT", "SHT-AKS", "Ақсу-Аюлы ауылының мектебі", "Школа села Аксу-Аюлы"),
    ("AKT", "AKT-AKT", "Ақтоғай ауылының мектеп-гимназиясы", "Школа-гимназия села Актогай"),
]


@dataclass
class DemoContext:
    users: dict = field(default_factory=dict)
    schools: list = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(420))


def is_empty():
    return not User.select().exists()


def load_directory(ctx):
    districts = {d.code: d for d in District.select()}
    for code, school_code, name_kk, name_ru in SCHOOLS:
        school, _ = School.get_or_create(code=school_code, defaults=dict(
            district=districts[code], name_kk=name_kk, name_ru=name_ru))
        ctx.schools.append(school)
    by_code = {s.code: s for s in ctx.schools}
    password_hash = hash_password(DEMO_PASSWORD)
    accounts = [
        ("admin", ROLE_ADMIN, "Айгүл Серікова", None, None),
        ("monitor", ROLE_MONITOR, "Марат Жұмабеков", None, None),
        ("district", ROLE_DISTRICT, "Гүлнар Ахметова", districts["KRG"], None),
        ("school", ROLE_SCHOOL, "Сәуле Нұрланова", districts["KRG"], by_code["KRG-038"]),
        ("school2", ROLE_SCHOOL, "Ирина Петренко", districts["TMR"], by_code["TMR-009"]),
    ]
    for username, role, full_name, district, school in accounts:
        user, _ = User.get_or_create(username=username, defaults=dict(
            password_hash=password_hash, role=role, full_name=full_name, district=district, school=school))
        ctx.users[username] = user


LOADERS = [
    ("schools and accounts", load_directory),
    ("training events, attendance and certificates", training.load_demo),
    ("case surveys", surveys.load_demo),
    ("methodological materials", materials.load_demo),
    ("parent outreach and service setup", setup.load_demo),
    ("eight quarters of history for monitoring", monitoring.load_demo),
]


def load(progress=None):
    ctx = DemoContext()
    for label, loader in LOADERS:
        with db.atomic():
            loader(ctx)
        if progress:
            progress(label)
    return ctx
