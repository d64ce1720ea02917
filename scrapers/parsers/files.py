"""PDF and DOCX documents as sections: PDF text cleaned like the shipped sources, with its page numbers kept."""

from __future__ import annotations

import io
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import replace
from pathlib import PurePosixPath
from urllib.parse import unquote, urlparse

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph
from pypdf import PageObject, PdfReader

from navigator.corpus.cleaning import clean_extracted_text, extract_contents_titles
from navigator.corpus.documents import Section
from navigator.corpus.sectioning import split_sections
from navigator.errors import ParseError
from scrapers.base import FetchedPage, ParsedDocument
from scrapers.parsers.blocks import Block, build_sections, one_line

# Metadata titles that name the authoring tool or file rather than the document.
_JUNK_TITLE = re.compile(r"^(?:microsoft\s+\w+\s*-|untitled|document\d*$|slide\s*\d*$)|\.(?:docx?|pdf|pptx?)$", re.I)
_PROBE = 48  # characters of normalised text used to find a section in the pages


def file_title(url: str) -> str:
    """A readable title from the file name in ``url`` ("send-strategy_2024.pdf" → "send strategy 2024")."""
    stem = PurePosixPath(unquote(urlparse(url).path)).stem
    return re.sub(r"[-_]+", " ", stem).strip() or url


def _useful_title(title: object) -> str:
    text = one_line(title) if isinstance(title, str) else ""
    return "" if not text or _JUNK_TITLE.search(text) else text


def _page_text(page: PageObject) -> str:
    """A page's text in layout mode, whose blank lines mark the paragraph and heading gaps that cleaning needs.

    Wide gaps inside a line separate table cells, so they become tabs (later " | "). A page where most lines
    split into long runs of prose is laid out in columns: its plain-mode text keeps each column's sentences whole.
    """
    try:
        text = page.extract_text(extraction_mode="layout")
    except Exception:  # layout mode fails on some fonts; plain mode still reads the words
        return page.extract_text() or ""
    lines = [re.sub(r"(?<=\S) {4,}(?=\S)", "\t", line).strip() for line in text.split("\n")]
    filled = [line for line in lines if line]
    cells = [cell for line in filled if "\t" in line for cell in line.split("\t")]
    split_lines = sum("\t" in line for line in filled)
    if filled and split_lines > 0.4 * len(filled) and sum(map(len, cells)) > 30 * len(cells):
        return page.extract_text() or ""
    return "\n".join(lines)


def read_pdf(content: bytes, url: str) -> tuple[list[str], str]:
    """The text of each page and the metadata title of a PDF.

    Raises:
        ParseError: the file is encrypted with a password, damaged, or has no extractable text.

    """
    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ParseError(f"{url} is an encrypted PDF that needs a password; ask its publisher for an open copy.")
        pages = [_page_text(page) for page in reader.pages]
        title = _useful_title(reader.metadata.title if reader.metadata else None)
    except ParseError:
        raise
    except Exception as exc:  # pypdf raises many exception types on damaged or unsupported files
        raise ParseError(
            f"{url} is not a readable PDF ({type(exc).__name__}: {exc}); check the link serves the whole file."
        ) from exc
    if not any(text.strip() for text in pages):
        raise ParseError(f"{url} has no extractable text; it may be a scanned image that needs OCR first.")
    return pages, title


