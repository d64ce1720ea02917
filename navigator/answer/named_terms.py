"""What a question is specifically about (a SEND term, a place, a benefit) must appear in what the reply cites.

"Which schools in Sutton Coldfield…" or "Can I claim Disability Living Allowance…" retrieve passages about
schools or benefits in general; quoting them would answer a different question. So the specific SEND terms
a question names (in any language, through the glossary) and the names it writes in Latin script (an
acronym, a capitalised name in an English sentence, a capitalised name inside another script) must each be
named by a cited passage, its title or its section, or the reply declines. On the dev set every answer this
turned down had cited the wrong passage (benchmarks/results/chat_quality.json).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from navigator.languages.glossary import Glossary

_SENTENCE = re.compile(r"(?<=[.?!؟。])\s+")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*(?:-[A-Za-z]+)*")
_ACRONYM = re.compile(r"[A-Z][A-Za-z]*[A-Z][A-Za-z]*")  # two or more capitals: EHCP, SENCo, ADHD
_NON_LATIN = re.compile(r"[^\W\d_A-Za-z\u00C0-\u024F]")

# Words that are capitalised or acronyms in questions without naming anything specific.
COMMON_NAMES = frozenset(
    """i i'm i've i'll i'd birmingham uk england english council city send sen nhs dfe ok mr mrs ms dr
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday year reception""".split()
)


# Glossary terms too broad to demand: a question about "school" or "the council" is answered by passages
# that never use the word.
GENERIC_TERMS = frozenset(
    """send local-authority education-setting mainstream-school early-years diagnosis college employment
    school-place transition co-production waiting-list attendance social-care semh""".split()
)
# A capitalised word after these is a person's name ("my son Adam"), not something the documents name.
_NAME_BEFORE = re.compile(
    r"(?:son|daughter|child|boy|girl|grandson|granddaughter|brother|sister|nephew|niece|called|named|name is)\W*$",
    re.IGNORECASE,
)


class NamedTermCheck:
    """Finds the names a question depends on and which of them the cited text lacks."""

    def __init__(self, glossary: Glossary) -> None:
        self._glossary = glossary
        self._forms = sorted(
            {form for term in glossary for form in term.english.forms if form.strip()}, key=len, reverse=True
        )
        self._form_pattern = re.compile(
            "|".join(rf"(?<![A-Za-z]){re.escape(f)}(?![A-Za-z])" for f in self._forms), re.IGNORECASE
        )

    def names(self, question: str, lang: str) -> list[tuple[str, ...]]:
        """What the question names, each as the spellings any of which a cited text may use."""
        found: dict[tuple[str, ...], None] = {}
        for term in self._glossary.find(question, None):
            if term.id not in GENERIC_TERMS:
                found[tuple(term.english.forms)] = None
        remainder = self._form_pattern.sub(" ", question)
        in_other_script = bool(_NON_LATIN.search(question))
        for sentence in _SENTENCE.split(remainder):
            for i, match in enumerate(_LATIN_WORD.finditer(sentence)):
                word = re.sub(r"['’]s$", "", match.group(0).split("-")[0])
                if len(word) < 2 or word.casefold() in COMMON_NAMES:
                    continue
                if _NAME_BEFORE.search(sentence[: match.start()]):
                    continue
                acronym = _ACRONYM.fullmatch(word) is not None
                capitalised = word[0].isupper() and ((lang == "en" and i > 0) or in_other_script)
                if acronym or capitalised:
                    found[(word,)] = None
        return list(found)

    def missing(self, question: str, lang: str, cited: Iterable[str]) -> list[str]:
        """The question's names that no cited text mentions (each given by its first spelling)."""
        return missing_from(self.names(question, lang), cited)


def missing_from(names: Sequence[tuple[str, ...]], texts: Iterable[str]) -> list[str]:
    """Of ``names`` (each as its spellings), those no text mentions, each given by its first spelling."""
    text = " ".join(texts).casefold()
    return [forms[0] for forms in names if not any(f.casefold() in text for f in forms)]

