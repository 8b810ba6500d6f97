"""Accounts, their roles and the record of failed logins used for throttling."""

from datetime import datetime

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField

from db import BaseModel
from models.directory import District, School

ROLE_ADMIN = "admin"
ROLE_MONITOR = "monitor"
ROLE_DISTRICT = "district"
ROLE_SCHOOL = "school"
ROLES = (ROLE_ADMIN, ROLE_MONITOR, ROLE_DISTRICT, ROLE_SCHOOL)


class User(BaseModel):
    username = CharField(max_length=64, unique=True)
    password_hash = CharField(max_length=255)
    role = CharField(max_length=16, index=True)
    full_name = CharField(max_length=200, default="")
    district = ForeignKeyField(District, null=True, backref="users", on_delete="RESTRICT", index=True)
    school = ForeignKeyField(School, null=True, backref="users", on_delete="RESTRICT", index=True)
    locale = CharField(max_length=8, null=True)
    is_active = BooleanField(default=True)
    # Set after a reset: the one-time password must be changed at the next login.
    must_change_password = BooleanField(default=False)
    # Bumped on logout-everywhere and password change; sessions carrying an older value end.
    session_version = IntegerField(default=1)
    created_at = DateTimeField(default=datetime.utcnow)
    last_login_at = DateTimeField(null=True)

    @property
    def is_region(self):
        return self.role in (ROLE_ADMIN, ROLE_MONITOR)

    @property
    def can_write_region(self):
        return self.role == ROLE_ADMIN


class LoginFailure(BaseModel):
    """One failed login; counted per (username, address) inside a sliding window."""

    username = CharField(max_length=64)
    address = CharField(max_length=64)
    at = DateTimeField(default=datetime.utcnow)

    class Meta:
        indexes = ((("username", "address", "at"), False),)
