"""All models of Kelisim; ALL_MODELS is what migrations must produce."""

from models.audit import AuditEvent
from models.auth import LoginFailure, User
from models.directory import District, School
from models.ratelimit import RateEvent

ALL_MODELS = [
    District,
    School,
    User,
    LoginFailure,
    AuditEvent,
    RateEvent,
]
