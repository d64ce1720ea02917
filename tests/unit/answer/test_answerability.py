"""The answerability model: its stored form, its arithmetic, the strict rule for facts asked outright."""

from __future__ import annotations

import math

import pytest

from navigator.answer.answerability import (
    FEATURES,
    AnswerabilityJudge,
    AnswerabilityModel,
    load_model,
    parse_model,
)
from navigator.answer.base import Passage
from navigator.answer.extractive import ScoredUnit
from navigator.answer.sentence_units import SentenceUnit
from navigator.answer.unseen_words import unseen_words
from navigator.errors import ConfigError
from navigator.languages.glossary import load_glossary
from navigator.retrieval.base import Chunk
from navigator.retrieval.tokens import tokenize


def _model(**weights: float) -> AnswerabilityModel:
    return AnswerabilityModel(
        FEATURES,
        mean=(0.0,) * len(FEATURES),
        scale=(1.0,) * len(FEATURES),
        weights=tuple(weights.get(f, 0.0) for f in FEATURES),
        bias=0.0,
        threshold=0.5,
        question_weights=(1.0, -1.0, 0.0),
        question_bias=0.5,
    )


def _unit(text: str, n: int = 1, dense: float = 0.85) -> ScoredUnit:
    chunk = Chunk(f"c{n}", f"doc{n}", f"Doc {n}", None, ("Section",), text, (text,))
    return ScoredUnit(Passage(n, chunk, 0.3 / n), SentenceUnit((0,), text), dense, dense, 0.5)


def test_shipped_model_loads_and_names_only_known_features():
    model = load_model()

    assert set(model.features) <= set(FEATURES) and 0.0 < model.threshold < 1.0
    assert "calibration" in model.about


def test_model_round_trips_through_its_stored_form_and_computes_a_logistic():
    model = _model(lead_dense=2.0)

    again = parse_model(model.to_json())

    assert again == model
    assert math.isclose(again.probability({"lead_dense": 1.0}), 1 / (1 + math.exp(-2.0)))


def test_english_questions_have_their_own_threshold_when_the_model_holds_one():
    from dataclasses import replace

    from navigator.assembly import answerability_judge
    from navigator.config import Settings

    model = replace(_model(), bias=0.4, english_threshold=0.7)  # probability 0.599 when every sign is 0
    judge = AnswerabilityJudge(model)

    assert judge.judge({"english": 0.0}).answers  # 0.599 >= 0.5
    assert not judge.judge({"english": 1.0}).answers  # 0.599 < 0.7
    assert parse_model(model.to_json()) == model
    assert parse_model(_model().to_json()).english_threshold is None  # one threshold for every language
    fixed = answerability_judge(Settings(answer_threshold=0.2), load_glossary()).model
    assert fixed.threshold == 0.2 and fixed.threshold_for(True) == 0.2  # a configured threshold holds everywhere


def test_question_prior_reads_the_question_vector_and_needs_its_width():
    model = _model()

    assert math.isclose(model.question_prior([0.6, 0.2, 0.9]), 0.5 + 0.6 - 0.2)
    assert model.question_prior(None) == 0.0 and model.question_prior([0.6, 0.2]) == 0.0  # another model's vector
    judge = AnswerabilityJudge(model)
    lead = _unit("The plan is issued within 20 weeks.")
    features = judge.features("How long?", "en", [lead], [lead], None, [], [lead.passage], query_vector=[1, 0, 0])
    assert math.isclose(features["question_prior"], 1.5)


@pytest.mark.parametrize(
    "broken",
    [
        {},
        {**_model().to_json(), "features": ["no_such_feature"], "mean": [0], "scale": [1], "weights": [0]},
        {**_model().to_json(), "scale": [0.0] * len(FEATURES)},
        {**_model().to_json(), "weights": [0.0]},
        {**_model().to_json(), "question_weights": []},  # uses question_prior without its weights
    ],
)
def test_broken_model_files_are_refused_with_a_clear_error(broken):
    with pytest.raises(ConfigError):
        parse_model(broken)


def test_judge_declines_a_fact_asked_outright_that_no_passage_holds_whatever_the_model_says():
    judge = AnswerabilityJudge(_model(lead_dense=50.0))
    without = [_unit("Birmingham SENDIASS gives free advice to parents.")]
    with_number = [_unit("Call Birmingham SENDIASS on 0121 303 5004.")]
    question = "What is the phone number of SENDIASS?"

    missing = judge.judge(judge.features(question, "en", without, without, None, [], [u.passage for u in without]))
    found = judge.judge(
        judge.features(question, "en", with_number, with_number, None, [], [u.passage for u in with_number])
    )

    assert not missing.answers and missing.reasons == ("asked_fact_missing",)
    assert found.answers


def test_judge_names_its_reasons_when_it_declines():
    judge = AnswerabilityJudge(_model(lead_dense=1.0, names_missing=-20.0))
    units = [_unit("The Local Offer lists short breaks for disabled children.")]

    verdict = judge.judge(
        {**judge.features("Does the council pay for a laptop?", "en", units, units, [0.5], [], []), "names_missing": 1}
    )

    assert not verdict.answers and verdict.reasons[-1] == "weak_evidence" and "named_term_missing" in verdict.reasons


# Words of an English question that the corpus never uses, and the judge's sign built on them.
CORPUS = "Short breaks give disabled children activities. Schools refuse a request only after review. Transport."
VOCABULARY = set(tokenize(CORPUS))


def known(term: str) -> bool:
    return term in VOCABULARY


def test_unseen_words_are_the_content_words_the_corpus_lacks_each_once():
    found = unseen_words("Hello, I'm wondering: is melatonin safe, and can melatonin help with short breaks?", known)

    assert found == ["melatonin", "safe"]  # greetings, asking words and words of the corpus are not counted


def test_unseen_words_meet_the_corpus_through_plurals_and_verb_endings():
    assert unseen_words("Why was the request refused for my son's transport?", known) == []
    assert unseen_words("Are there activities for disabled teenagers?", known) == ["teenager"]  # as the index folds it


def test_unseen_words_ignore_short_words_numbers_and_other_scripts():
    assert unseen_words("Is EHC 20 wks? کیا سکول", known) == []


def test_judge_counts_unseen_words_for_english_questions_only_and_caps_them():
    judge = AnswerabilityJudge(_model(), known=known)
    lead = _unit("Short breaks give disabled children activities.")
    question = "What dose of melatonin or methylphenidate should a toddler take?"

    def sign(text: str, lang: str, j: AnswerabilityJudge = judge) -> float:
        return j.features(text, lang, [lead], [lead], None, [], [lead.passage])["unseen_words"]

    assert sign(question, "en") == 2.0  # dose, melatonin, methylphenidate, toddler: capped
    assert sign("Czy melatonina jest bezpieczna dla dziecka?", "pl") == 0.0  # every Polish word is unseen
    assert sign(question, "en", AnswerabilityJudge(_model())) == 0.0  # no vocabulary given
