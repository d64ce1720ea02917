"""Abuse limits of the real app: per-client rate limiting with Retry-After, CORS only for configured origins,
security headers on every response, and never a cookie."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi import FastAPI, Response
from fastapi.testclient import TestClient

from navigator.api.app import create_app
from navigator.api.limits import TokenBucketLimiter
from navigator.config import Settings
from navigator.languages.locales import get_locale
from navigator.retrieval.index_build import build_index
from navigator.retrieval.index_store import load_index
from navigator.retrieval.searcher import Searcher
from navigator.testing import FAKE_INDEX, FakeEmbedder, tiny_corpus

COUNCIL = "https://www.birmingham.gov.uk"
EVIL = "https://evil.example"
SEARCH = {"query": "school transport", "k": 2}


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("abuse") / "index"
    build_index(tiny_corpus(), FakeEmbedder(), path, **FAKE_INDEX)
    return path


@pytest.fixture
def make_app(index_dir, tmp_path):
    def build(**overrides) -> FastAPI:
        values = {
            "index_dir": index_dir,
            "database_path": tmp_path / "nav.sqlite3",
            "model_cache_dir": tmp_path / "models",
            "answer_threshold": 0.0,
            "cors_origins": [COUNCIL],
            **overrides,
        }
        return create_app(Settings(**values), Searcher(load_index(index_dir, **FAKE_INDEX), FakeEmbedder()))

    return build


def _exhaust(client: TestClient, burst: int) -> None:
    for _ in range(burst):
        assert client.post("/api/search", json=SEARCH).status_code == 200


# ---- rate limiting -----------------------------------------------------------------------------------------------


def test_abuse_rate_limit_gives_429_with_retry_after_and_recovers(make_app):
    app = make_app(rate_limit_per_minute=60, rate_limit_burst=3)  # one token a second
    now = [1000.0]
    app.state.rate_limiter.clock = lambda: now[0]  # time moves only when the test says so
    with TestClient(app) as client:
        statuses = [client.post("/api/search", json=SEARCH) for _ in range(6)]  # well under a second
        codes = [r.status_code for r in statuses]
        assert codes[:3] == [200, 200, 200] and 429 in codes
        limited = statuses[codes.index(429)]

        assert limited.headers["retry-after"] == "1"
        assert limited.headers["content-type"].startswith("application/json")
        error = limited.json()["error"]
        assert error["code"] == "rate_limited" and "1 seconds" in error["message"]
        assert "localised" not in error  # search is not a family-facing endpoint

        now[0] += int(limited.headers["retry-after"]) + 0.1
        after = [client.post("/api/search", json=SEARCH).status_code for _ in range(3)]
        assert after[0] == 200 and 429 in after  # a token or two came back, not the whole burst


def test_abuse_rate_limit_applies_to_every_post_endpoint_and_not_to_reads(make_app):
    app = make_app(rate_limit_per_minute=1, rate_limit_burst=2)
    with TestClient(app) as client:
        _exhaust(client, 2)
        for path, body in (
            ("/api/chat", {"message": "EHC plan"}),
            ("/api/chat/stream", {"message": "EHC plan"}),
            ("/api/feedback", {"conversation_id": "0" * 32, "message_index": 0, "useful": True}),
            ("/api/search", SEARCH),
        ):
            response = client.post(path, json=body)
            assert response.status_code == 429, path
            assert int(response.headers["retry-after"]) >= 59  # a token a minute
        assert client.get("/healthz").status_code == 200
        assert client.get("/api/widget/strings", params={"lang": "ur"}).status_code == 200
        assert client.options("/api/chat", headers=_preflight(COUNCIL)).status_code == 200


def test_abuse_rate_limited_chat_is_localised_in_the_request_language(make_app):
    app = make_app(rate_limit_per_minute=6, rate_limit_burst=1)
    with TestClient(app) as client:
        _exhaust(client, 1)
        response = client.post("/api/chat", json={"message": "EHC plan", "language": "ur"})

    assert response.status_code == 429
    seconds = int(response.headers["retry-after"])
    assert 1 <= seconds <= 10
    assert response.json()["error"]["localised"] == get_locale("ur").text("error.rate_limited", seconds=seconds)


def test_abuse_rate_limit_keys_by_client_address(make_app):
    app = make_app(rate_limit_per_minute=1, rate_limit_burst=2)
    with (
        TestClient(app, client=("203.0.113.10", 40000)) as first,
        TestClient(app, client=("203.0.113.11", 40001)) as second,
    ):
        _exhaust(first, 2)
        assert first.post("/api/search", json=SEARCH).status_code == 429
        # Another address has its own bucket; a spoofed X-Forwarded-For is ignored when it is not trusted.
        _exhaust(second, 2)
        assert first.post("/api/search", json=SEARCH, headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 429


def test_abuse_rate_limit_uses_the_proxy_entry_of_x_forwarded_for_only_when_trusted(make_app):
    app = make_app(rate_limit_per_minute=1, rate_limit_burst=1, trust_forwarded_for=True)
    with TestClient(app, client=("127.0.0.1", 40000)) as proxy:  # every request arrives from the proxy
        alice = {"X-Forwarded-For": "198.51.100.7"}
        bob = {"X-Forwarded-For": "198.51.100.8"}
        assert proxy.post("/api/search", json=SEARCH, headers=alice).status_code == 200
        assert proxy.post("/api/search", json=SEARCH, headers=alice).status_code == 429
        assert proxy.post("/api/search", json=SEARCH, headers=bob).status_code == 200
        # The client can prepend what it likes; the proxy's appended entry is what counts.
        spoofed = {"X-Forwarded-For": "10.9.9.9, 198.51.100.7"}
        assert proxy.post("/api/search", json=SEARCH, headers=spoofed).status_code == 429


def test_abuse_rate_limit_zero_disables_it(make_app):
    with TestClient(make_app(rate_limit_per_minute=0, rate_limit_burst=1)) as client:
        for _ in range(40):
            assert client.post("/api/search", json=SEARCH).status_code == 200


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_abuse_token_bucket_refills_at_the_configured_rate():
    clock = FakeClock()
    limiter = TokenBucketLimiter(per_minute=30, burst=10, clock=clock)  # a token every 2 s

    assert [limiter.acquire("a") for _ in range(10)] == [0.0] * 10
    assert limiter.acquire("a") == pytest.approx(2.0)
    clock.now += 1.0
    assert limiter.acquire("a") == pytest.approx(1.0)
    clock.now += 1.0
    assert limiter.acquire("a") == 0.0
    assert limiter.acquire("b") == 0.0  # another client starts with a full burst
    clock.now += 3600
    assert [limiter.acquire("a") for _ in range(11)][-1] > 0  # refills up to the burst, not beyond


def test_abuse_token_bucket_memory_is_bounded():
    clock = FakeClock()
    limiter = TokenBucketLimiter(per_minute=60, burst=5, max_clients=100, clock=clock)

    for i in range(5000):
        limiter.acquire(f"10.0.{i // 256}.{i % 256}")
    assert len(limiter) == 100  # least recently seen clients forgotten

    clock.now += 5.0  # every bucket has refilled: forgetting them changes nothing, so they go
    limiter.acquire("198.51.100.1")
    assert len(limiter) == 1


def test_abuse_token_bucket_is_thread_safe():
    limiter = TokenBucketLimiter(per_minute=1, burst=50, clock=FakeClock())
    allowed: list[bool] = []
    lock = threading.Lock()

    def hammer() -> None:
        for _ in range(100):
            ok = limiter.acquire("one-client") == 0.0
            with lock:
                allowed.append(ok)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(allowed) == 800 and sum(allowed) == 50


# ---- CORS ----------------------------------------------------------------------------------------------------------


def _preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }


@pytest.fixture
def client(make_app):
    app = make_app(rate_limit_per_minute=0)
    with TestClient(app) as test_client:
        yield test_client


def test_abuse_cors_allows_only_configured_origins(client):
    allowed = client.post("/api/search", json=SEARCH, headers={"Origin": COUNCIL})
    assert allowed.headers["access-control-allow-origin"] == COUNCIL
    assert "access-control-allow-credentials" not in allowed.headers

    for origin in (EVIL, "null", COUNCIL + ".evil.example", "http://www.birmingham.gov.uk"):
        refused = client.post("/api/search", json=SEARCH, headers={"Origin": origin})
        assert "access-control-allow-origin" not in refused.headers, origin


def test_abuse_cors_preflight_only_for_configured_origins(client):
    allowed = client.options("/api/chat", headers=_preflight(COUNCIL))
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == COUNCIL
    assert "POST" in allowed.headers["access-control-allow-methods"]

    refused = client.options("/api/chat", headers=_preflight(EVIL))
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers


def test_abuse_cors_headers_on_limit_errors_so_the_widget_can_read_them(make_app):
    with TestClient(make_app(rate_limit_per_minute=1, rate_limit_burst=1)) as client:
        _exhaust(client, 1)
        limited = client.post("/api/chat", json={"message": "EHC plan"}, headers={"Origin": COUNCIL})
        too_big = client.post(
            "/api/chat",
            content=b"{" + b" " * 20000 + b"}",
            headers={"Origin": COUNCIL, "content-type": "application/json"},
        )
    assert limited.status_code == 429 and limited.headers["access-control-allow-origin"] == COUNCIL
    assert too_big.status_code == 413 and too_big.headers["access-control-allow-origin"] == COUNCIL


# ---- security headers and cookies ----------------------------------------------------------------------------


def _responses(client: TestClient) -> dict[str, Any]:
    json_headers = {"content-type": "application/json"}
    return {
        "healthz": client.get("/healthz"),
        "search": client.post("/api/search", json=SEARCH),
        "chat": client.post("/api/chat", json={"message": "How long does an EHC plan take?"}),
        "stream": client.post("/api/chat/stream", json={"message": "How long does an EHC plan take?"}),
        "strings": client.get("/api/widget/strings", params={"lang": "ar"}),
        "script": client.get("/widget/navigator.js"),
        "demo": client.get("/"),
        "inline": client.get("/widget/inline.html"),
        "openapi": client.get("/openapi.json"),
        "not_found": client.get("/nope"),
        "invalid": client.post("/api/chat", json={"message": 3}),
        "too_long": client.post("/api/chat", json={"message": "a" * 5000}),
        "too_big": client.post("/api/chat", content=b"{" + b" " * 20000 + b"}", headers=json_headers),
        "preflight": client.options("/api/chat", headers=_preflight(COUNCIL)),
    }


def test_abuse_security_headers_on_every_response(client):
    responses = _responses(client)
    for name, response in responses.items():
        assert response.status_code < 500, name
        assert response.headers["x-content-type-options"] == "nosniff", name
        assert response.headers["referrer-policy"] == "no-referrer", name
        assert "x-frame-options" not in response.headers, name  # council pages embed the widget
        assert "set-cookie" not in response.headers, name

    for name in ("search", "chat", "stream", "invalid", "too_long", "too_big"):
        assert responses[name].headers["cache-control"] == "no-store", name
    assert responses["strings"].headers["cache-control"].startswith("public")  # the route's own choice is kept
    assert responses["stream"].headers["content-type"].startswith("text/event-stream")
    assert responses["script"].headers["cross-origin-resource-policy"] == "cross-origin"
    assert responses["inline"].headers["cross-origin-resource-policy"] == "cross-origin"
    assert "cross-origin-resource-policy" not in responses["chat"].headers
    # The demo page's own CSP is kept as the route wrote it: only its own origin.
    csp = responses["demo"].headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "connect-src 'self'" in csp
    assert "content-security-policy" not in responses["chat"].headers


def test_abuse_no_cookie_is_ever_set(make_app):
    app = make_app(rate_limit_per_minute=0)

    def sets_a_cookie(response: Response) -> dict[str, str]:  # a test-only route
        response.set_cookie("session", "abc")
        return {"ok": "yes"}

    app.add_api_route("/api/cookie", sets_a_cookie, methods=["GET"])
    with TestClient(app) as client:
        response = client.get("/api/cookie")
        assert response.status_code == 200 and "set-cookie" not in response.headers
        assert not client.cookies
        for name, other in _responses(client).items():
            assert "set-cookie" not in other.headers, name
        assert not client.cookies
