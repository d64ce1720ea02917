"""Browser-test fixtures: the real server (uvicorn on a free loopback port) over a small index built with the real
e5 model, and Debian's Chromium driven by Playwright. Skipped, with the reason, where /usr/bin/chromium is absent."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from widget_harness import (
    AXE_JS,
    CHROMIUM,
    CHROMIUM_ARGS,
    NO_CHROMIUM,
    ROOT,
    CouncilPages,
    LiveServer,
    ThreadedServer,
    build_searcher,
)

from navigator.api.app import create_app
from navigator.config import Settings
from navigator.models.onnx_runtime import OnnxEmbedder


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's Chromium; the browser tests skip with the reason where it is absent."""
    if not CHROMIUM.exists():
        pytest.skip(NO_CHROMIUM)
    pytest.importorskip("playwright.sync_api", reason="playwright is a dev extra: pip install -e '.[dev]'")
    return CHROMIUM


@pytest.fixture(scope="session")
def council(chromium_path: Path) -> Iterator[CouncilPages]:
    """Test pages on another loopback origin (the council's website); its origin is allowed by CORS."""
    pages = CouncilPages().start()
    try:
        yield pages
    finally:
        pages.stop()


@pytest.fixture(scope="session")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, council: CouncilPages, e5: OnnxEmbedder
) -> Iterator[LiveServer]:
    """The real app (create_app with a real index and SQLite store) served by uvicorn on 127.0.0.1."""
    root = tmp_path_factory.mktemp("widget-server")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    settings = Settings(
        index_dir=root / "index",
        database_path=root / "nav.sqlite3",
        corpus_dir=root,
        max_query_chars=600,
        cors_origins=[council.origin],
        rate_limit_per_minute=0,  # every test talks from 127.0.0.1; the widget's own pace is not under test here
    )
    searcher, chunk_texts = build_searcher(settings, e5)
    server = ThreadedServer(create_app(settings, searcher), sock)
    server.start()
    # The chat service is built on the first request (seconds on 2 cores): build it now, so that no test's
    # first-byte timeout measures a cold start.
    warm = httpx.post(f"http://127.0.0.1:{port}/api/chat", json={"message": "Hello"}, timeout=120)
    assert warm.status_code == 200, warm.text
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", port, settings, chunk_texts)
    finally:
        server.stop()
        sock.close()


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> Iterator[Any]:
    """Debian's Chromium, headless; Playwright's launch() gives it a fresh temporary user data dir."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """Opens pages in fresh browser contexts (own storage); page errors fail the test."""
    contexts: list[Any] = []
    errors: list[str] = []

    def open_page(**context_options: Any) -> Any:
        options = {"viewport": {"width": 1280, "height": 800}, **context_options}
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, errors


@pytest.fixture
def axe_source() -> str:
    """axe-core's script, from the npm devDependency (`npm ci`)."""
    if not AXE_JS.exists():
        pytest.skip(f"no {AXE_JS.relative_to(ROOT)}: run `npm ci` (make test does)")
    return AXE_JS.read_text(encoding="utf-8")
