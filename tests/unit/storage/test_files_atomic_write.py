"""atomic_write (corpus build, scrape, exports): a write that fails leaves the previous file exactly as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from navigator.corpus.documents import load_documents, save_documents
from navigator.storage.files import atomic_write
from navigator.testing import tiny_corpus


class WriteFailed(Exception):
    pass


def test_atomic_write_failure_inside_the_block_keeps_the_old_file_and_no_temp_file(tmp_path: Path):
    path = tmp_path / "documents.jsonl"
    save_documents(path, tiny_corpus())
    before = path.read_bytes()
    with pytest.raises(WriteFailed), atomic_write(path) as handle:
        handle.write('{"id": "half-written", ')
        handle.flush()
        raise WriteFailed("disk full half-way")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["documents.jsonl"]
    assert [d.id for d in load_documents(path)] == [d.id for d in tiny_corpus()]


def test_atomic_write_failure_on_a_new_file_leaves_nothing(tmp_path: Path):
    path = tmp_path / "corpus" / "documents.jsonl"
    with pytest.raises(WriteFailed), atomic_write(path, "wb") as handle:
        handle.write(b"partial")
        raise WriteFailed
    assert list(path.parent.iterdir()) == []


def test_atomic_write_success_replaces_the_file(tmp_path: Path):
    path = tmp_path / "documents.jsonl"
    path.write_text("old\n", encoding="utf-8")
    with atomic_write(path) as handle:
        handle.write("new\n")
    assert path.read_text(encoding="utf-8") == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["documents.jsonl"]
