"""A polite async HTTP fetcher: redirects checked hop by hop, retries with back-off, a size cap, conditional GETs."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from urllib.parse import urlsplit, urlunsplit

import httpx

from navigator.errors import FetchError, UnsafeURLError
from scrapers.base import USER_AGENT, CrawlLimits, FetchedPage, SourceConfig
from scrapers.urls import check_address, host_of, in_scope, is_http_url, normalise_url

logger = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_RETRY_WAIT_SECONDS = 60.0  # a Retry-After longer than this is not worth holding a crawl for
_ERROR_BODY_BYTES = 65_536  # read this much of an error or redirect body so the connection can be reused
_ACCEPT = "text/html,application/xhtml+xml,application/pdf,application/json;q=0.9,*/*;q=0.5"


class PageFetchError(FetchError):
    """A URL could not be fetched; carries the URL, a short reason and the last HTTP status when there was one."""

    def __init__(self, url: str, reason: str, *, status: int | None = None) -> None:
        super().__init__(f"Could not fetch {url}: {reason}. Check the URL, or raise the limits in sources.toml.")
        self.url = url
        self.reason = reason
        self.status = status


@dataclass
class FetchStats:
    """What a fetcher has done so far."""

    requests: int = 0  # HTTP requests sent, retries and redirect hops included
    bytes: int = 0  # body bytes received (decoded)


@dataclass(frozen=True)
class _Response:
    url: str
    status: int
    headers: dict[str, str]
    content: bytes


class _TransientError(Exception):
    """A connection-level failure worth a retry."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Fetcher:
    """Fetch URLs of one source politely; use as ``async with fetcher:`` around a crawl."""

    def __init__(
        self,
        source: SourceConfig,
        *,
        user_agent: str = USER_AGENT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.source = source
        self.limits: CrawlLimits = source.limits
        self.start_host = host_of(source.start_url)
        self.stats = FetchStats()
        self._user_agent = user_agent
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._depth = 0
        self._semaphore: asyncio.Semaphore | None = None
        self._next_start: dict[str, float] = {}
        self._host_delays: dict[str, float] = {}
        self._safe_netlocs: dict[tuple[str, str], str] = {}  # (scheme, netloc) -> the address checked

    async def __aenter__(self) -> Fetcher:
        if self._client is None:
            self._client = httpx.AsyncClient(
                follow_redirects=False,
                timeout=httpx.Timeout(self.limits.timeout_seconds),
                headers={"User-Agent": self._user_agent, "Accept": _ACCEPT},
                limits=httpx.Limits(max_connections=max(1, self.limits.concurrency) + 2),
                transport=self._transport,
            )
            self._semaphore = asyncio.Semaphore(max(1, self.limits.concurrency))
            self._next_start.clear()
            self._safe_netlocs.clear()
        self._depth += 1
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._depth -= 1
        if self._depth == 0 and self._client is not None:
            await self._client.aclose()
            self._client = None

    def slow_down(self, host: str, delay_seconds: float) -> None:
        """Wait at least ``delay_seconds`` between request starts to ``host`` (robots.txt Crawl-delay)."""
        if delay_seconds > self._host_delays.get(host, 0.0):
            self._host_delays[host] = delay_seconds

    async def check_url(self, url: str) -> None:
        """Apply the SSRF guard to ``url``, resolving its host once per crawl; requests go to the address checked.

        Raises:
            UnsafeURLError: the URL must not be requested.
            FetchError: its host does not resolve.

        """
        parts = urlsplit(url)
        key = (parts.scheme.lower(), parts.netloc.lower())
        if key in self._safe_netlocs:
            return
        address = await asyncio.to_thread(check_address, url, self.start_host)
        self._safe_netlocs[key] = address  # unsafe answers are not cached: they are rare and raise with their own URL

    def _pinned(self, url: str) -> tuple[str, dict[str, str], dict[str, str]]:
        """``url`` with its host replaced by the checked address, the Host header, and TLS's server name.

        Raises:
            UnsafeURLError: the URL's host was never checked (a bug: every URL is checked before it is requested).

        """
        parts = urlsplit(url)
        address = self._safe_netlocs.get((parts.scheme.lower(), parts.netloc.lower()))
        if address is None:
            raise UnsafeURLError(f"Refused {url}: its host was not checked before the request.")
        literal = f"[{address}]" if ":" in address else address
        pinned = urlunsplit(parts._replace(netloc=literal + (f":{parts.port}" if parts.port else "")))
        # The certificate is checked against the host name sent as SNI, not against the address.
        extensions = {"sni_hostname": parts.hostname or ""} if parts.scheme.lower() == "https" else {}
        return pinned, {"Host": parts.netloc}, extensions

    async def fetch(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        may_follow: Callable[[str], bool] | None = None,
        robots_allow: Callable[[str], Awaitable[bool]] | None = None,
    ) -> FetchedPage:
        """GET ``url``, following redirects that stay where ``may_follow`` allows.

        Args:
            url: a normalised absolute http(s) URL.
            headers: extra request headers, e.g. ``If-None-Match`` from the crawl state (kept across redirects).
            may_follow: whether a redirect may go to a URL; by default, the source's scope.
            robots_allow: robots.txt check for each redirect hop (the first URL is the caller's to check).

        Returns:
            The final response: status 2xx with its body, or 304 with an empty body.

        Raises:
            UnsafeURLError: ``url`` itself fails the SSRF guard.
            PageFetchError: any other failure, with a reason (``HTTP 404``, ``timeout``, ``too large``,
                ``redirect loop``, ``too many redirects``, ``off-site redirect``, ``unsafe redirect``,
                ``redirect disallowed by robots.txt``).

        """
        if self._client is None:
            raise FetchError("The fetcher is not open. Use it as `async with fetcher:`.")
        allow = may_follow or (lambda hop: in_scope(hop, self.source))
        await self.check_url(url)
        current, seen, hops = url, {url}, 0
        while True:
            response = await self._request_with_retries(url, current, headers or {})
            if response.status not in REDIRECT_STATUSES:
                break
            location = response.headers.get("location")
            if not location:
                raise PageFetchError(url, f"HTTP {response.status} without a Location", status=response.status)
            hop = normalise_url(location, current)
            if hop in seen:
                raise PageFetchError(url, f"redirect loop at {hop}", status=response.status)
            hops += 1
            if hops > self.limits.max_redirects:
                raise PageFetchError(url, f"too many redirects (over {self.limits.max_redirects})")
            if not is_http_url(hop) or not allow(hop):
                raise PageFetchError(url, f"off-site redirect to {hop}", status=response.status)
            try:
                await self.check_url(hop)
            except (UnsafeURLError, FetchError) as exc:
                raise PageFetchError(url, f"unsafe redirect to {hop}", status=response.status) from exc
            if robots_allow is not None and not await robots_allow(hop):
                raise PageFetchError(url, f"redirect to {hop} disallowed by robots.txt", status=response.status)
            seen.add(hop)
            current = hop
        if response.status != 304 and not 200 <= response.status < 300:
            raise PageFetchError(url, f"HTTP {response.status}", status=response.status)
        return _to_page(url, response)

    async def _request_with_retries(self, requested: str, url: str, headers: Mapping[str, str]) -> _Response:
        retries = max(0, self.limits.retries)
        for attempt in range(retries + 1):
            retry_after: float | None = None
            try:
                response = await self._request_once(requested, url, headers)
            except _TransientError as exc:
                if attempt == retries:
                    raise PageFetchError(requested, exc.reason) from exc
                reason = exc.reason
            else:
                if response.status != 429 and response.status < 500:
                    return response
                if attempt == retries:
                    return response
                reason = f"HTTP {response.status}"
                retry_after = _retry_after_seconds(response.headers.get("retry-after"))
            wait = retry_after if retry_after is not None else self.limits.backoff_seconds * 2**attempt
            wait = min(max(wait, 0.0), MAX_RETRY_WAIT_SECONDS)
            logger.info("retrying %s in %.2f s after %s (attempt %d of %d)", url, wait, reason, attempt + 1, retries)
            await asyncio.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _request_once(self, requested: str, url: str, headers: Mapping[str, str]) -> _Response:
        assert self._client is not None and self._semaphore is not None
        await self._wait_turn(host_of(url))
        pinned, host_header, extensions = self._pinned(url)
        async with self._semaphore:
            self.stats.requests += 1
            try:
                request = self._client.stream("GET", pinned, headers={**headers, **host_header}, extensions=extensions)
                async with request as response:
                    status = response.status_code
                    limit = self.limits.max_bytes if 200 <= status < 300 else _ERROR_BODY_BYTES
                    declared = response.headers.get("content-length", "")
                    if 200 <= status < 300 and declared.isdigit() and int(declared) > limit:
                        raise PageFetchError(requested, f"too large ({declared} bytes, limit {limit})", status=status)
                    content = await self._read_capped(requested, response, limit, strict=200 <= status < 300)
                    response_headers = {key.lower(): value for key, value in response.headers.items()}
            except httpx.TimeoutException as exc:
                raise _TransientError("timeout") from exc
            except httpx.TransportError as exc:
                raise _TransientError(f"connection error ({type(exc).__name__})") from exc
            except httpx.HTTPError as exc:
                raise PageFetchError(requested, f"bad response ({type(exc).__name__})") from exc
        return _Response(url, status, response_headers, content)

    async def _read_capped(self, requested: str, response: httpx.Response, limit: int, *, strict: bool) -> bytes:
        chunks: list[bytes] = []
        total = 0
        async for chunk in response.aiter_bytes():
            total += len(chunk)
            self.stats.bytes += len(chunk)
            if total > limit:
                if strict:
                    raise PageFetchError(requested, f"too large (over {limit} bytes)", status=response.status_code)
                break  # an error page's body is not needed
            chunks.append(chunk)
        return b"".join(chunks)

    async def _wait_turn(self, host: str) -> None:
        """Space request starts to one host by the configured delay (or the host's larger Crawl-delay)."""
        delay = max(self.limits.delay_seconds, self._host_delays.get(host, 0.0))
        if delay <= 0:
            return
        now = asyncio.get_running_loop().time()
        slot = max(now, self._next_start.get(host, now))
        self._next_start[host] = slot + delay
        if slot > now:
            await asyncio.sleep(slot - now)


def _to_page(requested: str, response: _Response) -> FetchedPage:
    raw_type = response.headers.get("content-type", "")
    media_type = raw_type.split(";", 1)[0].strip().lower()
    return FetchedPage(
        url=response.url,
        requested_url=requested,
        status=response.status,
        content=b"" if response.status == 304 else response.content,
        content_type=media_type,
        encoding=_charset(raw_type),
        headers=response.headers,
        fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
        etag=response.headers.get("etag"),
        last_modified=response.headers.get("last-modified"),
    )


def _charset(content_type: str) -> str | None:
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'").lower()
    return None


def _retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