def drop_running_lines(pages: Sequence[str], edge: int = 2) -> list[str]:
    """Drop page headers and footers: edge lines that recur, digits aside, on at least half the pages (two at least).

    Only the first and last ``edge`` lines of a page are looked at. The general cleaner cannot see page
    boundaries; without this a header would split sentences that run on over a page break.
    """
    split = [text.split("\n") for text in pages]

    def key(line: str) -> str:
        return re.sub(r"\d+", "#", one_line(line).lower())

    def edges(lines: list[str]) -> set[int]:
        filled = [i for i, line in enumerate(lines) if line.strip()]
        return set(filled[:edge] + filled[-edge:])

    counts: dict[str, int] = {}
    for lines in split:
        for found in {key(lines[i]) for i in edges(lines)}:
            counts[found] = counts.get(found, 0) + 1
    running = {k for k, n in counts.items() if n >= max(2, (len(pages) + 1) // 2)}
    return [
        "\n".join(line for i, line in enumerate(lines) if i not in edges(lines) or key(line) not in running)
        for lines in split
    ]


def _normalise(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.lower())


class _PageLocator:
    """Find which pages cleaned text came from, by matching letters and digits only against the raw pages."""

    def __init__(self, pages: Sequence[str]) -> None:
        normalised = [_normalise(text) for text in pages]
        self.starts = [0]
        for text in normalised:
            self.starts.append(self.starts[-1] + len(text))
        self.joined = "".join(normalised)
        self.cursor = 0

    def _page(self, position: int) -> int:
        return min(max(bisect_right(self.starts, position), 1), len(self.starts) - 1)

    def _find(self, text: str) -> int:
        for offset in range(0, max(len(text) - _PROBE, 0) + 1, _PROBE):
            found = self.joined.find(text[offset : offset + _PROBE], self.cursor)
            if found < 0:
                found = self.joined.find(text[offset : offset + _PROBE])
            if found >= 0:
                return max(found - offset, 0)
        return -1

    def span(self, text: str) -> tuple[int, int]:
        """First and last page (1-based) of ``text``; the previous match's page when it cannot be found."""
        needle = _normalise(text)
        start = self._find(needle) if needle else -1
        if start < 0:
            page = self._page(self.cursor)
            return page, page
        self.cursor = start
        end = self.joined.find(needle[-_PROBE:], start)
        last = end + min(len(needle), _PROBE) - 1 if end >= 0 else start + len(needle) - 1
        return self._page(start), self._page(min(last, len(self.joined) - 1))


def _page_metadata(first: int, last: int) -> dict[str, str]:
    return {"page": str(first)} if first == last else {"pages": f"{first}-{last}"}


class PdfParser:
    """Parse a PDF into sections by detected headings (else one per page), each carrying its page numbers."""

    def __init__(self, kind: str = "strategy") -> None:
        self.kind = kind

    def parse(self, page: FetchedPage) -> ParsedDocument:
        """Parse ``page``.

        Raises:
            ParseError: the PDF is encrypted, damaged or holds no text.

        """
        pages, meta_title = read_pdf(page.content, page.url)
        pages = drop_running_lines(pages) if len(pages) > 1 else pages
        raw = "\n\n".join(pages)
        cleaned = clean_extracted_text(raw)
        found = split_sections(cleaned, "", extract_contents_titles(raw))
        first_heading = next((s.heading_path[0] for s in found if s.heading_path), "")
        title = meta_title or first_heading or file_title(page.url)
        locator = _PageLocator(pages)
        if first_heading or len(pages) == 1:
            sections = [
                replace(s, heading_path=s.heading_path or (title,), metadata=_page_metadata(*locator.span(s.text)))
                for s in found
            ]
        else:
            sections = self._page_sections(cleaned, locator)
        if not sections:
            raise ParseError(f"{page.url} holds nothing but page headers and footers once cleaned.")
        return ParsedDocument(url=page.url, title=title, kind=self.kind, sections=tuple(sections))

    @staticmethod
    def _page_sections(cleaned: str, locator: _PageLocator) -> list[Section]:
        """One section per page; a paragraph continued over a page break stays whole on its first page."""
        by_page: dict[int, tuple[list[str], int]] = {}
        for paragraph in re.split(r"\n\s*\n", cleaned):
            if paragraph.strip():
                first, last = locator.span(paragraph)
                texts, end = by_page.setdefault(first, ([], first))
                texts.append(paragraph.strip())
                by_page[first] = (texts, max(end, last))
        return [
            Section((f"Page {number}",), "\n\n".join(texts), _page_metadata(number, end))
            for number, (texts, end) in sorted(by_page.items())
        ]


def _numbering_depth(paragraph: Paragraph) -> int | None:
    """The list level of a paragraph with Word numbering (bullets or numbers), None for other paragraphs."""
    properties = paragraph._p.pPr
    numbering = getattr(properties, "numPr", None) if properties is not None else None
    if numbering is None:
        return None
    level = getattr(getattr(numbering, "ilvl", None), "val", None)
    return int(level) if level is not None else 0


def _docx_blocks(document: docx.document.Document) -> tuple[list[Block], str]:
    """Blocks of a Word document in order, and the text of its Title-style paragraph.

    Headings come from the Heading 1-6 styles; list paragraphs become "- " lines; tables " | " rows.
    """
    blocks: list[Block] = []
    styled_title = ""
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            rows = []
            for row in item.rows:
                cells, seen = [], set()
                for cell in row.cells:  # a merged cell is repeated for every grid column it spans
                    if id(cell._tc) not in seen and one_line(cell.text):
                        cells.append(one_line(cell.text))
                    seen.add(id(cell._tc))
                if cells:
                    rows.append(" | ".join(cells))
            if rows:
                blocks.append(Block("\n".join(rows)))
            continue
        text = one_line(item.text)
        style = item.style.name if item.style is not None and item.style.name else ""
        heading = re.match(r"Heading (\d)", style)
        numbering = _numbering_depth(item)
        if not text:
            continue
        if style == "Title":
            styled_title = styled_title or text
            blocks.append(Block(text, 1))
        elif heading:
            blocks.append(Block(text, min(int(heading.group(1)), 6)))
        elif style.startswith("List") or numbering is not None:
            nested = re.search(r"(\d)$", style)
            depth = numbering if numbering is not None else int(nested.group(1)) - 1 if nested else 0
            blocks.append(Block("  " * depth + "- " + text))
        else:
            blocks.append(Block(text))
    return blocks, styled_title


class DocxParser:
    """Parse a Word (.docx) document into sections under its heading styles."""

    def __init__(self, kind: str = "strategy") -> None:
        self.kind = kind

    def parse(self, page: FetchedPage) -> ParsedDocument:
        """Parse ``page``.

        Raises:
            ParseError: the file is not a readable DOCX or holds no text.

        """
        try:
            document = docx.Document(io.BytesIO(page.content))
        except Exception as exc:  # python-docx raises zip, XML and key errors on damaged files
            raise ParseError(f"{page.url} is not a readable DOCX ({type(exc).__name__}: {exc}).") from exc
        blocks, styled_title = _docx_blocks(document)
        first_heading = next((block.text for block in blocks if block.level), "")
        title = _useful_title(document.core_properties.title) or styled_title or first_heading or file_title(page.url)
        sections = build_sections(blocks, title)
        if not sections:
            raise ParseError(f"{page.url} holds no text to index.")
        return ParsedDocument(url=page.url, title=title, kind=self.kind, sections=tuple(sections))
