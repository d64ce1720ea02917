"""Safeguarding detection: word patterns with inflections, objects, negation and policy cues; the meaning check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from navigator.answer.safety import SafeguardingDetector
from navigator.answer.safety_semantic import ExemplarMatcher, LinearProbe, parse_exemplars, parse_probe
from navigator.errors import ConfigError


@pytest.fixture(scope="module")
def detector() -> SafeguardingDetector:
    return SafeguardingDetector()


# Written for these tests, not taken from the evaluation set: each varies tense, person or object of a pattern.
DISCLOSURES = [
    ("her stepfather slapped her across the face", "physical_abuse"),
    ("My partner has been hitting our son", "physical_abuse"),
    ("he was beaten by his uncle at the weekend", "physical_abuse"),
    ("my daughter keeps scratching her legs till they bleed", "self_harm"),
    ("I burned myself again last night", "self_harm"),
    ("my son took a whole packet of tablets", "suicide"),
    ("she says she wants to be dead", "suicide"),
    ("he thinks everyone would be better off without him", "suicide"),
    ("my boy hasn't come home since Friday", "missing"),
    ("I don't know where she is and her phone is off", "missing"),
    ("older lads are making him carry drugs", "exploitation"),
    ("a man on snapchat keeps asking my daughter for nudes", "sexual_abuse"),
    ("my husband threatened to kill me", "danger"),
    ("she is scared of her stepdad", "danger"),
    ("there is no food in the house and they haven't eaten", "neglect"),
    ("I'm scared I'll hurt him if he screams again", "parent_crisis"),
    ("we got evicted and have nowhere to sleep tonight", "homeless"),
]

ORDINARY = [
    "How long does an EHC needs assessment take?",
    "He is not in danger, I only want to ask about his annual review",
    "Nobody hits him, he just needs more support at lunchtime",
    "What is our school's policy on self-harm for pupils with SEND?",
    "Is there training for staff on county lines?",
    "I'm dying to know when the panel meets",
    "We managed to beat the deadline for the appeal",
    "My son hits other children when he is overwhelmed, what strategies help?",
    "His EHCP paperwork has gone missing at the council, what do I do?",
    "My son can't cope with loud noises in the dining hall, what support is there?",
    "He keeps running off from class, can he have a safe space?",
    "Are services at breaking point because of the funding cuts?",
    "Can we get help with personal grooming and dressing as part of his plan?",
    "The council has cut his hours of support",
    "He was kicked out of school for a day, is that legal?",
]


@pytest.mark.parametrize(("text", "category"), DISCLOSURES)
def test_safety_patterns_catch_varied_disclosures(detector: SafeguardingDetector, text: str, category: str) -> None:
    match = detector.detect(text)
    assert match is not None, text
    assert match.signal == "pattern"
    assert match.category == category


@pytest.mark.parametrize("text", ORDINARY)
def test_safety_patterns_ignore_ordinary_and_look_alike_questions(detector: SafeguardingDetector, text: str) -> None:
    assert detector.detect(text) is None


def test_safety_negation_cancels_an_event_and_marks_doubt(detector: SafeguardingDetector) -> None:
    assert detector.read_patterns("his dad hits him").hit is not None
    assert detector.read_patterns("she is in danger").hit is not None
    reading = detector.read_patterns("she is not in danger, I only want to ask about her plan")
    assert reading.hit is None
    assert reading.guarded


def test_safety_policy_cue_sets_a_topic_aside_but_not_an_event(detector: SafeguardingDetector) -> None:
    assert detector.read_patterns("worried about county lines near us").hit is not None
    assert detector.read_patterns("our county lines training for staff").hit is None
    event = detector.read_patterns("what is the referral policy? a pupil told me her dad beats her")
    assert event.hit is not None and event.hit.category == "physical_abuse"


def test_safety_reports_the_most_urgent_category(detector: SafeguardingDetector) -> None:
    match = detector.detect("we were evicted and my son says he wants to die")
    assert match is not None and match.category == "suicide"


def test_safety_checks_every_language_whatever_the_message(detector: SafeguardingDetector) -> None:
    match = detector.detect("我很担心 my daughter is self-harming")
    assert match is not None and match.category == "self_harm"


def test_safety_ignores_empty_and_punctuation_only_text(detector: SafeguardingDetector) -> None:
    assert detector.detect("") is None
    assert detector.detect("?!… ") is None


def _exemplar_detector(
    margin: float,
    guarded_margin: float,
    pattern_floor: float = float("-inf"),
    parts_offset: float = float("inf"),
    short_raise: float = 0.0,
) -> SafeguardingDetector:
    """A meaning check over three-dimensional toy vectors: axis 0 is harm, axis 1 ordinary SEND questions."""
    exemplars = parse_exemplars(
        {"risk": {"en": {"physical_abuse": ["a", "b"]}}, "ordinary": {"en": ["c", "d"]}}, ["physical_abuse"]
    )
    table = {"a": [1, 0, 0], "b": [0.9, 0.1, 0], "c": [0, 1, 0], "d": [0.1, 0.9, 0]}

    def embed(texts: Any) -> np.ndarray:
        rows = np.asarray([table[t] for t in texts], dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    matcher = ExemplarMatcher(embed, exemplars, "toy", neighbours=1)
    return SafeguardingDetector(
        matcher=matcher,
        margin=margin,
        guarded_margin=guarded_margin,
        pattern_floor=pattern_floor,
        parts_offset=parts_offset,
        short_raise=short_raise,
    )


def _unit(*values: float) -> np.ndarray:
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_safety_meaning_flags_a_message_nearer_to_disclosures() -> None:
    detector = _exemplar_detector(margin=0.1, guarded_margin=0.5)
    match = detector.detect("words no pattern knows", _unit(0.8, 0.2, 0.1))
    assert match is not None
    assert match.signal == "meaning" and match.category == "physical_abuse" and match.phrase == "b"
    assert match.margin is not None and match.margin > 0.1
    assert detector.detect("words no pattern knows", _unit(0.2, 0.8, 0.1)) is None


def test_safety_meaning_needs_a_higher_margin_when_negated() -> None:
    detector = _exemplar_detector(margin=0.1, guarded_margin=0.9)
    vector = _unit(0.8, 0.2, 0.1)
    assert detector.detect("worried, he may be hurt", vector) is not None
    assert detector.detect("nobody hurts him, he is not in danger", vector) is None


def test_safety_pattern_hit_stands_unless_the_meaning_is_clearly_ordinary() -> None:
    detector = _exemplar_detector(margin=0.5, guarded_margin=0.5, pattern_floor=-0.3)
    text = "he hits my son with a belt"
    clearly_ordinary, unsure = _unit(0.05, 1.0, 0.1), _unit(0.45, 0.55, 0.1)
    assert detector.detect(text, clearly_ordinary) is None
    match = detector.detect(text, unsure)
    assert match is not None and match.signal == "pattern" and match.category == "physical_abuse"
    assert detector.detect(text) is not None  # no vector: the patterns decide alone
    assert _exemplar_detector(margin=0.5, guarded_margin=0.5).detect(text, clearly_ordinary) is not None


def test_safety_raises_the_meaning_bar_for_short_messages_in_proportion_to_the_words_they_lack() -> None:
    from navigator.answer.safety import short_bar

    assert short_bar(1, 1.0) == 0.9 and short_bar(5, 1.0) == 0.5 and short_bar(10, 1.0) == 0.0
    assert short_bar(30, 1.0) == 0.0 and short_bar(0, 2.0) == 2.0 and short_bar(4, 0.0) == 0.0
    vector = _unit(0.8, 0.2, 0.1)  # nearer the disclosures by about 0.52
    raised = _exemplar_detector(margin=0.1, guarded_margin=0.1, short_raise=1.0)
    assert raised.detect("ok then", vector) is None  # two words: the bar is 0.1 + 0.8
    long = "one two three four five six seven eight nine ten"
    assert raised.detect(long, vector) is not None  # ten words: the bar is the margin
    assert _exemplar_detector(margin=0.1, guarded_margin=0.1).detect("ok then", vector) is not None
    # Word patterns count at any length.
    match = raised.detect("dad hits me", _unit(0.45, 0.55, 0.1))
    assert match is not None and match.signal == "pattern"


def test_safety_judges_a_messages_parts_alone_lowered_by_the_offset() -> None:
    text = "Who do I ring at night? words no pattern knows. And more."
    question, ordinary, told = _unit(0.2, 0.8, 0.1), _unit(0.1, 0.9, 0.2), _unit(0.95, 0.05, 0.0)
    parts = np.vstack([ordinary, told])  # the best part counts
    whole_only = _exemplar_detector(margin=0.5, guarded_margin=0.5)
    assert not whole_only.reads_parts
    assert whole_only.detect(text, question, parts=parts) is None  # no offset: the whole message only
    reading = _exemplar_detector(margin=0.5, guarded_margin=0.5, parts_offset=0.2)
    assert reading.reads_parts
    assert reading.detect(text, question) is None and reading.detect(text, question, parts=ordinary[None, :]) is None
    match = reading.detect(text, question, parts=parts)
    assert match is not None and match.signal == "meaning" and match.category == "physical_abuse"
    # The offset is the bar's extra height for a part judged alone: a high one keeps a middling part quiet.
    assert _exemplar_detector(0.5, 0.5, parts_offset=0.6).detect(text, question, parts=parts) is None


def test_safety_parts_alone_are_each_sentence_and_what_follows_the_opening() -> None:
    from navigator.languages.matching import after_opening, parts_alone

    long = "Who do I ring at night? He is fine at school. Tonight he said goodbye to everyone"
    assert parts_alone(long) == [
        "Who do I ring at night?", "He is fine at school.", "Tonight he said goodbye to everyone",
        "He is fine at school. Tonight he said goodbye to everyone",
    ]
    assert parts_alone("Hi. What is an EHC plan?") == [] and parts_alone("What is an EHC plan?") == []
    assert parts_alone("晚上可以打哪个电话？我儿子今晚情况很不好") == ["晚上可以打哪个电话？", "我儿子今晚情况很不好"]

    assert after_opening("Who do I ring at night? My son is in a bad way.") == "My son is in a bad way."
    assert after_opening("Hi. Who do I ring? My son is in a bad way") == "My son is in a bad way"  # not a greeting
    assert after_opening("هل يوجد رقم للطوارئ؟ ابني ليس بخير الليلة") == "ابني ليس بخير الليلة"
    assert after_opening("晚上可以打哪个电话？我儿子今晚情况很不好") == "我儿子今晚情况很不好"
    assert after_opening("What is an EHC plan?") is None and after_opening("Is there a crisis line? Yes.") is None


def test_safety_without_a_vector_uses_the_patterns_alone() -> None:
    detector = _exemplar_detector(margin=-1.0, guarded_margin=-1.0)
    assert detector.detect("words no pattern knows") is None


def test_safety_constructor_reads_nothing_until_first_use(tmp_path: Path) -> None:
    missing = tmp_path / "absent.json"
    detector = SafeguardingDetector(missing)
    with pytest.raises(FileNotFoundError):
        detector.detect("anything")


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "patterns.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_safety_custom_file_supports_classes_gaps_and_exclusions(tmp_path: Path) -> None:
    data = {
        "version": 2,
        "categories": ["harm"],
        "languages": {
            "en": {
                "classes": {"WHO": "my ~ son|daughter"},
                "events": {"harm": ["hurt* {WHO}", "in_danger"]},
                "negations": ["not|nobody"],
                "exclusions": ["hurt* my son ~ feelings"],
            }
        },
    }
    detector = SafeguardingDetector(_write(tmp_path, data))
    assert detector.detect("they keep hurting my little son") is not None
    assert detector.detect("she is in danger") is not None
    assert detector.detect("she is not in danger") is None
    assert detector.detect("it hurt my son's feelings") is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"version": 1}, "version 2"),
        ({"version": 2, "categories": [], "languages": {}}, "'categories'"),
        ({"version": 2, "categories": ["a"], "languages": {"xx": {}}}, "unknown language"),
        ({"version": 2, "categories": ["a"], "languages": {"en": {"events": {"b": ["x"]}}}}, "not in 'categories'"),
        ({"version": 2, "categories": ["a"], "languages": {"en": {"events": {"a": "x"}}}}, "list of strings"),
        ({"version": 2, "categories": ["a"], "languages": {"en": {"events": {"a": ["{NO} x"]}}}}, "unknown word class"),
        ({"version": 2, "categories": ["a"], "languages": {"en": {"events": {"a": ["ab*"]}}}}, "at least 3 letters"),
        ({"version": 2, "categories": ["a"], "languages": {"en": {"events": {"a": ["a*b"]}}}}, "not at the end"),
        ({"version": 2, "categories": ["a"], "languages": {"en": {"events": {"a": ["~ x"]}}}}, "start or end"),
        ({"version": 2, "categories": ["a"], "languages": {"en": {"events": {"a": ["x?"]}}}}, "not optional"),
    ],
)
def test_safety_rejects_a_malformed_file(tmp_path: Path, data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SafeguardingDetector(_write(tmp_path, data)).categories  # noqa: B018


def test_safety_exemplars_reject_unknown_categories_and_empty_sets() -> None:
    with pytest.raises(ConfigError, match="unknown category"):
        parse_exemplars({"risk": {"en": {"x": ["a"]}}, "ordinary": {"en": ["b"]}}, ["y"])
    with pytest.raises(ConfigError, match="at least one"):
        parse_exemplars({"risk": {}, "ordinary": {"en": ["b"]}})


def _toy_probe(examples: str, weights: tuple[float, float, float] = (2.0, -2.0, 0.0)) -> LinearProbe:
    return LinearProbe(np.asarray(weights, dtype=np.float32), 0.0, "toy", examples, (0.0, 0.5), (0.0, 2.0))


def test_safety_probe_scores_the_best_row_and_combines_both_signals_in_spreads() -> None:
    probe = _toy_probe("digest")
    rows = np.asarray([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], dtype=np.float32)

    assert probe.decision(rows) == pytest.approx(2.0)  # the clause nearest harm counts, as for the neighbours
    assert probe.combine(0.5, 2.0) == pytest.approx(0.5 / 0.5 + 2.0 / 2.0)
    assert parse_probe(probe.to_json()).to_json() == probe.to_json()


def test_safety_matcher_with_a_probe_flags_on_the_combined_score() -> None:
    plain = _exemplar_detector(margin=0.0, guarded_margin=0.0)
    assert plain.matcher is not None
    digest = plain.matcher.exemplars.digest()
    matcher = ExemplarMatcher(plain.matcher._embed_many, plain.matcher.exemplars, "toy", 1, probe=_toy_probe(digest))
    detector = SafeguardingDetector(matcher=matcher, margin=1.5, guarded_margin=1.5)
    near_harm, between = _unit(0.8, 0.2, 0.1), _unit(0.5, 0.5, 0.7)

    nearest = matcher.nearest_of(near_harm)
    assert nearest.score == pytest.approx(_toy_probe(digest).combine(nearest.margin, float(near_harm @ [2, -2, 0])))
    assert detector.detect("words no pattern knows", near_harm) is not None
    assert detector.detect("words no pattern knows", between) is None


def test_safety_probe_fitted_on_other_examples_is_refused_and_the_service_falls_back_to_patterns(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    plain = _exemplar_detector(margin=0.0, guarded_margin=0.0)
    assert plain.matcher is not None
    with pytest.raises(ConfigError, match="other examples"):
        ExemplarMatcher(plain.matcher._embed_many, plain.matcher.exemplars, "toy", 1, probe=_toy_probe("stale"))
    with pytest.raises(ConfigError, match="malformed"):
        parse_probe({"weights": [1.0]})

    from navigator import assembly
    from navigator.config import Settings
    from navigator.testing import FakeEmbedder

    monkeypatch.setattr(assembly, "load_probe", lambda: _toy_probe("stale"))
    settings = Settings(safeguarding={"calibrated_for": FakeEmbedder.model_id})
    embeddings = FakeEmbedder()
    with caplog.at_level("ERROR"):
        detector = assembly.build_safeguarding(settings, embeddings)
    assert detector.matcher is None and "only word patterns" in caplog.text
    assert detector.detect("my dad hits me every night") is not None  # the patterns still signpost


def test_safety_example_vectors_are_kept_on_disk_for_the_next_process(tmp_path: Path) -> None:
    exemplars = parse_exemplars({"risk": {"en": {"harm": ["a"]}}, "ordinary": {"en": ["b"]}})
    calls: list[int] = []

    def embed(texts: Any) -> np.ndarray:
        calls.append(len(texts))
        return np.asarray([[1, 0, 0] if t == "a" else [0, 1, 0] for t in texts], dtype=np.float32)

    ExemplarMatcher(embed, exemplars, "model-one", cache_dir=tmp_path).warm_up()
    assert calls == [1, 1] and len(list(tmp_path.glob("*.npz"))) == 1
    # Another process (a fresh key in the in-memory cache is the same as a new process) reads the file.
    from navigator.answer import safety_semantic

    safety_semantic._VECTORS.clear()
    again = ExemplarMatcher(embed, exemplars, "model-one", cache_dir=tmp_path)
    assert again.nearest(np.array([1, 0, 0], dtype=np.float32)).margin == pytest.approx(1.0)
    assert calls == [1, 1]
    # Another model never uses those vectors; a damaged file is ignored and replaced.
    ExemplarMatcher(embed, exemplars, "model-two", cache_dir=tmp_path).warm_up()
    assert calls == [1, 1, 1, 1]
    for path in tmp_path.glob("*.npz"):
        path.write_bytes(b"not a numpy file")
    safety_semantic._VECTORS.clear()
    ExemplarMatcher(embed, exemplars, "model-one", cache_dir=tmp_path).warm_up()
    assert calls == [1, 1, 1, 1, 1, 1]


def test_safety_clause_spans_split_at_punctuation_in_every_script() -> None:
    from navigator.languages.matching import clause_spans

    text = "He hits me, what do I do? میں کیا کروں؟ 我很害怕。怎么办"
    parts = [text[a:b].strip() for a, b in clause_spans(text)]
    assert parts == ["He hits me", "what do I do", "میں کیا کروں", "我很害怕", "怎么办"]
    assert clause_spans("") == [] and clause_spans("?!") == []


def test_safety_patterns_stay_inside_a_clause(detector: SafeguardingDetector) -> None:
    # A negation in an earlier clause does not cancel a disclosure in a later one ...
    assert detector.detect("I don't know what to do, my stepdad hits me") is not None
    # ... and a gap does not reach across a comma.
    assert detector.read_patterns("she is not worried she feels safe at home").hit is not None
    assert detector.detect("she is not worried, she feels safe at home") is None


def test_safety_context_cue_leaves_a_category_to_the_meaning_check(tmp_path: Path) -> None:
    data = {
        "version": 2,
        "categories": ["self_harm"],
        "languages": {
            "en": {"events": {"self_harm": ["hits himself"]}, "contexts": {"self_harm": ["meltdown*|sensory"]}}
        },
    }
    detector = SafeguardingDetector(_write(tmp_path, data))
    assert detector.detect("he hits himself") is not None
    reading = detector.read_patterns("he hits himself in a meltdown, what sensory support is there?")
    assert reading.hit is None and reading.guarded


def test_safety_word_endings_work_inside_joined_words(tmp_path: Path) -> None:
    data = {"version": 2, "categories": ["a"], "languages": {"pl": {"events": {"a": ["napad*_zlosci"]}}}}
    detector = SafeguardingDetector(_write(tmp_path, data))
    assert detector.detect("ma napady złości") is not None


def test_safety_meaning_check_only_runs_with_the_model_its_margins_were_chosen_for(caplog) -> None:
    from navigator.assembly import build_safeguarding
    from navigator.config import Settings
    from navigator.testing import FakeEmbedder

    fake = FakeEmbedder()
    with caplog.at_level("WARNING"):
        detector = build_safeguarding(Settings(), fake)
    assert detector.matcher is None and "margins were chosen for" in caplog.text
    calibrated = Settings.model_validate({"safeguarding": {"calibrated_for": fake.model_id}})
    assert build_safeguarding(calibrated, fake).matcher is not None
    off = Settings.model_validate({"safeguarding": {"meaning": False, "calibrated_for": fake.model_id}})
    assert build_safeguarding(off, fake).matcher is None


def test_safety_hypothetical_staff_question_is_left_to_the_meaning_check(detector: SafeguardingDetector) -> None:
    assert detector.detect("a pupil told me her dad beats her") is not None
    reading = detector.read_patterns("if a pupil tells me her dad beats her, who do I report it to?")
    assert reading.hit is None and reading.guarded


@pytest.mark.parametrize(
    "text",
    [
        "The nursery rang and said we can't cope with her, come and collect her now. Are they allowed to?",
        "Iskuulka ayaa ii sheegay ma maareyn karno isaga, guriga ayaan u celinaynaa. Taasi ma sax baa?",
        "Przedszkole mówi, że nie dają rady z synem i mam go odbierać o 12. Czy mogą tak robić?",
    ],
)
def test_safety_not_coping_said_by_a_school_is_left_to_the_meaning_check(
    detector: SafeguardingDetector, text: str
) -> None:
    # The inability is the setting's, not the carer's: the words alone do not make it a crisis at home.
    reading = detector.read_patterns(text)
    assert reading.hit is None and reading.guarded
    # The carer's own words still count, with or without a school in the message.
    assert detector.detect("I can't cope any more and I'm scared of what I'll do to him") is not None
    assert detector.detect("I told the school I can't cope any more, I'm scared I'll hurt him") is not None


def test_safety_word_end_marker_keeps_a_suffixed_verb_out_of_an_exclusion(tmp_path: Path) -> None:
    # "يضرب." is "hits" with no suffix: "يضربني" ("hits me") is not the child-hits-others exclusion.
    data = {
        "version": 2,
        "categories": ["physical_abuse"],
        "languages": {
            "ar": {
                "events": {"physical_abuse": ["زوجي ~ يضرب*"]},
                "exclusions": ["يضرب. ~ الاولاد"],
            }
        },
    }
    detector = SafeguardingDetector(_write(tmp_path, data))
    assert detector.detect("زوجي يضربني قدام الأولاد") is not None
    assert detector.detect("زوجي يضرب الأولاد") is None  # the exclusion as written, bare verb


def test_safety_shipped_patterns_tell_an_adult_hitting_from_a_child_hitting_others_in_arabic(
    detector: SafeguardingDetector,
) -> None:
    assert detector.read_patterns("زوجي يضربني قدام الأولاد").hit is not None  # my husband hits me before the children
    assert detector.read_patterns("زوجي يضرب الأولاد").hit is not None  # my husband hits the children
    assert detector.read_patterns("ابني يضرب الأولاد في المدرسة").hit is None  # my son hits other children
