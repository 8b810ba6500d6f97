"""All models of Kelisim; ALL_MODELS is what migrations must produce."""

from models.audit import AuditEvent
from models.auth import LoginFailure, User
from models.directory import District, School

ALL_MODELS = [
    District,
    School,
    User,
    LoginFailure,
    AuditEvent,
]
