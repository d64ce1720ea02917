"""Shared fixtures: no test may reach beyond loopback."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest

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
