"""Build, save and load the index directory: chunks, FAISS indexes, sentence vectors and a manifest.

A build writes into a temporary directory beside the target and swaps it in only when complete, so a
failed build leaves the last good index serving. Vectors of unchanged texts are copied from the previous
index (keyed by model + text hash), so a rebuild after one document changed embeds only that document.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from langchain_core.embeddings import Embeddings

from navigator.chunking import split_documents
from navigator.documents import Document
from navigator.errors import IndexMismatchError, IndexNotReadyError
from navigator.retrieval.base import Chunk
from navigator.retrieval.dense import build_faiss
from navigator.retrieval.embedders import embed_cached, text_key

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class IndexManifest:
    """What an index was built from; the server refuses an index whose manifest differs from its settings."""

    format_version: int
    model: str
    dimension: int
    corpus_hash: str
    chunking: dict[str, int]
    built_at: str
    documents: int
    chunks: int
    sentences: int
    embedded: int  # texts embedded in this build (the rest came from the previous index)
    build_seconds: float


@dataclass(frozen=True)
class LoadedIndex:
    """An index directory read into memory."""

    manifest: IndexManifest
    chunks: list[Chunk]
    chunk_index: faiss.Index
    sentence_index: faiss.Index
    sentence_chunk: np.ndarray  # row i of the sentence index belongs to chunks[sentence_chunk[i]]
    sentence_vectors: np.ndarray


def corpus_hash(documents: Sequence[Document]) -> str:
    """A hash of every document's id and content hash: equal corpora give equal hashes."""
    digest = hashlib.sha256()
    for document in sorted(documents, key=lambda d: d.id):
        digest.update(f"{document.id}\x00{document.content_hash}\n".encode())
    return digest.hexdigest()


def build_index(
    documents: Sequence[Document],
    embeddings: Embeddings,
    index_dir: Path,
    *,
    model_id: str,
    max_words: int,
    overlap_sentences: int,
    batch_size: int = 32,
    progress: Callable[[str, int], Callable[[int], None]] | None = None,
) -> IndexManifest:
    """Chunk, embed and write a complete index to ``index_dir``, atomically.

    Args:
        documents: the corpus.
        embeddings: the passage embedding model.
        index_dir: target directory; replaced only once the new index is complete.
        model_id: the configured model name, recorded in the manifest.
        max_words: chunk length target.
        overlap_sentences: sentence overlap between chunks.
        batch_size: texts per model call.
        progress: given a label and a total, returns a callback that advances by a count.

    """
    started = time.perf_counter()
    chunks = split_documents(documents, max_words, overlap_sentences)
    sentence_rows = [(ci, s) for ci, chunk in enumerate(chunks) for s in chunk.sentences]
    cache = _previous_vectors(index_dir, model_id)
    before = len(cache)

    chunk_texts = [c.embedding_text for c in chunks]
    chunk_keys = [text_key(model_id, t) for t in chunk_texts]
    sentence_texts = [s for _, s in sentence_rows]
    sentence_keys = [text_key(model_id, t) for t in sentence_texts]
    total = len(set(chunk_keys)) + len(set(sentence_keys))
    tick = progress("embedding", total) if progress else None
    chunk_vectors = embed_cached(embeddings, chunk_texts, chunk_keys, cache, batch_size, tick)
    sentence_vectors = embed_cached(embeddings, sentence_texts, sentence_keys, cache, batch_size, tick)
    sentence_chunk = np.array([ci for ci, _ in sentence_rows], dtype=np.int32)

    manifest = IndexManifest(
        format_version=FORMAT_VERSION,
        model=model_id,
        dimension=int(chunk_vectors.shape[1]),
        corpus_hash=corpus_hash(documents),
        chunking={"max_words": max_words, "overlap_sentences": overlap_sentences},
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        documents=len(documents),
        chunks=len(chunks),
        sentences=len(sentence_rows),
        embedded=len(cache) - before,
        build_seconds=round(time.perf_counter() - started, 2),
    )
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{index_dir.name}.building-", dir=index_dir.parent))
    try:
        with (tmp / "chunks.jsonl").open("w", encoding="utf-8") as handle:
            for chunk in chunks:
                handle.write(json.dumps(_chunk_to_json(chunk), ensure_ascii=False) + "\n")
        np.save(tmp / "chunk_vectors.npy", chunk_vectors)
        np.save(tmp / "sentence_vectors.npy", sentence_vectors)
        np.save(tmp / "sentence_chunk.npy", sentence_chunk)
        faiss.write_index(build_faiss(chunk_vectors), str(tmp / "chunks.faiss"))
        faiss.write_index(build_faiss(sentence_vectors), str(tmp / "sentences.faiss"))
        # The manifest goes last: a directory without one is never taken for a finished index.
        (tmp / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2) + "\n", encoding="utf-8")
        _swap_in(tmp, index_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logger.info(
        "index built: %d chunks, %d sentences, %d embedded",
        manifest.chunks,
        manifest.sentences,
        manifest.embedded,
    )
    return manifest


def read_manifest(index_dir: Path) -> IndexManifest:
    """The manifest of an index directory.

    Raises:
        IndexNotReadyError: there is no complete index there.

    """
    path = index_dir / MANIFEST
    if not path.exists():
        raise IndexNotReadyError(f"No index at {index_dir}. Run `navigator index build`.")
    try:
        return IndexManifest(**json.loads(path.read_text(encoding="utf-8")))
    except (TypeError, json.JSONDecodeError) as exc:
        raise IndexNotReadyError(
            f"The index manifest at {path} is unreadable ({exc}). Run `navigator index build`."
        ) from exc


def check_manifest(manifest: IndexManifest, *, model_id: str, max_words: int, overlap_sentences: int) -> None:
    """Refuse an index built with another model, chunking or format.

    Raises:
        IndexMismatchError: naming what differs and how to rebuild.

    """
    wanted: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "model": model_id,
        "chunking": {"max_words": max_words, "overlap_sentences": overlap_sentences},
    }
    differs = [
        f"{k}: index has {getattr(manifest, k)!r}, settings want {v!r}"
        for k, v in wanted.items()
        if getattr(manifest, k) != v
    ]
    if differs:
        raise IndexMismatchError(
            "The index does not match the settings (" + "; ".join(differs) + "). "
            "Run `navigator index build` to rebuild it."
        )


