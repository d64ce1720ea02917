"""Which of the navigator's eleven languages a message is in, so replies are framed in the parent's language.

Script decides first, because it is unambiguous and works on one word: Gurmukhi is Punjabi, Bengali script
is Bengali, Han characters are Chinese. Arabic script is shared by Arabic, Urdu, Pashto and Sorani Kurdish;
letters that only one of them uses settle most messages, py3langid (restricted to these languages) the rest.
Latin script goes to py3langid restricted to English, Polish, Romanian and Somali; but Urdu, Punjabi, Bengali
and Arabic are often typed in Latin letters too, and restricted to those four the model calls them Polish,
Romanian or Somali. So a guess other than English stands only when the unrestricted model (all its languages)
agrees; otherwise the message is taken as romanised and read as English, which such writers in Birmingham read far
more often than Somali. A language the user chose wins when the text is short, mixed or romanised, where no
detector is reliable.
"""

from __future__ import annotations

import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Any

SUPPORTED = ("en", "ur", "pa", "bn", "ar", "so", "pl", "ro", "ps", "zh", "ckb")
RTL = frozenset({"ur", "ar", "ps", "ckb"})
LATIN_LANGUAGES = ("en", "pl", "ro", "so")
ARABIC_SCRIPT_LANGUAGES = ("ar", "ur", "ps", "ckb")

# Letters used by one Arabic-script language of the four and not the others.
_DISTINCT = {
    "ckb": "ێۆڕڵەڤ",
    "ps": "ټډړږښګڼۍېځڅ",
    "ur": "ٹڈڑںےھ",
}
# py3langid has no Sorani model; its Kurdish classes stand in for it.
_LANGID_CODES = {
    "en": "en",
    "pl": "pl",
    "ro": "ro",
    "so": "so",
    "ar": "ar",
    "ur": "ur",
    "ps": "ps",
    "ku": "ckb",
    "sdh": "ckb",
    "fa": "ur",
}
SHORT_TEXT = 20  # characters of letters below which a chosen language always wins


@dataclass(frozen=True)
class LanguageGuess:
    """The language of a message and how it was decided."""

    lang: str
    confidence: float
    method: str  # "script" | "letters" | "langid" | "romanised" | "chosen" | "default"


def script_of(char: str) -> str | None:
    """The script family of one letter: latin, arabic, gurmukhi, bengali, han, or None for others."""
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "")
    for script in ("LATIN", "ARABIC", "GURMUKHI", "BENGALI", "CJK"):
        if name.startswith(script):
            return "han" if script == "CJK" else script.lower()
    return None


class LanguageDetector:
    """Detects the language of a message among ``SUPPORTED``; the py3langid model loads on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._identifiers: dict[tuple[str, ...], Any] = {}

    def _classify(self, text: str, codes: tuple[str, ...]) -> tuple[str, float]:
        """The likeliest of ``codes`` (all the model's languages when empty), as one of ours where it maps."""
        with self._lock:
            identifier = self._identifiers.get(codes)
            if identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                if codes:
                    identifier.set_languages(list(codes))
                self._identifiers[codes] = identifier
            code, probability = identifier.classify(text)
        return _LANGID_CODES.get(code, code), float(probability)

    def detect(self, text: str, chosen: str | None = None) -> LanguageGuess:
        """The message's language; ``chosen`` (the user's pick) wins where detection cannot be trusted.

        Args:
            text: the message.
            chosen: a language the user picked, or None.

        """
        chosen = chosen if chosen in SUPPORTED else None
        scripts = Counter(s for s in map(script_of, text) if s)
        letters = sum(scripts.values())
        if not letters:
            return LanguageGuess(chosen or "en", 0.0, "chosen" if chosen else "default")
        # English names and acronyms inside an Urdu or Chinese message are common; the reverse is rare, so a
        # non-Latin script with a real share of the letters decides even when Latin letters are more.
        non_latin = [(s, n) for s, n in scripts.most_common() if s != "latin"]
        if non_latin and (non_latin[0][1] >= 8 or non_latin[0][1] / letters >= 0.2):
            script, count = non_latin[0]
        else:
            script, count = scripts.most_common(1)[0]
        share = count / letters
        guess = self._by_script(text, script)
        if chosen and chosen != guess.lang:
            romanised = script == "latin" and chosen not in LATIN_LANGUAGES
            if letters < SHORT_TEXT or share < 0.8 or romanised or guess.confidence < 0.5:
                return LanguageGuess(chosen, guess.confidence, "chosen")
        return guess

    def _by_script(self, text: str, script: str) -> LanguageGuess:
        if script == "gurmukhi":
            return LanguageGuess("pa", 1.0, "script")
        if script == "bengali":
            return LanguageGuess("bn", 1.0, "script")
        if script == "han":
            return LanguageGuess("zh", 1.0, "script")
        if script == "arabic":
            counts = {lang: sum(text.count(ch) for ch in chars) for lang, chars in _DISTINCT.items()}
            best = max(counts, key=lambda lang: counts[lang])
            if counts[best] and sorted(counts.values())[-2] == 0:
                return LanguageGuess(best, 0.9, "letters")
            lang, probability = self._classify(text, ("ar", "ur", "ps", "fa", "ku", "sdh"))
            return LanguageGuess(lang, probability, "langid")
        lang, probability = self._classify(text, LATIN_LANGUAGES)
        if lang != "en" and self._classify(text, ())[0] != lang:
            return LanguageGuess("en", 0.0, "romanised")  # no trust: a language the user chose wins
        return LanguageGuess(lang, probability, "langid")
