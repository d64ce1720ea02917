"""The shipped safeguarding probe belongs to the shipped examples and model, and the settings fit its units."""

from __future__ import annotations

import numpy as np

from navigator.answer.safety_semantic import load_exemplars, load_probe
from navigator.config import Settings


def test_the_probe_was_fitted_on_the_shipped_examples_for_the_calibrated_model() -> None:
    probe = load_probe()
    options = Settings().safeguarding

    # Editing the examples without running `python -m evals.safeguarding.calibrate` leaves a stale probe: the
    # service would then fall back to word patterns alone.
    assert probe.examples == load_exemplars().digest()
    assert probe.model == options.calibrated_for
    assert probe.weights.shape == (384,) and np.isfinite(probe.weights).all()  # multilingual-e5-small's width
    assert probe.margin_scale[1] > 0 and probe.probe_scale[1] > 0


def test_the_margins_are_in_the_probes_units() -> None:
    options = Settings().safeguarding
    # Scores are in spreads over ordinary messages: margins of a few spreads, a floor below the margin.
    assert 1.0 <= options.margin <= options.guarded_margin <= 8.0
    assert options.pattern_floor <= options.margin
