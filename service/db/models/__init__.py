"""All tables; import from here so that every mapper is configured."""

from service.db.models.audit import AuditChain, Checkpoint
from service.db.models.conversations import Attachment, AttachmentBlob, Comment
from service.db.models.dashboard import (
    DashboardAgency,
    DashboardFigure,
    DashboardPart,
    DashboardRefresh,
)
from service.db.models.directory import (
    Agency,
    AgencySuccessor,
    Delegation,
    RecoveryCode,
    RoleBinding,
    ScheduledReorganisation,
    User,
    UserRole,
)
from service.db.models.documents import Document, Register, RenderJob
from service.db.models.drafts import TaskDraft
from service.db.models.idempotency import IdempotencyKey
from service.db.models.incidents import Incident
from service.db.models.processes import (
    Event,
    FanoutJob,
    Notification,
    NotificationRead,
    ProcessDefinition,
    ProcessInstance,
    ReportRound,
    Task,
)
from service.db.models.security import LoginSession, SecurityEvent

__all__ = [
    "Agency",
    "Attachment",
    "AttachmentBlob",
    "AgencySuccessor",
    "AuditChain",
    "Checkpoint",
    "Comment",
    "DashboardAgency",
    "DashboardFigure",
    "DashboardPart",
    "DashboardRefresh",
    "Delegation",
    "Document",
    "Event",
    "FanoutJob",
    "IdempotencyKey",
    "Incident",
    "LoginSession",
    "Notification",
    "NotificationRead",
    "ProcessDefinition",
    "ProcessInstance",
    "RecoveryCode",
    "Register",
    "RenderJob",
    "ReportRound",
    "RoleBinding",
    "ScheduledReorganisation",
    "SecurityEvent",
    "Task",
    "TaskDraft",
    "User",
    "UserRole",
]
