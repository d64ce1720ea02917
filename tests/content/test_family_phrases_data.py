"""The shipped families' phrases: every language, known terms, and no phrase with a second meaning matched."""

import pytest

from navigator.languages.family_phrases import load_family_phrases
from navigator.languages.glossary import LANGUAGES, load_glossary
from navigator.languages.matching import normalize


@pytest.fixture(scope="module")
def phrases():
    return load_family_phrases()


def test_family_phrases_cover_every_language_and_enough_situations(phrases):
    assert len(phrases.situations) >= 40
    for situation in phrases.situations:
        assert set(situation.phrases) == set(LANGUAGES)
        assert all(len(p.split()) <= 6 for forms in situation.phrases.values() for p in forms), situation.id


def test_family_phrases_list_excluded_phrases_in_several_languages(phrases):
    excluded = [(lang, p) for s in phrases.situations for lang, pairs in s.excluded.items() for p, _ in pairs]

    assert len(excluded) >= 15
    assert len({lang for lang, _ in excluded}) >= 5


def test_no_excluded_phrase_is_matched_as_a_situation_or_by_the_glossary(phrases):
    glossary = load_glossary()
    for situation in phrases.situations:
        for lang, pairs in situation.excluded.items():
            for phrase, why in pairs:
                assert why.strip()
                assert situation not in phrases.find(phrase, lang), (situation.id, phrase)
                # The glossary reads a message with its language's forms (short acronyms such as DLA only in
                # capitals, so Polish "dla" is safe): none of them may be the excluded phrase itself.
                in_language = {
                    normalize(form).casefold()
                    for term in glossary.find(phrase, lang)
                    for form in term.entry(lang).forms
                }
                assert normalize(phrase).casefold() not in in_language, (lang, phrase)
