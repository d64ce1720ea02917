"""The shipped word translations: every other language, enough words, a review status, and each form found."""

import pytest

from navigator.data_files import shipped_json
from navigator.languages.glossary import LANGUAGES
from navigator.languages.word_translations import load_word_translations
from navigator.retrieval.tokens import STOPWORDS


@pytest.fixture(scope="module")
def words():
    return load_word_translations()


def test_every_other_language_has_several_hundred_words_and_a_review_status(words):
    raw = shipped_json("word_translations.json")
    others = set(LANGUAGES) - {"en"}

    assert set(words.languages) == others
    assert set(raw["review"]) == others
    for lang, entries in raw["languages"].items():
        assert len(entries) >= 400, lang
        assert all(english.isascii() and english.strip() for english in entries), lang


def test_each_language_finds_its_own_words(words):
    raw = shipped_json("word_translations.json")["languages"]
    for lang, entries in raw.items():
        missed = [
            (english, form)
            for english, forms in entries.items()
            for form in forms
            if english not in words.english_words(form.rstrip("*") + ("" if not form.endswith("*") else "a"), lang)
            and english not in words.english_words(form.rstrip("*"), lang)
        ]
        assert not missed, (lang, missed[:5])


def test_english_targets_are_not_function_words():
    raw = shipped_json("word_translations.json")["languages"]
    stop = {english for entries in raw.values() for english in entries if english.lower() in STOPWORDS}

    assert not stop


def test_words_with_a_second_meaning_are_listed_with_the_reason_and_never_read_so(words):
    excluded = shipped_json("word_translations.json")["excluded"]

    assert len(excluded) >= 5 and sum(len(v) for v in excluded.values()) >= 20
    for lang, entries in excluded.items():
        for entry in entries:
            assert entry["why"].strip()
            assert entry["not"] not in words.english_words(entry["form"], lang), (lang, entry)
