"""Table rows and contents pages in extracted text, so rows stay one a line and contents pages are not read as prose."""

from __future__ import annotations

import re
from itertools import pairwise

_SEPARATOR_CELL = re.compile(r"^:?[-–=]+:?$")
_CONTENTS_HEADING = re.compile(r"^(?:table of )?contents:?$", re.IGNORECASE)
_CONTENTS_ENTRY = re.compile(
    r"^(?P<title>\S(?:(?!\s\|\s).){0,200}?)\s*(?:\s\|\s|\.{2,}|…+|\s{2,})\s*(?P<page>\d{1,3})$"
)


def is_table_row(line: str) -> bool:
    """Whether a cleaned line is a table row (cells joined by ' | ')."""
    return " | " in line


def normalise_table_rows(text: str) -> str:
    """Turn tab-separated and markdown pipe rows into 'cell | cell' lines; drop separators and empty cells."""
    out = []
    for line in text.split("\n"):
        stripped = line.strip()
        if "\t" in line.strip(" "):
            cells = line.split("\t")
        elif stripped.startswith("|") and stripped.endswith("|") and len(stripped) > 1:
            cells = stripped[1:-1].split("|")
        else:
            out.append(line)
            continue
        cells = [re.sub(r"\s+", " ", cell).strip() for cell in cells]
        cells = [cell for cell in cells if cell]
        if cells and not all(_SEPARATOR_CELL.match(cell) for cell in cells):
            out.append(" | ".join(cells))
    return "\n".join(out)


def find_contents_runs(lines: list[str]) -> list[tuple[int, int, list[str]]]:
    """Find contents-page runs: (start, end exclusive, entry titles)."""
    runs = []
    index = 0
    while index < len(lines):
        end = index
        titles: list[str] = []
        pages: list[int] = []
        while end < len(lines) and lines[end].strip():
            stripped = lines[end].strip()
            entry = _CONTENTS_ENTRY.match(stripped)
            if entry:
                titles.append(entry.group("title").strip(" |"))
                pages.append(int(entry.group("page")))
            elif len(stripped) > 120 or stripped[-1] in ".!?" or is_table_row(stripped):
                break
            else:
                titles.append(stripped)
            end += 1
        if end == index:
            index += 1
            continue
        previous = next((lines[k].strip() for k in range(index - 1, -1, -1) if lines[k].strip()), "")
        size = end - index
        ordered = all(a <= b for a, b in pairwise(pages))
        # Without a "Contents" heading, ask for more evidence than a short table of rising numbers gives.
        headed = bool(_CONTENTS_HEADING.match(previous)) or (len(pages) >= 6 and pages[0] <= 10)
        if ordered and len(pages) >= 3 and len(pages) >= 0.6 * size and headed:
            runs.append((index, end, titles))
        index = end
    return runs


def drop_contents_pages(text: str) -> str:
    """Drop contents pages: runs of 'Title | page' lines with rising page numbers, and their heading."""
    lines = text.split("\n")
    drop: set[int] = set()
    for start, end, _ in find_contents_runs(lines):
        drop.update(range(start, end))
        heading = next((k for k in range(start - 1, -1, -1) if lines[k].strip()), None)
        if heading is not None and _CONTENTS_HEADING.match(lines[heading].strip()):
            drop.add(heading)
    return "\n".join(line for index, line in enumerate(lines) if index not in drop)
