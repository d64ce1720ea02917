from navigator.retrieval.base import Query, ScoredChunk
from navigator.retrieval.bm25 import BM25Retriever
from navigator.retrieval.chunking import split_documents
from navigator.retrieval.hybrid import HybridRetriever, rrf_fuse
from navigator.testing import tiny_corpus


def _chunks():
    return split_documents(tiny_corpus(), max_words=200)


def test_bm25_finds_exact_terms_first():
    retriever = BM25Retriever(_chunks())
    results = retriever.retrieve(Query("How many weeks for an EHC plan?"), 3)
    assert results[0].chunk.doc_id == "ehcp-guide"
    assert results[0].via == "bm25"
    assert all(a.score >= b.score for a, b in zip(results, results[1:], strict=False))


def test_bm25_returns_nothing_when_no_term_matches():
    assert BM25Retriever(_chunks()).retrieve(Query("zebra"), 5) == []


def test_bm25_matches_non_latin_terms():
    chunks = _chunks()
    from dataclasses import replace

    chunks.append(replace(chunks[0], id="x", text="ਸਕੂਲ ਦੀ ਆਵਾਜਾਈ", sentences=("ਸਕੂਲ ਦੀ ਆਵਾਜਾਈ",)))
    results = BM25Retriever(chunks).retrieve(Query("ਸਕੂਲ"), 1)
    assert results[0].chunk.id == "x"


def test_rrf_fuse_rewards_agreement_and_respects_weights():
    a, b, c = _chunks()[:3]
    rankings = {
        "dense": [ScoredChunk(a, 0.9, "dense"), ScoredChunk(b, 0.8, "dense")],
        "bm25": [ScoredChunk(b, 5.0, "bm25"), ScoredChunk(c, 4.0, "bm25")],
    }
    fused = rrf_fuse(rankings, k=60)
    assert fused[0].chunk.id == b.id  # in both lists
    assert fused[0].score == 1 / 62 + 1 / 61
    only_bm25 = rrf_fuse(rankings, {"dense": 0.0}, k=60)
    assert [s.chunk.id for s in only_bm25] == [b.id, c.id]


class _Fixed:
    def __init__(self, ranking):
        self.ranking = ranking
        self.asked = []

    def retrieve(self, query, top_k):
        self.asked.append(top_k)
        return self.ranking[:top_k]


def test_hybrid_asks_each_part_for_candidates_and_cuts_to_top_k():
    chunks = _chunks()
    one = _Fixed([ScoredChunk(c, 1.0, "dense") for c in chunks])
    two = _Fixed([ScoredChunk(c, 1.0, "bm25") for c in reversed(chunks)])
    hybrid = HybridRetriever({"dense": one, "bm25": two}, candidates=7)
    results = hybrid.retrieve(Query("q"), 2)
    assert len(results) == 2 and one.asked == [7] and two.asked == [7]
    assert all(r.via == "hybrid" for r in results)
