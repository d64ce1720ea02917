"""Split cleaned document text into sections under nested heading paths, so chunks keep their context."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from navigator.corpus.blocks import STOPWORDS, capitalised_share, is_body_block, is_list_item
from navigator.corpus.documents import Section
from navigator.corpus.tables import is_table_row

_MARKDOWN = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+(\S.*)$")
_MONTH = re.compile(r"^(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|^(?:st|nd|rd|th)\b", re.IGNORECASE)
_URL = re.compile(r"^<?(?:https?://|www\.)")
_RELATIVE = ("toc", "title")


@dataclass(frozen=True)
class _Heading:
    text: str
    style: str  # "markdown", "numbered", "caps", "toc" (named on the contents page) or "title"
    level: int  # fixed level for markdown/numbered/caps; 0 for styles that nest under the current heading


def _heading_text(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().rstrip(":.;,-–— ").strip()


def _key(text: str) -> str:
    text = re.sub(r"^\d{1,2}(?:\.\d{1,2})*\.?\s+", "", text.lower())
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def _caps_words(line: str) -> list[str] | None:
    """Return the significant words of a line if all are upper case, else None."""
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'’]*", line) if len(w) > 1 and w.lower() not in STOPWORDS]
    return words if words and all(w.isupper() for w in words) else None


def is_caps_heading(line: str) -> bool:
    """Whether a line is an ALL-CAPS heading: upper-case words, starting with a letter, not too long."""
    line = line.strip()
    words = _caps_words(line)
    return (
        words is not None
        and line[:1].isalpha()
        and len(line) <= 150
        and any(len(w) > 2 for w in words)
        and line[-1] not in ";,"
        and not (line.endswith(":") and len(words) < 2)  # a label such as "RESOLVED:"
        and not is_table_row(line)
        and not is_list_item(line)
    )


def _numbered_heading(line: str) -> _Heading | None:
    match = _NUMBERED.match(line)
    if not match or len(line) > 100 or is_table_row(line) or line[-1] in ".!?;,":
        return None
    title = match.group(2)
    if _MONTH.match(title) or not title[:1].isupper():
        return None
    if not is_caps_heading(title) and capitalised_share(title) < 0.6 and len(title.split()) > 4:
        return None
    return _Heading(_heading_text(line), "numbered", match.group(1).count(".") + 1)


def _title_candidate(line: str) -> bool:
    """Tell whether a short title- or sentence-case line could head the paragraph after it."""
    bare = line
    while re.search(r"\([^()]*\)", bare):
        bare = re.sub(r"\s*\([^()]*\)", "", bare)  # "(Source: ...)" qualifiers do not make a line a sentence
    words = bare.split()
    if (
        len(bare) > 100
        or len(words) > 14
        or not line[:1].isupper()
        or line[-1] in ".!?;,-–"
        or (line.endswith(":") and len(words) < 2 and line.isupper())  # a label such as "RESOLVED:"
        or ": " in bare
        or bare.count(",") > 1
        or _URL.match(line)
        or is_table_row(line)
        or is_list_item(line)
    ):
        return False
    if capitalised_share(bare, skip_first=True) >= 0.6:
        return not line.endswith(":") or len(words) <= 6
    return len(words) <= 6 and not line.endswith(":")


def _blocks(text: str) -> list[list[str]]:
    blocks = []
    for raw in re.split(r"\n\s*\n", text):
        lines = [line.strip() for line in raw.split("\n") if line.strip()]
        if not lines:
            continue
        # A caps or markdown heading glued to the paragraph below it becomes its own block.
        glued = len(lines) > 1 and (_MARKDOWN.match(lines[0]) or is_caps_heading(lines[0]))
        if glued and not all(_caps_words(line) for line in lines):
            blocks.extend([[lines[0]], lines[1:]])
            continue
        blocks.append(lines)
    return blocks


def _introduces(block: list[str] | None) -> bool:
    """Whether a block is body text that a heading could introduce (and not itself a heading line)."""
    if not block or not is_body_block(block):
        return False
    return len(block) > 1 or not (_numbered_heading(block[0]) or is_caps_heading(block[0]))


def _classify(blocks: list[list[str]], index: int, known: set[str], after_heading: bool) -> _Heading | None:
    lines = blocks[index]
    if len(lines) > 1:
        joined = " ".join(lines)
        caps = all(map(_caps_words, lines)) and not any(map(is_list_item, lines)) and is_caps_heading(joined)
        return _Heading(_heading_text(joined), "caps", 1) if caps else None
    line = lines[0]
    markdown = _MARKDOWN.match(line)
    if markdown:
        return _Heading(_heading_text(markdown.group(2)), "markdown", len(markdown.group(1)))
    numbered = _numbered_heading(line)
    if numbered:
        return numbered
    if is_caps_heading(line):
        return _Heading(_heading_text(line), "caps", 1)
    if _key(line) in known and not is_table_row(line) and not is_list_item(line):
        return _Heading(_heading_text(line), "toc", 0)
    following = blocks[index + 1] if index + 1 < len(blocks) else None
    if not _title_candidate(line) or following is None:
        return None
    if index and not after_heading and not is_body_block(blocks[index - 1]):
        return None  # one of a run of short lines (names, captions, a list without bullets)
    if _introduces(following):
        return _Heading(_heading_text(line), "title", 0)
    after = blocks[index + 2] if index + 2 < len(blocks) else None
    if len(following) == 1 and _title_candidate(following[0]) and _introduces(after):
        return _Heading(_heading_text(line), "title", 0)
    return None


def _push(stack: list[_Heading], heading: _Heading) -> None:
    if heading.style == "title":
        while stack and stack[-1].style == "title":
            stack.pop()
    elif heading.style == "toc":
        while stack and stack[-1].style in _RELATIVE:
            stack.pop()
    else:
        while stack and (stack[-1].style in _RELATIVE or stack[-1].level >= heading.level):
            stack.pop()
    stack.append(heading)


def split_sections(text: str, title: str = "", known_headings: Collection[str] = ()) -> list[Section]:
    """Split cleaned text into sections whose heading paths follow the document's heading nesting.

    Headings are markdown ``#`` lines, numbered lines ("4.2 Mission", level by depth), ALL-CAPS lines
    (level 1), lines named on the contents page and short title-case lines followed by a paragraph (both nest
    under the heading above them). A heading with no body is folded into the path of the next heading at the
    same or a deeper level.

    Args:
        text: cleaned text (paragraphs separated by blank lines, table rows one per line).
        title: the document title, used as the heading of any text before the first heading.
        known_headings: titles from the document's contents page; lines equal to one are headings.

    Returns:
        Sections in document order, each with non-empty text.

    """
    known = {_key(h) for h in known_headings if _key(h)}
    blocks = _blocks(text)
    sections: list[Section] = []
    stack: list[_Heading] = []
    path: tuple[str, ...] = (title,) if title else ()
    depth = 0  # nesting depth of the heading that opened ``path``; 0 for text before the first heading
    body: list[str] = []
    after_heading = False
    for index, lines in enumerate(blocks):
        heading = _classify(blocks, index, known, after_heading)
        if heading is not None and not heading.text:
            heading = None  # nothing left of it once punctuation is trimmed
        after_heading = heading is not None
        if heading is None:
            body.append("\n".join(lines))
            continue
        previous = stack[-1] if stack else None
        _push(stack, heading)
        new_path = tuple(h.text for h in stack)
        siblings = previous is not None and previous.style == heading.style == "numbered"
        if body:
            sections.append(Section(path, "\n\n".join(body)))
        elif depth and len(stack) >= depth and new_path[: len(path)] != path and not siblings:
            new_path = (*path, heading.text)  # fold the empty heading into this one's path
        path, depth, body = new_path, len(stack), []
    if body:
        sections.append(Section(path, "\n\n".join(body)))
    return sections
