"""Which sentences the extractive composer quotes: the best one first, then at most two that add to it."""

from __future__ import annotations

import numpy as np

from navigator.answer.base import CompositionRequest, Passage
from navigator.answer.extractive import ExtractiveComposer, ExtractiveOptions, StoredSentenceVectors
from navigator.retrieval.base import Chunk

SENTENCES = (
    "The local authority must issue the final plan within twenty weeks of the request.",
    "Parents can ask the school for a meeting with the special educational needs coordinator.",
    "Short breaks give disabled children enjoyable activities away from home.",
)


def _request(
    similarities: list[float], sentences: tuple[str, ...] = SENTENCES, **asked: bool
) -> tuple[CompositionRequest, StoredSentenceVectors]:
    """One-sentence passages, in rank order, whose sentences have these cosines with the question."""
    chunks = [Chunk(f"c{i}", f"doc{i}", f"Doc {i}", None, ("Section",), s, (s,)) for i, s in enumerate(sentences)]
    vectors = np.array([[sim, float(np.sqrt(1 - sim * sim)), 0.0] for sim in similarities], dtype=np.float32)
    composer_vectors = StoredSentenceVectors(chunks, np.arange(len(chunks)), vectors)
    request = CompositionRequest(
        question="unrelated words",
        language="en",
        passages=[Passage(i + 1, c, 1.0 / (i + 1)) for i, c in enumerate(chunks)],
        query_vector=[1.0, 0.0, 0.0],
        lexical_text="unrelated words",
        **asked,
    )
    return request, composer_vectors


def test_extractive_select_leads_with_the_best_sentence_even_from_a_lower_ranked_passage():
    request, vectors = _request([0.5, 0.95, 0.93])

    chosen = ExtractiveComposer(vectors).select(request)

    assert [c.passage.chunk.id for c in chosen] == ["c1", "c2"]  # 0.5 is far below the lead: not quoted
    composition = ExtractiveComposer(vectors).compose(request)
    assert composition.text.splitlines()[0] == f"“{SENTENCES[1]}” [1]"
    assert composition.text.splitlines()[1] == "— Doc 1 › Section"
    assert [c.doc_id for c in composition.citations] == ["doc1", "doc2"]
    assert [q.n for q in composition.quotes] == [1, 2]


def test_extractive_select_prefers_the_higher_ranked_passage_between_near_equals():
    request, vectors = _request([0.9, 0.905, 0.5])

    chosen = ExtractiveComposer(vectors).select(request)

    assert [c.passage.chunk.id for c in chosen] == ["c0", "c1"]


def test_extractive_select_never_quotes_the_same_sentence_twice():
    # Overlapping chunks repeat a sentence: the second copy is not quoted again under another number.
    request, vectors = _request([0.9, 0.9, 0.9], sentences=(SENTENCES[0], SENTENCES[0], SENTENCES[1]))

    composition = ExtractiveComposer(vectors).compose(request)

    assert [q.text for q in composition.quotes] == [SENTENCES[0], SENTENCES[1]]


def test_extractive_select_skips_a_sentence_the_documents_repeat_with_a_word_changed():
    agenda = "The Chair advised that this meeting would be webcast and that the public may record it."
    minutes = "The Chair to advise that this meeting will be webcast and that the public may record it."
    request, vectors = _request([0.9, 0.9, 0.9], sentences=(agenda, minutes, SENTENCES[1]))

    composition = ExtractiveComposer(vectors).compose(request)

    assert [q.text for q in composition.quotes] == [agenda, SENTENCES[1]]


def test_extractive_select_shows_only_supporting_quotes_that_score_close_to_the_lead():
    request, vectors = _request([0.95, 0.93, 0.87])  # scores 0.95, 0.91, 0.83 after the rank weight

    chosen = ExtractiveComposer(vectors).select(request)
    every = ExtractiveComposer(vectors).choose(ExtractiveComposer(vectors).scored_units(request))
    closest = ExtractiveComposer(vectors, ExtractiveOptions(max_support_gap=0.0)).select(request)

    assert [c.passage.chunk.id for c in chosen] == ["c0", "c1"]
    assert [c.passage.chunk.id for c in every] == ["c0", "c1", "c2"]
    assert [c.passage.chunk.id for c in closest] == ["c0"]
    assert ExtractiveComposer(vectors).shown(every) == chosen


def test_extractive_select_keeps_to_the_word_budget_but_always_quotes_the_lead():
    long = " ".join(["The plan sets out the help a child needs at school and at home."] * 4)
    request, vectors = _request([0.9, 0.89, 0.88], sentences=(long, SENTENCES[1], SENTENCES[2]))

    chosen = ExtractiveComposer(vectors, ExtractiveOptions(max_words=60)).select(request)

    assert [c.passage.chunk.id for c in chosen] == ["c0"]  # 52 words: neither 13-word sentence fits beside it
    alone = ExtractiveComposer(vectors, ExtractiveOptions(max_words=10)).select(request)
    assert [c.passage.chunk.id for c in alone] == ["c0"]


