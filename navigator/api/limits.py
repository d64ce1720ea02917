"""Abuse limits as pure ASGI middleware: per-client rate limiting, a request body cap and security headers.

Pure ASGI (not ``BaseHTTPMiddleware``) so the Server-Sent Events stream passes through unbuffered.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from navigator.api.errors import REQUEST_BODY_STATE, SECURITY_HEADERS, error_response, localised_text

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_MAX_CLIENTS = 10_000  # buckets kept at most; beyond this the least recently seen client is forgotten


@dataclass
class _Bucket:
    tokens: float
    seen: float


class TokenBucketLimiter:
    """Token buckets per client key: ``burst`` requests at once, refilled at ``per_minute`` a minute.

    Memory is bounded: a bucket idle long enough to be full again is dropped (forgetting it changes nothing),
    and at most ``max_clients`` buckets are kept. One lock guards the buckets, and nothing awaits while holding
    it, so the limiter is safe from the event loop and from worker threads alike.

    Args:
        per_minute: Sustained requests a minute per client; 0 disables limiting.
        burst: Requests a client may make at once before the rate applies.
        max_clients: Most buckets kept.
        clock: Seconds from a monotonic clock (tests pass their own).

    """

    def __init__(
        self,
        per_minute: int,
        burst: int,
        *,
        max_clients: int = _MAX_CLIENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_second = per_minute / 60.0
        self.capacity = float(max(1, burst))
        self.max_clients = max_clients
        self.clock = clock  # replaceable, so tests move time instead of waiting
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Whether any limit applies."""
        return self.per_second > 0

    def __len__(self) -> int:
        return len(self._buckets)

    def acquire(self, key: str) -> float:
        """Take one token for ``key``.

        Returns:
            0.0 when the request may go ahead, else the seconds until a token is free.

        """
        if not self.enabled:
            return 0.0
        with self._lock:
            now = self.clock()
            self._evict_idle(now)
            bucket = self._buckets.pop(key, None)
            if bucket is None:
                bucket = _Bucket(self.capacity, now)
            else:
                bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.seen) * self.per_second)
                bucket.seen = now
            self._buckets[key] = bucket  # most recently seen last
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.per_second

    def _evict_idle(self, now: float) -> None:
        """Drop buckets that have refilled completely; the oldest come first, so stop at the first fresh one."""
        refill = self.capacity / self.per_second
        while self._buckets:
            key, bucket = next(iter(self._buckets.items()))
            if now - bucket.seen < refill:
                break
            del self._buckets[key]


def client_key(scope: Scope, *, trust_forwarded_for: bool) -> str:
    """The client's address: the connection's peer, or the proxy-appended X-Forwarded-For entry when trusted.

    Only the last entry is used: it is the one the trusted proxy added, and earlier ones are whatever the
    client chose to send.
    """
    if trust_forwarded_for:
        entries: list[str] = []
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-for":
                entries += [part.strip() for part in value.decode("latin-1").split(",") if part.strip()]
        if entries:
            return entries[-1]
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class RateLimitMiddleware:
    """Answers 429 with ``Retry-After`` when a client sends POST /api/* faster than the limiter allows."""

    def __init__(self, app: ASGIApp, limiter: TokenBucketLimiter, *, trust_forwarded_for: bool = False) -> None:
        self.app = app
        self.limiter = limiter
        self.trust_forwarded_for = trust_forwarded_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Limit POST /api/* requests; pass everything else through."""
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not scope["path"].startswith("/api/")
            or not self.limiter.enabled
        ):
            await self.app(scope, receive, send)
            return
        wait = self.limiter.acquire(client_key(scope, trust_forwarded_for=self.trust_forwarded_for))
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        seconds = max(1, math.ceil(wait))
        body = scope.get("state", {}).get(REQUEST_BODY_STATE)
        response = error_response(
            429,
            "rate_limited",
            f"Too many requests from this address. Wait {seconds} seconds and try again.",
            localised=localised_text(scope["path"], body, "error.rate_limited", seconds=seconds),
            headers={"Retry-After": str(seconds)},
        )
        await response(scope, receive, send)


class BodySizeLimitMiddleware:
    """Answers 413 for a body over ``max_bytes``, before reading it when Content-Length says so.

    A chunked body is read up to the limit and no further. Bodies that fit are kept in the request state
    (``errors.REQUEST_BODY_STATE``) so error messages can be written in the request's language.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, *, max_query_chars: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_query_chars = max_query_chars

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse an oversized body, or read it (within the limit) and hand it to the app."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared == -1:
            await error_response(400, "invalid_request", "The Content-Length header is not a number.")(
                scope, receive, send
            )
            return
        if declared is not None and declared > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        if scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        total = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left before sending its body; nobody to answer
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        scope.setdefault("state", {})[REQUEST_BODY_STATE] = body
        await self.app(scope, _replay(body, receive), send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413,
            "request_too_large",
            f"The request body is over the limit of {self.max_bytes} bytes. Send a shorter message.",
            # The body was not read, so its language is unknown: the localised text is English.
            localised=localised_text(scope["path"], None, "error.too_long", limit=self.max_query_chars),
        )
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    """The declared body length, None when not declared, -1 when it is not a number."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else -1
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive channel that gives the already read body once, then defers to the real one (disconnects)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


class SecurityHeadersMiddleware:
    """Adds nosniff and no-referrer to every response, no-store to API responses and CORP to widget files.

    Framing is left alone (the widget is embedded by council pages), a Content-Security-Policy a route set
    is kept, and no response may set a cookie: the navigator needs none.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request through and add the headers to its response."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        is_api = path.startswith("/api/")
        force_no_store = is_api and scope["method"] == "POST"  # replies to questions are never cached

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if force_no_store:
                    headers["Cache-Control"] = "no-store"
                elif is_api:
                    headers.setdefault("Cache-Control", "no-store")  # the widget's strings say they are public
                if path.startswith("/widget/"):
                    headers.setdefault("Cross-Origin-Resource-Policy", "cross-origin")
                if "set-cookie" in headers:
                    del headers["set-cookie"]
            await send(message)

        await self.app(scope, receive, send_with_headers)
