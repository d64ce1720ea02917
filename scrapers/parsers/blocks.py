"""Page text as blocks (headings, paragraphs, "- " lists, " | " table rows) and blocks as sectioned text."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bs4 import Tag
from bs4.element import NavigableString, PreformattedString, Script, Stylesheet, TemplateString

from navigator.corpus.documents import Section

_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_BLOCKISH = frozenset(
    "address article blockquote caption dd details div dl dt figcaption figure footer header hr li main ol p pre "
    "section summary table td th tr ul h1 h2 h3 h4 h5 h6".split()
)
_SKIPPED_STRINGS = (PreformattedString, Script, Stylesheet, TemplateString)


@dataclass(frozen=True)
class Block:
    """One unit of page text: a heading (``level`` 1-6) or body text (``level`` 0: paragraph, list or table)."""

    text: str
    level: int = 0


def one_line(text: str) -> str:
    """``text`` with every run of whitespace, newlines included, collapsed to one space."""
    return re.sub(r"\s+", " ", text).strip()


def collapse_lines(text: str) -> str:
    """``text`` with spaces collapsed inside lines and blank lines dropped."""
    lines = (re.sub(r"[^\S\n]+", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def nearest_ancestor(tag: Tag, names: Collection[str]) -> Tag | None:
    """The closest ancestor of ``tag`` named one of ``names`` (a plain walk; bs4's find_parent is far slower)."""
    for parent in tag.parents:
        if parent.name in names:
            return parent
    return None


def _children(tag: Tag, names: Collection[str]) -> list[Tag]:
    return [child for child in tag.children if isinstance(child, Tag) and child.name in names]


def _sublists(node: Tag) -> list[Tag]:
    """Lists inside ``node`` that are not inside a deeper list: the next level of nesting."""
    found: list[Tag] = []
    for child in node.children:
        if isinstance(child, Tag):
            found.extend([child] if child.name in ("ul", "ol") else _sublists(child))
    return found


def _inline(node: Tag, skip: frozenset[str] = frozenset()) -> str:
    parts: list[str] = []
    for child in node.children:
        if isinstance(child, NavigableString):
            if not isinstance(child, _SKIPPED_STRINGS):
                parts.append(str(child))
        elif isinstance(child, Tag) and child.name not in skip:
            if child.name == "br":
                parts.append("\n")
                continue
            gap = " " if child.name in _BLOCKISH else ""
            parts.append(gap + _inline(child, skip) + gap)
    return "".join(parts)


def _list_lines(items: Tag, depth: int) -> list[str]:
    lines: list[str] = []
    for child in items.children:
        if not isinstance(child, Tag):
            continue
        if child.name in ("ul", "ol"):  # a list nested straight into a list, as some editors write it
            lines.extend(_list_lines(child, depth + 1))
        elif child.name == "li":
            text = one_line(_inline(child, frozenset({"ul", "ol"})))
            if text:
                lines.append("  " * depth + "- " + text)
            for sub in _sublists(child):
                lines.extend(_list_lines(sub, depth + 1))
    return lines


def _table_lines(table: Tag) -> list[str]:
    rows = [row for row in table.find_all("tr") if nearest_ancestor(row, ("table",)) is table]
    in_head = {id(row) for row in rows if nearest_ancestor(row, ("thead", "table")) is not table}
    caption = table.find("caption")
    lines = [one_line(_inline(caption))] if isinstance(caption, Tag) and caption.get_text(strip=True) else []
    for row in sorted(rows, key=lambda row: id(row) not in in_head):  # header rows first, else document order
        cells = [one_line(_inline(cell)) for cell in _children(row, ("th", "td"))]
        if any(cells):
            lines.append(" | ".join(cell for cell in cells if cell))
    return lines


def _join_parts(parts: list[str]) -> str:
    out = ""
    for part in parts:
        out = part if not out else out + (" " if out[-1] in ".!?:;" else "; ") + part
    return out


def _definition_lines(dl: Tag) -> list[str]:
    lines: list[str] = []
    term, definitions = "", list[str]()
    for item in [*dl.find_all(["dt", "dd"]), None]:
        if item is not None and nearest_ancestor(item, ("dl",)) is not dl:
            continue
        if item is None or item.name == "dt":
            if term or definitions:
                lines.append(
                    f"{term}: {_join_parts(definitions)}" if term and definitions else term or _join_parts(definitions)
                )
            term, definitions = (one_line(_inline(item)), []) if item is not None else ("", [])
        else:
            definitions.append(one_line(_inline(item)))
    return lines


def extract_blocks(root: Tag) -> list[Block]:
    """Headings and body blocks of ``root`` in document order; lists as "- " lines, tables as " | " rows."""
    blocks: list[Block] = []
    inline: list[str] = []

    def flush() -> None:
        text = collapse_lines("".join(inline))
        inline.clear()
        if text:
            blocks.append(Block(text))

    def add(lines: list[str]) -> None:
        flush()
        if lines:
            blocks.append(Block("\n".join(lines)))

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if not isinstance(child, _SKIPPED_STRINGS):
                    inline.append(str(child))
            elif not isinstance(child, Tag):
                continue
            elif child.name in _HEADINGS:
                flush()
                text = one_line(_inline(child))
                if text:
                    blocks.append(Block(text, int(child.name[1])))
            elif child.name in ("ul", "ol"):
                add(_list_lines(child, 0))
            elif child.name == "table":
                add(_table_lines(child))
            elif child.name == "dl":
                add(_definition_lines(child))
            elif child.name == "br":
                inline.append("\n")
            elif child.name in _BLOCKISH:
                flush()
                walk(child)
                flush()
            else:
                walk(child)

    walk(root)
    flush()
    return blocks


def section_spans(blocks: Sequence[Block], title: str) -> list[tuple[int, Section]]:
    """Sections under nested heading paths, each with the index of its first body block.

    The first ``h1`` equal to ``title`` is the document title and is not repeated as a heading; text before any
    other heading sits under ``(title,)``.
    """
    spans: list[tuple[int, Section]] = []
    stack: list[Block] = []
    path: tuple[str, ...] = (title,) if title else ()
    body: list[str] = []
    first = 0
    title_seen = False
    for index, block in enumerate(blocks):
        if not block.level:
            first = first if body else index
            body.append(block.text)
            continue
        if body:
            spans.append((first, Section(path, "\n".join(body))))
            body = []
        if not title_seen and block.level == 1 and block.text == title:
            title_seen, stack, path = True, [], (title,)
            continue
        while stack and stack[-1].level >= block.level:
            stack.pop()
        stack.append(block)
        path = tuple(heading.text for heading in stack)
    if body:
        spans.append((first, Section(path, "\n".join(body))))
    return spans


def build_sections(blocks: Sequence[Block], title: str) -> list[Section]:
    """Sections of ``blocks`` in document order (see ``section_spans``)."""
    return [section for _, section in section_spans(blocks, title)]
