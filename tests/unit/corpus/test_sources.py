import json
import re
import shutil
from pathlib import Path

import pytest

from navigator.corpus.documents import Document, hash_sections, load_documents
from navigator.corpus.sources import build_corpus, load_manifest
from navigator.errors import CorpusError

ROOT = Path(__file__).parents[3]
SHIPPED = ROOT / "corpus" / "sources"
FIXTURES = ROOT / "tests" / "fixtures" / "extraction"

SHIPPED_IDS = [
    "birmingham-inclusion-strategy-2023-2028",
    "birmingham-send-ap-sef-spring-2024",
    "change-for-children-young-people-plan-2023-2028-cabinet-report",
    "birmingham-send-inclusion-strategy-2017-2020",
    "ecsc-scrutiny-committee-2022-07-20-agenda-pack",
]


def _entry(file: str, **overrides: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "file": file,
        "title": f"Title of {file}",
        "publisher": "Widgetshire Council",
        "published": "2024",
        "kind": "strategy",
        "url": None,
    }
    entry.update(overrides)
    return entry


def _sources(tmp_path: Path, entries: list[dict[str, object]] | None = None) -> Path:
    sources = tmp_path / "sources"
    sources.mkdir()
    for name in ("report_with_debris.txt", "strategy_with_tables.txt"):
        shutil.copy(FIXTURES / name, sources / name)
    if entries is None:
        entries = [
            _entry("report_with_debris.txt", url="https://example.org/r"),
            _entry("strategy_with_tables.txt"),
        ]
    (sources / "manifest.json").write_text(json.dumps({"documents": entries}), encoding="utf-8")
    return sources


def test_build_corpus_builds_documents_from_the_manifest(tmp_path):
    sources = _sources(tmp_path)
    out = tmp_path / "corpus" / "documents.jsonl"
    documents = build_corpus(sources, out)
    assert [d.id for d in documents] == ["report_with_debris", "strategy_with_tables"]
    report = documents[0]
    assert (report.title, report.url, report.kind, report.publisher) == (
        "Title of report_with_debris.txt",
        "https://example.org/r",
        "strategy",
        "Widgetshire Council",
    )
    assert (report.published, report.fetched_at, report.language) == ("2024", None, "en")
    assert report.content_hash == hash_sections(report.sections)
    assert report.sections[0].heading_path[-1] == "FOREWORD"
    assert load_documents(out) == documents


def test_build_corpus_is_deterministic(tmp_path):
    sources = _sources(tmp_path)
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    build_corpus(sources, first)
    build_corpus(sources, second)
    assert first.read_bytes() == second.read_bytes()


def test_load_manifest_requires_a_manifest(tmp_path):
    with pytest.raises(CorpusError, match=r"No manifest\.json"):
        load_manifest(tmp_path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"items": []}', "'documents' list"),
        ('{"documents": ["x.txt"]}', "not an object"),
        (json.dumps({"documents": [_entry("report_with_debris.txt", title="")]}), "'title'"),
        (json.dumps({"documents": [_entry("report_with_debris.txt", kind="blog")]}), "kind 'blog'"),
        (json.dumps({"documents": [_entry("report_with_debris.txt", url=3)]}), "'url' must be"),
        (json.dumps({"documents": [_entry("../report_with_debris.txt")]}), "plain '.txt' file name"),
        (json.dumps({"documents": [_entry("report_with_debris.txt")] * 2}), "twice"),
        (json.dumps({"documents": [_entry("missing.txt")]}), "'missing.txt', which is not in"),
    ],
)
def test_load_manifest_rejects_malformed_manifests(tmp_path, content, message):
    sources = _sources(tmp_path, entries=[])
    (sources / "manifest.json").write_text(content, encoding="utf-8")
    with pytest.raises(CorpusError, match=message):
        load_manifest(sources)


def test_build_corpus_leaves_existing_output_when_the_manifest_is_bad(tmp_path):
    sources = _sources(tmp_path, entries=[_entry("missing.txt")])
    out = tmp_path / "documents.jsonl"
    out.write_text("previous\n", encoding="utf-8")
    with pytest.raises(CorpusError):
        build_corpus(sources, out)
    assert out.read_text(encoding="utf-8") == "previous\n"


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> list[Document]:
    return build_corpus(SHIPPED, tmp_path_factory.mktemp("corpus") / "documents.jsonl")


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_shipped_corpus_has_every_document(shipped):
    assert [d.id for d in shipped] == SHIPPED_IDS
    assert all(d.language == "en" and d.sections for d in shipped)


