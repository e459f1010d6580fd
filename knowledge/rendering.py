"""Markdown → safe HTML, once when an article is saved (the row keeps the result).

markdown-it-py renders CommonMark (with tables and strike-through; raw HTML passes through to
the sanitiser), then nh3 (the Rust `ammonia` sanitiser) keeps an allow-list of tags and
attributes: no script, style, frames, forms or event handlers; links only http(s), mailto or
relative; images only https or this article's own uploads (`/help/images/<token>/`). External
links get `rel="noopener noreferrer nofollow"`."""

import re
from collections.abc import Iterable

import nh3
from markdown_it import MarkdownIt

_MARKDOWN = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable(
    ["table", "strikethrough"]
)

TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "s", "del",
    "code", "pre", "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody",
    "tr", "th", "td", "kbd", "sup", "sub",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
URL_SCHEMES = {"http", "https", "mailto"}
IMAGE_PATH = "/help/images/"
_IMAGE_URL = re.compile(r"^/help/images/([A-Za-z0-9_-]{8,32})/?$")
_ANCHOR = re.compile(r"<a\b([^>]*)>")
_HREF = re.compile(r'\bhref="([^"]*)"')
_DIMENSION = re.compile(r"^\d{1,4}$")
EXTERNAL_REL = "noopener noreferrer nofollow"


def render(markdown: str, *, image_tokens: Iterable[str] = ()) -> str:
    """The sanitised HTML of `markdown`; images only from https or `image_tokens`."""
    if not markdown.strip():
        return ""
    allowed_images = set(image_tokens)

    def keep(element: str, attribute: str, value: str) -> str | None:
        if element == "img" and attribute == "src":
            if value.startswith("https://"):
                return value
            match = _IMAGE_URL.match(value)
            return value if match and match.group(1) in allowed_images else None
        if attribute in {"width", "height"}:
            return value if _DIMENSION.match(value) else None
        return value

    html = nh3.clean(
        _MARKDOWN.render(markdown),
        tags=TAGS,
        clean_content_tags={"script", "style"},
        attributes=ATTRIBUTES,
        attribute_filter=keep,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )
    return _mark_external_links(html).strip()


def _mark_external_links(html: str) -> str:
    """rel="noopener noreferrer nofollow" on links that leave the site. The HTML is nh3's
    output: attribute values are quoted and escaped, so the tag pattern is exact."""

    def mark(match: re.Match[str]) -> str:
        attributes = match.group(1)
        href = _HREF.search(attributes)
        if href and re.match(r"^(https?:)?//", href.group(1), re.IGNORECASE):
            return f'<a{attributes} rel="{EXTERNAL_REL}">'
        return match.group(0)

    return _ANCHOR.sub(mark, html)
