"""Reading real-world e-mail: pure functions, no database. `cases.services.inbound` decides
what a message becomes; this module says what it contains — who sent it, whether a machine
did, its text (HTML turned into text, quoted history trimmed for replies), its attachments
and inline images, and whom a forwarded message was originally from.

Mail is whatever clients produce, not what the RFCs say: any charset (or a wrong one), HTML
without a plain part, attribution lines wrapped over two lines, attachments named in RFC 2231
or RFC 2047, boundaries that never close. Nothing here raises on a bad message part; the
worst case is less text.
"""

import hashlib
import logging
import mimetypes
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from email.utils import collapse_rfc2231_value, getaddresses, parseaddr
from html.parser import HTMLParser

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

log = logging.getLogger(__name__)

MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
AUTOMATIC_SENDERS = re.compile(
    r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?)([@+._-]|$)", re.I
)
# Our own e-mails carry this line; everything from it on is the history we sent.
REPLY_MARKER = "##-"
# Where a reply's quoted history starts, one line (Gmail, Apple Mail, Outlook, Thunderbird;
# English, Spanish, Portuguese, French, German).
QUOTE_LINE = re.compile(
    r"^\s*(-{2,}\s*(Original Message|Mensaje original|Mensagem original|Message d'origine)\s*-{2,}"
    r"|_{20,}"
    r"|(From|De|Von):\s.+"
    r"|Begin forwarded message:|Inicio del mensaje reenviado:"
    r"|-{5,}\s*(Forwarded message|Mensaje reenviado|Mensagem encaminhada)\s*-{5,})\s*$",
    re.IGNORECASE,
)
# "On <date>, <someone> wrote:" — wrapped onto a second line by some clients.
ATTRIBUTION = re.compile(
    r"^[ \t>]*(On|El|Em|Le|Am|Il)\s[^\n]{0,250}(\n[^\n]{0,250})?"
    r"(wrote|escribió|escreveu|a écrit|schrieb|ha scritto)\s*:[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
MOBILE_FOOTER = re.compile(
    r"^\s*(Sent from my \S.*|Enviado desde mi \S.*|Enviado do meu \S.*|Get Outlook for \S+"
    r"|Obtener Outlook para \S+|Descargar Outlook para \S+|Sent from Mail for Windows"
    r"|Enviado desde Correo para Windows|Sent from Yahoo Mail.*|Enviado desde Yahoo Mail.*)\s*$",
    re.IGNORECASE,
)
FORWARD_START = re.compile(
    r"^\s*(-{3,}\s*(Forwarded message|Mensaje reenviado|Mensagem encaminhada|Original Message"
    r"|Mensaje original)\s*-{3,}|Begin forwarded message:|Inicio del mensaje reenviado:)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
FORWARD_FROM = re.compile(r"^\s*\*?(From|De|Von)\s*:\*?\s*(?P<value>.+?)\s*$", re.I | re.M)
# Something that looks like an address in a line of text (a forwarded block's From line).
ADDRESS_LIKE = re.compile(r"[^\s<>()\[\]\"',;:]+@[^\s<>()\[\]\"',;:]+")
FORWARD_SUBJECT = re.compile(r"^\s*((fwd?|rv|tr|wg|enc)\s*:\s*)+", re.IGNORECASE)
SIGNATURE_PARTS = {"application/pgp-signature", "application/pkcs7-signature"}
SIGNATURE_PARTS |= {"application/x-pkcs7-signature"}
# Control characters no text needs (tabs and line breaks stay): what broken encodings leave.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9.+-]*/[a-z0-9][a-z0-9.+-]*$")


def parse(raw: bytes, *, headers_only: bool = False) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw, headersonly=headers_only)


def header(message: MIMEPart, name: str) -> str:
    """A header as one line of text ('' when absent). One the parser refuses (an encoded
    line break in a display name, say) is decoded word by word instead."""
    try:
        value = str(message.get(name, "") or "")
    except Exception:  # noqa: BLE001 — fall back to the raw value
        value = _raw_header(message, name)
    return re.sub(r"[\r\n\u2028\u2029\x00]+", " ", unescape_bytes(value))


def unescape_bytes(text: str) -> str:
    """Raw 8-bit bytes in a header (no RFC 2047, as scripts and old clients send them) reach
    us as surrogate escapes: read them as UTF-8, else as Windows-1252."""
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    raw = text.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _raw_header(message: MIMEPart, name: str, *, decode: bool = True) -> str:
    for key, raw in message.raw_items():
        if key.lower() == name.lower():
            return _decode_words(str(raw)) if decode else str(raw)
    return ""


def _decode_words(value: str) -> str:
    try:
        return str(make_header(decode_header(value)))
    except Exception:  # noqa: BLE001 — undecodable words stay as they were
        return value


class UntrustedAddress(ValueError):
    """An address header that does not name one address beyond doubt: an encoded word where
    the address belongs, address syntax hidden inside an encoded word, a header two parsers
    read differently, two From headers. The message goes to quarantine with this reason."""


# An RFC 2047 encoded word, from "=?" to the "?=" that ends its text — as CPython's header
# parser takes one in, spaces and brackets between them included.
ENCODED_WORD = re.compile(r"=\?[^?]*\?[A-Za-z]\?.*?\?=", re.DOTALL)
# Inside an encoded word of an address header these are address syntax to a reader that does
# not decode (the receiving server, which checked the From domain) and plain text to one that
# does: no mail client writes them there, only someone playing the two readers off.
ADDRESS_SYNTAX = re.compile(r'[\s<>@,;:"\\()\[\]]')
# A structured header (its parser) for any address header, Return-Path included.
_ADDRESS_HEADER = "reply-to"
# Far beyond any real From or Reply-To; finding encoded words costs more with the length.
ADDRESS_HEADER_MAX = 8000


def _legacy_getaddresses(value: str) -> list[tuple[str, str]]:
    """email.utils.getaddresses, the same on every 3.11 release: the 3.11.10 security update
    made `strict=True` the default (it blanks some headers the older releases split)."""
    try:
        return getaddresses([value], strict=False)
    except TypeError:  # before 3.11.10: no `strict`, and this behaviour
        return getaddresses([value])


def _unfolded(value: str) -> str:
    return re.sub(r"[\r\n]+", " ", re.sub(r"\r?\n(?=[ \t])", "", value)).strip()


def _raw_values(message: EmailMessage, name: str) -> list[str]:
    return [str(raw) for key, raw in message.raw_items() if key.lower() == name.lower()]


def read_addresses(message: EmailMessage, name: str) -> list[tuple[str, str]]:
    """(display name, address) pairs of an address header, the address taken only from the
    header's own structure. The structure is read before any encoded word is decoded: each
    encoded word stands in as an opaque atom while two independent parsers (the header
    registry of policy.default and the older email.utils one) split the header, and the
    display names are decoded afterwards. Raises UntrustedAddress when an encoded word holds
    address syntax or takes the place of an address, when the parsers disagree, or when an
    address is not one mail can be sent to. Entries without an address are left out."""
    values = _raw_values(message, name)
    if not values:
        return []
    if len(values) > 1:
        raise UntrustedAddress(f"{len(values)} {name} headers")
    value = unescape_bytes(_unfolded(values[0]))
    if len(value) > ADDRESS_HEADER_MAX:
        raise UntrustedAddress(f"{name}: longer than {ADDRESS_HEADER_MAX} characters")
    words = ENCODED_WORD.findall(value)
    if any(ADDRESS_SYNTAX.search(word) for word in words):
        raise UntrustedAddress(f"{name}: address syntax inside an encoded word")
    nonce = f"pulsoew{uuid.uuid4().hex}"
    stand_ins = {f"{nonce}n{index}z": word for index, word in enumerate(words)}
    numbers = iter(range(len(words)))
    marked = ENCODED_WORD.sub(lambda _match: f"{nonce}n{next(numbers)}z", value)
    try:
        parsed = policy.default.header_factory(_ADDRESS_HEADER, marked)
        modern = [(a.display_name, a.addr_spec) for a in parsed.addresses]
    except Exception as error:  # noqa: BLE001 — a header the parser refuses is untrusted
        raise UntrustedAddress(f"{name}: unreadable ({error})"[:200]) from error
    legacy = _legacy_getaddresses(marked)
    for _display, address in modern + legacy:
        if nonce in address or "=?" in address:
            raise UntrustedAddress(f"{name}: an encoded word where the address belongs")
    if _distinct(modern) != _distinct(legacy):
        raise UntrustedAddress(f"{name}: the header reads as two different addresses")
    found = []
    for display, address in modern:
        if "@" not in address:
            continue
        if not _sendable(address):
            raise UntrustedAddress(f"{name}: not an address mail can go to: {address}"[:200])
        for stand_in, word in stand_ins.items():
            display = display.replace(stand_in, word)
        found.append((_decode_words(display) if words else display, address))
    return found


def _distinct(pairs: list[tuple[str, str]]) -> list[str]:
    return list(dict.fromkeys(address.lower() for _name, address in pairs if "@" in address))


def _sendable(address: str) -> bool:
    """A plain local@domain the desk can write to: no quoted local part, no domain literal,
    nothing Django's EmailField (the customer's address) would refuse."""
    if re.search(r'["\s<>\[\]\\\x00-\x1f\x7f]', address):
        return False
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def addresses(message: EmailMessage, name: str) -> list[tuple[str, str]]:
    """read_addresses for a header that decides nothing about whom to answer (Return-Path,
    to tell machine mail): an untrusted header simply has no addresses."""
    try:
        return read_addresses(message, name)
    except UntrustedAddress:
        return []


def message_ids(value) -> list[str]:
    return MESSAGE_ID.findall(str(value or ""))


def first_message_id(message: EmailMessage) -> str | None:
    ids = message_ids(header(message, "Message-ID"))
    return ids[0][:255] if ids else None


FINGERPRINT_DOMAIN = "pulso.invalid"


def fingerprint_id(raw: bytes) -> str:
    """Stands in for a missing Message-ID, so a message without one still counts once (and
    never goes out as a reference in the headers of our e-mails)."""
    return f"sha256-{hashlib.sha256(raw).hexdigest()}@{FINGERPRINT_DOMAIN}"


def references(message: EmailMessage) -> list[str]:
    """Message-IDs this message answers, the most direct first."""
    ids = message_ids(header(message, "In-Reply-To"))
    ids += reversed(message_ids(header(message, "References")))
    return list(dict.fromkeys(ids))


def sender(message: EmailMessage) -> tuple[str, str]:
    """(name, address) of whom an answer goes to: Reply-To, else From; ('', '') when neither
    names an address. Both headers must be trustworthy (UntrustedAddress otherwise), and From
    names one author. Line breaks in the name become spaces."""
    reply_to = read_addresses(message, "Reply-To")
    authors = read_addresses(message, "From")
    if len(_distinct(authors)) > 1:
        raise UntrustedAddress("From: more than one address")
    for display, address in reply_to + authors:
        display = re.sub(r"[\r\n\u2028\u2029\x00]+", " ", display or "")
        return " ".join(display.split())[:150], address.lower()
    return "", ""


def sender_text(message: EmailMessage) -> str:
    """Who sent it, to show: the address, or the raw From header when it names none that
    can be trusted (encoded words left as they came)."""
    try:
        address = sender(message)[1]
    except UntrustedAddress:
        address = ""
    values = _raw_values(message, "From")
    return address or unescape_bytes(_unfolded(values[0] if values else ""))


def automatic_reason(message: EmailMessage) -> str:
    """Why this is machine mail that must never open a case or get an answer ('' if not):
    RFC 3834 Auto-Submitted, Precedence, the vendors' auto-reply headers, delivery reports,
    mailing lists, mailer daemons."""
    auto_submitted = header(message, "Auto-Submitted").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"[:200]
    precedence = header(message, "Precedence").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress", "List-Id"):
        if message.get(name) and not (
            name == "X-Auto-Response-Suppress"
            and not {"oof", "autoreply", "all"}
            & set(re.split(r"[\s,]+", header(message, name).lower()))
        ):
            return f"{name} header"
    if header(message, "X-Autoreply") or header(message, "X-Mail-Autoreply"):
        return "X-Autoreply header"
    if message.get_content_type() == "multipart/report":
        return "delivery report"
    for name in ("Return-Path", "From"):
        for _name, address in addresses(message, name):
            if AUTOMATIC_SENDERS.match(address or ""):
                return f"automatic sender {address}"[:200]
    if header(message, "Return-Path").strip() == "<>":
        return "empty Return-Path (a bounce)"
    return ""


# --- text ------------------------------------------------------------------------------------


def _decoded_text(part: MIMEPart) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError, AssertionError):  # unknown or lying charset
        payload = _decoded_payload(part)
        content = payload.decode("utf-8", errors="replace")
    if isinstance(content, bytes):
        content = content.decode("utf-8", errors="replace")
    return content if isinstance(content, str) else ""


