"""Reading mail (cases/mailparse.py): the new text of a reply however its client quotes, HTML
as readable text, file names fit to show, machine mail told apart from people's."""

from base64 import b64encode

import pytest

from cases import mailparse
from cases.mailparse import clean_filename, html_to_text, trim_quoted, unflow


@pytest.mark.parametrize(
    "text",
    [
        # Gmail wraps a long attribution line over two lines
        "Listo, gracias.\n\nOn Mon, Mar 3, 2025 at 10:15 AM Soporte Pulso <\n"
        "soporte@pulso.example> wrote:\n> old text",
        # Outlook plain text: a line of underscores, then the header block
        "Listo, gracias.\n\n________________________________\nFrom: Soporte\nSent: Monday\n> old",
        # Spanish Outlook, no underscores
        "Listo, gracias.\n-----Mensaje original-----\nDe: Soporte\nold text",
        # iOS: the attribution is itself quoted
        "Listo, gracias.\n\nEnviado desde mi iPhone\n\n> El 4 mar 2025, a las 9:02, Soporte "
        "<s@p.example> escribió:\n> old text",
        # our own marker
        "Listo, gracias.\n##- Escribe tu respuesta encima de esta línea -##\nHola Lucía",
        # a signature
        "Listo, gracias.\n-- \nLucía Torres\nTel. 555 0101",
        # Portuguese and French clients
        "Listo, gracias.\n\nEm seg., 3 de mar. de 2025, Suporte escreveu:\n> antigo",
        "Listo, gracias.\n\nLe lun. 3 mars 2025, Support a écrit :\n> ancien",
    ],
    ids=["gmail-wrapped", "outlook", "outlook-es", "iphone", "marker", "signature", "pt", "fr"],
)
def test_a_reply_keeps_only_its_new_text(text):
    assert trim_quoted(text) == "Listo, gracias."


def test_a_reply_written_inside_the_quote_is_kept_whole():
    assert trim_quoted("> quoted\n> more") == "> quoted\n> more"


@pytest.mark.parametrize(
    "html",
    [
        '<div>New words.</div><div class="gmail_quote"><div>On Mon wrote:</div>'
        "<blockquote>old</blockquote></div>",
        '<p>New words.</p><blockquote type="cite">old</blockquote>',
        '<p>New words.</p><hr><div id="divRplyFwdMsg"><b>From:</b> Soporte</div><p>old</p>',
        '<p>New words.</p><div id="appendonsend"></div><hr><p>From: old</p>',
        '<p>New words.</p><div class="yahoo_quoted">old</div>',
    ],
    ids=["gmail", "apple/thunderbird", "outlook", "outlook.com", "yahoo"],
)
def test_html_replies_are_cut_where_each_client_starts_its_quote(html):
    assert html_to_text(html, trim=True) == "New words."
    assert "old" in html_to_text(html)  # a new case keeps everything


def test_html_becomes_text_with_lines_lists_and_link_addresses():
    html = (
        "<style>p{}</style><p>Hola&nbsp;equipo,</p><ul><li>uno</li><li>dos</li></ul>"
        '<p>Ver <a href="https://example.com/f/1">la factura</a> o '
        '<a href="mailto:pagos@example.com">pagos@example.com</a>.</p>'
        '<a href="javascript:alert(1)">click</a><img src="x.gif" alt="logo">'
    )
    assert html_to_text(html) == (
        "Hola equipo,\n\n- uno\n- dos\n\nVer la factura (https://example.com/f/1) o "
        "pagos@example.com.\nclick[logo]"
    )


def test_broken_html_gives_what_could_be_read():
    assert html_to_text("<p>Hola <b>mundo<p>adiós <div><<<") == "Hola mundo\nadiós\n<<<"


def test_format_flowed_lines_are_joined():
    assert unflow("Una línea que \nsigue aquí.\n> citado \n>  stuffed\n-- \nFirma") == (
        "Una línea que sigue aquí.\n> citado >  stuffed\n-- \nFirma"
    )
    assert unflow("ab \ncd", delsp=True) == "abcd"


@pytest.mark.parametrize(
    ("name", "content_type", "cleaned"),
    [
        ("../../etc/passwd", "", "passwd"),
        ("C:\\Users\\ana\\factura.pdf", "", "factura.pdf"),
        ("informe\r\nBcc: x@y.z.pdf", "", "informe Bcc: x@y.z.pdf"),
        ("nota\u2028final.txt", "", "nota final.txt"),
        ("...hidden", "", "hidden"),
        ("", "application/pdf", "attachment-3.pdf"),
        ("a" * 300 + ".xlsx", "", "a" * 195 + ".xlsx"),
        ("factura\u202efdp.exe", "", "facturafdp.exe"),
        ("Cotización Nº 4.pdf", "", "Cotización Nº 4.pdf"),
    ],
)
def test_file_names_are_made_safe_to_show_and_to_download(name, content_type, cleaned):
    assert clean_filename(name, content_type, 3) == cleaned


