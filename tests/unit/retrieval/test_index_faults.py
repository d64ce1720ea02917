"""A damaged, half-swapped or abandoned index on disk: refused with the file named, or recovered; never half-read."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from navigator.errors import IndexMismatchError, IndexNotReadyError
from navigator.retrieval.index_build import build_index
from navigator.retrieval.index_store import load_index, read_manifest
from navigator.testing import FAKE_INDEX, FakeEmbedder, make_document, tiny_corpus


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    target = tmp_path / "index"
    build_index(tiny_corpus(), FakeEmbedder(), target, **FAKE_INDEX)
    return target


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


CORRUPTIONS = {
    "truncated chunks.faiss": ("chunks.faiss", _truncate, "truncated or not a FAISS index"),
    "garbage sentences.faiss": ("sentences.faiss", lambda p: p.write_bytes(b"\x00garbage" * 64), "FAISS"),
    "garbage chunks.jsonl": ("chunks.jsonl", lambda p: p.write_text("{not json\n"), "line 1"),
    "chunks.jsonl of other objects": ("chunks.jsonl", lambda p: p.write_text('[1, 2]\n{"a": 1}\n'), "line 1"),
    "chunks.jsonl not UTF-8": ("chunks.jsonl", lambda p: p.write_bytes(b"\xff\xfe\x00"), "utf-8"),
    "empty sentence_chunk.npy": ("sentence_chunk.npy", lambda p: p.write_bytes(b""), "No data left"),
    "truncated sentence_vectors.npy": ("sentence_vectors.npy", _truncate, "sentence_vectors.npy"),
    "missing sentences.faiss": ("sentences.faiss", Path.unlink, "sentences.faiss is missing"),
    "manifest not JSON": ("manifest.json", lambda p: p.write_text("{"), "unreadable"),
    "manifest a list": ("manifest.json", lambda p: p.write_text("[]"), "unreadable"),
}


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_index_faults_damaged_file_is_not_ready_naming_the_file_and_the_fix(index_dir, case):
    name, damage, reason = CORRUPTIONS[case]
    damage(index_dir / name)
    with pytest.raises(IndexNotReadyError) as raised:
        load_index(index_dir, **FAKE_INDEX)
    message = str(raised.value)
    assert name in message and reason in message and "navigator index build" in message
    assert "Traceback" not in message and "\n" not in message


def test_index_faults_files_from_another_build_are_inconsistent(tmp_path, index_dir):
    other = tmp_path / "other"
    build_index(tiny_corpus()[:1], FakeEmbedder(), other, **FAKE_INDEX)
    shutil.copy(other / "chunks.faiss", index_dir / "chunks.faiss")
    with pytest.raises(IndexNotReadyError, match=r"inconsistent: vectors in chunks\.faiss \(\d+ instead of \d+\)"):
        load_index(index_dir, **FAKE_INDEX)


def test_index_faults_sentence_rows_pointing_nowhere_are_inconsistent(index_dir):
    import numpy as np

    rows = np.load(index_dir / "sentence_chunk.npy")
    np.save(index_dir / "sentence_chunk.npy", rows + 1000)
    with pytest.raises(IndexNotReadyError, match="points at chunks that do not exist"):
        load_index(index_dir, **FAKE_INDEX)


def test_index_faults_manifest_for_another_model_is_a_mismatch(index_dir):
    manifest = json.loads((index_dir / "manifest.json").read_text())
    manifest["model"] = "BAAI/bge-m3"
    (index_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match=r"model: index has 'BAAI/bge-m3'.*navigator index build"):
        load_index(index_dir, **FAKE_INDEX)


def test_index_faults_build_killed_between_the_two_renames_is_recovered(index_dir):
    # swap_in renames index -> .index.old, then the new folder -> index; a kill in between leaves no index.
    built = read_manifest(index_dir)
    index_dir.rename(index_dir.with_name(".index.old"))
    assert load_index(index_dir, **FAKE_INDEX).manifest == built
    assert not index_dir.with_name(".index.old").exists()


def test_index_faults_next_build_removes_folders_of_killed_builds_only(tmp_path, index_dir):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    abandoned = tmp_path / f".index.building-{int(dead.stdout)}-abc123"
    running = tmp_path / f".index.building-{os.getppid()}-def456"  # a live process: its build is not touched
    for folder in (abandoned, running):
        folder.mkdir()
        (folder / "chunks.jsonl").write_text("partial")
    documents = [*tiny_corpus(), make_document("new", "New", [(["X"], "A new page about respite care.")])]
    manifest = build_index(documents, FakeEmbedder(), index_dir, **FAKE_INDEX)
    assert not abandoned.exists() and running.exists()
    assert read_manifest(index_dir) == manifest and manifest.documents == 4
