"""The dependency direction the tree promises, checked on the source (no module is imported here).

Everything that needs a searcher, a chat service, a model or a store builds it through ``navigator.assembly``;
the API layer is a consumer of that root, never a place others reach into. Outside ``navigator/api/`` only the
app factory (to serve or test the app) and the public response shapes (``ask --json``, the evaluations' API-shaped
replies) may be imported from it; tests may import the API part they test, but never build through ``deps``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("navigator", "evals", "benchmarks", "scrapers", "tests")
API_ALLOWED_OUTSIDE = {"navigator.api.app", "navigator.api.schemas"}


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth (function-local imports included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def python_files() -> list[Path]:
    return [p for folder in SCANNED for p in sorted((ROOT / folder).rglob("*.py")) if ".venv" not in p.parts]


def reaches_into_api(modules: set[str], *, testing: bool = False) -> set[str]:
    """The imports of ``navigator.api`` beyond the app factory and the public shapes (for a test: beyond its parts)."""
    inside = {m for m in modules if m == "navigator.api" or m.startswith("navigator.api.")}
    if testing:
        return {m for m in inside if m == "navigator.api.deps" or m.startswith("navigator.api.deps.")}
    allowed = {m for m in inside if any(m == a or m.startswith(a + ".") for a in API_ALLOWED_OUTSIDE)}
    return inside - allowed


def test_the_rule_catches_a_reach_into_the_api_layer() -> None:
    assert reaches_into_api({"navigator.api.deps", "navigator.api.deps.build_searcher"}) == {
        "navigator.api.deps",
        "navigator.api.deps.build_searcher",
    }
    assert reaches_into_api({"navigator.api.app", "navigator.api.app.create_app"}) == set()
    assert reaches_into_api({"navigator.assembly"}) == set()
    assert reaches_into_api({"navigator.api.limits"}) == {"navigator.api.limits"}
    assert reaches_into_api({"navigator.api.limits"}, testing=True) == set()
    reach = {"navigator.api.deps.search_options"}
    assert reaches_into_api(reach, testing=True) == reach


def test_nothing_outside_the_api_builds_through_it() -> None:
    offenders = {}
    for path in python_files():
        relative = path.relative_to(ROOT)
        if relative.parts[:2] == ("navigator", "api") or relative == Path(__file__).relative_to(ROOT):
            continue
        wrong = reaches_into_api(imported_modules(path), testing=relative.parts[0] == "tests")
        if wrong:
            offenders[str(relative)] = sorted(wrong)
    assert offenders == {}, "build through navigator.assembly instead"


def test_the_composition_root_is_not_imported_by_what_it_composes() -> None:
    """``assembly`` sits above the answer, retrieval and storage layers: they never import it back."""
    offenders = []
    for path in (ROOT / "navigator").rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[1] in {"api", "cli", "assembly.py"}:
            continue
        if any(m == "navigator.assembly" or m.startswith("navigator.assembly.") for m in imported_modules(path)):
            offenders.append(str(relative))
    assert offenders == []