def load_index(index_dir: Path, *, model_id: str, max_words: int, overlap_sentences: int) -> LoadedIndex:
    """Read an index directory after checking its manifest against the settings.

    Raises:
        IndexNotReadyError: no complete index.
        IndexMismatchError: built for other settings.

    """
    manifest = read_manifest(index_dir)
    check_manifest(manifest, model_id=model_id, max_words=max_words, overlap_sentences=overlap_sentences)
    try:
        chunks = _read_chunks(index_dir / "chunks.jsonl")
        chunk_index = faiss.read_index(str(index_dir / "chunks.faiss"))
        sentence_index = faiss.read_index(str(index_dir / "sentences.faiss"))
        sentence_chunk = np.load(index_dir / "sentence_chunk.npy")
        sentence_vectors = np.load(index_dir / "sentence_vectors.npy")
    except (OSError, RuntimeError, ValueError, KeyError) as exc:
        raise IndexNotReadyError(f"The index at {index_dir} is damaged ({exc}). Run `navigator index build`.") from exc
    if chunk_index.ntotal != len(chunks) or sentence_index.ntotal != len(sentence_chunk):
        raise IndexNotReadyError(f"The index at {index_dir} is inconsistent. Run `navigator index build`.")
    return LoadedIndex(manifest, chunks, chunk_index, sentence_index, sentence_chunk, sentence_vectors)


def _previous_vectors(index_dir: Path, model_id: str) -> dict[str, np.ndarray]:
    """Vectors of the index being replaced, keyed by model + text, when it was built with the same model."""
    try:
        manifest = read_manifest(index_dir)
        if manifest.model != model_id or manifest.format_version != FORMAT_VERSION:
            return {}
        chunks = _read_chunks(index_dir / "chunks.jsonl")
        chunk_vectors = np.load(index_dir / "chunk_vectors.npy")
        sentence_vectors = np.load(index_dir / "sentence_vectors.npy")
    except (IndexNotReadyError, OSError, ValueError, KeyError):
        return {}
    cache = {text_key(model_id, c.embedding_text): v for c, v in zip(chunks, chunk_vectors, strict=False)}
    sentences = [s for c in chunks for s in c.sentences]
    cache.update({text_key(model_id, s): v for s, v in zip(sentences, sentence_vectors, strict=False)})
    logger.info("reusing %d cached vectors from %s", len(cache), index_dir)
    return cache


def _swap_in(new: Path, target: Path) -> None:
    """Replace ``target`` by ``new``: two renames, so readers see the old or the new index, never half of one."""
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _chunk_to_json(chunk: Chunk) -> dict[str, Any]:
    data = asdict(chunk)
    data["heading_path"] = list(chunk.heading_path)
    data["sentences"] = list(chunk.sentences)
    return data


def _read_chunks(path: Path) -> list[Chunk]:
    chunks = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            data = json.loads(line)
            data["heading_path"] = tuple(data["heading_path"])
            data["sentences"] = tuple(data["sentences"])
            chunks.append(Chunk(**data))
    return chunks
