"""The health-question probe: stored form, threshold, another model's vectors; the contacts it puts first."""

import numpy as np
import pytest

from navigator.answer.contacts import Contacts, handoff_contacts, safeguarding_contacts
from navigator.answer.health_questions import HealthProbe, load_health_probe, parse_health_probe
from navigator.errors import ConfigError


def _probe() -> HealthProbe:
    return HealthProbe(np.array([1.0, -1.0, 0.0], dtype=np.float32), 0.1, 0.5, "some/model", "test")


def test_health_probe_flags_a_vector_whose_score_reaches_the_threshold():
    probe = _probe()

    assert probe.asks_health(np.array([0.6, 0.0, 0.3]))  # 0.6 + 0.1 >= 0.5
    assert not probe.asks_health(np.array([0.3, 0.1, 0.9]))  # 0.2 + 0.1 < 0.5
    assert not probe.asks_health(np.array([0.6, 0.0]))  # another model's width
    assert not probe.asks_health(None)


def test_health_probe_round_trips_and_refuses_a_broken_file():
    probe = _probe()
    again = parse_health_probe(probe.to_json())

    assert np.allclose(again.weights, probe.weights) and again.threshold == probe.threshold
    with pytest.raises(ConfigError):
        parse_health_probe({**probe.to_json(), "weights": []})
    with pytest.raises(ConfigError):
        parse_health_probe({**probe.to_json(), "model": ""})
    with pytest.raises(ConfigError):
        parse_health_probe({"weights": [1.0]})


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
