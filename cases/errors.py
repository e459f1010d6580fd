"""Domain errors raised by the services. Views and the API translate them to messages / 4xx."""


class CasesError(Exception):
    """Base class: the requested change was refused and nothing was written."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class TransitionError(CasesError):
    """The lifecycle does not allow this action in the ticket's current status."""

    def __init__(self, message: str, *, status: str):
        super().__init__(message)
        self.status = status


class ConflictError(CasesError):
    """Someone else changed the ticket since the caller looked at it."""

    def __init__(self, message: str, *, status: str):
        super().__init__(message)
        self.status = status


class ValidationError(CasesError):
    """The input is not acceptable (empty reason, inactive agent, level above 3 …)."""


class PermissionDenied(CasesError):
    """The acting user may not do this to this ticket."""
