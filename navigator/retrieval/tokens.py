"""Script-aware word tokens for BM25: letters with their combining marks stay whole in any script."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Python's \w excludes combining marks, which splits Bengali, Gurmukhi and Arabic words at every vowel
# sign; the word class adds every combining mark of the Basic Multilingual Plane, and in-word ' - . %.
_MARKS = "".join(re.escape(chr(cp)) for cp in range(0x300, 0x10000) if unicodedata.category(chr(cp)).startswith("M"))
_LETTER = rf"[^\W_]|[{_MARKS}]"
_WORD = re.compile(rf"(?:{_LETTER})+(?:['’\-.](?:{_LETTER})+)*%?")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

# Frequent English function words; they add noise to BM25 without telling passages apart.
STOPWORDS = frozenset(
    """a an and are as at be been but by can could do does did for from had has have he her his how i if in
    into is it its me my of on or our she so than that the their them then there these they this those to
    us was we were what when where which who why will with would you your not no yes any all also about
    just very get got he's it's i'm""".split()
)


@lru_cache(maxsize=65536)
def _fold(token: str) -> str:
    """Lower-case, strip accents from Latin letters and apply a light English plural stem."""
    token = token.lower().replace("’", "'")
    if token.isascii():
        if token.endswith("'s"):
            token = token[:-2]
        if len(token) > 4 and token.endswith("ies"):
            token = token[:-3] + "y"
        elif len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
            token = token[:-1]
        return token
    decomposed = unicodedata.normalize("NFKD", token)
    if all(unicodedata.category(c).startswith("M") or c.isascii() for c in decomposed):
        return "".join(c for c in decomposed if c.isascii())
    return unicodedata.normalize("NFKC", token)


def tokenize(text: str, *, drop_stopwords: bool = True) -> list[str]:
    """Split text into BM25 terms; CJK runs become character bigrams since they have no spaces."""
    text = unicodedata.normalize("NFKC", text)
    tokens: list[str] = []
    for match in _WORD.finditer(text):
        word = match.group(0).strip("-.'")
        if not word:
            continue
        if _CJK.search(word):
            tokens.extend(_cjk_bigrams(word))
            continue
        # "20-week" must match "20 weeks": hyphenated words count as their parts.
        for part in word.split("-"):
            folded = _fold(part)
            if folded and not (drop_stopwords and folded in STOPWORDS):
                tokens.append(folded)
    return tokens


def _cjk_bigrams(word: str) -> list[str]:
    """Overlapping character bigrams of a CJK run (single characters for a run of one)."""
    chars = [c for c in word if _CJK.match(c)]
    if len(chars) < 2:
        return chars
    return [a + b for a, b in zip(chars, chars[1:], strict=False)]