def _decoded_payload(part: MIMEPart) -> bytes:
    """A leaf part's content, transfer encoding undone (b"" for none, or a multipart)."""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _param(part: MIMEPart, name: str) -> str:
    """A Content-Type parameter ('' when absent). The parser's policy has decoded RFC 2231
    values already; the legacy API would give them as (charset, language, value)."""
    value = part.get_param(name, "")
    return value if isinstance(value, str) else collapse_rfc2231_value(value)


def _body_part(message: MIMEPart) -> MIMEPart | None:
    try:
        return message.get_body(preferencelist=("plain", "html"))
    except Exception:  # noqa: BLE001 — a broken structure has no body we can find
        return None


def _text_of(part: MIMEPart | None, *, trim: bool) -> str:
    if part is None:
        return ""
    content = _decoded_text(part)
    if part.get_content_type() == "text/html":
        content = html_to_text(content, trim=trim)
    elif _param(part, "format").lower() == "flowed":
        content = unflow(content, delsp=_param(part, "delsp").lower() == "yes")
    text = content.replace("\r\n", "\n").replace("\r", "\n")
    return CONTROL_CHARACTERS.sub("", text).strip()


def unflow(text: str, *, delsp: bool = False) -> str:
    """RFC 3676 format=flowed: a line ending in a space continues on the next one."""
    lines: list[str] = []
    joining = False
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.startswith(" "):  # space-stuffed
            line = line[1:]
        flowed = line.endswith(" ") and line != "-- "
        if flowed and delsp:
            line = line[:-1]
        if joining and lines:
            lines[-1] += line
        else:
            lines.append(line)
        joining = flowed
    return "\n".join(lines)


