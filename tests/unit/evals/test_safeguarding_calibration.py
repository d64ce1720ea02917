"""How the safeguarding calibration chooses its settings: recall first, and a floor that costs no disclosure."""

from __future__ import annotations

from typing import Any

from evals.safeguarding.calibrate import choose, choose_floor, flagged, rates


def _row(label: str, score: float, pattern: str | None = None, guarded: bool = False) -> dict[str, Any]:
    return {"label": label, "score": score, "pattern": pattern, "guarded": guarded}


def test_floor_sets_aside_pattern_false_alarms_but_never_a_caught_disclosure() -> None:
    rows = [
        _row("risk", -1.2, "physical_abuse"),  # a disclosure only the patterns catch, meaning unsure
        _row("risk", 4.0),
        _row("none", -4.0, "sexual_abuse"),  # "grooming" as hair care: meaning clearly ordinary
        _row("none", -3.0),
    ]
    floor = choose_floor(rows, 3.0, 3.0)
    assert -4.0 < floor <= -1.2
    assert rates(rows, 3.0, 3.0, floor) == (1.0, 0.0)
    assert rates(rows, 3.0, 3.0) == (1.0, 0.5)  # without a floor the look-alike is flagged


def test_floor_never_exceeds_the_margin() -> None:
    rows = [_row("risk", 5.0, "suicide"), _row("none", 1.0, "suicide")]
    assert choose_floor(rows, 2.0, 2.0) <= 2.0


def test_choose_counts_each_pair_of_margins_with_its_own_floor() -> None:
    # A pattern false alarm that only a floor removes: counted without it, no margin would meet a 10% target.
    rows = [
        _row("risk", 5.0),
        _row("risk", 2.5, "self_harm"),
        _row("none", -2.0, "self_harm"),
        _row("none", 1.0),
        _row("none", 0.5),
        _row("none", 0.0),
    ]
    margin, guarded, floor = choose(rows, 0.1)
    assert rates(rows, margin, guarded, floor) == (1.0, 0.0)
    assert floor > -2.0


def test_guarded_rows_need_the_higher_margin() -> None:
    assert flagged(_row("risk", 1.5), 1.0, 2.0)
    assert not flagged(_row("risk", 1.5, guarded=True), 1.0, 2.0)
