"""Plain factory functions with keyword defaults; make_world() builds the standard cast."""

import itertools
from dataclasses import dataclass, field
from functools import lru_cache

from models.auth import ROLE_ADMIN, ROLE_DISTRICT, ROLE_MONITOR, ROLE_SCHOOL, User
from models.directory import District, School

PASSWORD = "test-password-kelisim"
_seq = itertools.count(1)


@lru_cache(maxsize=1)
def password_hash():
    from services.auth import hash_password

    return hash_password(PASSWORD)


def district(code="KRG"):
    return District.get(District.code == code)


def make_school(district_code="KRG", code=None, name_kk=None, name_ru=None, bin=None):
    n = next(_seq)
    return School.create(district=district(district_code), code=code or f"T-{n:04d}",
                         name_kk=name_kk or f"№{n} мектеп", name_ru=name_ru or f"Школа №{n}", bin=bin)


def make_user(role=ROLE_SCHOOL, username=None, school=None, district_code=None, **kwargs):
    n = next(_seq)
    dist = None
    if role == ROLE_SCHOOL:
        school = school or make_school(district_code or "KRG")
        dist = school.district
    elif role == ROLE_DISTRICT:
        dist = district(district_code or "KRG")
    return User.create(username=username or f"user{n}", password_hash=password_hash(), role=role,
                       full_name=kwargs.pop("full_name", f"Тест Пайдаланушы {n}"), district=dist,
                       school=school if role == ROLE_SCHOOL else None, **kwargs)


@dataclass
class World:
    schools: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)


def make_world():
    """school (KRG), school2 (TMR), school3 (KRG, no account), district (KRG), district2 (TMR),
    monitor, admin."""
    w = World()
    w.schools["school"] = make_school("KRG", code="KRG-T1", name_kk="№1 тест мектебі", name_ru="Тестовая школа №1")
    w.schools["school2"] = make_school("TMR", code="TMR-T2", name_kk="№2 тест мектебі", name_ru="Тестовая школа №2")
    w.schools["school3"] = make_school("KRG", code="KRG-T3", name_kk="№3 тест мектебі", name_ru="Тестовая школа №3")
    w.users["school"] = make_user(ROLE_SCHOOL, "school", school=w.schools["school"])
    w.users["school2"] = make_user(ROLE_SCHOOL, "school2", school=w.schools["school2"])
    w.users["district"] = make_user(ROLE_DISTRICT, "district", district_code="KRG")
    w.users["district2"] = make_user(ROLE_DISTRICT, "district2", district_code="TMR")
    w.users["monitor"] = make_user(ROLE_MONITOR, "monitor")
    w.users["admin"] = make_user(ROLE_ADMIN, "admin")
    return w