class _HTMLText(HTMLParser):
    """HTML mail as text: blocks become lines, lists get dashes, links keep their address;
    scripts, styles and (for replies) the quoted history are left out."""

    BLOCKS = {
        "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
        "table", "ul", "ol", "pre", "hr", "section", "article", "header", "footer",
    }  # fmt: skip
    SKIP = {"script", "style", "head", "title", "template", "noscript", "xml"}
    QUOTE_CLASSES = {"gmail_quote", "gmail_extra", "yahoo_quoted", "moz-cite-prefix"}
    QUOTE_IDS = {
        "divrplyfwdmsg", "x_divrplyfwdmsg", "appendonsend", "x_appendonsend",
        "mail-editor-reference-message-container", "reply-intro", "isforwardcontent",
    }  # fmt: skip

    def __init__(self, *, trim: bool):
        super().__init__(convert_charrefs=True)
        self.trim = trim
        self.parts: list[str] = []
        self.skipping = 0
        self.stopped = False
        self.links: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        if self.stopped:
            return
        attributes = {name: (value or "") for name, value in attrs}
        if self.trim and self._starts_quote(tag, attributes):
            self.stopped = True
            return
        if tag in self.SKIP:
            self.skipping += 1
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag == "a":
            href = attributes.get("href", "").strip()
            self.links.append(href if re.match(r"^(https?|mailto):", href, re.I) else None)
            self.link_start = len(self.parts)
        elif tag == "img" and attributes.get("alt", "").strip():
            self.parts.append(f"[{attributes['alt'].strip()}]")

    def _starts_quote(self, tag, attributes) -> bool:
        classes = set(attributes.get("class", "").lower().split())
        if classes & self.QUOTE_CLASSES:
            return True
        if attributes.get("id", "").lower() in self.QUOTE_IDS:
            return True
        return tag == "blockquote" and attributes.get("type", "").lower() == "cite"

    def handle_endtag(self, tag):
        if self.stopped:
            return
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1
        elif tag in self.BLOCKS and tag != "li":
            self.parts.append("\n")
        elif tag == "a" and self.links:
            href = self.links.pop()
            text = "".join(self.parts[getattr(self, "link_start", len(self.parts)) :])
            address = href.split(":", 1)[1] if href and href.lower().startswith("mailto:") else href
            if href and address and address not in text:
                self.parts.append(f" ({address})")

    def handle_data(self, data):
        if not self.skipping and not self.stopped:
            self.parts.append(data)


