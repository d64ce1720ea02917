"""Real model, real index: questions in several languages find the English passage that answers them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from navigator.api.app import create_app
from navigator.config import ChunkingSettings, Settings
from navigator.models.e5_small import E5_SMALL_NAME
from navigator.retrieval.index_build import build_index
from navigator.retrieval.index_store import load_index
from navigator.retrieval.searcher import Searcher
from navigator.testing import make_document

pytestmark = pytest.mark.model

PASSAGES = {
    "timescales": "Education, health and care plans should be issued within 20 weeks of the request for an "
    "assessment. The rolling annual average of plans issued within 20 weeks was 55% in March 2024.",
    "part-time": "A part-time timetable can only be justified in very limited circumstances, for example "
    "because of significant physical or mental health needs. It must not be used to manage a child's behaviour.",
    "transport": "Home to school transport is provided for eligible children with special educational needs. "
    "Travel training helps young people learn to travel independently on buses and trains.",
    "sendiass": "Birmingham SENDIASS gives free, impartial information, advice and support to parents and "
    "carers of children with special educational needs, independent of the council.",
    "tribunal": "If parents disagree with a decision not to assess, they can go to mediation and then appeal "
    "to the SEND Tribunal. Fewer than 20% of decisions not to assess are overturned.",
    "therapy": "Waiting times for speech and language therapy have grown; children wait many months for an "
    "appointment with a therapist after a referral.",
    "adulthood": "Preparation for adulthood starts from Year 9: annual reviews look at employment, "
    "independent living, friendships and good health as the young person approaches 18.",
    "short-breaks": "Short breaks give disabled children enjoyable activities away from home and give their "
    "parents and carers a rest from caring.",
}

QUESTIONS = [
    ("ur", "کیا اسکول میرے بیٹے کو رویے کی وجہ سے صرف آدھا دن بلا سکتا ہے؟", "part-time"),
    ("ur", "مجھے مفت اور آزاد مشورہ کہاں سے مل سکتا ہے؟", "sendiass"),
    ("pl", "Ile tygodni rada ma na wydanie planu EHC?", "timescales"),
    ("pl", "Jak długo czeka się na terapię mowy i języka?", "therapy"),
    ("ar", "هل يوجد نقل مجاني من المنزل إلى المدرسة لطفلي؟", "transport"),
    ("so", "Haddii aan ku raacsanahay go'aanka, ma racfaan ka qaadan karaa maxkamadda SEND?", "tribunal"),
    ("bn", "আমার সন্তানের বয়স ১৬, প্রাপ্তবয়স্ক জীবনের জন্য প্রস্তুতি কখন শুরু হয়?", "adulthood"),
    ("en", "Can I get a rest from caring for my disabled son?", "short-breaks"),
]

CHUNKING = ChunkingSettings(max_words=80, overlap_sentences=1)


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory, e5):
    documents = [make_document(key, key.title(), [([key.title()], text)]) for key, text in PASSAGES.items()]
    path = tmp_path_factory.mktemp("xling") / "index"
    build_index(documents, e5, path, model_id=E5_SMALL_NAME, max_words=CHUNKING.max_words,
                overlap_sentences=CHUNKING.overlap_sentences)
    return path


@pytest.fixture(scope="module")
def searcher(index_dir, e5):
    index = load_index(index_dir, model_id=E5_SMALL_NAME, max_words=CHUNKING.max_words,
                       overlap_sentences=CHUNKING.overlap_sentences)
    return Searcher(index, e5)


@pytest.mark.parametrize(("lang", "question", "expected"), QUESTIONS, ids=[f"{q[0]}-{q[2]}" for q in QUESTIONS])
def test_question_finds_the_answering_passage_first(searcher, lang, question, expected):
    results = searcher.search(question, k=3, lang=lang)
    assert results[0].chunk.doc_id == expected, [r.chunk.doc_id for r in results]


def test_dense_alone_carries_non_latin_questions(searcher):
    """BM25 cannot match Urdu against English text; the dense part must rank the passage on its own."""
    from navigator.retrieval.base import Query

    dense = searcher.retriever.parts["dense"].retrieve(Query("آمد و رفت کے لیے بس کی تربیت"), 2)
    assert dense[0].chunk.doc_id == "transport"
    assert searcher.retriever.parts["bm25"].retrieve(Query("آمد و رفت کے لیے بس کی تربیت"), 2) == []


def test_api_serves_the_real_index_and_refuses_a_mismatched_one(index_dir, tmp_path, e5_path):
    settings = Settings(index_dir=index_dir, model_cache_dir=e5_path.parent, chunking=CHUNKING)
    with TestClient(create_app(settings)) as client:
        health = client.get("/healthz").json()
        assert health["status"] == "ok" and health["model"] == E5_SMALL_NAME and health["documents"] == 8
        results = client.post("/api/search", json={"query": "Ile tygodni na plan EHC?", "k": 3}).json()["results"]
        assert results[0]["doc_id"] == "timescales" and "20 weeks" in results[0]["text"]

    other = Settings(index_dir=index_dir, model_cache_dir=e5_path.parent,
                     chunking=ChunkingSettings(max_words=120, overlap_sentences=1))
    with TestClient(create_app(other)) as client:
        response = client.post("/api/search", json={"query": "EHCP"})
        assert response.status_code == 503
        error = response.json()["error"]
        assert error["code"] == "index_mismatch" and "max_words" in error["message"]
        assert "navigator index build" in error["message"]
