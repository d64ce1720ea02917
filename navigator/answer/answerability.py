"""Whether the quotes chosen for a question answer it: a small learned model over general signs of an answer.

A passage about the right subject is near any question on that subject, so nearness alone quotes loosely related
text as if it answered. The signs used here hold for any question, in any language: how near the lead quote is and
how far it stands out from the other candidates, how many of the question's words (and, through the model's token
states, their translations) the passage holds, how firmly the retrievers agree on the top passage, whether a
question that asks for a kind of fact (a number, a duration, a phone number) gets a quote holding one, whether
names the question depends on appear in what is cited, whether the documents use the words an English question
turns on at all (``unseen_words``), and whether it asks about one child's own case; and one
sign from the question alone: how much its meaning resembles the questions the documents answered, among the
calibration questions (a linear model over the query vector retrieval already has: medical advice, another
council's rules and one child's own case read alike in any language). A logistic model weighs them. It is
fitted on the calibration half of ``evals/answerability`` only (``python -m evals.answerability.fit``), to tell
quotes that hold the answer from those that do not: a question the documents
answer but whose answer was not found gets nothing better from loosely related quotes than from "I don't know".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from navigator.answer.answer_types import AnswerType, AnswerTypeChecker
from navigator.answer.base import Passage
from navigator.answer.extractive import ScoredUnit
from navigator.answer.named_terms import NamedTermCheck, missing_from
from navigator.answer.unseen_words import unseen_words
from navigator.data_files import shipped_json
from navigator.errors import ConfigError

FEATURES: tuple[str, ...] = (
    "lead_dense",
    "dense_gap",
    "lead_overlap",
    "lead_tokens",
    "tokens_gap",
    "top_fused",
    "fused_gap",
    "type_unmet",
    "type_met",
    "names_missing",
    "names_absent",
    "own_case",
    "english",
    "question_words",
    "question_prior",
    "unseen_words",
)
"""The model's inputs, in the order its weights are stored."""

_MAX_NAMES = 2  # one missing name already says the quotes are about something else


