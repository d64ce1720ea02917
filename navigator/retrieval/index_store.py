"""Build, save and load the index directory: chunks, FAISS indexes, sentence vectors and a manifest.

A build writes into a temporary directory beside the target and swaps it in only when complete, so a
failed or killed build leaves the last good index serving; a damaged index is refused on load with a
message naming the file, never half-read. Vectors of unchanged texts are copied from the previous
index (keyed by model + text hash), so a rebuild after one document changed embeds only that document.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
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
from navigator.retrieval import english
from navigator.retrieval.base import Chunk
from navigator.retrieval.dense import build_faiss
from navigator.retrieval.embedders import embed_cached, text_key
from navigator.retrieval.folder_swap import (
    directory_identity,
    make_build_folder,
    recover_interrupted_swap,
    remove_abandoned_builds,
    swap_in,
)

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNK_VECTORS = "chunk_vectors.npy"
SENTENCE_VECTORS = "sentence_vectors.npy"


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
    english_model: str | None = None  # the English companion model, when the index carries its vectors
    english_dimension: int | None = None


@dataclass(frozen=True)
class LoadedIndex:
    """An index directory read into memory."""

    manifest: IndexManifest
    chunks: list[Chunk]
    chunk_index: faiss.Index
    sentence_index: faiss.Index
    sentence_chunk: np.ndarray  # row i of the sentence index belongs to chunks[sentence_chunk[i]]
    sentence_vectors: np.ndarray
    english: english.EnglishVectors | None = None


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
    english_model: english.EnglishModel | None = None,
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
        english_model: the English companion model, whose vectors are stored too; None for none.

    """
    started = time.perf_counter()
    recover_interrupted_swap(index_dir, MANIFEST)
    remove_abandoned_builds(index_dir)
    # The folder comes first, so an unwritable location fails before minutes of embedding.
    tmp = make_build_folder(index_dir)
    try:
        chunks = split_documents(documents, max_words, overlap_sentences)
        sentence_rows = [(ci, s) for ci, chunk in enumerate(chunks) for s in chunk.sentences]
        cache = _previous_vectors(index_dir, model_id)
        before = len(cache)

        chunk_texts = [c.embedding_text for c in chunks]
        chunk_keys = [text_key(model_id, t) for t in chunk_texts]
        sentence_texts = [s for _, s in sentence_rows]
        sentence_keys = [text_key(model_id, t) for t in sentence_texts]
        total = len(set(chunk_keys)) + len(set(sentence_keys))
        en_id = english_model.model_id if english_model else None
        if en_id:
            total += english.distinct_texts(en_id, chunk_texts, sentence_texts)
        tick = progress("embedding", total) if progress else None
        chunk_vectors = embed_cached(embeddings, chunk_texts, chunk_keys, cache, batch_size, tick)
        sentence_vectors = embed_cached(embeddings, sentence_texts, sentence_keys, cache, batch_size, tick)
        sentence_chunk = np.array([ci for ci, _ in sentence_rows], dtype=np.int32)
        en_vectors = None
        if english_model:
            en_cache = _previous_vectors(index_dir, english_model.model_id, companion=True)
            before += len(en_cache)
            en_vectors = english.embed_texts(english_model, chunk_texts, sentence_texts, en_cache, batch_size, tick)
            cache.update(en_cache)

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
            english_model=en_id,
            english_dimension=int(en_vectors[0].shape[1]) if en_vectors else None,
        )

        with (tmp / "chunks.jsonl").open("w", encoding="utf-8") as handle:
            for chunk in chunks:
                handle.write(json.dumps(_chunk_to_json(chunk), ensure_ascii=False) + "\n")
        np.save(tmp / CHUNK_VECTORS, chunk_vectors)
        np.save(tmp / SENTENCE_VECTORS, sentence_vectors)
        np.save(tmp / "sentence_chunk.npy", sentence_chunk)
        faiss.write_index(build_faiss(chunk_vectors), str(tmp / "chunks.faiss"))
        faiss.write_index(build_faiss(sentence_vectors), str(tmp / "sentences.faiss"))
        if en_vectors:
            english.save(tmp, *en_vectors)
        # The manifest goes last: a directory without one is never taken for a finished index.
        (tmp / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2) + "\n", encoding="utf-8")
        swap_in(tmp, index_dir)
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
    except (TypeError, ValueError, OSError) as exc:  # not JSON, not UTF-8, not an object, fields missing
        raise IndexNotReadyError(
            f"The index manifest at {path} is unreadable ({exc}). Run `navigator index build`."
        ) from exc


