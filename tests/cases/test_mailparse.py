"""Reading mail (cases/mailparse.py): the new text of a reply however its client quotes, HTML
as readable text, file names fit to show, machine mail told apart from people's."""

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
