"""The index directory's format: every file's name, the manifest, and reading and checking the parts.

A damaged or inconsistent index is refused on load with a message naming the file, never half-read; an
index swapped in while it is read is read again. ``index_build.py`` decides what goes in; the names and the
writing of the parts that other modules compute (the English companion's vectors, the token states) live here,
so the whole format is in one file.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from navigator.errors import IndexMismatchError, IndexNotReadyError
from navigator.retrieval import companion
from navigator.retrieval.base import Chunk
from navigator.retrieval.late_interaction import LateInteractionIndex
from navigator.storage.files import directory_identity, recover_interrupted_swap

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNKS = "chunks.jsonl"
CHUNK_INDEX = "chunks.faiss"
SENTENCE_INDEX = "sentences.faiss"
SENTENCE_CHUNK = "sentence_chunk.npy"  # which chunk each sentence belongs to
CHUNK_VECTORS = "chunk_vectors.npy"
SENTENCE_VECTORS = "sentence_vectors.npy"
EN_CHUNK_VECTORS = "en_chunk_vectors.npy"  # the English companion's, when the index carries them
EN_SENTENCE_VECTORS = "en_sentence_vectors.npy"
LATE_VECTORS = "late_vectors.npy"  # the chunks' token states, int8 rows ...
LATE_SCALES = "late_scales.npy"  # ... with one scale per row
LATE_TOKEN_IDS = "late_token_ids.npy"
LATE_OFFSETS = "late_offsets.npy"  # where each chunk's rows start


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
    late_interaction: bool = False  # the chunks' token states are stored (late_interaction.py)
    model_sha256: str | None = None  # the model's weights as its provenance records them (None: not known)


@dataclass(frozen=True)
class LoadedIndex:
    """An index directory read into memory."""

    manifest: IndexManifest
    chunks: list[Chunk]
    chunk_index: faiss.Index
    sentence_index: faiss.Index
    sentence_chunk: np.ndarray  # row i of the sentence index belongs to chunks[sentence_chunk[i]]
    sentence_vectors: np.ndarray
    english: companion.EnglishVectors | None = None
    late: LateInteractionIndex | None = None


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
    chunks = _read_part(index_dir, CHUNKS, read_chunks)
    chunk_index = _read_part(index_dir, CHUNK_INDEX, lambda p: faiss.read_index(str(p)))
    sentence_index = _read_part(index_dir, SENTENCE_INDEX, lambda p: faiss.read_index(str(p)))
    sentence_chunk = _read_part(index_dir, SENTENCE_CHUNK, np.load)
    sentence_vectors = _read_part(index_dir, SENTENCE_VECTORS, np.load)
    problems = [
        f"{what} ({found} instead of {wanted})"
        for what, found, wanted in (
            (f"chunks in {CHUNKS}", len(chunks), manifest.chunks),
            (f"vectors in {CHUNK_INDEX}", chunk_index.ntotal, manifest.chunks),
            (f"vectors in {SENTENCE_INDEX}", sentence_index.ntotal, manifest.sentences),
            (f"rows in {SENTENCE_CHUNK}", len(sentence_chunk), manifest.sentences),
            (f"rows in {SENTENCE_VECTORS}", len(sentence_vectors), manifest.sentences),
            (f"dimension of {CHUNK_INDEX}", chunk_index.d, manifest.dimension),
            (f"dimension of {SENTENCE_INDEX}", sentence_index.d, manifest.dimension),
            (f"shape of {SENTENCE_VECTORS}", sentence_vectors.shape, (manifest.sentences, manifest.dimension)),
        )
        if found != wanted
    ]
    if not problems and sentence_chunk.size and not (0 <= sentence_chunk.min() <= sentence_chunk.max() < len(chunks)):
        problems.append(f"{SENTENCE_CHUNK} points at chunks that do not exist")
    en_vectors = None
    if manifest.english_model:
        en_chunks = _read_part(index_dir, EN_CHUNK_VECTORS, np.load)
        en_sentences = _read_part(index_dir, EN_SENTENCE_VECTORS, np.load)
        problems += [
            f"shape of {name} ({found} instead of {wanted})"
            for name, found, wanted in (
                (EN_CHUNK_VECTORS, en_chunks.shape, (manifest.chunks, manifest.english_dimension)),
                (EN_SENTENCE_VECTORS, en_sentences.shape, (manifest.sentences, manifest.english_dimension)),
            )
            if found != wanted
        ]
        if not problems:
            en_vectors = companion.vectors_index(en_chunks, en_sentences)
    late = None
    if manifest.late_interaction:
        late = read_late_index(index_dir)
        problems += late_index_problems(late, manifest.chunks, manifest.dimension)
    if problems:
        raise IndexNotReadyError(
            f"The index at {index_dir} is inconsistent: {'; '.join(problems)}. A file was changed or replaced "
            "after the build. Run `navigator index build` to rebuild it."
        )
    return LoadedIndex(
        manifest, chunks, chunk_index, sentence_index, sentence_chunk, sentence_vectors, en_vectors, late
    )


def read_late_index(index_dir: Path) -> LateInteractionIndex:
    """The chunks' token states of an index folder (``IndexNotReadyError`` names a missing or damaged file)."""
    return LateInteractionIndex(
        _read_part(index_dir, LATE_VECTORS, np.load),
        _read_part(index_dir, LATE_SCALES, np.load),
        _read_part(index_dir, LATE_TOKEN_IDS, np.load),
        _read_part(index_dir, LATE_OFFSETS, np.load),
    )


