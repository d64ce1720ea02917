"""Where a model folder came from: the record a build writes last, and the checks that trust it.

Every model here is built on this machine from PyPI packages, so a folder is usable only if its build
finished: the provenance file is written last and the folder renamed into place whole.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import Any

PROVENANCE_FILE = "provenance.json"
_PROVENANCE_KEYS = ("model", "source", "sha256", "built_at")


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented UTF-8 JSON, creating the parent folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def dist_version(dist: str) -> str | None:
    """The installed version of ``dist``, or None when it is not installed."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def read_provenance(folder: Path, files: tuple[str, ...]) -> dict[str, Any] | None:
    """Return a folder's provenance if the folder is a complete build (``files`` all present), else None.

    A build writes its provenance last and is renamed into place whole, so a provenance that parses, has
    every key and sits beside every model file means the folder can be used as it is.
    """
    try:
        data = json.loads((Path(folder) / PROVENANCE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or any(key not in data for key in _PROVENANCE_KEYS):
        return None
    if not all((Path(folder) / name).is_file() for name in (*files, PROVENANCE_FILE)):
        return None
    return data


def weights_sha256(folder: Path | str | None) -> str | None:
    """The weights' hash a model folder's provenance records, or None (no folder, or one not built here)."""
    if not folder:
        return None
    try:
        data = json.loads((Path(folder) / PROVENANCE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    sha = data.get("sha256") if isinstance(data, dict) else None
    return sha if isinstance(sha, str) else None
