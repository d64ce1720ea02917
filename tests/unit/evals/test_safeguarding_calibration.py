"""How the safeguarding calibration chooses its settings: recall first, and a floor that costs no disclosure."""

from __future__ import annotations

from typing import Any

from evals.safeguarding.calibrate import choose_floor, flagged, rates


def _row(label: str, margin: float, pattern: str | None = None, guarded: bool = False) -> dict[str, Any]:
    return {"label": label, "margin": margin, "pattern": pattern, "guarded": guarded}


def test_floor_sets_aside_pattern_false_alarms_but_never_a_caught_disclosure() -> None:
    rows = [
        _row("risk", -0.012, "physical_abuse"),  # a disclosure only the patterns catch, meaning unsure
        _row("risk", 0.02),
        _row("none", -0.04, "sexual_abuse"),  # "grooming" as hair care: meaning clearly ordinary
        _row("none", -0.03),
    ]
    floor = choose_floor(rows, 0.01, 0.01)
    assert -0.04 < floor <= -0.012
    assert rates(rows, 0.01, 0.01, floor) == (1.0, 0.0)
    assert rates(rows, 0.01, 0.01) == (1.0, 0.5)  # without a floor the look-alike is flagged


def test_guarded_rows_need_the_higher_margin() -> None:
    assert flagged(_row("risk", 0.015), 0.01, 0.02)
    assert not flagged(_row("risk", 0.015, guarded=True), 0.01, 0.02)
