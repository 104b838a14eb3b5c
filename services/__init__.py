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

    def __init__(self, message: str, *, code: str = "", **params: object) -> None:
        super().__init__(message)
        # `code` picks the user's-language text in messages/<locale>/service_errors.j2;
        # str(exc) stays English for logs, the CLI and the audit log.
        self.code = code
        self.params = params


class PermissionDenied(ServiceError):
    pass


class NotFound(ServiceError):
    pass
