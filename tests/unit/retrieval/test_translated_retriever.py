"""The companion's ranking of a question's translated words: used only when there are any, always in English."""

from navigator.retrieval.base import Chunk, Query, ScoredChunk
from navigator.retrieval.companion import TranslatedRetriever


class _Recording:
    def __init__(self) -> None:
        self.seen: list[Query] = []

    def retrieve(self, query: Query, top_k: int) -> list[ScoredChunk]:
        self.seen.append(query)
        chunk = Chunk("c1", "d", "D", None, ("S",), "school transport", ("school transport",))
        return [ScoredChunk(chunk, 1.0, "dense")][:top_k]


def test_the_companion_reads_the_english_words_not_the_question():
    companion = _Recording()
    results = TranslatedRetriever(companion).retrieve(Query("dowóz do szkoły", "pl", "", "transport school"), 5)

    assert [r.chunk.id for r in results] == ["c1"]
    assert companion.seen == [Query("transport school", "en")]


def test_a_question_without_translated_words_gets_no_ranking_and_no_model_call():
    companion = _Recording()

    assert TranslatedRetriever(companion).retrieve(Query("dowóz", "pl"), 5) == []
    assert companion.seen == []