def parse(headers: str, body: str = "Hi") -> mailparse.EmailMessage:
    return mailparse.parse(f"{headers}\r\n\r\n{body}\r\n".encode())


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ("From: a@example.com\r\nReturn-Path: <>", "empty Return-Path (a bounce)"),
        ("From: no-reply@shop.example", "automatic sender no-reply@shop.example"),
        ("From: a@example.com\r\nX-Auto-Response-Suppress: All", "X-Auto-Response-Suppress header"),
        ("From: a@example.com\r\nList-Id: <news.example.org>", "List-Id header"),
    ],
)
def test_machine_mail_is_recognised(headers, reason):
    assert mailparse.automatic_reason(parse(headers)) == reason


@pytest.mark.parametrize(
    "headers",
    [
        "From: a@example.com\r\nAuto-Submitted: no",
        # Outlook sets this on ordinary mail to keep delivery reports away: not an auto-reply
        "From: a@example.com\r\nX-Auto-Response-Suppress: DR, RN, NRN",
        "From: noreen@example.com",
    ],
)
def test_peoples_mail_is_not_mistaken_for_a_machines(headers):
    assert mailparse.automatic_reason(parse(headers)) == ""


def test_reply_to_is_whom_an_answer_goes_to():
    message = parse("From: Ana <ana@home.example>\r\nReply-To: Ana Work <ana@work.example>")
    assert mailparse.sender(message) == ("Ana Work", "ana@work.example")


def test_a_forwarded_messages_first_sender_is_found_in_outlooks_bracket_style():
    content = mailparse.MailContent(
        text="FYI\n\n-----Original Message-----\n*From:* Pedro [mailto:pedro@example.com]\n"
        "Sent: Monday\n\nHelp",
        reply_text="FYI",
    )
    assert mailparse.forwarded_sender(content) == ("Pedro", "pedro@example.com")


# --- who sent it: the address from the header's structure, never out of a decoded name ------


def q(text: str) -> str:
    """An RFC 2047 Q encoded word, every byte but letters and digits encoded."""
    body = "".join(chr(b) if chr(b).isalnum() else f"={b:02X}" for b in text.encode())
    return f"=?UTF-8?Q?{body}?="


def b(text: str) -> str:
    return f"=?UTF-8?B?{b64encode(text.encode()).decode()}?="


JOSE = "jose@example.com"
IN_ADDRESS = "From: an encoded word where the address belongs"
TWO_READINGS = "From: the header reads as two different addresses"
NOT_SENDABLE = "From: not an address mail can go to:"


