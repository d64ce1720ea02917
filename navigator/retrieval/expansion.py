"""Glossary-based query expansion: a question in Urdu or Somali also searches the English SEND terms it names.

BM25 cannot match "تعلیمی منصوبہ" against English text; adding "EHC plan EHCP …" lets it. Only terms the
question names in another language are added: expanding English questions with synonyms made English
retrieval worse on the dev set, while expanding the others helped (docs/benchmarks.md, "Retrieval quality").
"""

from __future__ import annotations

from navigator.languages.glossary import Glossary
from navigator.retrieval.tokens import tokenize


class GlossaryExpander:
    """Turns SEND terms named in any language into the English words the documents use."""

    def __init__(self, glossary: Glossary) -> None:
        self._glossary = glossary

    @property
    def glossary(self) -> Glossary:
        """The glossary the expander reads."""
        return self._glossary

    def warm_up(self) -> None:
        """Compile the matchers now rather than on the first question."""
        self._glossary.warm_up()

    def expand(self, text: str, lang: str | None = None) -> str:
        """English terms for the glossary terms ``text`` names in a language other than English.

        Args:
            text: the question.
            lang: its language when known; ``en`` means nothing is added.

        Returns:
            Distinct BM25 tokens of those terms' English wording and aliases ("" when there are none).

        """
        if lang == "en":
            return ""
        named_in_english = {t.id for t in self._glossary.find(text, "en")}
        extra = [t for t in self._glossary.find(text, lang) if t.id not in named_in_english]
        if not extra:
            return ""
        wording = " ".join(" ".join(t.english.forms) for t in extra)
        return " ".join(dict.fromkeys(tokenize(wording)))