def check_manifest(
    manifest: IndexManifest, *, model_id: str, max_words: int, overlap_sentences: int, english_model: str | None = None
) -> None:
    """Refuse an index built with another model, chunking or format.

    Raises:
        IndexMismatchError: naming what differs and how to rebuild.

    """
    wanted: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "model": model_id,
        "chunking": {"max_words": max_words, "overlap_sentences": overlap_sentences},
        "english_model": english_model or None,
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


def load_index(
    index_dir: Path, *, model_id: str, max_words: int, overlap_sentences: int, english_model: str | None = None
) -> LoadedIndex:
    """Read an index directory after checking its manifest against the settings.

    A build that swaps a new index in while this reads is noticed (the directory is another one afterwards)
    and the read is repeated, so the result is never half of each.

    Raises:
        IndexNotReadyError: no complete index, or a file of it is missing, damaged or inconsistent (the
            message names the file and says to rebuild).
        IndexMismatchError: built for other settings.

    """
    recover_interrupted_swap(index_dir, MANIFEST)
    for attempt in range(3):
        before = directory_identity(index_dir)
        try:
            index = _read_index(
                index_dir,
                model_id=model_id,
                max_words=max_words,
                overlap_sentences=overlap_sentences,
                english_model=english_model,
            )
        except IndexNotReadyError:
            if attempt == 2 or directory_identity(index_dir) == before:
                raise
            continue
        if directory_identity(index_dir) == before:
            return index
        logger.info("index at %s was replaced while loading; loading it again", index_dir)
    raise IndexNotReadyError(f"The index at {index_dir} kept changing while loading. Load it again after the build.")


def _read_index(
    index_dir: Path, *, model_id: str, max_words: int, overlap_sentences: int, english_model: str | None
) -> LoadedIndex:
    manifest = read_manifest(index_dir)
    check_manifest(
        manifest,
        model_id=model_id,
        max_words=max_words,
        overlap_sentences=overlap_sentences,
        english_model=english_model,
    )
    chunks = _read_part(index_dir, "chunks.jsonl", _read_chunks)
    chunk_index = _read_part(index_dir, "chunks.faiss", lambda p: faiss.read_index(str(p)))
    sentence_index = _read_part(index_dir, "sentences.faiss", lambda p: faiss.read_index(str(p)))
    sentence_chunk = _read_part(index_dir, "sentence_chunk.npy", np.load)
    sentence_vectors = _read_part(index_dir, "sentence_vectors.npy", np.load)
    problems = [
        f"{what} ({found} instead of {wanted})"
        for what, found, wanted in (
            ("chunks in chunks.jsonl", len(chunks), manifest.chunks),
            ("vectors in chunks.faiss", chunk_index.ntotal, manifest.chunks),
            ("vectors in sentences.faiss", sentence_index.ntotal, manifest.sentences),
            ("rows in sentence_chunk.npy", len(sentence_chunk), manifest.sentences),
            ("rows in sentence_vectors.npy", len(sentence_vectors), manifest.sentences),
            ("dimension of chunks.faiss", chunk_index.d, manifest.dimension),
            ("dimension of sentences.faiss", sentence_index.d, manifest.dimension),
            ("shape of sentence_vectors.npy", sentence_vectors.shape, (manifest.sentences, manifest.dimension)),
        )
        if found != wanted
    ]
    if not problems and sentence_chunk.size and not (0 <= sentence_chunk.min() <= sentence_chunk.max() < len(chunks)):
        problems.append("sentence_chunk.npy points at chunks that do not exist")
    en_vectors = None
    if manifest.english_model:
        en_chunks = _read_part(index_dir, english.CHUNK_VECTORS, np.load)
        en_sentences = _read_part(index_dir, english.SENTENCE_VECTORS, np.load)
        problems += english.check_shapes(
            en_chunks, en_sentences, manifest.chunks, manifest.sentences, manifest.english_dimension
        )
        if not problems:
            en_vectors = english.vectors_index(en_chunks, en_sentences)
    if problems:
        raise IndexNotReadyError(
            f"The index at {index_dir} is inconsistent: {'; '.join(problems)}. A file was changed or replaced "
            "after the build. Run `navigator index build` to rebuild it."
        )
    return LoadedIndex(manifest, chunks, chunk_index, sentence_index, sentence_chunk, sentence_vectors, en_vectors)


