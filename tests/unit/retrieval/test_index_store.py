import json
from dataclasses import replace

import pytest

from navigator.errors import IndexMismatchError, IndexNotReadyError
from navigator.retrieval.index_build import build_index
from navigator.retrieval.index_store import load_index, read_manifest
from navigator.retrieval.searcher import Searcher
from navigator.testing import FAKE_INDEX, FakeEmbedder, make_document, tiny_corpus


def _build(tmp_path, documents=None, embedder=None):
    embedder = embedder or FakeEmbedder()
    manifest = build_index(documents or tiny_corpus(), embedder, tmp_path / "index", **FAKE_INDEX)
    return manifest, embedder


def test_build_writes_a_complete_index_with_manifest(tmp_path):
    manifest, embedder = _build(tmp_path)
    assert manifest.documents == 3 and manifest.chunks >= 3 and manifest.sentences >= manifest.chunks
    assert manifest.model == "fake-embedder" and manifest.chunking == {"max_words": 60, "overlap_sentences": 1}
    assert manifest.embedded == embedder.calls
    index = load_index(tmp_path / "index", **FAKE_INDEX)
    assert len(index.chunks) == manifest.chunks
    assert index.sentence_vectors.shape == (manifest.sentences, 64)
    on_disk = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert on_disk["corpus_hash"] == manifest.corpus_hash


def test_searcher_finds_the_matching_document(tmp_path):
    _build(tmp_path)
    searcher = Searcher(load_index(tmp_path / "index", **FAKE_INDEX), FakeEmbedder())
    results = searcher.search("part-time timetable behaviour lunchtime", k=3)
    assert results[0].chunk.doc_id == "exclusions"


def test_rebuild_after_one_document_changed_reembeds_only_that_document(tmp_path):
    _build(tmp_path)
    documents = tiny_corpus()
    changed = make_document("transport", "Home to school transport",
                            [(["Travel assistance"], "Travel passes are reviewed every year for each child.")])
    documents[1] = changed
    manifest, embedder = _build(tmp_path, documents)
    # one chunk + its sentence(s) of the changed document, nothing else
    assert 0 < embedder.calls == manifest.embedded <= 3
    assert load_index(tmp_path / "index", **FAKE_INDEX).chunks[-1].doc_id in {"exclusions", "transport"}


def test_unchanged_rebuild_embeds_nothing(tmp_path):
    _build(tmp_path)
    manifest, embedder = _build(tmp_path)
    assert embedder.calls == 0 and manifest.embedded == 0


def test_new_weights_under_the_same_model_name_reembed_everything(tmp_path):
    build_index(tiny_corpus(), FakeEmbedder(), tmp_path / "index", **FAKE_INDEX, model_sha256="aaa")
    same = FakeEmbedder()
    assert build_index(tiny_corpus(), same, tmp_path / "index", **FAKE_INDEX, model_sha256="aaa").embedded == 0
    other = FakeEmbedder()
    manifest = build_index(tiny_corpus(), other, tmp_path / "index", **FAKE_INDEX, model_sha256="bbb")
    assert manifest.model_sha256 == "bbb" and manifest.embedded == other.calls > 0
    assert read_manifest(tmp_path / "index").model_sha256 == "bbb"


def test_failed_build_leaves_the_previous_index_serving(tmp_path):
    first, _ = _build(tmp_path)

    class Broken(FakeEmbedder):
        def embed_documents(self, texts):
            raise RuntimeError("model crashed")

    documents = [replace(d, content_hash="changed") for d in tiny_corpus()]
    documents[0] = make_document("new", "New", [(["X"], "Completely new text that is not cached.")])
    with pytest.raises(RuntimeError):
        _build(tmp_path, documents, Broken())
    assert read_manifest(tmp_path / "index") == first
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".index")]


def test_missing_index_is_not_ready_with_next_step(tmp_path):
    with pytest.raises(IndexNotReadyError, match="navigator index build"):
        load_index(tmp_path / "nothing", **FAKE_INDEX)


@pytest.mark.parametrize(
    ("field", "value"), [("model_id", "other-model"), ("max_words", 99), ("overlap_sentences", 0)]
)
def test_index_built_for_other_settings_is_refused(tmp_path, field, value):
    _build(tmp_path)
    with pytest.raises(IndexMismatchError, match="navigator index build"):
        load_index(tmp_path / "index", **(FAKE_INDEX | {field: value}))


def test_searcher_names_the_language_only_when_the_query_has_none(tmp_path):
    _build(tmp_path)
    seen = []

    def detect(text):
        seen.append(text)
        return "pl"

    class Recording:
        def __init__(self):
            self.calls = []

        def expand(self, text, lang, english_words=None):
            self.calls.append(lang)
            return ""

        def english_words(self, text, lang):
            return ""

    expander = Recording()
    searcher = Searcher(load_index(tmp_path / "index", **FAKE_INDEX), FakeEmbedder(), expander=expander,
                        detect_language=detect)
    searcher.search("transport szkolny", k=2)
    searcher.search("school transport", k=2, lang="en")
    assert seen == ["transport szkolny"] and expander.calls == ["pl", "en"]


def test_english_companion_vectors_are_stored_checked_and_used_for_english_only(tmp_path):
    from navigator.retrieval.companion import EnglishModel

    companion = FakeEmbedder(dimension=32)
    index_dir = tmp_path / "index"
    manifest = build_index(
        tiny_corpus(), FakeEmbedder(), index_dir, model_id="fake-embedder", max_words=60, overlap_sentences=1,
        english_model=EnglishModel("fake-english", companion),
    )
    assert manifest.english_model == "fake-english" and manifest.english_dimension == 32
    assert companion.calls == manifest.chunks + len({s for c in _chunks(index_dir) for s in c["sentences"]})
    with pytest.raises(IndexMismatchError, match="english_model"):
        load_index(index_dir, model_id="fake-embedder", max_words=60, overlap_sentences=1)
    index = load_index(index_dir, model_id="fake-embedder", max_words=60, overlap_sentences=1,
                       english_model="fake-english")
    assert index.english is not None and index.english.chunk_index.d == 32

    searcher = Searcher(index, FakeEmbedder(), english_embeddings=companion)
    assert set(searcher.english_retriever.parts) == {"dense", "sentence", "bm25", "english_dense", "english_sentence"}
    searcher.search("walking distance to school", k=3, lang="en")
    searcher.search("odległość do szkoły", k=3, lang="pl")
    assert list(searcher.english_queries._cache) == ["walking distance to school"]


def _chunks(index_dir):
    return [json.loads(line) for line in (index_dir / "chunks.jsonl").read_text(encoding="utf-8").splitlines()]


def test_every_index_file_name_is_spelled_only_in_index_store() -> None:
    """The index format lives in one module: no other module spells one of its file names."""
    import ast
    from pathlib import Path

    from navigator.retrieval import index_store

    names = {v for k, v in vars(index_store).items() if k.isupper() and isinstance(v, str) and "." in v}
    assert {"chunks.jsonl", "chunks.faiss", "late_vectors.npy", "en_chunk_vectors.npy"} <= names
    package = Path(index_store.__file__).resolve().parents[1]
    spelled = {}
    for path in package.rglob("*.py"):
        if path.name == "index_store.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        literals = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
        if literals & names - {"manifest.json"}:  # the corpus sources have a manifest.json of their own
            spelled[path.name] = sorted(literals & names)
    assert spelled == {}
