"""The widget's built-in English strings (used until, or if never, the strings endpoint answers) are the server's."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

from navigator.api.app import create_app
from navigator.config import Settings

WIDGET = Path(__file__).resolve().parents[2] / "widget" / "navigator.js"
_ENTRY = re.compile(r'(\w+):\s*((?:"(?:[^"\\]|\\.)*"\s*\+?\s*)+)')
_PIECE = re.compile(r'"(?:[^"\\]|\\.)*"')


def widget_fallback_strings(script: str) -> dict[str, str]:
    """The ``const EN = {…}`` object of the widget script, each value's string pieces joined."""
    start = script.index("const EN = {")
    block = script[start : script.index("\n  };", start)]
    block = "\n".join(line for line in block.splitlines() if not line.strip().startswith("//"))
    return {key: "".join(json.loads(p) for p in _PIECE.findall(value)) for key, value in _ENTRY.findall(block)}


def test_the_parser_reads_joined_and_escaped_strings() -> None:
    script = 'const EN = {\n  a: "one", b: "two " +\n    "three",\n  // note: "x"\n  c: "say \\"hi\\""\n  };'
    assert widget_fallback_strings(script) == {"a": "one", "b": "two three", "c": 'say "hi"'}


def test_widget_english_fallback_matches_the_english_locale(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "no-index", database_path=tmp_path / "nav.sqlite3")
    with TestClient(create_app(settings)) as client:
        response = client.get("/api/widget/strings", params={"lang": "en"})
    server = response.json()["strings"]
    fallback = widget_fallback_strings(WIDGET.read_text(encoding="utf-8"))
    assert len(fallback) >= 30
    assert {k: v for k, v in fallback.items() if server.get(k) != v} == {}


def test_every_string_the_widget_looks_up_has_an_english_fallback() -> None:
    script = WIDGET.read_text(encoding="utf-8")
    used: set[str] = set()
    for call in re.finditer(r"\bthis\.t\(([^()]*(?:\([^()]*\)[^()]*)*)\)", script):
        argument = call.group(1).split(",")[0]
        used.update(re.findall(r'(?:^|[?:]\s*)"([a-z_]+)"', argument))  # the key, or each branch of a choice
    assert len(used) >= 30
    assert sorted(used - set(widget_fallback_strings(script))) == []
