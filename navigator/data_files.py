"""The JSON data files shipped inside the package (``navigator/data/``), read one way wherever they are needed."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def shipped_json(name: str) -> Any:
    """The parsed contents of ``navigator/data/<name>`` (installed with the package, so found in a wheel too)."""
    return json.loads(resources.files("navigator").joinpath("data", name).read_text(encoding="utf-8"))
