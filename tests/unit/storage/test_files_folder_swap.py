"""Folder replacement shared by the index build and the model installers."""

from __future__ import annotations

from pathlib import Path

import pytest

from navigator.storage.files import make_build_folder, recover_interrupted_swap, swap_in


def _folder(path: Path, content: str) -> Path:
    path.mkdir(parents=True)
    (path / "file.txt").write_text(content, encoding="utf-8")
    return path


def test_folder_swap_replaces_a_non_empty_folder_and_leaves_nothing_beside_it(tmp_path):
    target = _folder(tmp_path / "model", "old")
    new = make_build_folder(target)
    (new / "file.txt").write_text("new", encoding="utf-8")

    swap_in(new, target)

    assert (target / "file.txt").read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_folder_swap_failed_second_rename_puts_the_old_folder_back(tmp_path):
    target = _folder(tmp_path / "model", "old")

    with pytest.raises(OSError):
        swap_in(tmp_path / "never-built", target)

    assert (target / "file.txt").read_text(encoding="utf-8") == "old"


def test_folder_swap_recovery_needs_the_completion_marker(tmp_path):
    target = tmp_path / "index"
    _folder(tmp_path / ".index.old", "old")  # left by a kill between the two renames, but never completed

    recover_interrupted_swap(target, "manifest.json")
    assert not target.exists()

    (tmp_path / ".index.old" / "manifest.json").write_text("{}", encoding="utf-8")
    recover_interrupted_swap(target, "manifest.json")
    assert (target / "file.txt").read_text(encoding="utf-8") == "old"
