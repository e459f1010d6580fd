"""E-mails as a template triple: templates/emails/<name>-subject.txt, -body.txt, -body.html."""

import re
import smtplib
import socket
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

# CR, LF and the Unicode line/paragraph separators must never reach a header.
_HEADER_BREAKS = re.compile(r"[\r\n\u2028\u2029\x00\x0b\x0c\x85]+")


def header_safe(text: str) -> str:
    return _HEADER_BREAKS.sub(" ", text).strip()


def send_templated_email(
    *,
    name: str,
    to: str,
    context: dict,
    language: str,
    headers=None,
    from_email: str | None = None,
    reply_to: list[str] | None = None,
    attachments: Sequence[tuple[str, bytes, str]] = (),
    cc: Sequence[str] = (),
):
    """Render the triple in `language` and send it, with `attachments` (file name, bytes,
    content type). Raises what the mail backend raises."""
    with translation.override(language):
        context = {"site_url": settings.SITE_URL, "site_name": settings.SITE_NAME, **context}
        subject = header_safe(render_to_string(f"emails/{name}-subject.txt", context))
        text = render_to_string(f"emails/{name}-body.txt", context)
        html = render_to_string(f"emails/{name}-body.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[to],
        cc=list(cc),
        # Which of our e-mails this is: for mail filters, support staff and tests.
        headers={"X-Pulso-Mail": name, **(headers or {})},
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        reply_to=reply_to,
    )
    message.attach_alternative(html, "text/html")
    for filename, content, content_type in attachments:
        message.attach(header_safe(filename), content, content_type)
    message.send()
    return message


# Worth another try later: the server or the network hiccupped. Never `OSError` as a whole:
# smtplib's permanent errors subclass it too.
TRANSIENT_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    socket.timeout,
    TimeoutError,
    ConnectionError,
)
MAX_ATTEMPTS = 8


def is_transient(error: Exception) -> bool:
    """SMTP 4xx and connection trouble are transient; 5xx, bad headers and the rest are not."""
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _msg in error.recipients.values())
    return isinstance(error, TRANSIENT_ERRORS)


def retry_delay(attempts: int) -> timedelta:
    """Back-off before the next try: 1 min, 2, 4 … capped at 32 min."""
    return timedelta(seconds=30 * 2 ** min(attempts, 6))


def describe_error(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:1000]
