"""Accounts, their roles, their signed-in sessions and the record of login attempts used for throttling."""

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


class UserSession(BaseModel):
    """One signed-in browser. Its cookie carries a random key; only the key's digest is stored, and every request
    checks the row, so that logging out, a password change or a block ends the session wherever its cookie went."""

    user = ForeignKeyField(User, backref="sessions", on_delete="CASCADE", index=True)
    key_hash = CharField(max_length=64, unique=True)
    # As the browser names itself in its User-Agent, shortened ("Chrome on Android").
    device = CharField(max_length=100, default="")
    created_at = DateTimeField(default=datetime.utcnow)
    # Updated at most every SESSION_TOUCH_SECONDS, not on every request.
    last_seen_at = DateTimeField(default=datetime.utcnow)
    ended_at = DateTimeField(null=True)


class LoginFailure(BaseModel):
    """One login attempt not (yet) known to succeed: recorded before the password is checked and removed by a
    success, so that parallel attempts count each other; counted per (username, address) in a sliding window."""

    username = CharField(max_length=64)
    address = CharField(max_length=64)
    at = DateTimeField(default=datetime.utcnow)

    class Meta:
        indexes = ((("username", "address", "at"), False),)
