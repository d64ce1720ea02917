"""Glossary-based query expansion: a question in Urdu or Somali also searches the English SEND terms it names.

BM25 cannot match "تعلیمی منصوبہ" against English text; adding "EHC plan EHCP …" lets it. Terms a question names
in another language are added; in English only terms a question describes in families' words ("sent home at
lunchtime" for a part-time timetable), since expanding English questions with synonyms of terms they already
name made English retrieval worse (docs/benchmarks.md, "Retrieval quality").
"""

from __future__ import annotations

from navigator.languages.family_phrases import FamilyPhrases
from navigator.languages.glossary import Glossary
from navigator.languages.word_translations import WordTranslations
from navigator.retrieval.tokens import tokenize


class GlossaryExpander:
    """Turns SEND terms named in any language into the English words the documents use."""

    def __init__(
        self, glossary: Glossary, phrases: FamilyPhrases | None = None, words: WordTranslations | None = None
    ) -> None:
        self._glossary = glossary
        self._phrases = phrases
        self._words = words

    @property
    def glossary(self) -> Glossary:
        """The glossary the expander reads."""
        return self._glossary

    def warm_up(self) -> None:
        """Compile the matchers now rather than on the first question."""
        self._glossary.warm_up()

    def expand(self, text: str, lang: str | None = None, english_words: str | None = None) -> str:
        """English terms for the glossary terms ``text`` names in another language or describes in families' words.

        A question in another language also gets the English words its own everyday words stand for (the word
        translations), after the terms.

        Args:
            text: the question.
            lang: its language when known; ``en`` means only families' phrases are read.
            english_words: :meth:`english_words` of the same text when the caller has them already.

        Returns:
            Distinct BM25 tokens of those terms' English wording and aliases, then of the translated words ("" when
            there are none).

        """
        named_in_english = {t.id for t in self._glossary.find(text, "en")}
        extra = [] if lang == "en" else [t for t in self._glossary.find(text, lang) if t.id not in named_in_english]
        if self._phrases is not None:
            described = self._phrases.term_ids(text, lang)
            have = named_in_english | {t.id for t in extra}
            extra += [t for t in (self._glossary.get(i) for i in described if i not in have) if t is not None]
        wording = " ".join(" ".join(t.english.forms) for t in extra)
        words = self.english_words(text, lang) if english_words is None else english_words
        return " ".join(dict.fromkeys(tokenize(f"{wording} {words}")))

    def english_words(self, text: str, lang: str | None) -> str:
        """The English words a question in another language stands for, word by word ("" in English or without)."""
        if self._words is None or lang == "en":
            return ""
        return " ".join(self._words.english_words(text, lang))
