"""Build the index directory: chunk, embed (reusing the vectors of unchanged texts) and swap it in whole.

A build writes into a temporary directory beside the target and swaps it in only when complete, so a
failed or killed build leaves the last good index serving. Vectors of unchanged texts are copied from the
previous index (keyed by model + text hash), so a rebuild after one document changed embeds only that one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import faiss
import numpy as np
from langchain_core.embeddings import Embeddings

from navigator.corpus.documents import Document
from navigator.errors import IndexNotReadyError
from navigator.models.base import TokenStates, TokenStateSource
from navigator.retrieval import companion
from navigator.retrieval.chunking import split_documents
from navigator.retrieval.dense import build_faiss
from navigator.retrieval.index_store import (
    CHUNK_INDEX,
    CHUNK_VECTORS,
    CHUNKS,
    EN_CHUNK_VECTORS,
    EN_SENTENCE_VECTORS,
    FORMAT_VERSION,
    MANIFEST,
    SENTENCE_CHUNK,
    SENTENCE_INDEX,
    SENTENCE_VECTORS,
    IndexManifest,
    chunk_to_json,
    late_index_problems,
    read_chunks,
    read_late_index,
    read_manifest,
    write_english_vectors,
    write_late_index,
)
from navigator.retrieval.late_interaction import LateInteractionIndex
from navigator.retrieval.vectors import embed_cached, embed_states_cached, text_key
from navigator.storage.files import make_build_folder, recover_interrupted_swap, remove_abandoned_builds, swap_in

logger = logging.getLogger(__name__)


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
    english_model: companion.EnglishModel | None = None,
    late_interaction: bool = True,
    model_sha256: str | None = None,
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
        late_interaction: store the chunks' token states for late-interaction reranking, when the model can
            give them (``TokenStateSource``).
        model_sha256: the weights' hash from the model's provenance: recorded, and vectors of an index built
            from other weights under the same name are not reused.

    """
    started = time.perf_counter()
    recover_interrupted_swap(index_dir, MANIFEST)
    remove_abandoned_builds(index_dir)
    # The folder comes first, so an unwritable location fails before minutes of embedding.
    tmp = make_build_folder(index_dir)
    try:
        chunks = split_documents(documents, max_words, overlap_sentences)
        sentence_rows = [(ci, s) for ci, chunk in enumerate(chunks) for s in chunk.sentences]
        cache = _previous_vectors(index_dir, model_id, model_sha256)
        before = len(cache)

        chunk_texts = [c.embedding_text for c in chunks]
        chunk_keys = [text_key(model_id, t) for t in chunk_texts]
        sentence_texts = [s for _, s in sentence_rows]
        sentence_keys = [text_key(model_id, t) for t in sentence_texts]
        total = len(set(chunk_keys)) + len(set(sentence_keys))
        en_id = english_model.model_id if english_model else None
        if en_id:
            total += companion.distinct_texts(en_id, chunk_texts, sentence_texts)
        late_source = None
        if late_interaction and isinstance(embeddings, TokenStateSource) and embeddings.gives_states:
            late_source = embeddings
            total += len(set(chunk_keys))
        tick = progress("embedding", total) if progress else None
        chunk_vectors = embed_cached(embeddings, chunk_texts, chunk_keys, cache, batch_size, tick)
        sentence_vectors = embed_cached(embeddings, sentence_texts, sentence_keys, cache, batch_size, tick)
        sentence_chunk = np.array([ci for ci, _ in sentence_rows], dtype=np.int32)
        en_vectors = None
        if english_model:
            en_cache = _previous_vectors(index_dir, english_model.model_id, None, companion=True)
            before += len(en_cache)
            en_vectors = companion.embed_texts(english_model, chunk_texts, sentence_texts, en_cache, batch_size, tick)
            cache.update(en_cache)
        late = None
        if late_source is not None:
            late_cache = _previous_states(index_dir, model_id, model_sha256)
            states = embed_states_cached(late_source, chunk_texts, chunk_keys, late_cache, batch_size, tick)
            late = LateInteractionIndex.from_states(states, int(chunk_vectors.shape[1]))

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
            late_interaction=late is not None,
            model_sha256=model_sha256,
        )

        with (tmp / CHUNKS).open("w", encoding="utf-8") as handle:
            for chunk in chunks:
                handle.write(json.dumps(chunk_to_json(chunk), ensure_ascii=False) + "\n")
        np.save(tmp / CHUNK_VECTORS, chunk_vectors)
        np.save(tmp / SENTENCE_VECTORS, sentence_vectors)
        np.save(tmp / SENTENCE_CHUNK, sentence_chunk)
        faiss.write_index(build_faiss(chunk_vectors), str(tmp / CHUNK_INDEX))
        faiss.write_index(build_faiss(sentence_vectors), str(tmp / SENTENCE_INDEX))
        if en_vectors:
            write_english_vectors(tmp, *en_vectors)
        if late is not None:
            write_late_index(tmp, late)
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


def _same_weights(recorded: str | None, current: str | None) -> bool:
    """Whether an index's recorded weights are the current ones (an unknown hash on either side counts as the same)."""
    return recorded is None or current is None or recorded == current


def _previous_vectors(
    index_dir: Path, model_id: str, model_sha256: str | None, *, companion: bool = False
) -> dict[str, np.ndarray]:
    """Vectors of the index being replaced, keyed by model + text, when it was built with the same model.

    ``companion`` reads the English companion's vectors instead of the main model's.
    """
    files = (EN_CHUNK_VECTORS, EN_SENTENCE_VECTORS) if companion else (CHUNK_VECTORS, SENTENCE_VECTORS)
    try:
        manifest = read_manifest(index_dir)
        built_with = manifest.english_model if companion else manifest.model
        if built_with != model_id or manifest.format_version != FORMAT_VERSION:
            return {}
        if not companion and not _same_weights(manifest.model_sha256, model_sha256):
            return {}
        chunks = read_chunks(index_dir / CHUNKS)
        chunk_vectors = np.load(index_dir / files[0])
        sentence_vectors = np.load(index_dir / files[1])
    except (IndexNotReadyError, OSError, ValueError, KeyError, TypeError, EOFError):
        return {}
    cache = {text_key(model_id, c.embedding_text): v for c, v in zip(chunks, chunk_vectors, strict=False)}
    sentences = [s for c in chunks for s in c.sentences]
    cache.update({text_key(model_id, s): v for s, v in zip(sentences, sentence_vectors, strict=False)})
    logger.info("reusing %d cached vectors from %s", len(cache), index_dir)
    return cache


def _previous_states(index_dir: Path, model_id: str, model_sha256: str | None) -> dict[str, TokenStates]:
    """Token states of the index being replaced, keyed like chunk vectors, when built with the same model."""
    try:
        manifest = read_manifest(index_dir)
        if manifest.model != model_id or not manifest.late_interaction:
            return {}
        if not _same_weights(manifest.model_sha256, model_sha256):
            return {}
        chunks = read_chunks(index_dir / CHUNKS)
        late = read_late_index(index_dir)
    except (IndexNotReadyError, OSError, ValueError, KeyError, TypeError, EOFError):
        return {}
    if late_index_problems(late, len(chunks), manifest.dimension):
        return {}
    return {text_key(model_id, c.embedding_text): late.chunk_states(i) for i, c in enumerate(chunks)}
