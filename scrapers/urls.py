"""URL rules of a crawl: normalisation, the scope of a source, and the guard against private addresses (SSRF)."""

from __future__ import annotations

import ipaddress
import logging
import socket
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

from navigator.errors import FetchError, UnsafeURLError
from scrapers.base import SourceConfig

logger = logging.getLogger(__name__)

HTTP_SCHEMES = frozenset({"http", "https"})
DOCUMENT_EXTENSIONS = (".pdf", ".docx")
# Links to these are never worth a request: no parser reads them.
SKIPPED_EXTENSIONS = (
    ".jpg", ".jpeg", ".png", ".gif", ".svg", ".webp", ".ico", ".bmp", ".tif", ".tiff",
    ".css", ".js", ".mjs", ".map", ".woff", ".woff2", ".ttf", ".eot",
    ".mp3", ".mp4", ".m4a", ".mov", ".avi", ".webm", ".wav",
    ".zip", ".gz", ".tgz", ".rar", ".7z", ".exe", ".dmg", ".msi", ".iso",
    ".doc", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".ods", ".rtf", ".csv", ".ics",
)  # fmt: skip
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_url(url: str, base: str | None = None) -> str:
    """Resolve ``url`` against ``base`` and put it in one canonical spelling.

    Drops the fragment, lower-cases the scheme and host, removes the default port and gives an empty path
    as ``/``; the query is kept as it is.

    Args:
        url: an absolute URL, or a relative one when ``base`` is given.
        base: the URL of the page the link was found on (or its ``<base href>``).

    Returns:
        The normalised absolute URL. Non-http(s) URLs come back resolved but otherwise untouched.

    """
    joined = urljoin(base, url.strip()) if base else url.strip()
    parts = urlsplit(joined)
    scheme = parts.scheme.lower()
    if scheme not in HTTP_SCHEMES:
        return joined
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0]
    if userinfo:
        netloc = f"{userinfo}@{netloc}"
    return urlunsplit(SplitResult(scheme, netloc, parts.path or "/", parts.query, ""))


def host_of(url: str) -> str:
    """The lower-case host name of ``url`` (empty when it has none)."""
    return (urlsplit(url).hostname or "").lower()


def allowed_hosts(source: SourceConfig) -> frozenset[str]:
    """The hosts a source may fetch from: its ``allowed_hosts`` plus the start URL's own host."""
    return frozenset({host_of(source.start_url), *(host.lower() for host in source.allowed_hosts)})


def is_http_url(url: str) -> bool:
    """``url`` is an http(s) URL with a host."""
    parts = urlsplit(url)
    return parts.scheme.lower() in HTTP_SCHEMES and bool(parts.hostname)


def on_allowed_host(url: str, source: SourceConfig) -> bool:
    """``url`` is http(s) and on one of the source's hosts, whatever its path."""
    return is_http_url(url) and host_of(url) in allowed_hosts(source)


def in_scope(url: str, source: SourceConfig) -> bool:
    """``url`` is http(s), on one of the source's hosts, under one of its path prefixes and none it excludes."""
    if not on_allowed_host(url, source):
        return False
    path = urlsplit(url).path or "/"
    if any(path.startswith(prefix) for prefix in source.exclude_prefixes):
        return False
    return any(path.startswith(prefix) for prefix in source.path_prefixes)


def is_document_url(url: str) -> bool:
    """The URL's path names a PDF or Word (DOCX) file."""
    return urlsplit(url).path.lower().endswith(DOCUMENT_EXTENSIONS)


def is_skipped_file(url: str) -> bool:
    """The URL's path names a file no parser reads (images, scripts, archives, old Office formats)."""
    return urlsplit(url).path.lower().endswith(SKIPPED_EXTENSIONS)


def check_address(url: str, start_host: str) -> str:
    """Refuse URLs a crawler must not request, before any connection is made; return the address to connect to.

    The start URL's own host is trusted as configured (a deployment may well crawl an intranet copy, and the
    tests crawl 127.0.0.1); any other host must resolve only to public addresses. The host is resolved here once
    and the fetcher connects to the address returned, never resolving again: a name that answered with a public
    address for the check cannot answer with a private one for the connection (DNS rebinding).

    Args:
        url: the absolute URL about to be requested.
        start_host: the host of the source's start URL.

    Returns:
        The first address the host resolved to (the host itself when it is an IP address).

    Raises:
        UnsafeURLError: not http(s), carries credentials, or resolves to a private, loopback, link-local,
            multicast, reserved or unspecified address.
        FetchError: the host name does not resolve.

    """
    parts = urlsplit(url)
    if parts.scheme.lower() not in HTTP_SCHEMES or not parts.hostname:
        raise UnsafeURLError(f"Refused {url}: only http(s) URLs with a host are crawled.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURLError(f"Refused {url}: URLs with credentials are never requested.")
    host = parts.hostname.lower()
    try:
        infos = socket.getaddrinfo(host, parts.port or _DEFAULT_PORTS[parts.scheme.lower()], type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"Could not resolve {host} for {url}. Check the host name in sources.toml.") from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise FetchError(f"Could not resolve {host} for {url}. Check the host name in sources.toml.")
    if host != start_host.lower():
        for address in addresses:
            if _is_private(address):
                raise UnsafeURLError(
                    f"Refused {url}: {host} resolves to the non-public address {address}. "
                    "Only the start URL's own host may be private."
                )
    return str(addresses[0])


def _is_private(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )
