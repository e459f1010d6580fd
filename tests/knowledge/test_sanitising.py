"""Article bodies are Markdown and may hold raw HTML: whatever an editor pastes, the HTML
readers get runs no script, carries no event handler and links nowhere dangerous."""

import re

import pytest

from knowledge.rendering import EXTERNAL_REL, render

# Markdown and raw HTML payloads from the usual XSS cheat sheets, with case, entity,
# whitespace and nesting tricks.
PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/xss.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<img src="x" onerror="alert(1)">',
    "<IMG SRC=x OnErRoR=alert(1)>",
    "<img src=x onerror\n=alert(1)>",
    '<svg onload="alert(1)"><circle r="1"/></svg>',
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph>",
    "<body onload=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="https://evil.example/x.swf">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<div style="background-image:url(javascript:alert(1))">x</div>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](  javascript:alert(1)  )",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '<img src="data:image/png;base64,iVBORw0KGgo=">',
    "![x](javascript:alert(1))",
    '<a href="vbscript:msgbox(1)">x</a>',
    '<details open ontoggle="alert(1)"><summary>x</summary></details>',
    '<video><source onerror="alert(1)"></video>',
    "<audio src=x onerror=alert(1)>",
    '<input autofocus onfocus="alert(1)">',
    '<marquee onstart="alert(1)">x</marquee>',
    '<p onclick="alert(1)" onmouseover="alert(2)">x</p>',
    '<table background="javascript:alert(1)"><tr><td onmouseover="alert(1)">x</td></tr></table>',
    '<base href="javascript:alert(1)//">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<a href="x" onclick="alert(1)">x</a>',
    "<<script>script>alert(1)<</script>/script>",
    "<!--<script>alert(1)//--><script>alert(1)</script>",
    '<img """><script>alert(1)</script>">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<a href="https://ok.example" target="_blank" rel="opener">x</a>',
    "`<script>alert(1)</script>`",
    '<svg><a xlink:href="javascript:alert(1)"><text y="20">x</text></a></svg>',
    "<template><script>alert(1)</script></template>",
]

SCRIPT = re.compile(
    r"<\s*/?\s*(script|iframe|object|embed|form|meta|style|svg|math|base|link)\b", re.I
)
EVENT_HANDLER = re.compile(r"<[^>]*\son\w+\s*=", re.I)
BAD_URL = re.compile(r"""(href|src)\s*=\s*["']?\s*(javascript|vbscript|data):""", re.I)


def test_the_corpus_is_large_enough():
    assert len(PAYLOADS) >= 25


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_payload_survives_rendering(payload):
    html = render(f"Intro\n\n{payload}\n\n**after**")
    assert not SCRIPT.search(html), html
    assert not EVENT_HANDLER.search(html), html
    assert not BAD_URL.search(html), html
    assert "style=" not in html
    assert "target=" not in html
    assert html.startswith("<p>Intro</p>")


def test_markdown_still_renders_formatting_lists_tables_and_code():
    html = render(
        "## Pasos\n\n1. Abre **Pedidos**\n2. Pulsa *Seguir*\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n`código <b>` y ~~viejo~~"
    )
    assert "<h2>Pasos</h2>" in html
    assert "<ol>" in html and "<strong>Pedidos</strong>" in html and "<em>Seguir</em>" in html
    assert "<table>" in html and "<td>1</td>" in html
    assert "<code>código &lt;b&gt;</code>" in html
    assert "<s>viejo</s>" in html or "<del>viejo</del>" in html


def test_external_links_get_noopener_noreferrer_nofollow_and_own_links_do_not():
    html = render("[fuera](https://example.org/x) y [aquí](/help/articles/otra/)")
    assert f'<a href="https://example.org/x" rel="{EXTERNAL_REL}">fuera</a>' in html
    assert '<a href="/help/articles/otra/">aquí</a>' in html


def test_images_only_from_https_or_the_articles_own_uploads():
    html = render(
        "![a](https://img.example/a.png) ![b](/help/images/owntoken123/) "
        "![c](/help/images/othertoken99/) ![d](http://img.example/d.png) ![e](/media/x.png)",
        image_tokens=["owntoken123"],
    )
    assert 'src="https://img.example/a.png"' in html
    assert 'src="/help/images/owntoken123/"' in html
    assert "othertoken99" not in html
    assert "http://img.example" not in html
    assert "/media/x.png" not in html


def test_mailto_links_are_kept():
    assert 'href="mailto:ayuda@example.org"' in render("[escríbenos](mailto:ayuda@example.org)")


@pytest.mark.django_db
def test_the_text_is_kept_as_typed_and_what_readers_get_is_clean(write, client):
    """As docs/knowledge.md says: the source stays, the HTML made from it is sanitised."""
    typed = (
        'Hola <script>alert(1)</script> <img src=x onerror="alert(2)"> <a href="javascript:x">a</a>'
    )
    article = write(slug="sucio", title_es="Sucio", body_es=typed)
    assert article.body_es == typed
    for bad in ("<script", "onerror", "javascript:"):
        assert bad not in article.html_es
    page = client.get("/help/articles/sucio/").content.decode()
    assert "alert(" not in page and "javascript:" not in page
