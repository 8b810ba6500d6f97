"""Idempotent submissions keyed by a client_uuid made on the phone (DESIGN.md, offline protocol).

Insert and catch the unique-constraint conflict (never check first: that races). An identical
repeat returns the first record; the same client_uuid with different content is a Conflict.
"""

import hashlib
import json
import uuid
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from peewee import IntegrityError

from db import db
from services import DomainError


class Conflict(DomainError):
    def __init__(self):
        super().__init__(_l("This record was already sent with different content. Check it and send it as a new one."))


class Closed(DomainError):
    """A submission refused because what it belongs to no longer takes changes (a closed quarter). The outbox keeps
    the item as "refused" with this message until the user corrects or deletes it: views.offline.refused answers
    HTTP 423 with {"status": "closed", "message"}."""


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (Decimal, uuid.UUID)):
        return str(value)
    if hasattr(value, "id"):  # a model instance
        return value.id
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in (sorted(value) if isinstance(value, set) else value)]
    return value


def fingerprint(data):
    """A stable digest of what was submitted, to tell an identical repeat from a changed one."""
    canonical = json.dumps({k: _plain(v) for k, v in data.items()}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def parse_uuid(text):
    """The UUID if ``text`` is a version-4 UUID in its usual form (any case), else None."""
    try:
        value = uuid.UUID(str(text))
    except (ValueError, TypeError, AttributeError):
        return None
    return value if value.version == 4 and str(value) == str(text).strip().lower() else None


def canonical_uuid(text):
    """The one form a client_uuid is stored and compared in (lower case, with dashes): "ABC..." and "abc..." sent
    by two tries of one phone are one submission. Text that is no UUID is returned as is (the form refuses it)."""
    value = parse_uuid(text)
    return str(value) if value is not None else text


def submit_once(model, client_uuid, data, create):
    """(record, created): ``create()`` makes the record (with client_uuid and client_fingerprint set
    from ``data``) unless ``client_uuid`` was seen; a repeat with other content raises Conflict.

    ``model`` has ``client_uuid`` (unique) and ``client_fingerprint`` fields.
    """
    digest = fingerprint(data)
    client_uuid = canonical_uuid(client_uuid)
    try:
        with db.atomic():  # a savepoint when nested, so PostgreSQL's transaction survives the conflict
            return create(client_uuid=client_uuid, client_fingerprint=digest), True
    except IntegrityError:
        existing = model.get_or_none(model.client_uuid == client_uuid)
        if existing is None:
            raise
        if existing.client_fingerprint != digest:
            raise Conflict() from None
        return existing, False
