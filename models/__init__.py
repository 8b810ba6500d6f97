"""All models of Kelisim; ALL_MODELS is what migrations must produce."""

from models.audit import AuditEvent
from models.auth import LoginFailure, User, UserSession
from models.directory import District, School
from models.materials import FileBlob, Material, MaterialVersion
from models.monitoring import MonitoringReport, MonitoringSettings
from models.offline import OutboxImport, OutboxImportItem
from models.outreach import OutreachActivity, ParentConfirmation, ParentLink
from models.ratelimit import RateEvent
from models.setup import SchoolSetup, SetupDeadline
from models.surveys import CaseSurvey, SurveyRevision
from models.training import Attendance, Certificate, CertificatePdf, EventDay, Registration, TrainingEvent

ALL_MODELS = [
    District,
    School,
    User,
    LoginFailure,
    UserSession,
    AuditEvent,
    RateEvent,
    OutreachActivity,
    ParentLink,
    ParentConfirmation,
    SchoolSetup,
    SetupDeadline,
    CaseSurvey,
    SurveyRevision,
    TrainingEvent,
    EventDay,
    Registration,
    Attendance,
    Certificate,
    CertificatePdf,
    FileBlob,
    Material,
    MaterialVersion,
    MonitoringSettings,
    MonitoringReport,
    OutboxImport,
    OutboxImportItem,
]
