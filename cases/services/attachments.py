"""Files agents attach to their replies and notes, and files customers upload on the portal
(a new case, a reply: `check_customer_files`, bounded like the files of their e-mails).

An agent's files are bounded like the files customers send (`REPLY_ATTACHMENT_MAX_BYTES`
each, `REPLY_ATTACHMENTS_MAX` per message, `REPLY_ATTACHMENTS_TOTAL_MAX_BYTES` together, so
that a public reply's e-mail stays small enough for the customer's mail server); a customer's
uploads by the inbound e-mail limits. All are stored like the files of e-mails:
under a random name (`models.attachment_path`), with the size and SHA-256 of what was stored
and a type the desk guessed itself — from the bytes for the images a page may show, from the
name otherwise, never from what the uploader's browser declared. Served by the same views
(cases/views/attachments.py), which check the bytes again before showing anything inline.

A file is written to storage inside the reply's transaction; if that transaction does not
commit (a refusal, a conflict, a failed commit), `files_forgotten_on_rollback` deletes what
was written, so a refused reply leaves no file behind.
"""

import hashlib
import logging
import mimetypes
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..errors import ValidationError
from ..mailparse import CONTENT_TYPE, clean_filename
from ..models import IMAGE_SIGNATURES, Attachment, Reply

if TYPE_CHECKING:  # django-stubs makes File generic; at run time it is a plain class
    Upload = File[bytes]
else:
    Upload = File

log = logging.getLogger(__name__)

FIELD = "files"  # the input that carries them, in the reply form and the API
UNKNOWN_TYPE = "application/octet-stream"

# The names written by the outermost `files_forgotten_on_rollback` block of this context.
_written: ContextVar[list[str] | None] = ContextVar("attachment_files_written", default=None)


@dataclass(frozen=True)
class EmailFile:
    """One file as an e-mail carries it."""

    filename: str
    content: bytes
    content_type: str


# --- checking ---------------------------------------------------------------------------------


def _size(upload: Upload) -> int:
    return int(upload.size or 0)


def display_name(upload: Upload, index: int) -> str:
    """The name the desk shows and offers for download: the uploader's, cleaned."""
    return clean_filename(upload.name or "", UNKNOWN_TYPE, index)


def check_reply_files(files: Sequence[Upload]) -> None:
    """Refuse, naming the file, what the desk will not keep or send with an agent's message:
    more files than `REPLY_ATTACHMENTS_MAX`, an empty file, one over
    `REPLY_ATTACHMENT_MAX_BYTES`, all of them together over `REPLY_ATTACHMENTS_TOTAL_MAX_BYTES`.
    Writes nothing."""
    _check_files(
        files,
        count_max=settings.REPLY_ATTACHMENTS_MAX,
        each_max=settings.REPLY_ATTACHMENT_MAX_BYTES,
        total_max=settings.REPLY_ATTACHMENTS_TOTAL_MAX_BYTES,
    )


def check_customer_files(files: Sequence[Upload]) -> None:
    """Refuse what the desk would not keep from a customer's e-mail, for the files a customer
    uploads on the portal (a new case, a reply): more than `INBOUND_ATTACHMENTS_MAX`, an
    empty one, one over `INBOUND_ATTACHMENT_MAX_BYTES`, all together over
    `INBOUND_EMAIL_MAX_BYTES` (an e-mail larger than that is refused whole). Writes nothing."""
    _check_files(
        files,
        count_max=settings.INBOUND_ATTACHMENTS_MAX,
        each_max=settings.INBOUND_ATTACHMENT_MAX_BYTES,
        total_max=settings.INBOUND_EMAIL_MAX_BYTES,
    )


def _check_files(files: Sequence[Upload], *, count_max: int, each_max: int, total_max: int) -> None:
    if len(files) > count_max:
        raise ValidationError(
            ngettext(
                "At most %(count)d file goes with one message; you attached %(given)d.",
                "At most %(count)d files go with one message; you attached %(given)d.",
                count_max,
            )
            % {"count": count_max, "given": len(files)},
            field=FIELD,
        )
    for index, upload in enumerate(files, start=1):
        size = _size(upload)
        if size == 0:
            raise ValidationError(
                _("%(name)s is empty.") % {"name": display_name(upload, index)}, field=FIELD
            )
        if size > each_max:
            raise ValidationError(
                _("%(name)s is larger than %(limit)s.")
                % {"name": display_name(upload, index), "limit": filesizeformat(each_max)},
                field=FIELD,
            )
    total = sum(_size(upload) for upload in files)
    if total > total_max:
        raise ValidationError(
            _("The files take %(total)s together; one message carries at most %(limit)s.")
            % {"total": filesizeformat(total), "limit": filesizeformat(total_max)},
            field=FIELD,
        )


