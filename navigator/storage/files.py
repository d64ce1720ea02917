"""Replacing a file or a folder atomically, so a failed write or build leaves the last good one in place.

A file (the corpus, the crawl state) is written beside itself, synced and renamed over the old one. A folder (the
index, a model) is built beside it, then put in place by two renames: readers see the old folder or the new one,
never half of either. ``os.replace`` cannot replace a non-empty
directory, hence the two renames; a build killed between them is undone on the next load or build. A build
folder carries its process id in its name, so a later build can tell an abandoned one from one being written.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

logger = logging.getLogger(__name__)


@contextmanager
def atomic_write(path: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Write to a temporary file beside ``path`` and rename it over ``path`` only on success."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    encoding = None if "b" in mode else "utf-8"
    try:
        with os.fdopen(fd, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o644)  # mkstemp creates 0600; the corpus is meant to be readable
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def make_build_folder(target: Path) -> Path:
    """A new empty folder beside ``target`` to build its replacement in (the parent is created if needed)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{_building_prefix(target)}{os.getpid()}-", dir=target.parent))


def swap_in(new: Path, target: Path) -> None:
    """Replace ``target`` by ``new``: two renames, so readers see the old or the new one, never half of one."""
    old = _old_path(target)
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    try:
        new.rename(target)
    except OSError:
        if old.exists() and not target.exists():
            old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def recover_interrupted_swap(target: Path, marker: str) -> None:
    """Put the previous ``target`` back when a build was killed between the two renames of ``swap_in``.

    ``marker`` names the file that only a complete directory holds (the index manifest).
    """
    old = _old_path(target)
    if target.exists() or not (old / marker).exists():
        return
    if any(alive for _, alive in _builds(target)):
        return  # a build is swapping right now: its second rename follows
    logger.warning("a build was interrupted while swapping %s in; restoring the previous one", target)
    try:
        old.rename(target)
    except OSError as exc:  # another process restored it first, or the folder is read-only
        logger.warning("could not restore %s: %s", target, exc)


def remove_abandoned_builds(target: Path) -> None:
    """Delete build folders beside ``target`` whose process is gone (killed before it could clean up)."""
    for folder, alive in _builds(target):
        if not alive:
            logger.info("removing %s, left by a build that did not finish", folder)
            shutil.rmtree(folder, ignore_errors=True)


def directory_identity(path: Path) -> tuple[int, int] | None:
    """Which directory ``path`` names now: a swap renames another directory into its place."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino)


def _old_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.old")


def _building_prefix(target: Path) -> str:
    return f".{target.name}.building-"


def _builds(target: Path) -> list[tuple[Path, bool]]:
    """Build folders beside ``target``, each with whether the process that made it still runs."""
    if not target.parent.is_dir():
        return []
    prefix = _building_prefix(target)
    found = []
    for folder in target.parent.glob(f"{prefix}*"):
        pid = folder.name[len(prefix) :].split("-", 1)[0]
        if pid.isdigit():
            found.append((folder, int(pid) == os.getpid() or _process_alive(int(pid))))
    return found


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True