@pytest.mark.parametrize(
    ("headers", "sender"),
    [
        # address syntax inside a properly encoded name stays part of the name
        (f"From: {q('Mesa de ayuda: victima@example.org')} <carlos@example.com>",
         ("Mesa de ayuda: victima@example.org", "carlos@example.com")),
        (f"From: {b('Banco <alertas@victima.example>')} <diego@example.org>",
         ("Banco <alertas@victima.example>", "diego@example.org")),
        (f"From: {q('victima@example.org, Sofía')} <sofia@example.net>",
         ("victima@example.org, Sofía", "sofia@example.net")),
        (f"From: {q('Equipo: victima@example.org;')} <andres@example.com>",
         ("Equipo: victima@example.org;", "andres@example.com")),
        (f"From: {q(chr(34) + 'victima@example.org' + chr(34))} <martina@example.com>",
         ('"victima@example.org"', "martina@example.com")),
        (f"From: {b('Evil' + chr(13) + chr(10) + 'Bcc: victima@example.org')} <pablo@example.net>",
         ("Evil Bcc: victima@example.org", "pablo@example.net")),
        (f"From: Ana <ana@home.example>\r\nReply-To: {q('Pagos <pagos@victima.example>')} "
         "<ana@work.example>", ("Pagos <pagos@victima.example>", "ana@work.example")),
        # what honest clients write
        ('From: "=?utf-8?Q?Jos=C3=A9_P=C3=A9rez?=" <Jose@Example.com>', ("José Pérez", JOSE)),
        ("From: =?iso-8859-1?Q?P=E9rez=2C_Jos=E9?= <jose@example.com>", ("Pérez, José", JOSE)),
        ("From: =?utf-8?Q?Jos=C3=A9?=\r\n =?utf-8?Q?_P=C3=A9rez?=<jose@example.com>",
         ("José Pérez", JOSE)),
        ("From: john.doe@example.com <john.doe@example.com>", ("", "john.doe@example.com")),
        ("From: John Q. Public <jqp@example.com>", ("John Q. Public", "jqp@example.com")),
        (f"From: jqp@example.com ({q('x <victima@example.org>')})", ("", "jqp@example.com")),
    ],
    ids=[
        "colon", "angle-brackets-b", "comma", "semicolon-group", "quotes", "crlf-bcc-b",
        "reply-to", "quoted-encoded-word", "outlook-last-first", "folded-words", "address-as-name",
        "plain", "comment",
    ],
)  # fmt: skip
def test_an_encoded_display_name_never_gives_the_address(headers, sender):
    assert mailparse.sender(parse(headers)) == sender


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        (f"From: {q('Laura <laura@example.com>')}", IN_ADDRESS),
        (f"From: {b('attacker@evil.example')}", IN_ADDRESS),
        (f"From: {q('victima@example.org')} hector@example.net", IN_ADDRESS),
        (f"From: {q('victima@example.org')}@example.net", IN_ADDRESS),
        (f"From: real@{q('evil.example')}", IN_ADDRESS),
        (f"From: Ana <ana@example.com>\r\nReply-To: {q('Pagos <pagos@victima.example>')}",
         "Reply-To: an encoded word where the address belongs"),
        ("From: =?UTF-8?Q?Soporte <victima@example.org>?= <ines@example.com>",
         "From: address syntax inside an encoded word"),
        ("From: =?UTF-8?Q?Soporte_victima@example.org?= <ines@example.com>",
         "From: address syntax inside an encoded word"),
        ("From: bob@example.org <alice@example.org>", TWO_READINGS),
        ("From: Evil <victima@example.org> <real@example.com>", TWO_READINGS),
        ("From: alice@example.org)<bob@example.org>", TWO_READINGS),
        ("From: victima@example.org, real@example.com", "From: more than one address"),
        ("From: real@example.com\r\nFrom: victima@example.org", "2 From headers"),
        ('From: "john smith"@example.com', f'{NOT_SENDABLE} "john smith"@example.com'),
        ("From: real@[192.0.2.1]", f"{NOT_SENDABLE} real@[192.0.2.1]"),
    ],
    ids=[
        "whole-header-q", "whole-header-b", "before-bare-address", "local-part", "domain",
        "reply-to-whole-header", "raw-brackets", "raw-at-sign", "unquoted-address-name",
        "two-angle-addrs", "cve-2023-27043", "two-authors", "two-from-headers", "quoted-local-part",
        "domain-literal",
    ],
)  # fmt: skip
def test_a_header_that_names_nobody_beyond_doubt_is_untrusted(headers, reason):
    message = parse(headers)
    with pytest.raises(mailparse.UntrustedAddress) as untrusted:
        mailparse.sender(message)
    assert str(untrusted.value) == reason
    assert mailparse.automatic_reason(message) == ""  # never raises for machine-mail checks


def test_an_untrusted_sender_is_shown_as_it_came():
    message = parse(f"From: {q('victima@example.org')}\r\n hector@example.net")
    assert mailparse.sender_text(message) == f"{q('victima@example.org')} hector@example.net"


@pytest.mark.parametrize(
    ("line", "sender"),
    [
        ("From: Pedro <pedro@example.com>", ("Pedro", "pedro@example.com")),
        ("From: pedro@example.com <pedro@example.com>", ("", "pedro@example.com")),
        ("De: Pedro [mailto:Pedro@Example.com]", ("Pedro", "pedro@example.com")),
    ],
)
def test_a_forwarded_blocks_from_line_gives_its_one_address(line, sender):
    text = f"FYI\n\n---------- Forwarded message ---------\n{line}\nDate: Mon\n\nHelp"
    content = mailparse.MailContent(text=text, reply_text="FYI")
    assert mailparse.forwarded_sender(content) == sender


def test_a_forwarded_blocks_from_line_with_two_addresses_is_untrusted():
    # The forwarding client wrote a hostile display name out decoded.
    text = (
        "FYI\n\n---------- Forwarded message ---------\n"
        "From: Soporte <victima@example.org> <real@example.com>\nDate: Mon\n\nHelp"
    )
    with pytest.raises(mailparse.UntrustedAddress):
        mailparse.forwarded_sender(mailparse.MailContent(text=text, reply_text="FYI"))


def test_an_absurdly_long_address_header_is_untrusted_quickly():
    message = parse("From: " + "=?a?b?x " * 20000 + "<real@example.com>")
    with pytest.raises(mailparse.UntrustedAddress, match="From: longer than 8000 characters"):
        mailparse.sender(message)
