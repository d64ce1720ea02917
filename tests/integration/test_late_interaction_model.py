"""Late interaction with the real model: token states from the ONNX export, stored at build, used at search."""

from __future__ import annotations

import numpy as np
import pytest

from navigator.errors import IndexNotReadyError
from navigator.models.base import TokenStates
from navigator.models.e5_small import E5_SMALL_NAME
from navigator.models.onnx_runtime import OnnxEmbedder
from navigator.models.torch_runtime import SentenceTransformerEmbedder
from navigator.retrieval.index_build import build_index
from navigator.retrieval.index_store import late_index_problems, load_index
from navigator.retrieval.options import SearchOptions
from navigator.retrieval.searcher import Searcher
from navigator.testing import chat_corpus, make_document

pytestmark = pytest.mark.model

CHUNKING = {"max_words": 80, "overlap_sentences": 1}


class CountingEmbedder(OnnxEmbedder):
    """The real embedder, counting the texts whose token states it computes."""

    states_computed = 0

    def token_states(self, texts: list[str], prompt_name: str) -> list[TokenStates]:
        self.states_computed += len(texts)
        return super().token_states(texts, prompt_name)


def _documents(changed: str | None = None):
    """The shared chat corpus, with one sentence added to ``changed``'s text."""
    return [
        make_document(d.id, d.title, [(list(d.sections[0].heading_path), d.sections[0].text + " Updated.")], d.url)
        if d.id == changed
        else d
        for d in chat_corpus()
    ]


@pytest.fixture(scope="module")
def counting(e5) -> CountingEmbedder:
    return CountingEmbedder(E5_SMALL_NAME, e5.model_path)


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory, counting):
    path = tmp_path_factory.mktemp("late") / "index"
    build_index(_documents(), counting, path, model_id=E5_SMALL_NAME, **CHUNKING)
    return path


def test_late_interaction_token_states_leave_out_the_prompt_and_special_tokens(e5):
    tokenizer = e5._load().tokenizer
    text = "Wie lange dauert ein EHC-Plan?"

    (states,) = e5.token_states([text], "passage")

    assert states.ids.tolist() == tokenizer.encode(text, add_special_tokens=False).ids
    assert states.vectors.dtype == np.float16 and states.vectors.shape == (len(states.ids), 384)
    assert np.allclose(np.linalg.norm(states.vectors.astype(np.float32), axis=1), 1.0, atol=1e-3)


def test_late_interaction_query_states_come_with_the_same_vector_as_embed_query(e5):
    question = "کیا اسکول میرے بیٹے کو صرف آدھا دن بلا سکتا ہے؟"

    vector, states = e5.query_with_states(question)
    (alone,) = e5.token_states([question], "query")

    assert float(np.dot(vector, e5.embed_query(question))) > 0.9999
    assert states.ids.tolist() == alone.ids.tolist()
    assert np.allclose(states.vectors.astype(np.float32), alone.vectors.astype(np.float32), atol=2e-3)


def test_late_interaction_index_stores_states_and_the_searcher_reranks(index_dir, e5):
    index = load_index(index_dir, model_id=E5_SMALL_NAME, **CHUNKING)

    assert index.manifest.late_interaction and index.late is not None
    assert late_index_problems(index.late, len(index.chunks), index.manifest.dimension) == []
    searcher = Searcher(index, e5)
    assert searcher.reranker is not None
    results = searcher.search("کیا اسکول میرے بیٹے کو رویے کی وجہ سے صرف آدھا دن بلا سکتا ہے؟", k=3, lang="ur")
    assert results[0].chunk.doc_id == "part-time-timetables"
    plain = Searcher(index, e5, SearchOptions(late_interaction=False))
    assert plain.reranker is None
    # Only the fused top ``late_depth`` are reordered: below it the fused order stands.
    shallow = Searcher(index, e5, SearchOptions(late_depth=2))
    question = "Ile tygodni na plan EHC?"
    fused = [r.chunk.id for r in plain.search(question, k=6, lang="pl")]
    reranked = [r.chunk.id for r in shallow.search(question, k=6, lang="pl")]
    assert reranked[2:] == fused[2:] and sorted(reranked[:2]) == sorted(fused[:2])


def test_late_interaction_rebuild_computes_states_only_for_changed_chunks(index_dir, counting):
    before = counting.states_computed

    build_index(_documents(changed="school-transport"), counting, index_dir, model_id=E5_SMALL_NAME, **CHUNKING)

    assert counting.states_computed - before == 1
    index = load_index(index_dir, model_id=E5_SMALL_NAME, **CHUNKING)
    row = next(i for i, c in enumerate(index.chunks) if c.doc_id == "school-transport")
    (fresh,) = counting.token_states([index.chunks[row].embedding_text], "passage")
    assert index.late is not None and index.late.chunk_states(row).ids.tolist() == fresh.ids.tolist()


def test_late_interaction_off_at_build_stores_nothing(tmp_path, e5):
    build_index(_documents(), e5, tmp_path / "index", model_id=E5_SMALL_NAME, late_interaction=False, **CHUNKING)

    index = load_index(tmp_path / "index", model_id=E5_SMALL_NAME, **CHUNKING)
    assert not index.manifest.late_interaction and index.late is None
    assert not list((tmp_path / "index").glob("late_*"))
    assert Searcher(index, e5).reranker is None


def test_late_interaction_damaged_states_are_refused_on_load(tmp_path, e5):
    build_index(_documents(), e5, tmp_path / "index", model_id=E5_SMALL_NAME, **CHUNKING)
    np.save(tmp_path / "index" / "late_offsets.npy", np.array([0, 1], dtype=np.int64))

    with pytest.raises(IndexNotReadyError, match=r"late_offsets\.npy"):
        load_index(tmp_path / "index", model_id=E5_SMALL_NAME, **CHUNKING)


def test_late_interaction_is_skipped_when_the_model_gives_no_states(index_dir, e5):
    index = load_index(index_dir, model_id=E5_SMALL_NAME, **CHUNKING)
    torch_e5 = SentenceTransformerEmbedder(E5_SMALL_NAME, e5.model_path)  # same vectors, no token states
    searcher = Searcher(index, torch_e5)

    results = searcher.search("How long does the council have to issue an EHC plan?", k=3, lang="en")

    assert results[0].chunk.doc_id == "ehcp-timescales"
    assert searcher.reranker is None  # turned off at the first search, with a warning


def test_late_interaction_places_every_sentence_and_matches_a_translated_question_to_its_sentence(index_dir, e5):
    index = load_index(index_dir, model_id=E5_SMALL_NAME, **CHUNKING)
    searcher = Searcher(index, e5)
    match = searcher.sentence_match(e5)
    assert match is not None
    for chunk in index.chunks:
        assert None not in match.sentence_rows(chunk), chunk.id  # the tokenizer places every sentence

    # Urdu: "can the school have my son in for only half a day because of his behaviour?"
    question = "کیا اسکول میرے بیٹے کو رویے کی وجہ سے صرف آدھا دن بلا سکتا ہے؟"
    (top,) = searcher.search(question, k=1, lang="ur")
    states = searcher.query_states(searcher.prepare(question, "ur"))
    assert states is not None
    scores = match.scores(states, top.chunk, [(i,) for i in range(len(top.chunk.sentences))])
    best = top.chunk.sentences[int(np.argmax(scores))]
    assert "behaviour" in best, (best, scores)  # the sentence that answers it: not to manage behaviour
