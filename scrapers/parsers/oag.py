"""Ordinarily Available Guidance pages: one section per topic, holding "what you might see" and "what you can try".

Birmingham's online OAG (``/online-ordinarily-available-guidance/`` on the Local Offer site) is organised by the
four broad areas of need of the SEND Code of Practice; within each area every topic pairs "What you might see"
(signs a child may be finding something difficult) with "What you can try" (classroom strategies). Keeping a
pair in one section lets a practitioner's description of what they see find the strategies that answer it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlparse

from navigator.corpus.documents import Section
from scrapers.base import FetchedPage, ParsedDocument
from scrapers.parsers.blocks import Block, section_spans
from scrapers.parsers.html_page import read_html_page

_GAP = r"[\s\-_]+"
_AND = r"[\s\-_]*(?:and|&|\+)?[\s\-_]*"
AREAS_OF_NEED: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("cognition and learning", re.compile(rf"cognition{_AND}learning|\bc\s*(?:&|and)\s*l\b", re.I)),
    (
        "communication and interaction",
        re.compile(rf"communication{_AND}interaction|\bc\s*(?:&|and)\s*i\b|\bslcn\b", re.I),
    ),
    (
        "social, emotional and mental health",
        re.compile(rf"social[\s,\-_]*emotional{_AND}mental{_GAP}health|\bsemh\b", re.I),
    ),
    (
        "sensory and/or physical",
        re.compile(
            rf"sensory[\s\-_]*(?:and[\s\-_]*/?[\s\-_]*or|and|&|or)?[\s\-_]*physical|physical{_AND}sensory"
            r"|\bs\s*(?:&|and)\s*p\b",
            re.I,
        ),
    ),
)
PHASES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("early years", re.compile(rf"early{_GAP}years|\beyfs\b", re.I)),
    ("school age", re.compile(rf"school{_GAP}age|\bprimary\b|\bsecondary\b|key{_GAP}stage|\bks\s*[1-5]\b", re.I)),
)
_SEE = r"what\s+(?:(?:you|might|may|could|can|will|do)\s+){1,3}(?:see|notice|observe)\b"
_TRY = r"what\s+(?:(?:you|might|may|could|can|should|to)\s+){0,3}try\b"
_LABELS = (("see", re.compile(rf"^{_SEE}[\s?:.!–-]*", re.I)), ("try", re.compile(rf"^{_TRY}[\s?:.!–-]*", re.I)))
_PART_NAMES = {"see": "What you might see", "try": "What you can try"}
_OAG_PATH = re.compile(r"/online-ordinarily-available-guidance/|ordinarily-available", re.I)
# Words that, with an area of need or a phase, make a heading structural rather than a topic.
_FILLER = frozenset(
    "and the for of in to section ordinarily available guidance oag area areas need needs phase".split()
)


def is_oag_page(url: str, html: str) -> bool:
    """Whether a page is OAG: by its path, or by having both "What you might see" and "What you can try"."""
    if _OAG_PATH.search(urlparse(url).path):
        return True
    text = re.sub(r"<[^>]+>", " ", html)
    return bool(re.search(_SEE, text, re.I) and re.search(_TRY, text, re.I))


def match_area(text: str) -> str | None:
    """The normalised area of need named in ``text`` ("SEMH", "C&L", URL slugs …), if any."""
    return next((name for name, pattern in AREAS_OF_NEED if pattern.search(text)), None)


def match_phase(text: str) -> str | None:
    """The normalised phase ("early years" or "school age") named in ``text``, if any."""
    return next((name for name, pattern in PHASES if pattern.search(text)), None)


@dataclass
class _Topic:
    start: int  # index of the first label block
    context: tuple[str, ...]  # headings above the labels, outermost first
    parts: dict[str, list[str]] = field(default_factory=dict)


def _label(block: Block) -> tuple[str, str] | None:
    """("see" | "try", the text after the label) when ``block`` is a part label."""
    first_line, _, rest = block.text.partition("\n")
    for kind, pattern in _LABELS:
        match = pattern.match(first_line)
        if match:
            return kind, "\n".join(part for part in (first_line[match.end() :].strip(), rest) if part)
    return None


def _find_topics(blocks: Sequence[Block]) -> tuple[list[_Topic], set[int]]:
    """Topics (runs of part labels and their content) and the indexes of the blocks they consume."""
    topics: list[_Topic] = []
    consumed: set[int] = set()
    stack: list[Block] = []
    index = 0
    while index < len(blocks):
        block = blocks[index]
        if _label(block) is None:
            if block.level:
                while stack and stack[-1].level >= block.level:
                    stack.pop()
                stack.append(block)
            index += 1
            continue
        topic = _Topic(index, tuple(heading.text for heading in stack))
        while index < len(blocks) and (label := _label(blocks[index])) and label[0] not in topic.parts:
            level = blocks[index].level
            lines = [label[1]] if label[1] else []
            consumed.add(index)
            index += 1
            # A part runs to the next label or heading; only a heading label's own sub-headings stay inside it.
            while index < len(blocks) and _label(blocks[index]) is None:
                heading = blocks[index].level
                if heading and (not level or heading <= level):
                    break
                lines.append(blocks[index].text + (":" if heading else ""))
                consumed.add(index)
                index += 1
            topic.parts[label[0]] = lines
        if any(topic.parts.values()):
            topics.append(topic)
    return topics, consumed


def _is_structural(heading: str) -> bool:
    text = heading.lower()
    for _, pattern in (*AREAS_OF_NEED, *PHASES):
        text = pattern.sub(" ", text)
    return all(word in _FILLER for word in re.findall(r"[a-z0-9]+", text))


def _display(value: str) -> str:
    return value[:1].upper() + value[1:]


class OagParser:
    """Parse an Ordinarily Available Guidance page into an ``oag`` document with one section per topic."""

    kind = "oag"

    def parse(self, page: FetchedPage) -> ParsedDocument:
        """Parse ``page``; content outside the topics becomes ordinary sections.

        Raises:
            ParseError: the page has no main content.

        """
        html = read_html_page(page)
        page_context = " ".join((html.title, html.breadcrumbs, urlparse(page.url).path, urlparse(html.url).path))
        page_area, page_phase = match_area(page_context), match_phase(page_context)
        topics, consumed = _find_topics(html.blocks)
        spans: list[tuple[int, Section]] = []
        for topic in topics:
            inner_first = tuple(reversed(topic.context))
            area = next(filter(None, map(match_area, inner_first)), page_area)
            phase = next(filter(None, map(match_phase, inner_first)), page_phase)
            name = next((h for h in inner_first if h != html.title and not _is_structural(h)), html.title)
            text = "\n\n".join(
                f"{_PART_NAMES[kind]}:\n" + "\n".join(lines) for kind, lines in topic.parts.items() if lines
            )
            shown = [_display(value) for value in (area, phase) if value]
            path = (*shown, *([name] if name.lower() not in {s.lower() for s in shown} else []))
            metadata = {
                key: value for key, value in (("area_of_need", area), ("phase", phase), ("topic", name)) if value
            }
            spans.append((topic.start, Section(path, text, metadata)))
        rest = [(index, block) for index, block in enumerate(html.blocks) if index not in consumed]
        for position, section in section_spans([block for _, block in rest], html.title):
            spans.append((rest[position][0], section))
        return ParsedDocument(
            url=html.url,
            title=html.title,
            kind=self.kind,
            sections=tuple(section for _, section in sorted(spans, key=lambda span: span[0])),
            published=html.published,
            language=html.language,
            links=html.links,
        )