def test_extractive_select_quotes_figures_and_testimonials_only_when_asked_for():
    row = "Measure | 2022 | 2023\nPlans issued within 20 weeks | 41% | 55%"
    voice = "“It was so good to see him happy at school again and joining in with everything” – a parent"
    sentences = (row, voice, SENTENCES[2])

    plain_request, plain_vectors = _request([0.9, 0.9, 0.85], sentences)
    plain = ExtractiveComposer(plain_vectors).select(plain_request)
    figures_request, figures_vectors = _request([0.9, 0.9, 0.85], sentences, figures_asked=True)
    figures = ExtractiveComposer(figures_vectors).select(figures_request)
    voices_request, voices_vectors = _request([0.9, 0.9, 0.85], sentences, experiences_asked=True)
    voices = ExtractiveComposer(voices_vectors).select(voices_request)

    assert [c.passage.chunk.id for c in plain] == ["c2"]
    assert "c0" in [c.passage.chunk.id for c in figures] and "c1" not in [c.passage.chunk.id for c in figures]
    assert "c1" in [c.passage.chunk.id for c in voices] and "c0" not in [c.passage.chunk.id for c in voices]
    row_quote = ExtractiveComposer(figures_vectors).compose(figures_request).quotes[0].text
    assert row_quote == "Plans issued within 20 weeks (2022: 41%; 2023: 55%)"  # the figures keep what they measure


def test_a_table_row_holding_a_sentence_is_quoted_as_that_sentence():
    from navigator.answer.extractive import quote_line

    sentence = "Tracking the share of plans issued within 20 weeks shows whether assessments are coordinated well."
    row = f"KPI | Narrative | RAG\nGBR1 | {sentence} | Red"

    assert quote_line(row) == sentence
    assert quote_line(f"GBR1 | {sentence}") == sentence  # a row on its own line: the code says nothing
    assert quote_line(f"Due date | {sentence}") == sentence
    two = f"{sentence} | Schools said the panel meets every week to decide on new requests for assessment."
    assert quote_line(two).startswith(sentence + "; Schools said")  # two sentences: both, in order, no bars
    # A risk register's row without its header: the rating means nothing alone; the date may be what was asked for.
    risk = "Too few specialist places for children with EHC plans"
    assert quote_line(f"10/11/2021 | {risk} | Low | {sentence}") == f"10/11/2021; {risk}; {sentence}"


def test_a_row_under_a_header_it_does_not_line_up_with_quotes_its_own_cells():
    from navigator.answer.extractive import quote_line

    header = "Item | Type | Aims | Lead | Witnesses | Visits | Notes"
    row = "Home to School Transport | Update Report | Assurances on the service for September 2022."

    assert quote_line(f"{header}\n{row}") == (
        "Home to School Transport; Update Report; Assurances on the service for September 2022."
    )


def test_quoted_lines_lose_their_bullet_and_paragraph_number():
    from navigator.answer.extractive import quote_line

    assert quote_line("- 4.6 Delivery of the plan will be overseen by the Board.") == (
        "Delivery of the plan will be overseen by the Board."
    )
    assert quote_line("• Families can ask for an assessment.") == "Families can ask for an assessment."
    assert quote_line("20 weeks is the limit.") == "20 weeks is the limit."  # a number that is no paragraph number


def test_a_sentence_that_asks_a_question_is_weighed_but_never_shown():
    question = "Is this a key decision for the council and its partners?"
    request, vectors = _request([0.95, 0.94, 0.2], sentences=(question, SENTENCES[0], SENTENCES[2]))
    composer = ExtractiveComposer(vectors)

    considered = composer.choose(composer.scored_units(request))
    shown = composer.shown(considered)

    assert considered[0].unit.text == question  # the judge still sees what retrieval found
    assert [c.unit.text for c in shown] == [SENTENCES[0]]  # the next sentence leads the reply


class _TokenMatch:
    """Sentence-level token matching that favours the sentences it is given, by chunk id."""

    def __init__(self, by_chunk: dict[str, float]) -> None:
        self.by_chunk = by_chunk

    def scores(self, query, chunk, units):  # type: ignore[no-untyped-def]
        return [self.by_chunk.get(chunk.id, 0.0) for _ in units]


def test_extractive_select_adds_the_token_match_of_each_sentence_when_the_question_has_states():
    from dataclasses import replace

    from navigator.models.base import TokenStates

    request, vectors = _request([0.9, 0.88, 0.5])
    states = TokenStates(np.eye(3, dtype=np.float16), np.array([1, 2, 3], dtype=np.int32))
    composer = ExtractiveComposer(vectors, tokens=_TokenMatch({"c1": 0.8, "c0": 0.6}))  # type: ignore[arg-type]

    assert ExtractiveComposer(vectors).select(request)[0].passage.chunk.id == "c0"
    assert composer.select(request)[0].passage.chunk.id == "c0"  # no states with the question: cosines only
    lead = composer.select(replace(request, query_states=states))[0]
    assert lead.passage.chunk.id == "c1" and lead.tokens == 0.8
