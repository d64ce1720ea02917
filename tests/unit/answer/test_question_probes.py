"""Question probes: stored form, threshold, another model's vectors; health contacts first; kinds of declines."""

import numpy as np
import pytest

from navigator.answer.contacts import Contacts, handoff_contacts, safeguarding_contacts
from navigator.answer.question_probes import (
    DECLINE_KINDS,
    POINTER_KINDS,
    QuestionKinds,
    QuestionProbe,
    load_health_probe,
    load_question_kinds,
    parse_question_kinds,
    parse_question_probe,
)
from navigator.errors import ConfigError
from navigator.languages.locales import LANGUAGES, get_locale


def _probe() -> QuestionProbe:
    return QuestionProbe(np.array([1.0, -1.0, 0.0], dtype=np.float32), 0.1, 0.5, "some/model", "test")


def test_health_probe_flags_a_vector_whose_score_reaches_the_threshold():
    probe = _probe()

    assert probe.flags(np.array([0.6, 0.0, 0.3]))  # 0.6 + 0.1 >= 0.5
    assert not probe.flags(np.array([0.3, 0.1, 0.9]))  # 0.2 + 0.1 < 0.5
    assert not probe.flags(np.array([0.6, 0.0]))  # another model's width
    assert not probe.flags(None)


def test_health_probe_round_trips_and_refuses_a_broken_file():
    probe = _probe()
    again = parse_question_probe(probe.to_json())

    assert np.allclose(again.weights, probe.weights) and again.threshold == probe.threshold
    with pytest.raises(ConfigError):
        parse_question_probe({**probe.to_json(), "weights": []})
    with pytest.raises(ConfigError):
        parse_question_probe({**probe.to_json(), "model": ""})
    with pytest.raises(ConfigError):
        parse_question_probe({"weights": [1.0]})


def test_shipped_health_probe_names_the_model_it_was_fitted_on():
    from navigator.config import Settings

    probe = load_health_probe()

    assert probe.model == Settings().embedding_model and len(probe.weights) == 384
    assert "calibration" in probe.about


def test_health_contacts_put_nhs_111_before_the_usual_services():
    contacts = Contacts(safeguarding_contacts(), handoff_contacts())

    health = contacts.for_health(contacts.handoff)

    assert health[0].id == "nhs-111" and health[0].phone
    assert [c.id for c in health[1:]] == [c.id for c in contacts.handoff]
    assert contacts.for_health(health) == health  # named once


def test_question_kinds_name_the_kind_passed_by_most_and_none_when_none_is_passed():
    far = QuestionProbe(np.array([1.0, 0.0, 0.0], dtype=np.float32), 0.0, 0.2, "m")  # passed by 0.6 at x = 0.8
    near = QuestionProbe(np.array([1.0, 0.0, 0.0], dtype=np.float32), 0.0, 0.7, "m")  # passed by 0.1
    never = QuestionProbe(np.array([0.0, 1.0, 0.0], dtype=np.float32), 0.0, 0.5, "m")
    kinds = QuestionKinds({"named_school": near, "other_council": far, "own_case": never})

    assert kinds.kind_of(np.array([0.8, 0.0, 0.0])) == "other_council"
    assert kinds.kind_of(np.array([0.1, 0.0, 0.0])) is None
    assert kinds.kind_of(None) is None


def test_question_kinds_refuse_a_file_missing_a_kind_or_mixing_models():
    probe = _probe().to_json()
    complete = {"kinds": dict.fromkeys(DECLINE_KINDS, probe)}

    assert set(parse_question_kinds(complete).probes) == set(DECLINE_KINDS)
    with pytest.raises(ConfigError):
        parse_question_kinds({"kinds": {"named_school": probe}})
    with pytest.raises(ConfigError):
        parse_question_kinds({"kinds": {**complete["kinds"], "own_case": {**probe, "model": "other/model"}}})


def test_shipped_question_kinds_fit_the_model_and_every_kind_has_words_in_every_language():
    from navigator.config import Settings

    kinds = load_question_kinds()

    assert kinds.model == Settings().embedding_model
    for kind in DECLINE_KINDS:
        assert "calibration" in kinds.probes[kind].about
    for kind in POINTER_KINDS:
        for lang in LANGUAGES:
            assert get_locale(lang).text(f"decline_kind.{kind}", health="111", emergency="999").strip()