@dataclass(frozen=True)
class AnswerabilityModel:
    """Standardised logistic regression: P(answered) = sigmoid(bias + weights · (x - mean) / scale)."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float  # the reply answers when the probability is at least this
    about: str = ""
    sure_threshold: float | None = None  # from here on the reply says the quotes answer; below, that it is unsure
    question_weights: tuple[float, ...] = ()  # the question-only sign: weights over the query vector, and its bias
    question_bias: float = 0.0
    # English questions' own threshold: chosen so that English and other languages each lose the same share of the
    # answers found (None: ``threshold`` for every language).
    english_threshold: float | None = None

    def threshold_for(self, english: bool) -> float:
        """The probability a reply needs to answer, for an English question or one in another language."""
        return self.english_threshold if english and self.english_threshold is not None else self.threshold

    def question_prior(self, vector: Sequence[float] | None) -> float:
        """The question-only sign (0 without a vector of the width it was fitted on)."""
        if vector is None or not self.question_weights or len(vector) != len(self.question_weights):
            return 0.0
        return self.question_bias + sum(w * float(v) for w, v in zip(self.question_weights, vector, strict=True))

    def probability(self, values: Mapping[str, float]) -> float:
        """The probability that the quotes answer the question."""
        z = self.bias
        for name, mean, scale, weight in zip(self.features, self.mean, self.scale, self.weights, strict=True):
            z += weight * (values.get(name, 0.0) - mean) / scale
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_json(self) -> dict[str, Any]:
        """The stored form (``data/answerability_model.json``)."""
        return {
            "about": self.about,
            "features": list(self.features),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "weights": list(self.weights),
            "bias": self.bias,
            "threshold": self.threshold,
            "sure_threshold": self.sure_threshold,
            "english_threshold": self.english_threshold,
            "question_bias": self.question_bias,
            "question_weights": list(self.question_weights),
        }


def parse_model(raw: Any) -> AnswerabilityModel:
    """Validate the stored model.

    Raises:
        ConfigError: a part is missing, lengths differ, or a feature is unknown.

    """
    try:
        features = tuple(str(f) for f in raw["features"])
        parts = [tuple(float(v) for v in raw[k]) for k in ("mean", "scale", "weights")]
        bias, threshold, about = float(raw["bias"]), float(raw["threshold"]), str(raw.get("about", ""))
        sure = raw.get("sure_threshold")
        question = tuple(float(v) for v in raw.get("question_weights", ()))
        english = raw.get("english_threshold")
        model = AnswerabilityModel(
            features, parts[0], parts[1], parts[2], bias, threshold, about, None if sure is None else float(sure),
            question, float(raw.get("question_bias", 0.0)), None if english is None else float(english),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"The answerability model is malformed ({exc!r}); fit it again.") from exc
    unknown = set(features) - set(FEATURES)
    if unknown or any(len(p) != len(features) for p in parts) or any(s <= 0 for s in model.scale):
        raise ConfigError(f"The answerability model does not fit this version (unknown features {unknown}).")
    if "question_prior" in features and not model.question_weights:
        raise ConfigError("The answerability model uses question_prior but holds no question weights; fit it again.")
    return model


@lru_cache(maxsize=1)
def load_model() -> AnswerabilityModel:
    """The model shipped in ``data/answerability_model.json``."""
    return parse_model(shipped_json("answerability_model.json"))


@dataclass(frozen=True)
class Verdict:
    """Whether to answer, how sure, and the signs it rests on (kept in eval rows)."""

    answers: bool
    probability: float
    features: Mapping[str, float]
    reasons: tuple[str, ...]  # the plainest signs against answering, for notes and logs
    sure: bool = False  # likely enough to hold the answer to say so; otherwise the reply says it is unsure


class AnswerabilityJudge:
    """Reads the signs of an answer from the question, the ranked candidate quotes and the chosen ones."""

    def __init__(
        self,
        model: AnswerabilityModel | None = None,
        answer_types: AnswerTypeChecker | None = None,
        named_terms: NamedTermCheck | None = None,
        known: Callable[[str], bool] | None = None,
    ) -> None:
        """Judge with ``known``, the corpus vocabulary (whether the lexical index holds a word), when given."""
        self.model = model or load_model()
        self.answer_types = answer_types or AnswerTypeChecker()
        self.named_terms = named_terms
        self.known = known

    def features(
        self,
        question: str,
        lang: str,
        ranked: Sequence[ScoredUnit],
        chosen: Sequence[ScoredUnit],
        token_match: Sequence[float] | None,
        cited: Sequence[str],
        passages: Sequence[Passage],
        expected: Sequence[AnswerType] | None = None,
        query_vector: Sequence[float] | None = None,
    ) -> dict[str, float]:
        """The model's inputs.

        Args:
            question: the message, personal details removed (a postcode is not a name the documents share).
            lang: its language.
            ranked: every candidate unit, best first.
            chosen: the units the reply quotes (lead first).
            token_match: token-level match of each offered passage, in passage order (None when unavailable).
            cited: texts where a name may legitimately appear (quotes, sections, titles of the cited passages).
            passages: the offered passages, best first, with their fused retrieval scores (high when the
                retrievers agree on a passage).
            expected: the kinds of fact the question asks for, when the caller has already read them.
            query_vector: the question's vector from retrieval (for the question-only sign).

        """
        lead = chosen[0]
        others = [u.dense for u in ranked[1:10]]
        if expected is None:
            expected = self.answer_types.expected(question)
        quoted = "\n".join(u.unit.text for u in chosen)
        typed = [t for t in expected if t.satisfied_by]
        met = [t for t in typed if t.held_by(quoted)]
        names_missing = names_absent = 0
        if self.named_terms is not None:
            names = self.named_terms.names(question, lang)
            names_missing = len(missing_from(names, cited))
            found = (f"{p.chunk.doc_title} {p.chunk.section} {p.chunk.text}" for p in passages)
            names_absent = len(missing_from(names, found))
        lead_tokens = tokens_gap = 0.0
        if token_match:
            lead_tokens = token_match[lead.passage.n - 1] if lead.passage.n - 1 < len(token_match) else 0.0
            rest = sorted(token_match, reverse=True)
            tokens_gap = rest[0] - (sum(rest[1:]) / len(rest[1:]) if len(rest) > 1 else rest[0])
        offered = "\n".join(p.chunk.text for p in passages)
        unseen = unseen_words(question, self.known) if self.known is not None and lang == "en" else []
        strict_unmet = any(t.strict and not t.held_by(offered) for t in typed)
        return {
            "strict_unmet": float(strict_unmet),  # a rule, not an input of the model
            "lead_dense": lead.dense,
            "dense_gap": lead.dense - (sum(others) / len(others) if others else lead.dense),
            "lead_overlap": lead.overlap,
            "lead_tokens": lead_tokens,
            "tokens_gap": tokens_gap,
            "top_fused": passages[0].score if passages else 0.0,
            "fused_gap": passages[0].score - passages[1].score if len(passages) > 1 else 0.0,
            "type_unmet": float(len(typed) > len(met)),
            "type_met": float(bool(met)),
            "names_missing": float(min(names_missing, _MAX_NAMES)),
            "names_absent": float(min(names_absent, _MAX_NAMES)),
            "own_case": float(any(not t.satisfied_by for t in expected)),
            "english": float(lang == "en"),
            "question_words": math.log1p(len(question.split())),
            "question_prior": self.model.question_prior(query_vector),
            "unseen_words": float(min(len(unseen), _MAX_NAMES)),
        }

    def judge(self, features: Mapping[str, float]) -> Verdict:
        """Answer when the model is sure enough and no passage lacks a fact asked for outright; else say why not."""
        probability = self.model.probability(features)
        threshold = self.model.threshold_for(bool(features.get("english")))
        answers = probability >= threshold and not features.get("strict_unmet")
        reasons: list[str] = []
        if features.get("strict_unmet"):
            return Verdict(False, probability, dict(features), ("asked_fact_missing",))
        if not answers:
            if features.get("own_case"):
                reasons.append("own_case")
            if features.get("type_unmet"):
                reasons.append("asked_fact_missing")
            if features.get("names_missing"):
                reasons.append("named_term_missing")
            if features.get("unseen_words"):
                reasons.append("words_not_in_documents")
            reasons.append("weak_evidence")
        sure_at = max(threshold, self.model.sure_threshold if self.model.sure_threshold is not None else threshold)
        return Verdict(answers, probability, dict(features), tuple(reasons), answers and probability >= sure_at)
