"""Signed-in sessions kept on the server: one row per browser, found by the digest of the random key its cookie
carries, checked on every request. Logging out ends the row; a password change, a reset or a block ends every row
of the account; a user lists their own and ends any of them. Nothing is kept in a process, so any worker or host
sees the same sessions."""

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from db import db
from models.auth import User, UserSession


def _digest(key):
    return hashlib.sha256(key.encode()).hexdigest()


def start(user, user_agent="", now=None):
    """A new session of ``user``: returns the key for the cookie (only its digest is stored)."""
    now = now or datetime.utcnow()
    key = secrets.token_urlsafe(32)
    UserSession.create(user=user, key_hash=_digest(key), device=device_name(user_agent), created_at=now,
                       last_seen_at=now)
    return key


def current(key, idle_limit, touch_seconds, now=None):
    """(session row, its user) for the key of a cookie, or None when the session has ended: logged out, ended
    from another device, or unused for longer than ``idle_limit`` (a timedelta). "Last seen" is written at most
    every ``touch_seconds``, so that a page view does not write to the database each time."""
    if not key or not isinstance(key, str) or len(key) > 128:
        return None
    now = now or datetime.utcnow()
    row = (UserSession.select(UserSession, User).join(User)
           .where(UserSession.key_hash == _digest(key), UserSession.ended_at.is_null()).first())
    if row is None:
        return None
    if row.last_seen_at < now - idle_limit:
        end_ids([row.id], now)
        return None
    if row.last_seen_at < now - timedelta(seconds=touch_seconds):
        UserSession.update(last_seen_at=now).where(UserSession.id == row.id).execute()
        row.last_seen_at = now
    return row, row.user


def end(key, now=None):
    """End the session whose cookie carries ``key`` (logging out)."""
    if key and isinstance(key, str):
        (UserSession.update(ended_at=now or datetime.utcnow())
         .where(UserSession.key_hash == _digest(key), UserSession.ended_at.is_null()).execute())


def end_ids(ids, now=None):
    if ids:
        (UserSession.update(ended_at=now or datetime.utcnow())
         .where(UserSession.id.in_(list(ids)), UserSession.ended_at.is_null()).execute())


def end_all(user, now=None):
    """End every session of ``user`` (password changed, reset or account blocked; "sign out everywhere")."""
    with db.atomic():
        (UserSession.update(ended_at=now or datetime.utcnow())
         .where(UserSession.user == user.id, UserSession.ended_at.is_null()).execute())


def active(user, idle_limit, now=None):
    """The user's sessions that have not ended, the most recently used first."""
    now = now or datetime.utcnow()
    return list(UserSession.select()
                .where(UserSession.user == user.id, UserSession.ended_at.is_null(),
                       UserSession.last_seen_at >= now - idle_limit)
                .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc()))


def get_own(user, session_id):
    """The user's own session by id (None for someone else's: the view answers 404)."""
    return UserSession.get_or_none(UserSession.id == session_id, UserSession.user == user.id)


def forget_old(user, idle_limit, now=None):
    """Delete the user's sessions that ended (or went unused) longer ago than ``idle_limit``."""
    since = (now or datetime.utcnow()) - idle_limit
    (UserSession.delete()
     .where(UserSession.user == user.id,
            (UserSession.ended_at < since) | (UserSession.last_seen_at < since)).execute())


# Checked in order: the first that matches names the browser (Edge and Opera say "Chrome" too; Chrome says Safari).
_BROWSERS = [("Edg", "Edge"), ("OPR", "Opera"), ("YaBrowser", "Yandex Browser"), ("SamsungBrowser", "Samsung Internet"),
             ("Firefox", "Firefox"), ("FxiOS", "Firefox"), ("CriOS", "Chrome"), ("Chromium", "Chromium"),
             ("Chrome", "Chrome"), ("Safari", "Safari")]
_SYSTEMS = [("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
            ("CrOS", "ChromeOS"), ("Mac OS X", "macOS"), ("Macintosh", "macOS"), ("Linux", "Linux")]


def device_name(user_agent):
    """"Chrome on Android" from a User-Agent header; what the browser says, shortened (never trusted for access)."""
    agent = user_agent or ""
    browser = next((name for token, name in _BROWSERS if token in agent), "")
    system = next((name for token, name in _SYSTEMS if token in agent), "")
    if browser and system:
        return f"{browser} · {system}"
    return browser or system or re.sub(r"[^\w ./()-]", "", agent)[:60]