def write_late_index(folder: Path, late: LateInteractionIndex) -> None:
    """Write the chunks' token states into an index folder being built."""
    np.save(folder / LATE_VECTORS, late.vectors)
    np.save(folder / LATE_SCALES, late.scales)
    np.save(folder / LATE_TOKEN_IDS, late.token_ids)
    np.save(folder / LATE_OFFSETS, late.offsets)


def late_index_problems(late: LateInteractionIndex, chunks: int, dimension: int) -> list[str]:
    """What is inconsistent with an index of ``chunks`` chunks of ``dimension``-d vectors (empty when none)."""
    problems = []
    if len(late.offsets) != chunks + 1:
        problems.append(f"rows in {LATE_OFFSETS} ({len(late.offsets)} instead of {chunks + 1})")
    elif late.offsets[0] != 0 or np.any(np.diff(late.offsets) < 0) or late.offsets[-1] != len(late.vectors):
        problems.append(f"{LATE_OFFSETS} does not cover {LATE_VECTORS} in order")
    for name, array in ((LATE_TOKEN_IDS, late.token_ids), (LATE_SCALES, late.scales)):
        if len(array) != len(late.vectors):
            problems.append(f"rows in {name} ({len(array)} instead of {len(late.vectors)})")
    if late.vectors.ndim != 2 or late.vectors.shape[1] != dimension or late.vectors.dtype != np.int8:
        found = f"{late.vectors.shape} {late.vectors.dtype}"
        problems.append(f"shape of {LATE_VECTORS} ({found}, wanted (n, {dimension}) int8)")
    return problems


def write_english_vectors(folder: Path, chunk_vectors: np.ndarray, sentence_vectors: np.ndarray) -> None:
    """Write the English companion's vectors into an index folder being built."""
    np.save(folder / EN_CHUNK_VECTORS, chunk_vectors)
    np.save(folder / EN_SENTENCE_VECTORS, sentence_vectors)


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


def chunk_to_json(chunk: Chunk) -> dict[str, Any]:
    """One line of ``CHUNKS``."""
    data = asdict(chunk)
    data["heading_path"] = list(chunk.heading_path)
    data["sentences"] = list(chunk.sentences)
    return data


def read_chunks(path: Path) -> list[Chunk]:
    """The chunks of a ``CHUNKS`` file (ValueError names the first line that is not one)."""
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
