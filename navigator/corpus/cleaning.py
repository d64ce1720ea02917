"""Clean text extracted from council PDFs so that retrieval sees prose and table rows, not layout debris."""

from __future__ import annotations

import html
import re
from collections import Counter

from navigator.corpus.blocks import CLOSERS, TERMINAL, capitalised_share, is_body_block, is_list_item
from navigator.corpus.tables import drop_contents_pages, find_contents_runs, is_table_row, normalise_table_rows

_SUPERSCRIPTS = "¹²³⁴⁵⁶⁷⁸⁰⁹"
# Words that never end a sentence or a heading: a line ending in one continues on the next line.
_CONTINUERS = frozenset(
    "a an the of to and or for with by in on at from that which whose who is are was were be our their its "
    "as than into onto per via".split()
)

_BLOCK_TAG = re.compile(
    r"<(/?)(p|li|ul|ol|br|div|tr|td|th|h[1-6]|table|tbody|thead|dl|dt|dd|blockquote)\b[^<>]*>", re.IGNORECASE
)
_ANY_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
_BOLD = re.compile(r"\*\*(?=[^\s*])((?:[^\n]|\n(?!\s*\n))+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?=[^\s*])((?:[^*\n]|\n(?!\s*\n))*?[^\s*])\*(?![\w*])")
_BULLET = re.compile(r"^(\s*)(?:[-*]\s+)?[•·▪◦‣●○]\s*|^(\s*)-\s+o\s+(?=\w)")
_PAGE_LINE = re.compile(r"^(?:page\s+\d+(?:\s*(?:of|/)\s*\d+)?|[-–—]\s*\d+\s*[-–—]|[@#]\w+)$", re.IGNORECASE)
_PAGE_RANGE = re.compile(r"^(\d{1,3})\s*[-–]\s*(\d{1,3})$")


