"""Writes the audit trail; every service that changes a record calls record()."""

import json

from models.audit import AuditEvent


def record(actor, action, obj=None, object_type=None, object_id=None, **details):
    return AuditEvent.create(
        actor=actor,
        action=action,
        object_type=object_type or (type(obj).__name__ if obj is not None else ""),
        object_id=str(object_id if object_id is not None else getattr(obj, "id", "") or ""),
        details=json.dumps(details, ensure_ascii=False, default=str) if details else "",
    )
