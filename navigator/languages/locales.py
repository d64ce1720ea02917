"""Localised text for every sentence the navigator writes itself, in its 11 languages.

The strings live in ``navigator/data/locales/<code>.json``; English is the source every other file must match.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from string import Formatter
from types import MappingProxyType
from typing import Any, Literal, cast

from navigator.errors import ConfigError

Direction = Literal["ltr", "rtl"]

LANGUAGES: tuple[str, ...] = ("en", "ur", "pa", "bn", "ar", "so", "pl", "ro", "ps", "zh", "ckb")
"""Locale codes: English first, then the community languages in the order the UI lists them."""

DEFAULT_LANGUAGE = "en"
_DIRECTIONS: frozenset[str] = frozenset({"ltr", "rtl"})
_FIELDS = frozenset({"language", "name", "english_name", "direction", "strings"})
_WIDGET_PREFIX = "widget."
_ERROR_PREFIX = "error."
_README = "navigator/data/locales/README.md"


@dataclass(frozen=True)
class Locale:
    """The navigator's own sentences in one language.

    Attributes:
        language: Locale code, one of :data:`LANGUAGES`.
        name: The language's name in its own script, for the language picker.
        english_name: The language's name in English.
        direction: ``"rtl"`` for Urdu, Arabic, Pashto and Sorani; ``"ltr"`` otherwise.
        strings: Key to text; texts may hold ``{placeholders}`` filled by :meth:`text`.

    """

    language: str
    name: str
    english_name: str
    direction: Direction
    strings: Mapping[str, str] = field(hash=False, repr=False)

    def text(self, key: str, **values: object) -> str:
        """The text for ``key``, with its placeholders filled from ``values``.

        Args:
            key: A string key such as ``"not_found"`` or ``"widget.call"``.
            **values: A value for each ``{placeholder}`` in the text.

        Returns:
            The formatted text.

        Raises:
            ConfigError: If the key is unknown or a placeholder has no value.

        """
        try:
            template = self.strings[key]
        except KeyError:
            raise ConfigError(
                f"no locale string {key!r} for language {self.language!r}; add it to every file ({_README})"
            ) from None
        try:
            return template.format(**values)
        except KeyError as exc:
            raise ConfigError(
                f"locale string {key!r} ({self.language}) needs a value for placeholder {exc.args[0]!r}"
            ) from None

    def framing(self, key: str) -> str:
        """The framing sentence ``key`` that introduces quotes, as a reply opens with it.

        In every language but English the note that the passages are in English comes first, so that the framing's
        colon leads into the quote itself.
        """
        framing = self.text(key)
        return framing if self.language == "en" else f"{self.text('passages_in_english')} {framing}"


def placeholders(template: str) -> frozenset[str]:
    """The names of the ``{placeholders}`` in a format string.

    Args:
        template: A :meth:`str.format` template.

    Returns:
        The field names, e.g. ``{"name", "phone"}`` for ``"{name}: {phone}"``.

    Raises:
        ValueError: If the template has unbalanced braces.

    """
    return frozenset(name for _, name, _, _ in Formatter().parse(template) if name is not None)


def load_locales(directory: Path | None = None) -> dict[str, Locale]:
    """Load and check every locale file.

    Args:
        directory: A folder holding ``<code>.json`` for every code in :data:`LANGUAGES`; ``None`` reads the packaged
            ``navigator/data/locales`` (cached).

    Returns:
        Locale code to locale, in :data:`LANGUAGES` order.

    Raises:
        ConfigError: If a file is missing or malformed, or its keys or placeholders differ from ``en.json``.

    """
    if directory is None:
        return dict(_default_locales())
    return _read_locales(Path(directory), str(directory))


def get_locale(lang: str) -> Locale:
    """The packaged locale for ``lang``, falling back to English for an unknown code.

    Args:
        lang: A language code, normally one of :data:`LANGUAGES`.

    Returns:
        The locale to write to a parent reading ``lang``.

    Raises:
        ConfigError: If the packaged locale files are malformed.

    """
    locales = _default_locales()
    return locales.get(lang) or locales[DEFAULT_LANGUAGE]


def widget_strings(lang: str) -> dict[str, str]:
    """The strings the chat widget needs, keyed without their ``widget.`` prefix.

    Error messages are included too, as ``error_<name>`` (``"error.empty"`` becomes ``"error_empty"``), so the widget
    can show them without a second request.

    Args:
        lang: A language code; an unknown one gives English.

    Returns:
        Widget key to text, placeholders left unfilled for the widget to format.

    Raises:
        ConfigError: If the packaged locale files are malformed.

    """
    strings = get_locale(lang).strings
    result = {key.removeprefix(_WIDGET_PREFIX): text for key, text in strings.items() if key.startswith(_WIDGET_PREFIX)}
    for key, text in strings.items():
        if key.startswith(_ERROR_PREFIX):
            result["error_" + key.removeprefix(_ERROR_PREFIX)] = text
    return result


@lru_cache(maxsize=1)
def _default_locales() -> Mapping[str, Locale]:
    """The locales shipped in the package, read and checked once."""
    root = resources.files("navigator").joinpath("data").joinpath("locales")
    return MappingProxyType(_read_locales(root, "navigator/data/locales"))


def _read_locales(root: Traversable, where: str) -> dict[str, Locale]:
    """Read every language file under ``root`` and check them against English."""
    raw = {lang: _read_file(root, where, lang) for lang in LANGUAGES}
    english = raw[DEFAULT_LANGUAGE]
    reference = {key: _placeholders_of(f"{where}/en.json", key, text) for key, text in english.strings.items()}
    for lang in LANGUAGES[1:]:
        _check_against_english(f"{where}/{lang}.json", raw[lang].strings, reference)
    return raw


def _read_file(root: Traversable, where: str, lang: str) -> Locale:
    """Parse one ``<lang>.json`` and check its own fields."""
    source = f"{where}/{lang}.json"
    entry = root.joinpath(f"{lang}.json")
    if not entry.is_file():
        raise ConfigError(f"missing locale file {source}; every language in {LANGUAGES} needs one ({_README})")
    try:
        data: Any = json.loads(entry.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"locale file {source} is not valid UTF-8 JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"locale file {source} must hold a JSON object")
    missing = sorted(_FIELDS - data.keys())
    extra = sorted(data.keys() - _FIELDS)
    if missing or extra:
        raise ConfigError(f"locale file {source} lacks fields {missing} / has unknown fields {extra}")
    if data["language"] != lang:
        raise ConfigError(f"locale file {source} says language {data['language']!r}; it must be {lang!r}")
    if data["direction"] not in _DIRECTIONS:
        raise ConfigError(f"locale file {source} has direction {data['direction']!r}; use 'ltr' or 'rtl'")
    for name in ("name", "english_name"):
        if not isinstance(data[name], str) or not data[name].strip():
            raise ConfigError(f"locale file {source} needs a non-empty string {name!r}")
    strings = data["strings"]
    if not isinstance(strings, dict):
        raise ConfigError(f"locale file {source}: 'strings' must be an object of key to text")
    for key, text in strings.items():
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(f"locale file {source}: string {key!r} must be non-empty text")
    return Locale(
        language=lang,
        name=data["name"],
        english_name=data["english_name"],
        direction=cast(Direction, data["direction"]),
        strings=MappingProxyType(dict(strings)),
    )


def _placeholders_of(source: str, key: str, text: str) -> frozenset[str]:
    """The placeholders of one string, as a ConfigError if its braces are broken."""
    try:
        return placeholders(text)
    except ValueError as exc:
        raise ConfigError(f"locale file {source}: string {key!r} has broken braces ({exc}); use {{{{ }}}}") from exc


def _check_against_english(source: str, strings: Mapping[str, str], reference: Mapping[str, frozenset[str]]) -> None:
    """Require exactly the English keys, each with the English placeholders."""
    missing = sorted(reference.keys() - strings.keys())
    if missing:
        raise ConfigError(f"locale file {source} lacks keys {missing}; translate them from en.json")
    extra = sorted(strings.keys() - reference.keys())
    if extra:
        raise ConfigError(
            f"locale file {source} has keys {extra} that en.json lacks; add them to en.json or remove them"
        )
    for key, expected in reference.items():
        found = _placeholders_of(source, key, strings[key])
        if found != expected:
            raise ConfigError(
                f"locale file {source}: string {key!r} has placeholders {sorted(found)}, "
                f"but en.json has {sorted(expected)}; keep them exactly as in English"
            )
