"""The process log: a refused request is one line, a crash keeps its traceback."""

import io
import logging

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.utils.log import log_response

from config.log_filters import ClientErrorsWithoutTraceback


def logged(status: int) -> str:
    """What the console handler writes for a request Django logs with its exception."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ClientErrorsWithoutTraceback())
    # A logger of its own, outside the registry: nothing another test or library configures
    # (levels, disabled loggers) reaches it.
    logger = logging.Logger("pulso.test.request", level=logging.DEBUG)
    logger.addHandler(handler)
    disabled_below = logging.root.manager.disable  # pytest's caplog may have set it
    logging.disable(logging.NOTSET)
    try:
        response = type("Response", (), {"status_code": status})()
        try:
            raise PermissionDenied("no")
        except PermissionDenied as error:
            log_response(
                "Refused: %s",
                "/tickets/1/",
                response=response,
                request=RequestFactory().get("/tickets/1/"),
                logger=logger,
                level="error" if status >= 500 else "warning",
                exception=error,
            )
    finally:
        logging.disable(disabled_below)
        logger.removeHandler(handler)
    return stream.getvalue()


@pytest.mark.parametrize("status", [403, 404, 413])
def test_a_refused_request_is_one_line_without_a_traceback(status):
    assert logged(status) == "Refused: /tickets/1/\n"


def test_a_server_error_keeps_its_traceback():
    text = logged(500)
    assert text.startswith("Refused: /tickets/1/\n")
    assert "Traceback (most recent call last)" in text
