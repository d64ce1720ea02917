"""The crawler against the real fixture site on loopback: discovery, politeness, failures, SSRF and incremental runs."""

from __future__ import annotations

import asyncio
import io
import json
import socket
from dataclasses import replace
from pathlib import Path
from typing import Any

import docx
import pypdf
import pytest
from fixture_site import JAVASCRIPT_URL, MAILTO_URL, OAG_PATH, OFFSITE_URL, FixturePage, FixtureSite, html_page

from navigator.errors import ParseError, UnsafeURLError
from scrapers.base import USER_AGENT, CrawlLimits, SourceConfig
from scrapers.crawler import Crawler, CrawlProgress, CrawlResult
from scrapers.fetcher import Fetcher
from scrapers.sitemaps import parse_sitemap
from scrapers.state import CrawlState
from scrapers.urls import check_address, in_scope, normalise_url

FAST = CrawlLimits(delay_seconds=0, timeout_seconds=0.5, retries=1, backoff_seconds=0.01, max_bytes=100_000)
FETCHED_OK = ["/", "/plain.html", OAG_PATH, "/sitemap-only.html", "/latin1.html", "/redirect/1", "/flaky.html",
              "/slow.html", "/documents/strategy.pdf", "/documents/guide.docx"]  # fmt: skip


@pytest.fixture
def site(fixture_site: FixtureSite) -> FixtureSite:
    """The fixture site without its slow page's delay (so /slow.html succeeds): only the timeout test waits."""
    fixture_site.delays.clear()
    return fixture_site


def source_for(site: FixtureSite, path: str = "/", **changes: Any) -> SourceConfig:
    limits = replace(FAST, **{k: v for k, v in changes.items() if hasattr(FAST, k)})
    others = {k: v for k, v in changes.items() if not hasattr(FAST, k)}
    return SourceConfig(name="fixture", start_url=site.url(path), limits=limits, **others)


def crawl(site: FixtureSite, state: CrawlState | None = None, path: str = "/", **changes: Any) -> CrawlResult:
    return Crawler(source_for(site, path, **changes), state if state is not None else CrawlState()).run()


def changed_urls(result: CrawlResult) -> set[str]:
    return {page.requested_url for page in result.changed}


def test_crawler_discovers_pages_from_sitemap_index_and_links(site: FixtureSite) -> None:
    result = crawl(site)

    assert changed_urls(result) == {site.url(path) for path in FETCHED_OK}
    assert site.requested("/sitemap-documents.xml.gz")  # the gzipped sitemap of the index was read
    assert site.requested("/sitemap-only.html")  # listed only in a sitemap
    assert result.complete and not result.budget_exhausted
    assert result.timing.pages_fetched == len(FETCHED_OK)
    assert all(request.user_agent == USER_AGENT for request in site.requests)


def test_crawler_obeys_robots_txt(site: FixtureSite) -> None:
    result = crawl(site)

    assert site.requested("/robots.txt")
    assert not [request for request in site.requests if request.path.startswith("/private/")]
    assert result.skipped[site.url("/private/secret.html")] == "robots"


def test_crawler_does_not_follow_redirects_into_disallowed_paths(site: FixtureSite) -> None:
    site.pages["/links.html"] = html_page("Links", '<a href="/to-private">Staff area</a>')
    site.redirects["/to-private"] = "/private/secret.html"

    result = crawl(site, path="/links.html")

    assert "disallowed by robots.txt" in result.failed[site.url("/to-private")]
    assert not site.requested("/private/secret.html")


def test_crawler_stops_when_robots_txt_is_unavailable(site: FixtureSite) -> None:
    site.failures["/robots.txt"] = 10
    state = CrawlState()

    result = crawl(site, state)

    assert result.changed == [] and result.removed == []
    assert result.skipped[site.url("/")] == "robots"
    assert not result.complete
    assert not site.requested("/")


def test_crawler_follows_redirect_chain_and_reports_loop(site: FixtureSite) -> None:
    result = crawl(site)

    [moved] = [page for page in result.changed if page.requested_url == site.url("/redirect/1")]
    assert moved.url == site.url("/redirect-target.html")
    assert b"The new address" in moved.content
    assert [r.path for r in site.requests if r.path.startswith("/redirect")] == [
        "/redirect/1", "/redirect/2", "/redirect/3", "/redirect-target.html"
    ]  # fmt: skip
    assert result.failed[site.url("/loop/a")].startswith("redirect loop")


def test_crawler_reports_too_many_redirects(site: FixtureSite) -> None:
    result = crawl(site, max_redirects=2)

    assert result.failed[site.url("/redirect/1")].startswith("too many redirects")


def test_crawler_reports_404_as_failed(site: FixtureSite) -> None:
    result = crawl(site)

    assert result.failed[site.url("/missing.html")] == "HTTP 404"
    assert site.url("/missing.html") not in result.removed


def test_crawler_retries_server_error_then_succeeds(site: FixtureSite) -> None:
    result = crawl(site)

    assert [request.status for request in site.requested("/flaky.html")] == [500, 200]
    assert site.url("/flaky.html") in changed_urls(result)


