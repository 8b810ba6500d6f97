"""Reading the audit trail: filtered, newest first."""

from datetime import datetime, timedelta

from peewee import JOIN

from models.audit import AuditEvent
from models.auth import User


def events(action=None, username=None, object_type=None, day_from=None, day_to=None):
    query = (AuditEvent.select(AuditEvent, User).join(User, on=(AuditEvent.actor == User.id), join_type=JOIN.LEFT_OUTER)
             .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))
    if action:
        query = query.where(AuditEvent.action == action)
    if username:
        query = query.where(User.username == username.strip().lower())
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    if day_from:
        query = query.where(AuditEvent.at >= datetime.combine(day_from, datetime.min.time()))
    if day_to:
        query = query.where(AuditEvent.at < datetime.combine(day_to + timedelta(days=1), datetime.min.time()))
    return query


def known_actions():
    return [a for (a,) in AuditEvent.select(AuditEvent.action).distinct().order_by(AuditEvent.action).tuples()]


def known_object_types():
    rows = AuditEvent.select(AuditEvent.object_type).distinct().order_by(AuditEvent.object_type).tuples()
    return [t for (t,) in rows if t]
