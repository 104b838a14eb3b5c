"""Service functions: every state change a user can cause, in one place.

The bot's handlers and `duban simulate` call these, never the models directly. Each function
checks that the actor may do what it asks (PermissionDenied otherwise, audited), changes the
Period/Report/Extension state, writes the audit log and enqueues the event notification.
`now` is an aware datetime; local dates are taken in `tz` (default: now's own zone), so pass
`now` in the configured time zone.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A request that cannot be carried out; the message is shown to the user.

    Services tag it with actor/action/subject (audit.refused) so the caller can audit it."""

    actor: str = ""
    action: str = ""
    subject: str = ""


class PermissionDenied(ServiceError):
    pass


class NotFound(ServiceError):
    pass
