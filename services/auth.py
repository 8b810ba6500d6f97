"""Accounts: password hashing and policy, login with throttling, creation and resets."""

import os
import secrets
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l

from db import db
from models.auth import ROLE_DISTRICT, ROLE_SCHOOL, LoginFailure, User
from services import DomainError, audit

_hasher = PasswordHasher()
# Verified against when the username is unknown, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash("kelisim-dummy-password")


class InvalidCredentials(DomainError):
    pass


class LoginThrottled(DomainError):
    def __init__(self, minutes):
        super().__init__(_l("Too many failed attempts. Try again in %(minutes)s minutes.", minutes=minutes))
        self.minutes = minutes


def hash_password(password):
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def common_passwords():
    path = os.path.join(os.path.dirname(__file__), "data", "common_passwords.txt")
    with open(path, encoding="utf-8") as fh:
        return frozenset(line.strip() for line in fh if line.strip())


def password_problem(password, min_length=10, username=""):
    """A translatable reason why the password is refused, or None."""
    if len(password) < min_length:
        return _l("The password must be at least %(n)s characters long.", n=min_length)
    lowered = password.lower()
    if lowered in common_passwords() or len(set(password)) < 4:
        return _l("This password is too common. Choose another one.")
    if username and username.lower() in lowered:
        return _l("The password must not contain the username.")
    return None


def authenticate(username, password, address, max_failures=5, window_seconds=900):
    """The active user with this password, or raise InvalidCredentials / LoginThrottled."""
    username = (username or "").strip().lower()
    since = datetime.utcnow() - timedelta(seconds=window_seconds)
    failures = (
        LoginFailure.select(LoginFailure.at)
        .where(LoginFailure.username == username, LoginFailure.address == address, LoginFailure.at > since)
        .order_by(LoginFailure.at)
    )
    if failures.count() >= max_failures:
        oldest = failures.first().at
        remaining = (oldest + timedelta(seconds=window_seconds) - datetime.utcnow()).total_seconds()
        raise LoginThrottled(max(1, int(remaining // 60) + 1))
    user = User.get_or_none(User.username == username)
    if not _verify(user.password_hash if user else _DUMMY_HASH, password) or not user or not user.is_active:
        LoginFailure.create(username=username, address=address)
        raise InvalidCredentials(_l("Wrong username or password."))
    with db.atomic():
        LoginFailure.delete().where(LoginFailure.username == username, LoginFailure.address == address).execute()
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.last_login_at = datetime.utcnow()
        user.save()
    return user


def _verify(password_hash, password):
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_password(user, password):
    return _verify(user.password_hash, password)


def change_password(user, new_password):
    """Set a new password and end every other session of this user."""
    with db.atomic():
        user.password_hash = hash_password(new_password)
        user.must_change_password = False
        user.session_version += 1
        user.save()
        audit.record(user, "user.password_changed", user)
    return user


def end_sessions(user):
    User.update(session_version=User.session_version + 1).where(User.id == user.id).execute()


def create_user(actor, username, password, role, full_name="", district=None, school=None, must_change=False):
    username = username.strip().lower()
    if User.select().where(User.username == username).exists():
        raise DomainError(_l("This username is already taken."), field="username")
    if role == ROLE_SCHOOL and school is not None:
        district = school.district
    with db.atomic():
        user = User.create(
            username=username,
            password_hash=hash_password(password),
            role=role,
            full_name=full_name.strip(),
            district=district if role in (ROLE_DISTRICT, ROLE_SCHOOL) else None,
            school=school if role == ROLE_SCHOOL else None,
            must_change_password=must_change,
        )
        audit.record(actor, "user.created", user, role=role)
    return user


def update_user(actor, user, full_name, is_active, role=None, district=None, school=None):
    with db.atomic():
        user.full_name = full_name.strip()
        if role is not None:
            user.role = role
            if role == ROLE_SCHOOL and school is not None:
                district = school.district
            user.district = district if role in (ROLE_DISTRICT, ROLE_SCHOOL) else None
            user.school = school if role == ROLE_SCHOOL else None
        if user.is_active and not is_active:
            user.session_version += 1
        user.is_active = is_active
        user.save()
        audit.record(actor, "user.updated", user)
    return user


def generate_password():
    # 12 characters from an alphabet without look-alikes, easy to read out on the phone.
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


def reset_password(actor, user):
    """Give the user a one-time password that must be changed at the next login."""
    password = generate_password()
    with db.atomic():
        user.password_hash = hash_password(password)
        user.must_change_password = True
        user.session_version += 1
        user.save()
        LoginFailure.delete().where(LoginFailure.username == user.username).execute()
        audit.record(actor, "user.password_reset", user)
    return password