def html_to_text(html: str, *, trim: bool = False) -> str:
    """Text of an HTML mail. Nothing of the sender's markup survives: the desk shows text,
    escaped, so a message can carry no script or tracking pixel into a page."""
    parser = _HTMLText(trim=trim)
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001, S110 — keep what was read before the markup broke
        pass
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def drop_mobile_footer(text: str) -> str:
    lines = text.rstrip().split("\n")
    while lines and (MOBILE_FOOTER.match(lines[-1]) or not lines[-1].strip()):
        lines.pop()
    return "\n".join(lines).strip()


def cut_at_marker(text: str) -> str:
    """Everything before our own 'reply above this line' marker."""
    for index, line in enumerate(text.split("\n")):
        if REPLY_MARKER in line:
            return "\n".join(text.split("\n")[:index]).strip()
    return text


def trim_quoted(text: str) -> str:
    """The new part of a reply: up to where the quoted history or the signature starts.
    Nothing new (a bare forward, a reply typed inside the quote): everything is kept."""
    original = text.strip()
    text = cut_at_marker(text)
    match = ATTRIBUTION.search(text)
    if match:
        text = text[: match.start()]
    kept = []
    for line in text.split("\n"):
        if QUOTE_LINE.match(line) or line.rstrip() == "--":
            break
        kept.append(line)
    while kept and (kept[-1].lstrip().startswith(">") or not kept[-1].strip()):
        kept.pop()
    new = drop_mobile_footer("\n".join(kept))
    return new or original


