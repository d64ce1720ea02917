"""Integration fixtures: the OpenAI-compatible stand-in and the scraper's fixture site (the model: ../conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fixture_site import FixtureSite
from openai_server import OpenAICompatibleServer

ROOT = Path(__file__).resolve().parents[2]


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
