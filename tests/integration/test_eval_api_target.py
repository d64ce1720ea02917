"""`eval run --api`: the same scoring against a running server, reached over HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient

from evals.answers.evaluate import summarize
from evals.answers.generate import ApiTarget, run_items

ITEMS = [
    {"id": "a-1", "question": "Is there free home to school transport beyond the walking distance?", "lang": "en",
     "audience": "parent", "answerable": True, "answer": "yes", "source": "transport.txt",
     "evidence": "free home to school transport when they live beyond the statutory walking distance",
     "keywords": ["transport"]},
    {"id": "a-2", "question": "What is the phone number of the transport team?", "lang": "en", "audience": "parent",
     "answerable": False, "answer": "not in the documents", "source": None, "evidence": None, "keywords": []},
]


def test_api_target_scores_items_through_http(fake_app) -> None:
    with TestClient(fake_app(rate_limit_per_minute=0, answer_threshold=0.0)) as client:
        target = ApiTarget("http://testserver", client=client)
        rows = run_items(ITEMS, target, lambda text: "en", progress=False)
    assert target.description["target"] == "http://testserver" and target.description["health"]["documents"] == 3
    answerable, unanswerable = rows
    assert answerable["retrieved"][0]["doc_id"] == "transport" and answerable["scores"]["hit@1"] == 1.0
    assert answerable["status"] in {"answered", "not_found", "out_of_scope"} and answerable["latency_ms"] > 0
    assert unanswerable["status"] in {"not_found", "out_of_scope"} and unanswerable["scores"]["abstention"] == 1.0
    assert summarize(rows)["overall"]["n"] == 2
