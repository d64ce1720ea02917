"""A real HTTP server on 127.0.0.1 serving a small Local Offer-like site for the scraper tests and benchmarks.

Every response carries an ETag (a hash of the body) and Last-Modified and honours If-None-Match /
If-Modified-Since with a 304. Tests change ``pages``, ``redirects``, ``failures`` and ``delays`` between runs and
read ``requests`` to see what the crawler asked for.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import threading
import time
from dataclasses import dataclass, field, replace
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

import docx
from loopback_server import LoopbackServer
from tiny_pdf import pdf_from_streams

HTML = "text/html; charset=utf-8"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
OAG_PATH = "/online-ordinarily-available-guidance/cognition-and-learning/"
DEFAULT_ROBOTS = "User-agent: *\nDisallow: /private/\n\nSitemap: {base_url}/sitemap.xml\n"
OFFSITE_URL = "http://example.invalid/partner-services"
MAILTO_URL = "mailto:sendlocaloffer@birmingham.gov.uk"
JAVASCRIPT_URL = "javascript:window.print()"


@dataclass(frozen=True)
class FixturePage:
    """One resource of the site; replace it (``dataclasses.replace``) to change the site between crawls."""

    body: bytes
    content_type: str = HTML
    status: int = 200
    last_modified: float = field(default_factory=time.time)  # epoch seconds, sent as Last-Modified
    sitemap: str | None = None  # the sitemap listing it ("pages" → /sitemap-pages.xml); None: not listed
    lastmod: str | None = None  # its <lastmod> in that sitemap
    send_length: bool = True  # False: no Content-Length; the body ends when the connection closes
    validators: bool = True  # False: no ETag or Last-Modified, and conditional requests always get the body

    @property
    def etag(self) -> str:
        """A strong ETag derived from the body."""
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


@dataclass
class RecordedRequest:
    """One request the server received."""

    method: str
    path: str  # with the query string
    if_none_match: str | None
    if_modified_since: str | None
    user_agent: str | None
    status: int | None = None  # what the server answered (None if the client gave up first)

    @property
    def conditional(self) -> bool:
        """The request carried If-None-Match or If-Modified-Since."""
        return bool(self.if_none_match or self.if_modified_since)


def html_page(title: str, body: str, *, sitemap: str | None = None, lastmod: str | None = None) -> FixturePage:
    """A UTF-8 HTML page with ``body`` inside ``<body>``."""
    markup = f'<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8"><title>{title}</title></head>\n'
    return FixturePage(f"{markup}<body>\n{body}\n</body></html>\n".encode(), sitemap=sitemap, lastmod=lastmod)


def build_pdf(pages: list[list[str]]) -> bytes:
    """A minimal valid PDF: one Helvetica text stream per page."""
    streams = []
    for lines in pages:
        escaped = (line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in lines)
        text = "\n".join(["BT", "/F1 12 Tf", "14 TL", "72 720 Td", *(f"({t}) Tj T*" for t in escaped), "ET"])
        streams.append(text.encode("cp1252"))
    return pdf_from_streams(streams)


def build_docx() -> bytes:
    """A Word document with a heading, paragraphs and a list, built with python-docx."""
    document = docx.Document()
    document.add_heading("Short breaks guide for families", level=1)
    document.add_paragraph("Short breaks give disabled children and young people time away from their parents.")
    document.add_heading("Who can get a short break", level=2)
    document.add_paragraph("Children aged 0 to 18 with an EHC plan or a diagnosed disability.", style="List Bullet")
    document.add_paragraph("Families living in Birmingham.", style="List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


_WP_HEADER = """<div id="cookie-notice" class="cookie-banner" role="dialog"><p>We use cookies to make this site work.
<a href="#cookie-settings">Cookie settings</a></p><button>Accept all cookies</button></div>
<header id="masthead" class="site-header"><a class="custom-logo-link" href="/">Local Offer Birmingham</a>
<nav id="site-navigation" class="main-navigation" aria-label="Main menu"><ul class="menu">
<li><a href="/">Home</a></li><li><a href="/plain.html">Education</a></li>
<li><a href="{oag}">Ordinarily Available Guidance</a></li></ul></nav></header>"""
_WP_FOOTER = """<div class="share-this-page"><h3>Share this page</h3><ul>
<li><a href="https://www.facebook.com/sharer/sharer.php?u=https%3A%2F%2Fwww.localofferbirmingham.co.uk%2F">Facebook</a></li>
<li><a href="{javascript}">Print this page</a></li></ul></div>
<footer id="colophon" class="site-footer"><p>Birmingham City Council</p>
<a href="{mailto}">Email the Local Offer team</a> <a href="{offsite}">Partner services</a></footer>"""


def _wordpress(title: str, content: str, *, sitemap: str | None, lastmod: str | None) -> FixturePage:
    links = {"oag": OAG_PATH, "javascript": JAVASCRIPT_URL, "mailto": MAILTO_URL, "offsite": OFFSITE_URL}
    body = (
        f'{_WP_HEADER.format(**links)}\n<main id="main" class="site-main"><article class="page type-page">'
        f'<header class="entry-header"><h1 class="entry-title">{title}</h1></header>'
        f'<div class="entry-content">{content}</div></article>\n{_WP_FOOTER.format(**links)}</main>'
    )
    return html_page(f"{title} – Local Offer Birmingham", body, sitemap=sitemap, lastmod=lastmod)


HOME_CONTENT = """<p>An Education, Health and Care (EHC) needs assessment looks at what support a child needs.</p>
<h2>How to ask for an assessment</h2><p>Parents, young people and schools can ask the council.</p>
<ul><li>Write to the SEND team.</li><li>Say why you think your child needs an assessment.</li></ul>
<h2>Documents</h2><p><a href="/documents/strategy.pdf">SEND Strategy 2024 to 2029 (PDF)</a>
<a href="/documents/guide.docx">Short breaks guide (Word)</a></p>
<h2>More pages</h2><ul><li><a href="/latin1.html">Transport</a></li><li><a href="/redirect/1">Old address</a></li>
<li><a href="/loop/a">Broken address</a></li><li><a href="/missing.html">Removed page</a></li>
<li><a href="/flaky.html">Short breaks</a></li><li><a href="/slow.html">Slow page</a></li>
<li><a href="/huge.html">Huge page</a></li><li><a href="/private/secret.html">Staff only</a></li>
<li><a href="#top">Back to top</a></li></ul>
<p class="last-updated">Last updated: 3 March 2025</p>"""

OAG_CONTENT = """<p>Ordinarily available provision for children with cognition and learning needs.</p>
<h2>Early years</h2><h3>What you might see</h3><ul><li>Difficulty following simple instructions.</li>
<li>Short attention for adult-led activities.</li></ul>
<h3>What you can try</h3><ul><li>Use visual timetables and objects of reference.</li>
<li>Break tasks into small steps.</li></ul>
<h2>School age</h2><h3>What you might see</h3><ul><li>Slow progress in reading despite support.</li></ul>
<h3>What you can try</h3><ul><li>Pre-teach key vocabulary.</li><li>Give extra processing time.</li></ul>"""

PLAIN_BODY = """<h1>SEN support in schools</h1><p>Most children with SEND get help through SEN support.</p>
<h2>The graduated approach</h2><ul><li>Assess</li><li>Plan</li><li>Do</li><li>Review</li></ul>
<h2>Who to contact</h2><table><tr><th>Team</th><th>Telephone</th></tr>
<tr><td>SENAR</td><td>0121 303 1888</td></tr><tr><td>SENDIASS</td><td>0121 303 5004</td></tr></table>
<p><a href="/">Home</a> <a href="/latin1.html">Transport</a></p>"""

LATIN1_BODY = """<!DOCTYPE html><html><head><meta charset="windows-1252"><title>Home to school transport</title></head>
<body><h1>Home to school transport</h1><p>Travel assistance costs families £0 – it’s free for eligible pupils.</p>
<p>Caf\u00e9 meetings for parents are held monthly.</p></body></html>"""


def oruk_services() -> list[dict[str, Any]]:
    """Three services shaped like an Open Referral UK ``/services`` listing."""
    names = ["Birmingham SENDIASS", "Short Breaks Saturday Club", "Autism West Midlands Family Support"]
    return [
        {
            "id": f"b5c7e5f0-0000-4000-8000-00000000000{n}",
            "name": name,
            "description": f"{name} helps families of children and young people with SEND.",
            "url": f"https://example.org/services/{n}",
            "email": f"service{n}@example.org",
            "status": "active",
            "fees": "Free",
            "organization": {"id": f"org-{n}", "name": f"{name} Ltd", "url": f"https://example.org/org/{n}"},
            "eligibilitys": [{"id": f"el-{n}", "eligibility": "SEND", "minimum_age": 0, "maximum_age": 25}],
            "service_areas": [{"id": f"area-{n}", "service_area": "Birmingham", "extent": None, "uri": None}],
            "contacts": [{"id": f"c-{n}", "name": "Duty worker", "title": None,
                          "phones": [{"id": f"p-{n}", "number": f"0121 000 000{n}"}]}],
            "service_at_locations": [{"id": f"sal-{n}", "location": {
                "id": f"loc-{n}", "name": "Council House", "latitude": 52.4797, "longitude": -1.9026,
                "physical_addresses": [{"id": f"addr-{n}", "address_1": "Victoria Square", "city": "Birmingham",
                                        "postal_code": "B1 1BB", "country": "GB"}]}}],
            "languages": [{"id": f"lang-{n}", "language": "English"}],
            "regular_schedules": [],
        }
        for n, name in enumerate(names, 1)
    ]  # fmt: skip


def default_pages() -> dict[str, FixturePage]:
    """The test site: two HTML styles, an OAG page, documents and the misbehaving pages."""
    home = _wordpress("EHC needs assessments", HOME_CONTENT, sitemap="pages", lastmod="2025-03-03")
    oag = _wordpress("Cognition and learning", OAG_CONTENT, sitemap="pages", lastmod="2025-02-01")
    pages = {
        "/": home,
        "/plain.html": html_page("SEN support", PLAIN_BODY, sitemap="pages", lastmod="2025-01-15"),
        OAG_PATH: oag,
        "/sitemap-only.html": html_page("Preparing for adulthood", "<h1>Preparing for adulthood</h1><p>At 14.</p>",
                                        sitemap="pages", lastmod="2025-01-20"),
        "/latin1.html": FixturePage(LATIN1_BODY.encode("cp1252"), content_type="text/html"),
        "/redirect-target.html": html_page("Moved page", "<h1>Moved page</h1><p>The new address.</p>"),
        "/flaky.html": html_page("Short breaks", "<h1>Short breaks</h1><p>After one failure.</p>"),
        "/slow.html": html_page("Slow", "<h1>Slow</h1><p>Too late.</p>"),
        "/huge.html": FixturePage(b"<html><body>" + b"<p>padding text</p>" * 25_000 + b"</body></html>",
                                  send_length=False),
        "/private/secret.html": html_page("Private", "<h1>Staff only</h1>"),
        "/documents/strategy.pdf": FixturePage(build_pdf([
            ["SEND Strategy 2024 to 2029", "Our priorities for children and young people with SEND."],
            ["Education, Health and Care plans", "Annual reviews happen at least once a year."],
        ]), content_type="application/pdf", sitemap="documents", lastmod="2024-11-01"),
        "/documents/guide.docx": FixturePage(build_docx(), content_type=DOCX_TYPE),
    }  # fmt: skip
    return pages


class FixtureSite:
    """The site on a free loopback port; ``start()`` it, crawl ``base_url``, ``stop()`` it."""

    def __init__(self, pages: dict[str, FixturePage] | None = None, *, slow_seconds: float = 2.0) -> None:
        self.pages: dict[str, FixturePage] = default_pages() if pages is None else pages
        self.robots: str | None = DEFAULT_ROBOTS  # "{base_url}" is filled in; None → 404
        self.redirects: dict[str, str] = {"/redirect/1": "/redirect/2", "/redirect/2": "/redirect/3",
                                          "/redirect/3": "/redirect-target.html", "/loop/a": "/loop/b",
                                          "/loop/b": "/loop/a"}  # fmt: skip
        self.failures: dict[str, int] = {"/flaky.html": 1}  # answer 500 this many times first
        self.delays: dict[str, float] = {"/slow.html": slow_seconds}
        self.gzipped_sitemaps: set[str] = {"documents"}  # served as /sitemap-<name>.xml.gz
        self.oruk: list[dict[str, Any]] = oruk_services()
        self.oruk_page_size = 2
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: LoopbackServer | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``, without a trailing slash."""
        assert self._server is not None, "server not started"
        return self._server.origin

    def url(self, path: str) -> str:
        """The absolute URL of ``path``."""
        return self.base_url + path

    def start(self) -> FixtureSite:
        """Listen on a free loopback port in a background thread."""
        site = self

        class Handler(_SiteHandler):
            owner = site

        self._server = LoopbackServer(Handler, "fixture-site")
        return self

    def stop(self) -> None:
        """Release delayed handlers, stop serving and close the socket."""
        self._stopping.set()
        if self._server is not None:
            self._server.stop()

    def update(self, path: str, body: str | bytes, *, lastmod: str | None = None) -> None:
        """Give ``path`` a new body (new ETag, Last-Modified now) and, when given, a new sitemap <lastmod>."""
        page = self.pages[path]
        data = body.encode() if isinstance(body, str) else body
        self.pages[path] = replace(page, body=data, last_modified=time.time() + 1, lastmod=lastmod or page.lastmod)

    def requested(self, path: str) -> list[RecordedRequest]:
        """The requests for ``path`` (query string included in the match)."""
        with self._lock:
            return [request for request in self.requests if request.path == path]

    def clear_log(self) -> None:
        """Forget the requests so far."""
        with self._lock:
            self.requests.clear()

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def sitemap_xml(self, name: str) -> bytes | None:
        """The sitemap index (``name == ""``) or the urlset of one sitemap group, or None if there is none."""
        groups: dict[str, list[tuple[str, FixturePage]]] = {}
        for path, page in self.pages.items():
            if page.sitemap:
                groups.setdefault(page.sitemap, []).append((path, page))
        head = '<?xml version="1.0" encoding="UTF-8"?>\n'
        ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        if not name:
            if not groups:
                return None
            items = []
            for group, members in sorted(groups.items()):
                suffix = ".xml.gz" if group in self.gzipped_sitemaps else ".xml"
                newest = max((page.lastmod or "" for _, page in members), default="")
                lastmod = f"<lastmod>{newest}</lastmod>" if newest else ""
                items.append(f"<sitemap><loc>{self.url(f'/sitemap-{group}{suffix}')}</loc>{lastmod}</sitemap>")
            return f"{head}<sitemapindex {ns}>{''.join(items)}</sitemapindex>\n".encode()
        if name not in groups:
            return None
        urls = "".join(
            f"<url><loc>{escape(self.url(path))}</loc>"
            + (f"<lastmod>{page.lastmod}</lastmod>" if page.lastmod else "")
            + "</url>"
            for path, page in groups[name]
        )
        return f"{head}<urlset {ns}>{urls}</urlset>\n".encode()

    def oruk_json(self, query: str) -> bytes:
        """One page of ``/oruk/services`` (``?page=N``, 1-based) in the Open Referral UK shape."""
        values = parse_qs(query)
        number = int((values.get("page") or ["1"])[0])
        size = int((values.get("per_page") or values.get("size") or [str(self.oruk_page_size)])[0])
        total_pages = max(1, -(-len(self.oruk) // size))
        content = self.oruk[(number - 1) * size : number * size]
        payload = {
            "totalElements": len(self.oruk),
            "totalPages": total_pages,
            "number": number,
            "size": size,
            "first": number == 1,
            "last": number >= total_pages,
            "empty": not content,
            "content": content,
        }
        return json.dumps(payload).encode()


class _SiteHandler(BaseHTTPRequestHandler):
    owner: FixtureSite
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
    disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms delayed-ACK stalls

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, TimeoutError):
            self._answer()

    def _answer(self) -> None:
        site = self.owner
        request = RecordedRequest("GET", self.path, self.headers.get("If-None-Match"),
                                  self.headers.get("If-Modified-Since"), self.headers.get("User-Agent"))  # fmt: skip
        site.record(request)
        parts = urlsplit(self.path)
        path = parts.path
        delay = site.delays.get(path, 0.0)
        if delay and site._stopping.wait(delay):
            return
        if site.failures.get(path, 0) > 0:
            site.failures[path] -= 1
            return self._send(request, FixturePage(b"<h1>Server error</h1>", status=500))
        if path in site.redirects:
            request.status = 301
            self.send_response(301)
            self.send_header("Location", site.redirects[path])
            self.send_header("Content-Length", "0")
            return self.end_headers()
        page = self._resolve(site, path, parts.query)
        if page is None:
            return self._send(request, FixturePage(b"<h1>Page not found</h1>", status=404))
        self._send(request, page)

    def _resolve(self, site: FixtureSite, path: str, query: str) -> FixturePage | None:
        if path in site.pages:  # a test may override robots.txt or a sitemap with a page of its own
            return site.pages[path]
        if path == "/robots.txt":
            text = None if site.robots is None else site.robots.format(base_url=site.base_url)
            return None if text is None else FixturePage(text.encode(), "text/plain", last_modified=0)
        if path == "/sitemap.xml" or (path.startswith("/sitemap-") and path.endswith((".xml", ".xml.gz"))):
            name = "" if path == "/sitemap.xml" else path.removeprefix("/sitemap-").split(".xml")[0]
            xml = site.sitemap_xml(name)
            if xml is None:
                return None
            if path.endswith(".gz"):
                return FixturePage(gzip.compress(xml, mtime=0), "application/gzip", last_modified=0)
            return FixturePage(xml, "application/xml", last_modified=0)
        if path == "/oruk/services":
            return FixturePage(site.oruk_json(query), "application/json", last_modified=0)
        return None

    def _send(self, request: RecordedRequest, page: FixturePage) -> None:
        if page.status == 200 and page.validators and self._not_modified(page):
            request.status = 304
            self.send_response(304)
            self.send_header("ETag", page.etag)
            self.send_header("Last-Modified", formatdate(page.last_modified, usegmt=True))
            return self.end_headers()
        request.status = page.status
        self.send_response(page.status)
        self.send_header("Content-Type", page.content_type)
        if page.status == 200 and page.validators:
            self.send_header("ETag", page.etag)
            self.send_header("Last-Modified", formatdate(page.last_modified, usegmt=True))
        if page.send_length:
            self.send_header("Content-Length", str(len(page.body)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(page.body)

    def _not_modified(self, page: FixturePage) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:  # takes precedence over If-Modified-Since (RFC 9110 §13.2.2)
            tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
            return "*" in tags or page.etag in tags
        if_modified_since = self.headers.get("If-Modified-Since")
        if if_modified_since is None:
            return False
        try:
            since = parsedate_to_datetime(if_modified_since).timestamp()
        except (TypeError, ValueError):
            return False
        return int(page.last_modified) <= since
