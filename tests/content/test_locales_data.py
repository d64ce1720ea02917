"""The shipped localised strings: every language complete, in its own script, with the same placeholders."""

import re
import unicodedata

import pytest

from navigator.languages.detection import RTL
from navigator.languages.locales import LANGUAGES, Locale, load_locales, placeholders

# Unicode character-name prefix of the script each language's name (and text) is written in.
SCRIPTS = {
    "en": "LATIN",
    "ur": "ARABIC",
    "pa": "GURMUKHI",
    "bn": "BENGALI",
    "ar": "ARABIC",
    "so": "LATIN",
    "pl": "LATIN",
    "ro": "LATIN",
    "ps": "ARABIC",
    "zh": "CJK",
    "ckb": "ARABIC",
}


@pytest.fixture(scope="module")
def locales() -> dict[str, Locale]:
    return load_locales()


def _letters(text: str) -> list[str]:
    return [char for char in text if unicodedata.category(char)[0] in "LM"]


def _is_only_placeholders(text: str) -> bool:
    stripped = text
    for name in placeholders(text):
        stripped = stripped.replace("{" + name + "}", "")
    return not _letters(stripped)


def test_load_locales_has_every_language_in_order(locales: dict[str, Locale]) -> None:
    assert tuple(locales) == LANGUAGES
    assert LANGUAGES == ("en", "ur", "pa", "bn", "ar", "so", "pl", "ro", "ps", "zh", "ckb")
    for lang, locale in locales.items():
        assert locale.language == lang


def test_load_locales_every_language_has_every_key(locales: dict[str, Locale]) -> None:
    english = set(locales["en"].strings)
    assert {
        "framing_answered",
        "not_found",
        "safeguarding",
        "contact.sendiass",
        "error.empty",
        "widget.send",
    } <= english
    for lang, locale in locales.items():
        assert set(locale.strings) == english, lang
        assert all(text.strip() for text in locale.strings.values()), lang


def test_load_locales_placeholders_agree_with_english(locales: dict[str, Locale]) -> None:
    english = locales["en"].strings
    assert placeholders(english["widget.call"]) == {"name", "phone"}
    for lang, locale in locales.items():
        for key, text in locale.strings.items():
            assert placeholders(text) == placeholders(english[key]), (lang, key)


def test_load_locales_rtl_exactly_for_arabic_script_languages(locales: dict[str, Locale]) -> None:
    rtl = {lang for lang, locale in locales.items() if locale.direction == "rtl"}
    assert rtl == {"ur", "ar", "ps", "ckb"}
    assert rtl == RTL
    assert all(locale.direction in ("ltr", "rtl") for locale in locales.values())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_locale_name_is_in_its_own_script(locales: dict[str, Locale], lang: str) -> None:
    letters = _letters(locales[lang].name)
    assert letters, lang
    assert all(unicodedata.name(char).startswith(SCRIPTS[lang]) for char in letters), locales[lang].name


def test_locale_names_match_brief(locales: dict[str, Locale]) -> None:
    assert {lang: locale.name for lang, locale in locales.items()} == {
        "en": "English",
        "ur": "اردو",
        "pa": "ਪੰਜਾਬੀ",
        "bn": "বাংলা",
        "ar": "العربية",
        "so": "Soomaali",
        "pl": "Polski",
        "ro": "Română",
        "ps": "پښتو",
        "zh": "中文（简体）",
        "ckb": "کوردی (سۆرانی)",
    }
    assert locales["ur"].english_name == "Urdu"


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if SCRIPTS[lang] != "LATIN"])
def test_locale_strings_are_written_in_their_script(locales: dict[str, Locale], lang: str) -> None:
    for key, text in locales[lang].strings.items():
        if _is_only_placeholders(text):
            continue
        assert any(unicodedata.name(char).startswith(SCRIPTS[lang]) for char in _letters(text)), (lang, key)


@pytest.mark.parametrize("lang", LANGUAGES[1:])
def test_locale_strings_differ_from_english(locales: dict[str, Locale], lang: str) -> None:
    english = locales["en"].strings
    for key, text in locales[lang].strings.items():
        if _is_only_placeholders(english[key]):
            continue
        assert text != english[key], (lang, key)


def test_locale_keeps_acronyms_recognisable(locales: dict[str, Locale]) -> None:
    for lang, locale in locales.items():
        assert "SEND" in locale.text("out_of_scope"), lang
        assert "SENDIASS" in locale.text("disclaimer"), lang
        assert "{emergency}" in locale.strings["safeguarding"], lang  # the number comes from contacts.json
        assert "NHS 111" in locale.text("contact.nhs-111"), lang


def test_locale_strings_hold_no_phone_numbers_or_addresses(locales: dict[str, Locale]) -> None:
    """Every number and URL the navigator writes lives in data/contacts.json, with its source."""
    digits_or_links = re.compile(r"\d{3,}|https?://|www\.|@")
    for lang, locale in locales.items():
        for key, text in locale.strings.items():
            if key == "contact.nhs-111":  # the service's name
                continue
            assert not digits_or_links.search(text), (lang, key, text)