def _read_part(index_dir: Path, name: str, reader: Callable[[Path], Any]) -> Any:
    """One file of the index, with what is wrong with it as an ``IndexNotReadyError``."""
    missing = IndexNotReadyError(
        f"The index at {index_dir} is incomplete: {name} is missing. Run `navigator index build` to rebuild it."
    )
    if not (index_dir / name).is_file():  # FAISS reports a missing file like a damaged one
        raise missing
    try:
        return reader(index_dir / name)
    except FileNotFoundError as exc:
        raise missing from exc
    except (OSError, RuntimeError, ValueError, TypeError, KeyError, EOFError) as exc:
        # FAISS raises RuntimeError with a C++ trace as its text; say what it means instead.
        reason = "truncated or not a FAISS index" if isinstance(exc, RuntimeError) else str(exc).splitlines()[0][:200]
        raise IndexNotReadyError(
            f"The index at {index_dir} is damaged: {name} cannot be read ({reason}). "
            "Run `navigator index build` to rebuild it."
        ) from exc


def _previous_vectors(index_dir: Path, model_id: str, *, companion: bool = False) -> dict[str, np.ndarray]:
    """Vectors of the index being replaced, keyed by model + text, when it was built with the same model.

    ``companion`` reads the English companion's vectors instead of the main model's.
    """
    files = (english.CHUNK_VECTORS, english.SENTENCE_VECTORS) if companion else (CHUNK_VECTORS, SENTENCE_VECTORS)
    try:
        manifest = read_manifest(index_dir)
        built_with = manifest.english_model if companion else manifest.model
        if built_with != model_id or manifest.format_version != FORMAT_VERSION:
            return {}
        chunks = _read_chunks(index_dir / "chunks.jsonl")
        chunk_vectors = np.load(index_dir / files[0])
        sentence_vectors = np.load(index_dir / files[1])
    except (IndexNotReadyError, OSError, ValueError, KeyError, TypeError, EOFError):
        return {}
    cache = {text_key(model_id, c.embedding_text): v for c, v in zip(chunks, chunk_vectors, strict=False)}
    sentences = [s for c in chunks for s in c.sentences]
    cache.update({text_key(model_id, s): v for s, v in zip(sentences, sentence_vectors, strict=False)})
    logger.info("reusing %d cached vectors from %s", len(cache), index_dir)
    return cache


def _chunk_to_json(chunk: Chunk) -> dict[str, Any]:
    data = asdict(chunk)
    data["heading_path"] = list(chunk.heading_path)
    data["sentences"] = list(chunk.sentences)
    return data


def _read_chunks(path: Path) -> list[Chunk]:
    chunks = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            try:
                data = json.loads(line)
                data["heading_path"] = tuple(data["heading_path"])
                data["sentences"] = tuple(data["sentences"])
                chunks.append(Chunk(**data))
            except (ValueError, TypeError, KeyError) as exc:
                raise ValueError(f"line {number} is not a chunk: {exc!r}") from exc
    return chunks
