"""Every module of the package imports on its own in a fresh interpreter.

A module that works only after another has been imported (an order-dependent cycle, a missing import that a
test happened to provide) fails here, not in production.
"""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "navigator"


def _modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _import_alone(module: str) -> tuple[str, str | None]:
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=120, check=False
    )
    return module, (done.stderr.strip().splitlines() or ["?"])[-1] if done.returncode else None


def test_every_module_imports_alone_in_a_fresh_interpreter() -> None:
    modules = _modules()
    assert "navigator.assembly" in modules and "navigator.models.registry" in modules
    with ThreadPoolExecutor(max_workers=2) as pool:
        failures = {module: error for module, error in pool.map(_import_alone, modules) if error}
    assert failures == {}
