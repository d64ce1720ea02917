import json
import shutil
from pathlib import Path
from typing import Any

import pytest

import navigator
from navigator.errors import ConfigError
from navigator.languages.locales import LANGUAGES, Locale, get_locale, load_locales, widget_strings

LOCALES_DIR = Path(navigator.__file__).parent / "data" / "locales"


@pytest.fixture(scope="module")
def locales() -> dict[str, Locale]:
    return load_locales()


@pytest.fixture
def locale_copy(tmp_path: Path) -> Path:
    target = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, target)
    return target


def _edit(folder: Path, lang: str, change: Any) -> None:
    path = folder / f"{lang}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_locale_text_formats_placeholders() -> None:
    urdu = get_locale("ur")
    assert urdu.text("widget.call", name="SENDIASS", phone="0121 303 5004") == "SENDIASS کو 0121 303 5004 پر کال کریں"
    assert get_locale("en").text("error.too_long", limit=1000) == (
        "Your message is too long. Please keep it under 1000 characters."
    )
    assert get_locale("en").text("welcome").startswith("Hello.")


def test_locale_text_unknown_key_raises_config_error() -> None:
    with pytest.raises(ConfigError, match=r"'no\.such\.key'.*'pl'"):
        get_locale("pl").text("no.such.key")


def test_locale_text_missing_value_raises_config_error() -> None:
    with pytest.raises(ConfigError, match="'phone'"):
        get_locale("en").text("contact_line", name="Samaritans")


@pytest.mark.parametrize("lang", ["xx", "", "EN", "fr"])
def test_get_locale_falls_back_to_english(lang: str) -> None:
    assert get_locale(lang).language == "en"


def test_get_locale_returns_requested_language() -> None:
    assert get_locale("ckb").language == "ckb"
    assert get_locale("ckb").direction == "rtl"


def test_load_locales_default_is_cached_but_returned_as_copy() -> None:
    first = load_locales()
    first.pop("en")
    assert "en" in load_locales()
    assert load_locales()["ur"] is get_locale("ur")


def test_widget_strings_strips_prefix_and_adds_errors() -> None:
    strings = widget_strings("pl")
    english = get_locale("en").strings
    widget_keys = {key.removeprefix("widget.") for key in english if key.startswith("widget.")}
    error_keys = {"error_" + key.removeprefix("error.") for key in english if key.startswith("error.")}
    assert set(strings) == widget_keys | error_keys
    assert strings["send"] == "Wyślij"
    assert strings["error_empty"] == get_locale("pl").strings["error.empty"]
    assert strings["characters_left"] == "Pozostało znaków: {count}"
    assert not any(key.startswith(("widget.", "error.")) or key in english for key in strings)


def test_widget_strings_unknown_language_gives_english() -> None:
    assert widget_strings("xx")["send"] == "Send"


def test_load_locales_reads_a_valid_copy(locale_copy: Path) -> None:
    assert tuple(load_locales(locale_copy)) == LANGUAGES


@pytest.mark.parametrize(("lang", "key"), [("so", "widget.send"), ("ckb", "safeguarding"), ("zh", "contact.ipsea")])
def test_load_locales_missing_key_raises_naming_it(locale_copy: Path, lang: str, key: str) -> None:
    _edit(locale_copy, lang, lambda data: data["strings"].pop(key))
    with pytest.raises(ConfigError, match=rf"{lang}\.json lacks keys \['{key}'\]"):
        load_locales(locale_copy)


def test_load_locales_extra_key_raises(locale_copy: Path) -> None:
    _edit(locale_copy, "pl", lambda data: data["strings"].update({"widget.extra": "Dodatkowy"}))
    with pytest.raises(ConfigError, match=r"pl\.json has keys \['widget\.extra'\]"):
        load_locales(locale_copy)


def test_load_locales_placeholder_mismatch_raises(locale_copy: Path) -> None:
    _edit(locale_copy, "ro", lambda data: data["strings"].update({"widget.call": "Sunați la {nume}"}))
    with pytest.raises(ConfigError, match=r"ro\.json: string 'widget\.call' has placeholders \['nume'\]"):
        load_locales(locale_copy)


def test_load_locales_broken_braces_raise(locale_copy: Path) -> None:
    _edit(locale_copy, "bn", lambda data: data["strings"].update({"widget.send": "পাঠান {"}))
    with pytest.raises(ConfigError, match=r"bn\.json: string 'widget\.send' has broken braces"):
        load_locales(locale_copy)


def test_load_locales_missing_file_raises(locale_copy: Path) -> None:
    (locale_copy / "ps.json").unlink()
    with pytest.raises(ConfigError, match=r"missing locale file .*ps\.json"):
        load_locales(locale_copy)


def test_load_locales_language_must_match_file_name(locale_copy: Path) -> None:
    _edit(locale_copy, "ar", lambda data: data.update({"language": "ur"}))
    with pytest.raises(ConfigError, match=r"ar\.json says language 'ur'"):
        load_locales(locale_copy)


def test_load_locales_invalid_direction_raises(locale_copy: Path) -> None:
    _edit(locale_copy, "ur", lambda data: data.update({"direction": "right-to-left"}))
    with pytest.raises(ConfigError, match=r"ur\.json has direction 'right-to-left'"):
        load_locales(locale_copy)


def test_load_locales_empty_string_raises(locale_copy: Path) -> None:
    _edit(locale_copy, "pa", lambda data: data["strings"].update({"widget.retry": "  "}))
    with pytest.raises(ConfigError, match=r"pa\.json: string 'widget\.retry' must be non-empty"):
        load_locales(locale_copy)


def test_load_locales_missing_field_raises(locale_copy: Path) -> None:
    _edit(locale_copy, "zh", lambda data: data.pop("english_name"))
    with pytest.raises(ConfigError, match=r"zh\.json lacks fields \['english_name'\]"):
        load_locales(locale_copy)


def test_load_locales_invalid_json_raises(locale_copy: Path) -> None:
    (locale_copy / "ro.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"ro\.json is not valid UTF-8 JSON"):
        load_locales(locale_copy)
