"""`eval run --api`: the same scoring against a running server, reached over HTTP."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from evals.answers.evaluate import summarize
from evals.answers.generate import ApiTarget, run_items
from navigator.api.app import create_app
from navigator.config import Settings
from navigator.retrieval.index_build import build_index
from navigator.retrieval.index_store import load_index
from navigator.retrieval.searcher import Searcher
from navigator.testing import FakeEmbedder, tiny_corpus

PARAMS = {"model_id": "fake-embedder", "max_words": 60, "overlap_sentences": 1}
ITEMS = [
    {"id": "a-1", "question": "Is there free home to school transport beyond the walking distance?", "lang": "en",
     "audience": "parent", "answerable": True, "answer": "yes", "source": "transport.txt",
     "evidence": "free home to school transport when they live beyond the statutory walking distance",
     "keywords": ["transport"]},
    {"id": "a-2", "question": "What is the phone number of the transport team?", "lang": "en", "audience": "parent",
     "answerable": False, "answer": "not in the documents", "source": None, "evidence": None, "keywords": []},
]


def test_api_target_scores_items_through_http(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    build_index(tiny_corpus(), FakeEmbedder(), index_dir, **PARAMS)
    searcher = Searcher(load_index(index_dir, **PARAMS), FakeEmbedder())
    settings = Settings(index_dir=index_dir, database_path=tmp_path / "nav.sqlite3", rate_limit_per_minute=0,
                        min_evidence_score=None)
    with TestClient(create_app(settings, searcher=searcher)) as client:
        target = ApiTarget("http://testserver", client=client)
        rows = run_items(ITEMS, target, lambda text: "en", progress=False)
    assert target.description["target"] == "http://testserver" and target.description["health"]["documents"] == 3
    answerable, unanswerable = rows
    assert answerable["retrieved"][0]["doc_id"] == "transport" and answerable["scores"]["hit@1"] == 1.0
    assert answerable["status"] in {"answered", "not_found", "out_of_scope"} and answerable["latency_ms"] > 0
    assert unanswerable["status"] in {"not_found", "out_of_scope"} and unanswerable["scores"]["abstention"] == 1.0
    assert summarize(rows)["overall"]["n"] == 2
