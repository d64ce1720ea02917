"""How conversations are read and counted: a risk is caught by any reply that signposts, a look-alike is a false
alarm when any does, and signposting that outlasts a look-alike's explanation is counted on its own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evals.safeguarding.conversations import load_conversations, rates, summarize


def _row(label: str, group: str, statuses: list[str], lang: str = "en") -> dict[str, Any]:
    return {"id": f"{label}-{group}-{statuses}", "lang": lang, "label": label, "group": group, "statuses": statuses}


def test_rates_count_any_signposting_reply() -> None:
    rows = [
        _row("risk", "suicide", ["answered", "safeguarding"]),  # caught when the risk is told
        _row("risk", "missing", ["safeguarding", "answered", "not_found"]),  # caught at once
        _row("risk", "neglect", ["answered", "not_found"]),  # missed
        _row("none", "hard", ["safeguarding", "answered"]),  # alarming first message, then explained
        _row("none", "hard", ["safeguarding", "safeguarding"]),  # still signposted after the explanation
        _row("none", "ordinary", ["answered", "answered", "answered"]),
    ]
    figures = rates(rows)
    assert figures["caught"] == pytest.approx(2 / 3, abs=1e-4)
    assert figures["caught_by_first_message"] == pytest.approx(1 / 3, abs=1e-4)
    assert figures["first_signposted_reply"] == {"1": 1, "2": 1}
    assert figures["false_alarms"] == pytest.approx(2 / 3, abs=1e-4)
    assert figures["hard_later_replies_signposted"] == pytest.approx(1 / 2)
    by_lang = summarize([*rows, _row("risk", "suicide", ["safeguarding", "answered"], lang="so")])["by_lang"]
    assert by_lang["so"]["caught"] == 1.0 and by_lang["so"]["false_alarms"] is None


def test_load_conversations_checks_the_format(tmp_path: Path) -> None:
    good = {"id": "t-1", "turns": ["a question", "and a follow-up"], "lang": "en", "label": "none", "kind": "hard"}
    path = tmp_path / "conversations.jsonl"
    path.write_text(json.dumps(good) + "\n", encoding="utf-8")
    assert load_conversations(path)[0]["turns"] == ["a question", "and a follow-up"]
    for broken, message in (
        ({**good, "turns": ["only one"]}, "two or more"),
        ({**good, "label": "risk"}, "category"),
        ({**good, "kind": "other"}, "kind"),
        ({**good, "lang": ""}, "needs id, lang and label"),
    ):
        path.write_text(json.dumps(broken) + "\n", encoding="utf-8")
        with pytest.raises(ValueError, match=message):
            load_conversations(path)


def test_the_shipped_conversation_sets_parse_and_keep_their_halves_apart() -> None:
    from evals.safeguarding.conversations import CONVERSATIONS_CALIBRATION, CONVERSATIONS_TEST

    calibration, test = load_conversations(CONVERSATIONS_CALIBRATION), load_conversations(CONVERSATIONS_TEST)
    assert not {c["id"] for c in calibration} & {c["id"] for c in test}
    for half in (calibration, test):
        assert {c["lang"] for c in half} == {"en", "ur", "pa", "bn", "ar", "so", "pl", "ro", "ps", "zh", "ckb"}
        assert {c["label"] for c in half} == {"risk", "none"}
