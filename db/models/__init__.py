"""All tables. Import from here: `from db.models import Task, Assignment`."""

from db.models.audit import AuditLog
from db.models.base import Base
from db.models.callbacks import CallbackToken
from db.models.contacts import Contact, Invite, ReceivedMessage
from db.models.meta import Meta
from db.models.outbox import Digest, OutboxItem, SentMessage
from db.models.periods import Period
from db.models.reports import Completion, Evidence, Extension, Report
from db.models.tasks import Assignment, Designation, ImportRun, Target, Task
from db.models.units import Group, GroupMember, Unit, UnitAlias

__all__ = [
    "Assignment",
    "AuditLog",
    "Base",
    "CallbackToken",
    "Completion",
    "Contact",
    "Designation",
    "Digest",
    "Evidence",
    "Extension",
    "Group",
    "GroupMember",
    "ImportRun",
    "Invite",
    "Meta",
    "OutboxItem",
    "Period",
    "ReceivedMessage",
    "Report",
    "SentMessage",
    "Target",
    "Task",
    "Unit",
    "UnitAlias",
]
