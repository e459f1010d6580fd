"""Filters for the process log."""

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """A refused request (403, 404, 413 …) is one line in the log, not a traceback: Django
    logs those with the exception attached, and a log full of tracebacks that are not crashes
    hides the ones that are. Server errors (5xx) keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
