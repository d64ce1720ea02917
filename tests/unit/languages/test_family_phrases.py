"""Families' phrases: validated, matched in the question's language and English, second meanings never matched."""

from __future__ import annotations

import pytest

from navigator.errors import ConfigError
from navigator.languages.family_phrases import parse_family_phrases
from navigator.languages.glossary import LANGUAGES

TERMS = ("part-time-timetable", "exclusion")


def _situation(**changes):
    phrases = {lang: [f"{lang} only mornings"] for lang in LANGUAGES}
    phrases["en"] = ["only mornings", "sent home at lunch"]
    phrases["pl"] = ["tylko rano"]
    situation = {
        "id": "part-days",
        "terms": ["part-time-timetable"],
        "about": "only part of the school day",
        "phrases": phrases,
        "excluded": {"en": [{"phrase": "sent home", "why": "second meaning: sent home ill"}]},
    }
    situation.update(changes)
    return {"situations": [situation]}


def test_phrases_match_in_the_question_language_and_english_but_not_their_excluded_forms():
    phrases = parse_family_phrases(_situation(), TERMS)

    assert phrases.term_ids("He is only allowed in for mornings, only mornings now", "en") == ["part-time-timetable"]
    assert phrases.term_ids("Syn chodzi do szkoły tylko rano", "pl") == ["part-time-timetable"]
    assert phrases.term_ids("They sent home a letter about the trip", "en") == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"terms": ["no-such-term"]}, "not in the glossary"),
        ({"phrases": {"en": ["only mornings"]}}, "every language"),
        ({"excluded": {"en": [{"phrase": "only mornings", "why": "clash"}]}}, "both listed and excluded"),
        ({"excluded": {"en": [{"phrase": "sent home"}]}}, "'phrase' and 'why'"),
    ],
)
def test_malformed_phrases_are_refused_with_a_clear_error(changes, message):
    with pytest.raises(ConfigError, match=message):
        parse_family_phrases(_situation(**changes), TERMS)
