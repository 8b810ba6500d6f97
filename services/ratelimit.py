"""Rate limits per (bucket, key) over a sliding window, kept in the database (no Redis needed).

Keys for addresses are hashed, so no address is stored in the clear.
"""

import hashlib
from datetime import datetime, timedelta

from models.ratelimit import RateEvent


def address_key(address, salt=""):
    return hashlib.sha256(f"{salt}:{address}".encode()).hexdigest()[:32]


def allow(bucket, key, limit, window_seconds, now=None):
    """Count one event and return True, or return False when ``limit`` events already fall in the window."""
    now = now or datetime.utcnow()
    since = now - timedelta(seconds=window_seconds)
    recent = RateEvent.select().where(RateEvent.bucket == bucket, RateEvent.key == key, RateEvent.at > since)
    if recent.count() >= limit:
        return False
    RateEvent.create(bucket=bucket, key=key, at=now)
    # Forget what no window can need any more (cheap: the index covers it).
    RateEvent.delete().where(RateEvent.bucket == bucket, RateEvent.key == key, RateEvent.at <= since).execute()
    return True