def normalise_characters(text: str) -> str:
    """Unify line endings, odd spaces and bullet glyphs, and drop in-word footnote superscripts."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[\u00a0\u2007\u202f\u2009]", " ", text)
    text = re.sub(r"[\u200b\u200c\u200d\ufeff\u00ad]", "", text)
    text = re.sub(r"\^\{([^}]*)\}", r"\1", text)  # LaTeX-style superscripts such as ^{*}
    text = re.sub(rf"(?<=[^\s{_SUPERSCRIPTS}])[{_SUPERSCRIPTS}]+", "", text)
    lines = [_BULLET.sub(lambda m: (m.group(1) or m.group(2) or "") + "- ", line).rstrip() for line in text.split("\n")]
    return "\n".join("" if not line.strip() else line for line in lines)


def _strip_html_cell(cell: str) -> str:
    if "<" not in cell:
        return html.unescape(cell)
    pieces: list[str] = []
    joiners: list[str] = []
    pending = ""
    last = 0
    for match in _BLOCK_TAG.finditer(cell):
        piece = _ANY_TAG.sub("", cell[last : match.start()]).strip()
        if piece:
            if pieces:
                joiners.append(pending or "; ")
            pieces.append(piece)
            pending = ""
        if match.group(2).lower() in ("ul", "ol") and not match.group(1):
            pending = ": "
        last = match.end()
    tail = _ANY_TAG.sub("", cell[last:]).strip()
    if tail:
        if pieces:
            joiners.append(pending or "; ")
        pieces.append(tail)
    out = pieces[0] if pieces else ""
    for joiner, piece in zip(joiners, pieces[1:], strict=True):
        out += " " + piece if out.rstrip(CLOSERS)[-1:] in TERMINAL else joiner + piece
    lead, trail = cell[: len(cell) - len(cell.lstrip())], cell[len(cell.rstrip()) :]
    return lead + html.unescape(re.sub(r"\s+", " ", out)) + trail


def strip_html(text: str) -> str:
    """Remove HTML tags (cell by cell), turning paragraph and list boundaries into '; ' or ': '."""
    out = []
    for line in text.split("\n"):
        stripped = line.strip()
        separator = "|" if len(stripped) > 1 and stripped[0] == stripped[-1] == "|" else "\t"
        out.append(separator.join(_strip_html_cell(cell) for cell in line.split(separator)))
    return "\n".join(out)


def strip_emphasis(text: str) -> str:
    """Drop markdown ``**bold**`` and ``*italic*`` markers but keep footnote marks such as ``School**``."""
    text = _BOLD.sub(r"\1", text)
    # Unpaired bold markers left by extraction: a closer after punctuation, or an opener at a line start.
    text = re.sub(r"(?<=[.:;,!?])\*\*(?=\s|$)", "", text, flags=re.MULTILINE)
    text = re.sub(r"^(\s*(?:- )?)\*\*(?=\S)", r"\1", text, flags=re.MULTILINE)
    return _ITALIC.sub(r"\1", text)


def drop_stray_characters(text: str) -> str:
    """Drop lines holding a single letter or digit (logo letters) and rejoin letter-spaced words."""
    out = []
    for line in text.split("\n"):
        stripped = line.strip()
        if re.fullmatch(r"[A-Za-z0-9]", stripped):
            continue
        if re.fullmatch(r"(?:[A-Z] ){2,}[A-Z]", stripped):
            line = stripped.replace(" ", "")
        if stripped and not re.search(r"\w", stripped):
            continue  # a line of bare punctuation or bullets
        out.append(line)
    return "\n".join(out)


def _blank_run(lines: list[str], index: int, step: int) -> int:
    count = 0
    index += step
    while 0 <= index < len(lines) and not lines[index].strip():
        count += 1
        index += step
    return count if 0 <= index < len(lines) else 99


def drop_page_furniture(text: str) -> str:
    """Drop 'Page N of M', agenda page ranges, social handles and bare page numbers between page gaps."""
    lines = text.split("\n")
    out = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if _PAGE_LINE.match(stripped):
            continue
        page_range = _PAGE_RANGE.match(stripped)
        if page_range and int(page_range.group(1)) < int(page_range.group(2)):
            continue
        if re.fullmatch(r"\d{1,4}", stripped) and min(_blank_run(lines, index, -1), _blank_run(lines, index, 1)) >= 2:
            continue
        out.append(line)
    return "\n".join(out)


def _clean_structure(text: str) -> str:
    for step in (
        normalise_characters,
        strip_html,
        strip_emphasis,
        drop_stray_characters,
        drop_page_furniture,
    ):
        text = step(text)
    return normalise_table_rows(text)


def extract_contents_titles(text: str) -> list[str]:
    """Titles listed on the contents page(s) of raw extracted text, in order; they name the real headings."""
    lines = _clean_structure(text).split("\n")
    return [title for _, _, titles in find_contents_runs(lines) for title in titles]


def _blocks(lines: list[str]) -> list[tuple[int, int]]:
    """(start, end exclusive) of each run of non-blank lines."""
    spans = []
    start = None
    for index, line in enumerate([*lines, ""]):
        if line.strip() and start is None:
            start = index
        elif not line.strip() and start is not None:
            spans.append((start, index))
            start = None
    return spans


def _furniture_candidate(lines: list[str], max_length: int) -> str | None:
    if any(is_table_row(line) or is_list_item(line) for line in lines):
        return None
    key = re.sub(r"\s+", " ", " ".join(lines)).replace("*", "").strip()
    if not key or len(key) > max_length or key[-1] in TERMINAL or capitalised_share(key) < 0.75:
        return None
    return key.lower()


def drop_repeated_lines(text: str, min_repeats: int = 3, max_length: int = 60) -> str:
    """Drop page headers, footers and logos: short title-like blocks repeated across the document.

    A block counts when it occurs at least ``min_repeats`` times (case-insensitive) and most occurrences do
    not introduce body text, so that repeated real sub-headings ("Action" before each table) stay. A block
    seen at least twice whose every occurrence sits beside such furniture is furniture too (stacked logos).
    """
    lines = text.split("\n")
    spans = _blocks(lines)
    keys = [_furniture_candidate(lines[s:e], max_length) for s, e in spans]
    counts = Counter(key for key in keys if key)
    introduces: Counter[str] = Counter()
    for index, key in enumerate(keys):
        if key and index + 1 < len(spans) and is_body_block(lines[spans[index + 1][0] : spans[index + 1][1]]):
            introduces[key] += 1
    furniture = {key for key, n in counts.items() if n >= min_repeats and introduces[key] * 2 < n}
    changed = bool(furniture)
    while changed:
        changed = False
        for key, n in counts.items():
            if key in furniture or n < 2:
                continue
            positions = [i for i, k in enumerate(keys) if k == key]
            beside = [
                i
                for i in positions
                if {keys[i - 1] if i else None, keys[i + 1] if i + 1 < len(keys) else None} & furniture
            ]
            if len(beside) == len(positions):
                furniture.add(key)
                changed = True
    drop = {line for (s, e), key in zip(spans, keys, strict=True) if key in furniture for line in range(s, e)}
    return "\n".join(line for index, line in enumerate(lines) if index not in drop)


def _ends_open(line: str) -> bool:
    stripped = line.rstrip().rstrip(CLOSERS)
    return bool(stripped) and stripped[-1] not in TERMINAL


def _demands_continuation(line: str) -> bool:
    stripped = line.rstrip()
    last = re.search(r"([A-Za-z]+)-?$", stripped)
    return bool(re.search(r"[A-Za-z]-$", stripped)) or bool(last and last.group(1) in _CONTINUERS)


def _should_join(line: str, following: str, gap: int) -> bool:
    following = following.strip()
    if not _ends_open(line) or is_table_row(following) or is_list_item(following):
        return False
    if re.match(r"(?:https?://|www\.|<https?:)", following):
        return False
    if following[:1].islower() or _demands_continuation(line):
        return True
    return gap == 0 and line.rstrip().endswith(",")


def join_broken_sentences(text: str) -> str:
    """Rejoin sentences split by page breaks or wrapping, moving any footnote lines in between after them.

    A line joins the next non-blank line when it lacks terminal punctuation and the next line starts in lower
    case, or the line ends in a hyphenated fragment or a word such as 'the' that cannot end a sentence.
    """
    lines = text.split("\n")
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.strip() or is_table_row(line):
            out.append(line)
            index += 1
            continue
        moved: list[str] = []
        while True:
            ahead, gap, skipped = index + 1, 0, []
            while ahead < len(lines) and (not lines[ahead].strip() or lines[ahead].lstrip()[:1] in _SUPERSCRIPTS):
                if lines[ahead].strip():
                    skipped.append(lines[ahead])
                else:
                    gap += 1
                ahead += 1
            if ahead >= len(lines) or not _should_join(line, lines[ahead], gap):
                break
            glue = "" if re.search(r"[A-Za-z]-$", line.rstrip()) else " "
            line = line.rstrip() + glue + lines[ahead].strip()
            moved.extend(skipped)
            index = ahead
        out.append(line)
        if moved:
            out.extend(["", *moved, ""])
        index += 1
    return "\n".join(out)


def strip_footnote_markers(text: str) -> str:
    """Remove the superscript number that starts a footnote line."""
    return re.sub(rf"^(\s*)[{_SUPERSCRIPTS}]+\s*", r"\1", text, flags=re.MULTILINE)


def normalise_whitespace(text: str) -> str:
    """Collapse spaces inside lines (cell by cell in table rows) and runs of blank lines to one blank line."""
    out: list[str] = []
    for line in text.split("\n"):
        cells = [re.sub(r"\s+", " ", cell).strip() for cell in line.split(" | ")]
        line = " | ".join(cell for cell in cells if cell)
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def clean_extracted_text(text: str, min_repeats: int = 3) -> str:
    """Clean PDF-extracted text: markup, stray letters, page furniture, contents pages, broken sentences.

    Args:
        text: raw extracted text.
        min_repeats: how often a short title-like block must recur to count as a page header or logo.

    Returns:
        Paragraphs separated by one blank line; table rows one per line with cells joined by " | ".

    """
    text = drop_contents_pages(_clean_structure(text))
    text = drop_repeated_lines(text, min_repeats=min_repeats)
    text = join_broken_sentences(text)
    return normalise_whitespace(strip_footnote_markers(text))
