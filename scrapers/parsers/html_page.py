"""Local Offer pages: an HTML page's main content as sections, with its title, canonical URL, date and links."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlparse

from bs4 import BeautifulSoup, Tag

from navigator.errors import ParseError
from scrapers.base import FetchedPage, ParsedDocument
from scrapers.parsers.blocks import Block, build_sections, extract_blocks, nearest_ancestor, one_line
from scrapers.parsers.page_dates import find_published

_ALWAYS_DROP = frozenset("nav script style noscript template iframe svg canvas object embed".split())
_DROP_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
# Class or id tokens of site furniture: consent banners, breadcrumbs, share bars, skip links, sidebars.
_FURNITURE = re.compile(
    r"cookie|consent|gdpr|breadcrumb|skip-link|screen-reader|sr-only|visually-?hidden|sharedaddy|sharing|"
    r"addtoany|a2a_kit|^share|social-(?:share|links?|icons?|media|buttons?)|post-navigation|comments-area|"
    r"^comments$|^(?:sidebar|secondary|widget-area)|back-to-top",
    re.IGNORECASE,
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_SHARE_LABEL = re.compile(r"^share(?:\s+(?:this(?:\s+(?:page|article|post))?|on))?\s*[:!]?$", re.IGNORECASE)
_SHARE_START = re.compile(r"^\s*share\b", re.IGNORECASE)
_SKIP_LINK = re.compile(r"^skip\s+to\b", re.IGNORECASE)
# Where main content lives, best first: <main>, role=main, a lone <article>, then themes' (WordPress) content boxes.
_MAIN_RULES = (
    "tag:main", "role:main", "tag:article", "class:entry-content", "class:post-content", "class:page-content",
    "class:site-content", "id:content", "id:main-content", "id:main",
)  # fmt: skip
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
# WHATWG: pages labelled latin-1 or ASCII are decoded as windows-1252, which is what their authors typed.
_WINDOWS_ALIASES = frozenset({"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii"})
_TITLE_SUFFIX = re.compile(r"^(.*\S)\s+[|–—-]\s+[^|–—]+$")


@dataclass(frozen=True)
class HtmlPage:
    """What every HTML parser needs from a page: its metadata and the blocks of its main content."""

    url: str
    title: str
    language: str
    published: str | None
    links: tuple[str, ...]
    blocks: tuple[Block, ...]
    breadcrumbs: str  # the breadcrumb trail's text, read before it is removed as furniture


class LocalOfferParser:
    """Parse a Local Offer (or any ordinary HTML) page into a ``local-offer`` document."""

    kind = "local-offer"

    def parse(self, page: FetchedPage) -> ParsedDocument:
        """Parse ``page``.

        Raises:
            ParseError: the page has no main content.

        """
        html = read_html_page(page)
        return ParsedDocument(
            url=html.url,
            title=html.title,
            kind=self.kind,
            sections=tuple(build_sections(html.blocks, html.title)),
            published=html.published,
            language=html.language,
            links=html.links,
        )


def decode_html(page: FetchedPage) -> str:
    """Decode the body by the header charset, else the ``<meta>`` charset, else UTF-8 with replacement."""
    data = page.content
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(codec, errors="replace").lstrip("\ufeff")
    meta = _META_CHARSET.search(data[:4096])
    declared = [_codec(name) for name in (page.encoding, meta.group(1).decode("ascii") if meta else None)]
    codecs_found = [name for name in declared if name]
    for errors in ("strict", "replace"):
        for name in codecs_found:
            try:
                return data.decode(name, errors=errors)
            except UnicodeDecodeError:
                continue
    return data.decode("utf-8", errors="replace")


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    label = "cp1252" if label in _WINDOWS_ALIASES else label
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def read_html_page(page: FetchedPage) -> HtmlPage:
    """Read an HTML page's metadata and main-content blocks.

    Raises:
        ParseError: nothing but furniture is left once navigation, banners and footers are removed.

    """
    soup = BeautifulSoup(decode_html(page), "html.parser")
    published = find_published(soup)
    base = page.url
    base_tag = soup.find("base", href=True)
    if isinstance(base_tag, Tag):
        base = urljoin(page.url, _attr(base_tag, "href"))
    canonical = _canonical_url(soup, page.url)
    breadcrumbs = " ".join(one_line(tag.get_text(" ")) for tag in soup.find_all(True) if _is_breadcrumb(tag))
    head_title = one_line(soup.title.get_text()) if soup.title else ""
    html_tag = soup.find("html")
    lang = _attr(html_tag, "lang") or _attr(html_tag, "xml:lang") if isinstance(html_tag, Tag) else ""
    remove_furniture(soup)
    main = find_main(soup)
    blocks = extract_blocks(main)
    if main is soup.body and any(block.level == 1 for block in blocks):
        # Without a content container, what comes before the page's h1 is site furniture (logos, top links).
        blocks = blocks[next(i for i, block in enumerate(blocks) if block.level == 1) :]
    if not any(block.level == 0 for block in blocks):
        raise ParseError(
            f"{page.url} has no main content once menus and banners are removed; check it is an HTML page."
        )
    h1 = next((b.text for b in blocks if b.level == 1), "")
    suffixless = _TITLE_SUFFIX.match(head_title)
    title = h1 or (suffixless.group(1) if suffixless else head_title) or next((b.text for b in blocks if b.level), "")
    match = re.match(r"([A-Za-z]{2,3})(?:[-_]|$)", lang.strip())
    return HtmlPage(
        url=canonical,
        title=title or urlparse(page.url).path.strip("/").rsplit("/", 1)[-1] or page.url,
        language=match.group(1).lower() if match else "en",
        published=published,
        links=content_links(main, base),
        blocks=tuple(blocks),
        breadcrumbs=breadcrumbs,
    )


def _attr(tag: Tag, name: str) -> str:
    value = tag.get(name)
    if value is None:
        return ""
    return value if isinstance(value, str) else " ".join(value)


def _canonical_url(soup: BeautifulSoup, page_url: str) -> str:
    link = soup.find("link", rel="canonical", href=True)
    if isinstance(link, Tag):
        url = urldefrag(urljoin(page_url, _attr(link, "href").strip())).url
        if urlparse(url).scheme in ("http", "https"):
            return url
    return page_url


def _is_breadcrumb(tag: Tag) -> bool:
    tokens = [*_attr(tag, "class").split(), _attr(tag, "id"), _attr(tag, "aria-label").lower()]
    return any("breadcrumb" in token.lower() for token in tokens) and not any(map(_is_breadcrumb, tag.parents))


def _holds_content(tag: Tag) -> bool:
    if tag.name in ("html", "body", "main", "article"):
        return True
    return any(isinstance(node, Tag) and node.name in ("main", "article", "h1") for node in tag.descendants)


def _is_furniture(tag: Tag, controlled: set[str]) -> bool:
    name = tag.name
    if name in _ALWAYS_DROP:
        return True
    if name in ("footer", "aside", "form") or _attr(tag, "role") in _DROP_ROLES:
        return not _holds_content(tag)  # an ASP.NET <form> or a mislabelled wrapper may hold the whole page
    # A page-level header is the site banner; a header inside an article holds the page title.
    if name == "header" and nearest_ancestor(tag, ("article", "main", "section")) is None:
        return True
    hidden = tag.has_attr("hidden") or _attr(tag, "aria-hidden") == "true" or _HIDDEN_STYLE.search(_attr(tag, "style"))
    if hidden and _attr(tag, "id") not in controlled and not _holds_content(tag):
        return True  # a collapsed accordion panel (named by a button's aria-controls) is content, not furniture
    tokens = [*_attr(tag, "class").split(), _attr(tag, "id")]
    if any(_FURNITURE.search(token) for token in tokens if token) and not _holds_content(tag):
        return True
    return name == "a" and _attr(tag, "href").startswith("#") and bool(_SKIP_LINK.match(tag.get_text().strip()))


def remove_furniture(soup: BeautifulSoup) -> None:
    """Remove navigation, banners, footers, forms, consent and share blocks, breadcrumbs and hidden elements."""
    tags = soup.find_all(True)
    controlled = {token for tag in tags for token in _attr(tag, "aria-controls").split()}
    gone: set[int] = set()  # ids of furniture tags; document order visits a parent before its children
    outermost: list[Tag] = []
    for tag in tags:
        if id(tag.parent) in gone:
            gone.add(id(tag))
        elif _is_furniture(tag, controlled):
            gone.add(id(tag))
            outermost.append(tag)
    for tag in outermost:
        tag.decompose()
    for string in soup.find_all(string=_SHARE_START):
        label = string.parent
        while isinstance(label, Tag) and label.name in ("span", "strong", "b", "em") and label.parent is not None:
            label = label.parent  # from "<h3><span>Share</span> this page</h3>" up to the h3
        if not isinstance(label, Tag) or not any(parent is soup for parent in label.parents):
            continue  # not a tag, or inside a share block removed already
        if not _SHARE_LABEL.match(one_line(label.get_text())):
            continue
        block = label
        # Take the share buttons too: climb while the parent holds nothing but this label and its links.
        while isinstance(block.parent, Tag) and _only_share(block.parent, label):
            block = block.parent
        block.decompose()


def _only_share(tag: Tag, label: Tag) -> bool:
    if tag.name in ("html", "body", "main", "article") or len(one_line(tag.get_text())) > 300:
        return False
    texts = tag.find_all(["p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "dl"])
    return all(found is label or any(parent is label for parent in found.parents) for found in texts)


def _matches(tag: Tag, rule: str) -> bool:
    kind, _, value = rule.partition(":")
    if kind == "tag":
        return tag.name == value
    if kind == "role":
        return _attr(tag, "role") == value
    if kind == "class":
        return value in _attr(tag, "class").split()
    return _attr(tag, "id") == value


def find_main(soup: BeautifulSoup) -> Tag:
    """The element holding the page's main content: ``<main>``, one article, a theme's content box, else the body."""
    tags = soup.find_all(True)
    for rule in _MAIN_RULES:
        found = [tag for tag in tags if _matches(tag, rule)]
        if rule == "tag:article" and len(found) > 1:
            continue  # a list of posts: no single article is the page
        found = [tag for tag in found if tag.get_text(strip=True)]
        if found:
            return found[0]
    return soup.body or soup


def content_links(root: Tag, base_url: str) -> tuple[str, ...]:
    """Absolute http(s) links in ``root``, without fragments, first occurrence first."""
    links: dict[str, None] = {}
    for anchor in root.find_all("a", href=True):
        url = urldefrag(urljoin(base_url, _attr(anchor, "href").strip())).url
        if urlparse(url).scheme in ("http", "https"):
            links.setdefault(url, None)
    return tuple(links)