def test_shipped_corpus_is_free_of_extraction_debris(shipped):
    for document in shipped:
        for section in document.sections:
            assert section.text.strip(), (document.id, section.heading_path)
            assert all(h.strip() for h in section.heading_path)
            lines = [line.strip() for line in section.text.split("\n")]
            assert "BE BOLD BE BIRMINGHAM" not in lines
            assert not [line for line in lines if len(line) == 1], (document.id, section.heading_path)
            assert not re.search(r"</?(?:p|li|ul|ol|i|u)\b", section.text), (
                document.id,
                section.heading_path,
            )
            assert not re.search(r"^Page \d+ of \d+$", section.text, re.MULTILINE)
            assert "\n\n\n" not in section.text


def test_shipped_corpus_keeps_known_sentences_whole(shipped):
    by_id = {d.id: d for d in shipped}

    def has(doc_id: str, sentence: str) -> bool:
        return any(sentence in _flat(s.text) for s in by_id[doc_id].sections)

    assert has(
        "birmingham-send-ap-sef-spring-2024",
        "The number of plans completed in the 20-week time scale has increased over time and is now "
        "consistently above national averages: the rolling (annual) average was 55% in March 2024, "
        "comfortably above the national average of 49%.",
    )
    assert has(  # broken across a page
        "birmingham-send-ap-sef-spring-2024",
        "KIDS UK run groups in each district which are aimed at our children with SEND with the aim to help "
        "families through the early identification of additional needs.",
    )
    assert has(  # broken across a page, with a footnote in between
        "ecsc-scrutiny-committee-2022-07-20-agenda-pack",
        "However, their health colleagues, Children's Trust colleagues and Educational Psychology service "
        "do not have the additional resources, which has an impact on the timescales.",
    )
    assert has(
        "birmingham-inclusion-strategy-2023-2028",
        "It is the value we place on creating an environment where everyone is welcome and included and "
        "therefore feels that they belong.",
    )
    assert has(  # bold markers dropped
        "birmingham-send-inclusion-strategy-2017-2020",
        "There are currently 27 special schools in the city, and 42 resource bases within mainstream "
        "provision.",
    )
    assert has(  # a tab-separated table row kept as one row
        "birmingham-send-ap-sef-spring-2024",
        "Birmingham | 1,443 | 95.2% | 0.3% | 0.1% | 95.6% | 4.0% | 0.1% | 4.1% | March | 2024",
    )


def test_shipped_corpus_nests_section_headings(shipped):
    sef = next(d for d in shipped if d.id == "birmingham-send-ap-sef-spring-2024")
    paths = {s.heading_path for s in sef.sections}
    assert any(
        p[-2:] == ("Children and young people receive the right help at the right time", "Positive signs")
        and p[0].startswith("POSITIVE IMPACT")
        for p in paths
    )
    strategy = next(d for d in shipped if d.id == "birmingham-send-inclusion-strategy-2017-2020")
    assert ("4. THE STRATEGY FOR SEND AND INCLUSION", "4.2 MISSION") in {
        s.heading_path for s in strategy.sections
    }
    assert not any("CONTENTS" in h for s in strategy.sections for h in s.heading_path)


def _scraped(doc_id: str, source: str | None) -> Document:
    from dataclasses import replace

    from navigator.corpus.sources import SCRAPED_MARK
    from navigator.testing import make_document

    document = make_document(doc_id, doc_id, [(["A"], "text")])
    return replace(document, extra={SCRAPED_MARK: source} if source else {})


def test_merge_source_touches_only_its_own_documents() -> None:
    from navigator.corpus.sources import merge_source

    existing = [_scraped("shipped", None), _scraped("a1", "site"), _scraped("a2", "site"), _scraped("b1", "feed")]
    merged, removed = merge_source(existing, "site", [_scraped("a3", "site")], {"a1"})
    assert [d.id for d in merged] == ["shipped", "a1", "b1", "a3"] and removed == ["a2"]
    whole, removed = merge_source(existing, "feed", [_scraped("b2", "feed")], set())
    assert [d.id for d in whole] == ["shipped", "a1", "a2", "b2"] and removed == ["b1"]
    same_id, removed = merge_source(existing, "site", [_scraped("a1", "site")], set())
    assert [d.id for d in same_id] == ["shipped", "b1", "a1"] and removed == ["a2"]  # a1 replaced, not removed