# --- attachments -----------------------------------------------------------------------------


@dataclass
class MailFile:
    filename: str
    content_type: str
    content: bytes
    inline: bool = False
    content_id: str = ""


@dataclass
class MailContent:
    """What a message says and carries."""

    text: str  # the whole text (forwarded messages included, our history cut off)
    reply_text: str  # the new part only, for a message added to an existing ticket
    files: list[MailFile] = field(default_factory=list)
    forwarded: list[EmailMessage] = field(default_factory=list)


def clean_filename(name: str, content_type: str, index: int) -> str:
    """A file name fit to show and to offer as a download name: no directories, no control
    or line-breaking characters, no leading dots, at most 200 characters with the extension
    kept. Markup in it stays text (templates escape it)."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Line breaks and controls become spaces; invisible format characters (a right-to-left
    # override that turns "fdp.exe" around) go.
    name = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
        for ch in name
        if unicodedata.category(ch) not in ("Cf", "Co", "Cs", "Cn")
    )
    name = " ".join(name.split()).lstrip(". ")
    if not name:
        extension = mimetypes.guess_extension(content_type) or ""
        name = f"attachment-{index}{extension}"
    if len(name) > 200:
        stem, dot, extension = name.rpartition(".")
        name = (
            f"{stem[: 199 - len(extension)]}.{extension}" if dot and len(extension) < 20 else name
        )
        name = name[:200]
    return name


def _content_type(part: MIMEPart) -> str:
    value = part.get_content_type().lower()
    fits = len(value) <= 100 and CONTENT_TYPE.match(value)
    return value if fits else "application/octet-stream"


def _filename(part: MIMEPart) -> str:
    try:
        return part.get_filename() or ""
    except Exception:  # noqa: BLE001 — an unreadable name gets a generated one
        return ""


def _is_text_body(part: MIMEPart) -> bool:
    return (
        part.get_content_type() in ("text/plain", "text/html")
        and not _filename(part)
        and part.get_content_disposition() != "attachment"
    )


def _collect(
    part: MIMEPart, body: MIMEPart | None, files: list[MailFile], forwarded: list[EmailMessage]
) -> None:
    """Every file in the message tree, and the messages forwarded as attachments. A part too
    broken to read costs that part, not the message."""
    try:
        _collect_part(part, body, files, forwarded)
    except Exception:  # noqa: BLE001
        log.warning("An unreadable MIME part was skipped", exc_info=True)


def _collect_part(
    part: MIMEPart, body: MIMEPart | None, files: list[MailFile], forwarded: list[EmailMessage]
) -> None:
    content_type = part.get_content_type()
    if content_type == "message/rfc822":
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        if isinstance(inner, EmailMessage):
            forwarded.append(inner)
            subject = header(inner, "Subject") or "message"
            files.append(
                MailFile(
                    filename=_filename(part) or f"{subject[:80]}.eml",
                    content_type="message/rfc822",
                    content=inner.as_bytes(policy=policy.SMTP),
                )
            )
        return
    if part.is_multipart():
        for sub in part.iter_parts():
            _collect(sub, body, files, forwarded)
        return
    if part is body or content_type in SIGNATURE_PARTS:
        return
    if _is_text_body(part):  # the body's alternative (HTML of a plain body, or the reverse)
        return
    content = _decoded_payload(part)
    disposition = part.get_content_disposition()
    content_id = "".join(message_ids(header(part, "Content-ID"))) or header(part, "Content-ID")
    inline = content_type.startswith("image/") and (
        disposition == "inline" or (disposition is None and bool(content_id))
    )
    files.append(
        MailFile(
            filename=_filename(part),
            content_type=_content_type(part),
            content=content,
            inline=inline,
            content_id=content_id.strip("<> ")[:255],
        )
    )


def read_content(message: EmailMessage) -> MailContent:
    body = _body_part(message)
    files: list[MailFile] = []
    forwarded: list[EmailMessage] = []
    _collect(message, body, files, forwarded)
    text = drop_mobile_footer(cut_at_marker(_text_of(body, trim=False)))
    reply_text = trim_quoted(_text_of(body, trim=True))
    for inner in forwarded:  # forwarded as an attachment: its text belongs to the case
        inner_text = _text_of(_body_part(inner), trim=False)
        if inner_text:
            text += (
                f"\n\n---------- Forwarded message ----------\nFrom: {_who(inner)}\n"
                f"Subject: {header(inner, 'Subject')}\n\n{inner_text}"
            )
    for index, mail_file in enumerate(files, start=1):
        mail_file.filename = clean_filename(mail_file.filename, mail_file.content_type, index)
    return MailContent(text=text.strip(), reply_text=reply_text, files=files, forwarded=forwarded)


def is_forward(subject: str, text: str) -> bool:
    return bool(FORWARD_SUBJECT.match(subject or "") or FORWARD_START.search(text or ""))


def forwarded_sender(content: MailContent) -> tuple[str, str]:
    """Whom a forwarded message was originally from: the attached message's sender, or the
    first `From:` line of the forwarded block in the text. ('', '') when there is none.
    UntrustedAddress when the attached message's headers are, or when the From line names
    more than one address (its client wrote a hostile display name out decoded: "Evil
    <victim@…> <real@…>")."""
    for inner in content.forwarded:
        name, address = sender(inner)
        if address:
            return name, address
    start = FORWARD_START.search(content.text)
    if start is None:
        return "", ""
    block = content.text[start.end() : start.end() + 2000]
    found = FORWARD_FROM.search(block)
    if not found:
        return "", ""
    value = found.group("value").replace("[mailto:", "<").replace("]", ">")
    named = list(dict.fromkeys(a.lower() for a in ADDRESS_LIKE.findall(value)))
    if len(named) > 1:
        raise UntrustedAddress("forwarded message: its From line names more than one address")
    name, address = parseaddr(value)
    address = address.strip().lower()
    if [address] != named or not _sendable(address):
        return "", ""
    return " ".join(name.strip(" \"'*").split())[:150], address


def _who(message: EmailMessage) -> str:
    """'Name <address>' of a forwarded message's sender, for the text; its raw From header
    when that names nobody beyond doubt."""
    try:
        name, address = sender(message)
    except UntrustedAddress:
        return sender_text(message)
    return f"{name} <{address}>" if address else sender_text(message)


def strip_forward_prefix(subject: str) -> str:
    return FORWARD_SUBJECT.sub("", subject or "").strip()
