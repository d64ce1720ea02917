"""Words of an English question that no indexed passage uses: a sign the documents are about something else.

"What dose of melatonin…", "does Wolverhampton council…", "is there a mileage rate…" retrieve passages on the
neighbouring subject (sleep, short breaks, transport); nothing in them can answer, and the plainest sign is that
the corpus never uses the word the question turns on. The names check (``named_terms``) covers capitalised names
and acronyms; this counts every content word, lower-case ones included, against the lexical index's vocabulary.
English questions only: a word of Polish or Somali is missing from English documents whatever it asks.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from navigator.retrieval.tokens import tokenize

# Words of asking, politeness and chat that say nothing about the subject (the lexical index drops only the
# commonest function words, and a formal document never writes "wondering" or "thanks").
CONVERSATIONAL = frozenset(
    """please thank thanks hello dear sorry wondering wonder anyone someone somebody anything something
    everything nothing anybody everybody really actually maybe perhaps basically honestly literally totally
    lots kind sort okay yeah alright want wanted wanting know knew tell told telling asking asked question
    questions help helped helping need needed needs trying tried getting going doing does should would could
    might shall must much many more most less least quite still already soon always never ever ages anymore
    whats whos thats theres heres hows wheres whens theyre youre weve theyve youve shes hes dont doesnt didnt
    cant wont isnt arent wasnt werent hasnt havent hadnt shouldnt wouldnt couldnt mustnt aint""".split()
)
_LATIN = re.compile(r"[a-z]+")
MIN_LETTERS = 4  # shorter words are mostly function words, units or typos


def unseen_words(question: str, known: Callable[[str], bool]) -> list[str]:
    """The question's content words that the index's vocabulary lacks, in order, each once.

    Args:
        question: an English question (personal details already removed).
        known: whether the lexical index holds a term (in ``tokenize``'s folded form).

    """
    found: dict[str, None] = {}
    for term in tokenize(question):
        if len(term) < MIN_LETTERS or not _LATIN.fullmatch(term) or term in CONVERSATIONAL:
            continue
        if not any(known(form) for form in (term, *_stems(term))):
            found[term] = None
    return list(found)


def _stems(term: str) -> list[str]:
    """Light verb stems, so "refused", "submitted" and "making" meet "refuse", "submit" and "make" in the index."""
    stems: list[str] = []
    for ending, keeps in (("ing", ("", "e")), ("ed", ("", "e")), ("ies", ("y",)), ("es", ("", "e"))):
        root = term[: -len(ending)]
        if term.endswith(ending) and len(root) >= 3:
            stems += [root + keep for keep in keeps]
            if len(root) > 3 and root[-1] == root[-2]:  # a doubled consonant: "submitted", "planning"
                stems.append(root[:-1])
            break
    return stems