def guess_content_type(name: str, head: bytes) -> str:
    """What a file is: a PNG, JPEG, GIF or WebP image when its first bytes say so; otherwise
    what its name's extension says, never one of those image types (the bytes said no); and
    `application/octet-stream` when nothing says anything."""
    for content_type, signatures in IMAGE_SIGNATURES.items():
        if content_type == "image/webp":
            if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
                return content_type
        elif head.startswith(signatures):
            return content_type
    guessed, encoding = mimetypes.guess_type(name, strict=False)
    if (
        not guessed
        or encoding  # "x.tar.gz" is gzip bytes, whatever the tar inside
        or guessed in IMAGE_SIGNATURES
        or len(guessed) > 100
        or not CONTENT_TYPE.match(guessed)
    ):
        return UNKNOWN_TYPE
    return guessed


# --- storing ----------------------------------------------------------------------------------


@contextmanager
def files_forgotten_on_rollback() -> Iterator[None]:
    """Around a service that stores files, outside its transaction: when an exception leaves
    the block — the service refused, the commit failed — the transaction has rolled back and
    the files stored inside are deleted. Nested blocks (a macro's reply) share the outermost.

    Precondition: the block is the outermost transaction. Inside a caller's own transaction
    that later rolls back, the files would stay on disk unreferenced; the web and API paths
    call the services outside any transaction."""
    if _written.get() is not None:
        yield
        return
    written: list[str] = []
    token = _written.set(written)
    try:
        yield
    except BaseException:
        forget_files(written)
        raise
    finally:
        _written.reset(token)


def forget_files(names: Sequence[str]) -> None:
    """Delete files whose rows were never committed."""
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            log.warning("Could not delete the orphaned attachment file %s", name)


def _head(upload: Upload) -> bytes:
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    return bytes(head)


def store_reply_files(*, reply: Reply, files: Sequence[Upload]) -> list[Attachment]:
    """Attach `files` to `reply`. Precondition: inside the reply's transaction and inside
    `files_forgotten_on_rollback`, the files checked (`check_reply_files` or
    `check_customer_files`)."""
    return store_files(ticket_id=reply.ticket_id, reply=reply, files=files, at=reply.created_at)


def store_files(
    *, ticket_id: int, reply: Reply | None, files: Sequence[Upload], at: datetime
) -> list[Attachment]:
    """Attach `files` to `reply`, or to the message that opened the ticket (`reply` None).
    Preconditions as for `store_reply_files`."""
    written = _written.get()
    assert written is not None, "inside files_forgotten_on_rollback()"
    stored = []
    for index, upload in enumerate(files, start=1):
        content_type = guess_content_type(upload.name or "", _head(upload))
        digest = hashlib.sha256()
        size = 0
        for chunk in upload.chunks():
            digest.update(chunk)
            size += len(chunk)
        attachment = Attachment(
            ticket_id=ticket_id,
            reply=reply,
            filename=clean_filename(upload.name or "", content_type, index),
            content_type=content_type,
            size=size,
            sha256=digest.hexdigest(),
            created_at=at,
        )
        # The storage name is random (attachment_path); the uploader's name is only shown.
        attachment.file.save(attachment.filename, upload, save=False)
        assert attachment.file.name is not None, "save() named it"
        written.append(attachment.file.name)
        attachment.save()
        stored.append(attachment)
    return stored


# --- sending ----------------------------------------------------------------------------------


def email_files(reply: Reply | None) -> list[EmailFile]:
    """The files a public reply's e-mail to the customer carries (none for a note)."""
    if reply is None or not reply.public:
        return []
    files = []
    for attachment in reply.attachments.order_by("created_at", "id"):
        with attachment.file.open("rb") as handle:
            content = handle.read()
        files.append(EmailFile(attachment.filename, content, attachment.content_type))
    return files