def test_crawler_gives_up_on_server_errors_after_retries(site: FixtureSite) -> None:
    site.failures["/flaky.html"] = 5

    result = crawl(site, retries=2)

    assert result.failed[site.url("/flaky.html")] == "HTTP 500"
    assert len(site.requested("/flaky.html")) == 3


def test_crawler_fails_slow_page_with_timeout(fixture_site: FixtureSite) -> None:
    result = crawl(fixture_site)

    assert result.failed[fixture_site.url("/slow.html")] == "timeout"
    assert site_changed_everything_else(fixture_site, result)


def site_changed_everything_else(site: FixtureSite, result: CrawlResult) -> bool:
    return changed_urls(result) == {site.url(path) for path in FETCHED_OK if path != "/slow.html"}


def test_crawler_abandons_page_over_size_cap(site: FixtureSite) -> None:
    result = crawl(site)

    assert result.failed[site.url("/huge.html")].startswith("too large")
    assert result.timing.bytes < 500_000  # the 475 kB page was not read to its end


def test_crawler_never_requests_offsite_or_non_http_links(site: FixtureSite) -> None:
    result = crawl(site)

    assert result.skipped[OFFSITE_URL] == "off-site"
    assert result.skipped[MAILTO_URL] == "not http(s)"
    assert result.skipped[JAVASCRIPT_URL] == "not http(s)"
    assert not [r for r in site.requests if "partner-services" in r.path or "sendlocaloffer" in r.path]


def test_crawler_fetches_pdf_and_docx(site: FixtureSite) -> None:
    result = crawl(site)
    pages = {page.requested_url: page for page in result.changed}

    pdf = pages[site.url("/documents/strategy.pdf")]
    assert pdf.content_type == "application/pdf" and pdf.sitemap_lastmod == "2024-11-01"
    texts = [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages]
    assert "SEND Strategy 2024 to 2029" in texts[0] and "Annual reviews" in texts[1]
    word = pages[site.url("/documents/guide.docx")]
    assert word.content_type.endswith("wordprocessingml.document")
    assert "Short breaks guide" in docx.Document(io.BytesIO(word.content)).paragraphs[0].text


def test_crawler_keeps_non_utf8_bytes_for_the_parser(site: FixtureSite) -> None:
    result = crawl(site)

    [page] = [page for page in result.changed if page.requested_url == site.url("/latin1.html")]
    assert page.encoding is None  # no charset header: the parser reads the meta charset
    assert "£0 – it’s free" in page.content.decode("cp1252")


def test_crawler_stops_at_page_budget(site: FixtureSite) -> None:
    state = CrawlState()
    crawl(site, state)
    del site.pages["/sitemap-only.html"]

    result = crawl(site, state, max_pages=3)

    assert result.budget_exhausted and not result.complete
    assert result.timing.pages_fetched <= 3
    assert "budget" in result.skipped.values()
    assert result.removed == []  # an incomplete crawl removes nothing it merely did not reach


def test_crawler_refuses_private_addresses_even_on_allowed_hosts(site: FixtureSite) -> None:
    links = '<a href="http://10.0.0.1/admin">Router</a> <a href="http://169.254.169.254/latest/meta-data/">IMDS</a>'
    site.pages["/ssrf.html"] = html_page("SSRF", f'{links} <a href="/to-metadata">Redirect</a>')
    site.redirects["/to-metadata"] = "http://169.254.169.254/latest/meta-data/"

    result = crawl(site, path="/ssrf.html", allowed_hosts=("10.0.0.1", "169.254.169.254"))

    assert result.skipped["http://10.0.0.1/admin"] == "unsafe"
    assert result.skipped["http://169.254.169.254/latest/meta-data/"] == "unsafe"
    assert result.failed[site.url("/to-metadata")].startswith("unsafe redirect")


def test_check_address_allows_only_the_start_host_to_be_private() -> None:
    check_address("http://127.0.0.1:8000/page", "127.0.0.1")
    for url in ["http://10.0.0.1/", "http://169.254.169.254/", "http://[::1]/", "http://0.0.0.0/",
                "http://224.0.0.1/", "http://user:secret@127.0.0.1/", "ftp://127.0.0.1/"]:  # fmt: skip
        with pytest.raises(UnsafeURLError):
            check_address(url, "127.0.0.1" if "user" in url or "ftp" in url else "example.org")


