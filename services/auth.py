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
from services import DomainError, audit, sessions

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


# The service's own names, and the demo accounts' password: guessable by anyone who has seen the service.
SERVICE_WORDS = ("kelisim", "келісім", "kelisim-demo")
# zxcvbn's score (0-4) a password needs: 3 is "safely unguessable" against an online attack and slows an offline one.
MIN_SCORE = 3
# zxcvbn's time grows with the length; the part beyond this is not what makes a password weak.
_JUDGED_LENGTH = 64


def password_problem(password, min_length=10, username="", full_name="", current_hash=None):
    """A translatable reason why the password is refused (saying what to do instead), or None: too short, on the
    list of common passwords, easy to guess by zxcvbn's estimate (with the user's name, username and the service's
    names as words an attacker tries first; what is left without them must be strong on its own), or the current
    password again."""
    if len(password) < min_length:
        return _l("The password must be at least %(n)s characters long.", n=min_length)
    lowered = password.lower()
    if lowered in common_passwords() or len(set(password)) < 4:
        return _l("This password is too common. Choose another one.")
    if username and username.lower() in lowered:
        return _l("The password must not contain the username.")
    if current_hash and _verify(current_hash, password):
        return _l("The new password must differ from the current one. Choose a password you have not used here.")
    from zxcvbn import zxcvbn

    context = sorted({word.lower() for word in (username, full_name, *full_name.split(), *SERVICE_WORDS)
                      if len(word) >= 3}, key=len, reverse=True)
    judged = zxcvbn(password[:_JUDGED_LENGTH], user_inputs=context)
    rest = lowered[:_JUDGED_LENGTH]
    for word in context:
        rest = rest.replace(word, "")
    named = rest != lowered[:_JUDGED_LENGTH]
    if named and zxcvbn(rest, user_inputs=context)["score"] < MIN_SCORE:
        return _l("The password is built on your name or the service's name and is easy to guess. Use three or four "
                  "unrelated words, or a longer phrase only you know.")
    if judged["score"] < MIN_SCORE:
        return _l("This password is easy to guess. Make it longer: three or four unrelated words, or a phrase only you "
                  "know; not names, dates or keyboard patterns.")
    return None


def authenticate(username, password, address, max_failures=5, window_seconds=900):
    """The active user with this password, or raise InvalidCredentials / LoginThrottled.

    The attempt is recorded (and committed) before the password is checked, and then counted with every other
    attempt in the window: of parallel attempts, only those that land among the first ``max_failures`` are
    checked, on any number of workers and on both engines (a check-then-record let a sixth one through)."""
    username = (username or "").strip().lower()[:64]
    address = (address or "")[:64]
    now = datetime.utcnow()
    since = now - timedelta(seconds=window_seconds)
    with db.atomic():
        attempt = LoginFailure.create(username=username, address=address, at=now)
    attempts = LoginFailure.select(LoginFailure.id, LoginFailure.at).where(
        LoginFailure.username == username, LoginFailure.address == address, LoginFailure.at > since)
    # Every attempt committed so far counts, this one included (ids or times could order them wrongly: a row
    # with a lower id may commit later). The k-th attempt to commit sees at least k, so at most max_failures pass.
    if attempts.count() > max_failures:
        LoginFailure.delete().where(LoginFailure.id == attempt.id).execute()  # refused unchecked: not a failure
        oldest = attempts.order_by(LoginFailure.at).first().at
        remaining = (oldest + timedelta(seconds=window_seconds) - datetime.utcnow()).total_seconds()
        raise LoginThrottled(max(1, int(remaining // 60) + 1))
    user = User.get_or_none(User.username == username)
    if not _verify(user.password_hash if user else _DUMMY_HASH, password) or not user or not user.is_active:
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
    """Set a new password and end every session of this user (the view starts a new one for this device)."""
    with db.atomic():
        user.password_hash = hash_password(new_password)
        user.must_change_password = False
        user.session_version += 1
        user.save()
        sessions.end_all(user)
        audit.record(user, "user.password_changed", user)
    return user


def end_sessions(user):
    with db.atomic():
        User.update(session_version=User.session_version + 1).where(User.id == user.id).execute()
        sessions.end_all(user)


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
            sessions.end_all(user)
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
        sessions.end_all(user)
        LoginFailure.delete().where(LoginFailure.username == user.username).execute()
        audit.record(actor, "user.password_reset", user)
    return password
