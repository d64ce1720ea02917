"""How the safeguarding calibration chooses its settings: recall first, and a floor that costs no disclosure."""

from __future__ import annotations

from typing import Any

from evals.safeguarding.calibrate import choose, choose_floor, choose_raise, flagged, rates


def _row(
    label: str,
    score: float,
    pattern: str | None = None,
    guarded: bool = False,
    told: float | None = None,
    words: int = 20,
) -> dict[str, Any]:
    return {"label": label, "score": score, "pattern": pattern, "guarded": guarded, "told": told, "words": words}


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
    # A pattern false alarm that only a floor removes: the floor comes with each pair of margins.
    rows = [
        _row("risk", 5.0),
        _row("risk", 2.5, "self_harm"),
        _row("none", -2.0, "self_harm"),
        _row("none", 1.0),
        _row("none", 0.5),
        _row("none", 0.0),
    ]
    margin, guarded, floor, _ = choose(rows, 0.1)
    assert rates(rows, margin, guarded, floor) == (1.0, 0.0)
    assert floor > -2.0


def test_choose_spends_its_target_on_the_meaning_scores_own_false_alarms() -> None:
    # A crisis long past trips a pattern and scores high: no margin or floor removes it, so it does not use up the
    # budget the margins are chosen within; the margin still keeps the ordinary message at 2.0 quiet.
    rows = [
        _row("risk", 5.0),
        _row("risk", 3.0),
        _row("none", 4.0, "missing"),
        _row("none", 2.0),
        _row("none", 0.0),
    ]
    margin, guarded, floor, _ = choose(rows, 0.0)
    assert 2.0 < margin <= 3.0 and guarded >= margin
    assert rates(rows, margin, guarded, floor) == (1.0, 1 / 3)


def test_guarded_rows_need_the_higher_margin() -> None:
    assert flagged(_row("risk", 1.5), 1.0, 2.0)
    assert not flagged(_row("risk", 1.5, guarded=True), 1.0, 2.0)


def test_what_follows_the_opening_counts_lowered_by_the_offset_chosen_with_the_margins() -> None:
    # A disclosure told after a practical question scores low as a whole and high alone; an ordinary message's
    # background, alone, scores somewhat high too: the offset keeps the first and not the second.
    rows = [
        _row("risk", 5.0),
        _row("risk", 0.5, told=6.0),
        _row("none", 0.0, told=3.5),
        _row("none", 1.0),
        _row("none", -1.0, told=1.0),
    ]
    assert not flagged(rows[1], 3.0, 3.0)  # the whole message only
    assert flagged(rows[1], 3.0, 3.0, offset=2.0) and not flagged(rows[2], 3.0, 3.0, offset=2.0)
    margin, guarded, floor, offset = choose(rows, 0.0)
    assert rates(rows, margin, guarded, floor, offset) == (1.0, 0.0)
    assert 6.0 - offset >= margin > 3.5 - offset  # the part alone counts, lowered, and the look-alike stays quiet
    # With no part after an opening sentence, the offset changes nothing; larger offsets win ties.
    assert choose([_row("risk", 5.0), _row("none", 0.0)], 0.0)[3] == float("inf")


def test_the_raise_for_short_messages_is_the_largest_that_loses_no_caught_disclosure() -> None:
    rows = [
        _row("risk", 4.5, words=4),  # a short disclosure caught at 3.0: lost once 3.0 + 0.6 x raise > 4.5
        _row("risk", 2.0, words=3),  # missed anyway: it does not hold the raise back
        _row("none", 3.5, words=2),  # a short follow-up flagged at 3.0: quiet once 3.0 + 0.8 x raise > 3.5
        _row("none", 5.0),
    ]
    raise_by = choose_raise(rows, 3.0, 3.0, float("-inf"), float("inf"))
    assert 3.0 + 0.6 * raise_by <= 4.5 < 3.0 + 0.6 * (raise_by + 0.25)
    assert flagged(rows[0], 3.0, 3.0, raise_by=raise_by) and not flagged(rows[2], 3.0, 3.0, raise_by=raise_by)
    assert flagged(rows[2], 3.0, 3.0)  # without the raise the follow-up is flagged
    # Word patterns count at any length: a short pattern hit is not held back by the raise.
    assert flagged(_row("risk", 0.0, "suicide", words=2), 3.0, 3.0, raise_by=3.0)