def test_fetcher_connects_to_the_address_it_checked_not_a_second_answer(
    site: FixtureSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name answers with the site's address for the check, then with a private one."""
    real = socket.getaddrinfo
    answers: list[str] = []

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "rebind.test":
            return real(host, port, *args, **kwargs)
        answers.append("127.0.0.1" if not answers else "10.0.0.1")
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (answers[-1], port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    port = site.base_url.rsplit(":", 1)[1]
    source = SourceConfig(name="rebind", start_url=f"http://rebind.test:{port}/", limits=FAST)

    async def fetch_twice() -> list[int]:
        async with Fetcher(source) as fetcher:
            first = await fetcher.fetch(f"http://rebind.test:{port}/plain.html")
            second = await fetcher.fetch(f"http://rebind.test:{port}/latin1.html")
        return [first.status, second.status]

    assert asyncio.run(fetch_twice()) == [200, 200]
    assert answers == ["127.0.0.1"]  # resolved once, for the check; both requests went to that address


def test_urls_normalise_and_scope() -> None:
    assert normalise_url("HTTPS://Example.ORG:443/a?b=1#frag") == "https://example.org/a?b=1"
    assert normalise_url("../c", "http://example.org:80/a/b/") == "http://example.org/a/c"
    source = SourceConfig(name="s", start_url="https://example.org/oag/", path_prefixes=("/oag/",))
    assert in_scope("https://example.org/oag/x", source)
    assert not in_scope("https://example.org/other", source)
    assert not in_scope("https://evil.example/oag/x", source)


def test_crawler_second_run_sends_conditional_requests_and_gets_only_304s(site: FixtureSite) -> None:
    state = CrawlState()
    crawl(site, state)
    site.clear_log()

    result = crawl(site, state)

    assert result.changed == []
    assert set(result.unchanged) == {site.url(path) for path in FETCHED_OK}
    for path in FETCHED_OK:
        page = site.pages.get(path)
        requests = site.requested(path)
        if page is not None and page.lastmod:  # the sitemap says unchanged: not even a conditional request
            assert requests == [], path
        else:
            assert [(r.status, r.if_none_match is not None) for r in requests] == [
                (304 if path != "/redirect/1" else 301, True)
            ], path
    assert [r.status for r in site.requested("/redirect-target.html")] == [304]
    assert result.timing.pages_fetched == 5


@pytest.mark.parametrize(("path", "lastmod"), [("/plain.html", "2025-04-01"), ("/latin1.html", None)])
def test_crawler_rerun_returns_only_the_changed_page(site: FixtureSite, path: str, lastmod: str | None) -> None:
    state = CrawlState()
    crawl(site, state)
    site.update(path, site.pages[path].body.replace(b"</body>", b"<p>New paragraph.</p></body>"), lastmod=lastmod)

    result = crawl(site, state)

    assert changed_urls(result) == {site.url(path)}
    assert b"New paragraph." in result.changed[0].content


def test_crawler_counts_same_body_as_unchanged_without_validators(site: FixtureSite) -> None:
    site.pages["/latin1.html"] = replace(site.pages["/latin1.html"], validators=False)
    state = CrawlState()
    crawl(site, state)

    result = crawl(site, state)

    assert [request.status for request in site.requested("/latin1.html")] == [200, 200]
    assert site.url("/latin1.html") in result.unchanged and result.changed == []


def test_crawler_marks_page_now_404_as_removed(site: FixtureSite) -> None:
    state = CrawlState()
    crawl(site, state)
    site.pages["/latin1.html"] = replace(site.pages["/latin1.html"], status=404)

    result = crawl(site, state)

    url = site.url("/latin1.html")
    assert result.removed == [url] and url not in result.failed
    entry = state.get(url)
    assert entry is not None and entry.status == "removed"


def test_crawler_marks_page_no_longer_listed_as_removed(site: FixtureSite) -> None:
    state = CrawlState()
    crawl(site, state)
    del site.pages["/sitemap-only.html"]

    result = crawl(site, state)

    assert result.complete
    assert result.removed == [site.url("/sitemap-only.html")]
    assert not site.requested("/sitemap-only.html")[1:]  # asked once, in the first run only


def test_crawler_tolerates_malformed_sitemap_and_removes_nothing(site: FixtureSite) -> None:
    state = CrawlState()
    crawl(site, state)
    site.pages["/sitemap.xml"] = FixturePage(b"<sitemapindex><sitemap><loc>broken", content_type="application/xml")

    result = crawl(site, state)

    assert not result.complete and result.removed == []
    assert site.url("/latin1.html") in result.unchanged  # links still lead on


def test_parse_sitemap_refuses_dtds_and_entities() -> None:
    with pytest.raises(ParseError):
        parse_sitemap(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><urlset><url><loc>&a;</loc></url></urlset>')


def test_crawl_state_round_trips_through_json(site: FixtureSite, tmp_path: Path) -> None:
    state = CrawlState()
    crawl(site, state)
    path = tmp_path / "scrape-state.json"
    state.set_doc_id(site.url("/plain.html"), "local-offer/plain")

    state.save(path)
    loaded = CrawlState.load(path)

    assert len(loaded) == len(state)
    assert loaded.urls("fixture", status="current") == state.urls("fixture", status="current")
    assert loaded.get(site.url("/plain.html")) == state.get(site.url("/plain.html"))
    assert loaded.conditional_headers(site.url("/latin1.html"))["If-None-Match"].startswith('"')
    assert json.loads(path.read_text())["version"] == 1


def test_crawler_reports_progress(site: FixtureSite) -> None:
    events: list[CrawlProgress] = []

    result = Crawler(source_for(site), CrawlState(), progress=events.append).run()

    assert len(events) == len(result.changed) + len(result.failed) + sum(
        1 for url in result.skipped if url.startswith(site.base_url)
    )
    assert events[-1].handled == len(events)
