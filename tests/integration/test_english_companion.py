"""The English companion model, for real: built from its PyPI pieces, stored in the index, reading only English."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from navigator.api.app import create_app
from navigator.assembly import build_searcher
from navigator.config import ChunkingSettings, Settings
from navigator.errors import IndexMismatchError, IndexNotReadyError
from navigator.models.e5_small import E5_SMALL_NAME
from navigator.models.mpnet import MPNET_NAME, MPNET_WEIGHTS_SHA256, install_mpnet
from navigator.models.onnx_export import exported_embedder
from navigator.models.onnx_runtime import OnnxEmbedder
from navigator.models.provenance import read_provenance
from navigator.retrieval.companion import EnglishModel
from navigator.retrieval.index_build import build_index
from navigator.retrieval.index_store import EN_CHUNK_VECTORS, load_index
from navigator.testing import make_document

pytestmark = pytest.mark.model

ROOT = Path(__file__).resolve().parents[2]
CHUNKING = ChunkingSettings(max_words=80, overlap_sentences=1)
PASSAGES = {
    "part-time": "A part-time timetable can only be justified in very limited circumstances, for example "
    "because of significant physical or mental health needs. It must not be used to manage behaviour.",
    "sendiass": "Birmingham SENDIASS gives free, impartial information, advice and support to parents and "
    "carers of children with special educational needs, independent of the council.",
    "short-breaks": "Short breaks give disabled children enjoyable activities away from home and give their "
    "parents and carers a rest from caring.",
}
PARAMS = {"model_id": E5_SMALL_NAME, "max_words": CHUNKING.max_words, "overlap_sentences": CHUNKING.overlap_sentences}


@pytest.fixture(scope="module")
def mpnet(e5_path: Path) -> OnnxEmbedder:
    """The real all-mpnet-base-v2, joined from the installed part packages (hash-checked) into the model cache."""
    return exported_embedder(MPNET_NAME, install_mpnet(e5_path.parent), token_states=False)


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory, e5, mpnet) -> Path:
    documents = [make_document(key, key.title(), [([key.title()], text)]) for key, text in PASSAGES.items()]
    path = tmp_path_factory.mktemp("companion") / "index"
    build_index(documents, e5, path, **PARAMS, english_model=EnglishModel(MPNET_NAME, mpnet))
    return path


def settings_for(index_dir: Path, e5_path: Path, tmp_path: Path, english_model: str = MPNET_NAME) -> Settings:
    return Settings(index_dir=index_dir, model_cache_dir=e5_path.parent, chunking=CHUNKING,
                    english_model=english_model, database_path=tmp_path / "nav.sqlite3")


def test_the_provisioned_model_is_the_pinned_upstream_one(mpnet):
    provenance = read_provenance(Path(mpnet.model_path), ("model.safetensors", "tokenizer.json"))
    assert provenance is not None and provenance["sha256"] == MPNET_WEIGHTS_SHA256
    vectors = np.asarray(mpnet.embed_documents(["A short break for parents", "Respite care for carers", "Tax law"]))
    assert vectors.shape == (3, 768)
    # A working English model puts two paraphrases closer than an unrelated sentence.
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_the_index_carries_the_companion_vectors(index_dir):
    index = load_index(index_dir, **PARAMS, english_model=MPNET_NAME)
    assert index.manifest.english_model == MPNET_NAME and index.manifest.english_dimension == 768
    assert index.english is not None
    assert index.english.chunk_index.ntotal == index.manifest.chunks
    assert index.english.sentence_index.ntotal == index.manifest.sentences


def test_english_questions_use_the_companion_and_others_do_not(index_dir, e5_path, tmp_path, e5, mpnet):
    searcher = build_searcher(settings_for(index_dir, e5_path, tmp_path), e5, mpnet)
    assert searcher.english_queries is not None and searcher.english_retriever is not None
    asked: list[str] = []
    original = searcher.english_queries.vector
    searcher.english_queries.vector = lambda text: asked.append(text) or original(text)  # type: ignore[method-assign]

    results = searcher.search("Can I get a rest from looking after my disabled son?", k=3, lang="en")
    assert results[0].chunk.doc_id == "short-breaks"
    assert set(asked) == {"Can I get a rest from looking after my disabled son?"}  # chunk and sentence rankings
    asked.clear()
    urdu = "کیا مجھے اپنے معذور بیٹے کی دیکھ بھال سے آرام مل سکتا ہے؟"
    results = searcher.search(urdu, k=3, lang="ur")
    # The Urdu question never reaches the English-only model; the English words its own words stand for do.
    assert urdu not in asked
    assert asked and all(text.isascii() for text in asked)
    assert {"disabled", "son"} <= set(asked[0].split())
    assert results[0].chunk.doc_id == "short-breaks"
    asked.clear()
    searcher.search("Dudley?", k=3, lang="pl")  # no word of it is in the word list: no English model call
    assert asked == []


def test_an_index_without_the_companion_is_refused_when_settings_want_it(tmp_path, e5, e5_path):
    documents = [make_document("sendiass", "SENDIASS", [(["SENDIASS"], PASSAGES["sendiass"])])]
    plain = tmp_path / "plain"
    build_index(documents, e5, plain, **PARAMS)
    with pytest.raises(IndexMismatchError, match=r"english_model: index has None.*navigator index build"):
        load_index(plain, **PARAMS, english_model=MPNET_NAME)
    with TestClient(create_app(settings_for(plain, e5_path, tmp_path))) as client:
        assert client.get("/healthz").status_code == 503
        assert "english_model" in client.post("/api/search", json={"query": "advice"}).json()["error"]["message"]


def test_a_damaged_companion_file_is_named(index_dir, tmp_path):
    import shutil

    copy = tmp_path / "index"
    shutil.copytree(index_dir, copy)
    np.save(copy / EN_CHUNK_VECTORS, np.zeros((1, 768), dtype=np.float32))
    with pytest.raises(IndexNotReadyError, match=r"en_chunk_vectors\.npy.*navigator index build"):
        load_index(copy, **PARAMS, english_model=MPNET_NAME)


def test_a_rebuild_embeds_only_changed_texts_with_both_models(tmp_path, e5, mpnet):
    documents = [make_document(key, key.title(), [([key.title()], text)]) for key, text in PASSAGES.items()]
    path = tmp_path / "index"
    companion = EnglishModel(MPNET_NAME, mpnet)
    first = build_index(documents, e5, path, **PARAMS, english_model=companion)
    documents[0] = make_document("part-time", "Part-Time", [(["Part-Time"], PASSAGES["part-time"] + " Ask why.")])
    second = build_index(documents, e5, path, **PARAMS, english_model=companion)
    # One changed chunk and one new sentence, each embedded by both models.
    assert first.embedded > 10 and second.embedded == 4
