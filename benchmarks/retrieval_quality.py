"""Retrieval quality on an evaluation set: the navigator against the tutorial baseline, in one run.

Baseline: LangChain's RecursiveCharacterTextSplitter(1000, 200) over the raw source texts, the same e5
model in a LangChain FAISS store, ``similarity_search``; and BM25 alone over those chunks. Then the
navigator's index with each retriever alone and fused, without and with late-interaction reranking.
Writes benchmarks/results/retrieval_quality.json.

    python benchmarks/retrieval_quality.py [--dataset ../shared/evals/dev.jsonl]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evals.datasets import load_dataset  # noqa: E402
from evals.retrieval.evaluate import SearchFn, score_items, summarize  # noqa: E402
from navigator.assembly import build_searcher  # noqa: E402
from navigator.config import get_settings  # noqa: E402
from navigator.corpus.sources import load_manifest  # noqa: E402
from navigator.languages.family_phrases import load_family_phrases  # noqa: E402
from navigator.languages.glossary import load_glossary  # noqa: E402
from navigator.retrieval.base import Chunk, Query, ScoredChunk  # noqa: E402
from navigator.retrieval.bm25 import BM25Retriever  # noqa: E402
from navigator.retrieval.expansion import GlossaryExpander  # noqa: E402
from navigator.retrieval.searcher import Searcher  # noqa: E402
from navigator.retrieval.vectors import embed_cached, text_key  # noqa: E402


def tutorial_chunks(sources_dir: Path) -> list[Chunk]:
    """The raw source texts split as the LangChain tutorial does."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    chunks = []
    for entry in load_manifest(sources_dir):
        doc_id = entry.doc_id
        text = (sources_dir / entry.file).read_text(encoding="utf-8")
        for i, piece in enumerate(splitter.split_text(text)):
            chunks.append(Chunk(f"{doc_id}#{i}", doc_id, entry.title, None, (), piece, (piece,)))
    return chunks


class TutorialFaiss:
    """LangChain's FAISS vector store with ``similarity_search``, as a tutorial would ship it."""

    def __init__(self, chunks: list[Chunk], embeddings, cache: dict[str, np.ndarray], model_id: str) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            from langchain_community.vectorstores import FAISS

        texts = [c.text for c in chunks]
        vectors = embed_cached(embeddings, texts, [text_key(model_id, "tutorial:" + t) for t in texts], cache)
        self._by_id = {c.id: c for c in chunks}
        self.store = FAISS.from_embeddings(
            list(zip(texts, vectors.tolist(), strict=True)), embeddings, metadatas=[{"id": c.id} for c in chunks]
        )

    def retrieve(self, query: Query, top_k: int) -> list[ScoredChunk]:
        """LangChain's ``similarity_search``."""
        docs = self.store.similarity_search(query.text, k=top_k)
        return [ScoredChunk(self._by_id[d.metadata["id"]], 0.0, "dense") for d in docs]


def as_search(retriever):
    return lambda text, k, lang: retriever.retrieve(Query(text, lang), k)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=ROOT.parent / "shared/evals/dev.jsonl")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/retrieval_quality.json")
    args = parser.parse_args()
    settings = get_settings()
    items = load_dataset(args.dataset)
    searcher = build_searcher(settings)
    embeddings = searcher.queries.embeddings

    cache_path = ROOT / "var/cache/tutorial-vectors.npz"
    cache: dict[str, np.ndarray] = dict(np.load(cache_path)) if cache_path.exists() else {}
    chunks = tutorial_chunks(settings.sources_dir)
    started = time.perf_counter()
    tutorial = TutorialFaiss(chunks, embeddings, cache, settings.embedding_model)
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache_path, **cache)
    print(f"tutorial store: {len(chunks)} chunks in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    systems = {
        "tutorial: recursive 1000/200 + e5 FAISS": as_search(tutorial),
        "tutorial chunks + BM25": as_search(BM25Retriever(chunks)),
    }

    def variant(expand: bool = True, late: bool = False, **weights: float) -> SearchFn:
        options = searcher.options.model_copy(update={"late_interaction": late, **weights})
        return Searcher(searcher.index, embeddings, options, searcher.expander if expand else None).search

    def without_late() -> SearchFn:
        options = searcher.options.model_copy(update={"late_interaction": False})
        english = searcher.english_queries.embeddings if searcher.english_queries else None
        plain = Searcher(searcher.index, embeddings, options, searcher.expander, searcher.detect_language, english)
        return plain.search

    def without_word_translations(bm25_only: bool = False) -> SearchFn:
        """The configured searcher (or BM25 alone) with the glossary and families' phrases but no word list."""
        options = searcher.options.model_copy(
            update=(off | {"bm25_weight": 1.0, "late_interaction": False}) if bm25_only else {}
        )
        english = searcher.english_queries.embeddings if searcher.english_queries and not bm25_only else None
        expander = GlossaryExpander(load_glossary(), load_family_phrases())
        return Searcher(searcher.index, embeddings, options, expander, searcher.detect_language, english).search

    off = {"dense_weight": 0.0, "sentence_weight": 0.0, "bm25_weight": 0.0}
    systems["navigator: dense chunks only"] = variant(**off | {"dense_weight": 1.0})
    systems["navigator: sentences only (small-to-big)"] = variant(**off | {"sentence_weight": 1.0})
    systems["navigator: BM25 only, no glossary"] = variant(False, **off | {"bm25_weight": 1.0})
    systems["navigator: BM25 only + glossary"] = without_word_translations(bm25_only=True)
    systems["navigator: BM25 only + glossary + word translations"] = variant(**off | {"bm25_weight": 1.0})
    systems["navigator: dense + BM25, RRF k=60"] = variant(False, sentence_weight=0.0, rrf_k=60)
    systems["navigator: all three, RRF k=60"] = variant(False, rrf_k=60)
    systems["navigator: all three, RRF k=5"] = variant(False)
    systems["navigator: all three + glossary, no English companion"] = variant()
    systems["navigator: + glossary and word translations, + English companion, no late interaction"] = without_late()
    systems["navigator: configured but without word translations (before 7 December, evening)"] = (
        without_word_translations()
    )
    systems["navigator (configured: + glossary and word translations, + English companion, + late interaction)"] = (
        searcher.search
    )

    report = {"dataset": str(args.dataset), "model": settings.embedding_model,
              "index": searcher.index.manifest.__dict__, "systems": {}}
    for name, search in systems.items():
        summary = summarize(score_items(items, search, progress=False))
        report["systems"][name] = summary
        en, other = summary["english"], summary["other_languages"]
        print(f"{name:<45} hit@5 en {en['hit@5']:.3f}  other {other['hit@5']:.3f}  "
              f"all {summary['overall']['hit@5']:.3f}  mrr@10 {summary['overall']['mrr@10']:.3f}")
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
