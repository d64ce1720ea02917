"""A fetched page as the crawler hands it to a parser, for parser tests that need no server."""

from __future__ import annotations

from scrapers.base import FetchedPage


def fetched_page(
    content: bytes | str, url: str, *, content_type: str = "text/html", encoding: str | None = None
) -> FetchedPage:
    """A 200 response for ``url`` with ``content`` (text is UTF-8 encoded)."""
    body = content.encode() if isinstance(content, str) else content
    return FetchedPage(
        url=url,
        requested_url=url,
        status=200,
        content=body,
        content_type=content_type,
        encoding=encoding,
        headers={},
        fetched_at="2025-04-01T08:00:00Z",
    )
