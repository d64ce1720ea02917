"""Word translations: exact words, stems, Arabic's attached prefixes, Chinese without spaces, and bad data refused."""

import pytest

from navigator.errors import ConfigError
from navigator.languages.word_translations import parse_word_translations

DATA = {
    "languages": {
        "pl": {"school": ["szkoł*"], "transport": ["transport", "dowóz*"], "waiting": ["czekanie", "czeka*"]},
        "ar": {"school": ["مدرسة", "مدارس"], "transport": ["مواصلات"]},
        "zh": {"school": ["学校"], "transport": ["交通", "接送"]},
        "so": {"school": ["dugsi*", "iskuul"], "agency": ["hay'ad*"]},
        "bn": {"parental": ["মা-বাবা"]},
    }
}


@pytest.fixture(scope="module")
def words():
    return parse_word_translations(DATA)


def test_stems_match_every_ending_and_exact_words_only_themselves(words):
    assert words.english_words("Czy szkole przysługuje dowozu?", "pl") == ["school", "transport"]
    assert words.english_words("Jak długo czekamy?", "pl") == ["waiting"]
    assert words.english_words("Transportowy", "pl") == []  # "transport" is exact, not a stem


def test_accents_and_case_are_folded(words):
    assert words.english_words("SZKOŁA i DOWÓZ", "pl") == ["school", "transport"]
    assert words.english_words("szkola", "pl") == ["school"]


def test_arabic_words_are_found_under_the_article_and_attached_prefixes(words):
    assert words.english_words("هل توفر المدرسة والمواصلات؟", "ar") == ["school", "transport"]
    assert words.english_words("بالمدارس", "ar") == ["school"]


def test_chinese_words_are_found_inside_unspaced_text(words):
    assert words.english_words("学校有没有接送服务", "zh") == ["school", "transport"]


def test_english_and_languages_without_a_list_get_nothing(words):
    assert words.english_words("school transport", "en") == []
    assert words.english_words("szkoła", None) == []
    assert words.english_words("szkoła", "ro") == []


def test_repeats_are_given_once_in_order(words):
    assert words.english_words("dugsiga iyo dugsiyada iskuul", "so") == ["school"]


@pytest.mark.parametrize(
    ("lang", "entry", "problem"),
    [
        ("pl", {"school": ["sz*"]}, "too short"),
        ("pl", {"school": ["s"]}, "too short"),
        ("zh", {"school": ["学校*"]}, "cannot be a stem"),
        ("pl", {"school": ["szkoła podst*"]}, "cannot be a stem"),
        ("pl", {"school": "szkoła"}, "list of words"),
        ("en", {"school": ["school"]}, "must be one of"),
        ("xx", {"school": ["school"]}, "must be one of"),
    ],
)
def test_bad_entries_are_refused_with_the_reason(lang, entry, problem):
    with pytest.raises(ConfigError, match=problem):
        parse_word_translations({"languages": {lang: entry}})


def test_a_file_without_languages_is_refused():
    with pytest.raises(ConfigError, match="languages"):
        parse_word_translations({"entries": {}})


def test_a_form_of_several_words_matches_them_in_order(words):
    assert words.english_words("আমার মা-বাবা জানতে চান", "bn") == ["parental"]
    assert words.english_words("মা ও বাবা", "bn") == []


def test_an_apostrophe_inside_a_word_neither_splits_it_nor_is_needed(words):
    assert words.english_words("hay'adda caawisa", "so") == ["agency"]
    assert words.english_words("hayadda", "so") == ["agency"]


def test_a_word_excluded_for_its_second_meaning_may_not_be_read_that_way():
    data = {"languages": {"pl": {"sen": ["sen"]}}, "excluded": {"pl": [{"form": "sen", "not": "sen", "why": "sleep"}]}}
    with pytest.raises(ConfigError, match="excluded as 'sen'"):
        parse_word_translations(data)
    stem = {
        "languages": {"pl": {"sen": ["sennoś*"]}},
        "excluded": {"pl": [{"form": "senność", "not": "sen", "why": "x"}]},
    }
    with pytest.raises(ConfigError, match="reads it so"):
        parse_word_translations(stem)


def test_an_excluded_word_read_only_in_its_other_sense_is_allowed():
    data = {
        "languages": {"ar": {"class": ["فصل"]}},
        "excluded": {"ar": [{"form": "فصل", "not": "excluded", "why": "also a class and a season"}]},
    }
    assert parse_word_translations(data).english_words("فصل", "ar") == ["class"]


def test_an_excluded_entry_needs_its_reason():
    with pytest.raises(ConfigError, match="'form', 'not' and 'why'"):
        parse_word_translations({"languages": {}, "excluded": {"pl": [{"form": "sen", "not": "sen"}]}})
