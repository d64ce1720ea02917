"""`navigator corpus scrape` against the fixture site: corpus written, re-runs incremental, index picks it up."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fixture_site import OAG_PATH, FixturePage, FixtureSite

from navigator.cli import cli
from navigator.config import get_settings
from navigator.corpus.documents import load_documents
from navigator.corpus.sources import SCRAPED_MARK
from navigator.models.e5_small import E5_SMALL_NAME
from navigator.retrieval.index_build import build_index


def scrape(site: FixtureSite, corpus: Path, *extra: str, path: str = "/") -> dict[str, Any]:
    result = CliRunner().invoke(
        cli, ["corpus", "scrape", site.url(path), "--corpus-dir", str(corpus), "--delay", "0", "--json", *extra]
    )
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.stdout)["sources"]
    return report


def by_url(corpus: Path) -> dict[str, Any]:
    return {d.url: d for d in load_documents(corpus / "documents.jsonl")}


@pytest.fixture
def site() -> Any:
    site = FixtureSite(slow_seconds=0.1).start()
    site.failures.clear()  # retries are the crawler tests' business; keep these runs quick
    yield site
    site.stop()


def test_scrape_writes_documents_of_every_kind(site: FixtureSite, tmp_path: Path) -> None:
    report = scrape(site, tmp_path)
    docs = by_url(tmp_path)
    assert report["failed"].keys() >= {site.url("/loop/a"), site.url("/missing.html")}
    assert len(report["changed"]) == len(docs) == report["documents"]
    home = docs[site.url("/")]
    assert home.kind == "local-offer" and home.extra[SCRAPED_MARK] == site.url("/").split("/")[2].split(":")[0] + "/"
    text = "\n".join(s.text for s in home.sections)
    assert "cookie" not in text.lower() and home.etag
    oag = docs[site.url(OAG_PATH)]
    assert oag.kind == "oag"
    assert any(s.metadata.get("area_of_need") == "cognition and learning" for s in oag.sections)
    assert any("What you might see" in s.text and "What you can try" in s.text for s in oag.sections)
    pdf = docs[site.url("/documents/strategy.pdf")]
    assert [s.metadata.get("page") for s in pdf.sections if s.metadata.get("page")] and "Annual reviews" in "\n".join(
        s.text for s in pdf.sections
    )
    assert site.url("/documents/guide.docx") in docs
    assert site.url("/private/secret.html") not in docs and not site.requested("/private/secret.html")


def test_scrape_rerun_is_incremental_and_removes_gone_pages(site: FixtureSite, tmp_path: Path) -> None:
    scrape(site, tmp_path)
    before = by_url(tmp_path)
    site.clear_log()

    again = scrape(site, tmp_path)
    assert again["changed"] == [] and again["removed"] == []
    html_requests = [r for r in site.requests if r.path in {"/", "/plain.html", "/latin1.html"}]
    assert html_requests and all(r.status == 304 and r.if_none_match for r in html_requests)
    assert (tmp_path / "documents.jsonl").exists() and by_url(tmp_path).keys() == before.keys()

    site.update("/plain.html", "<html><head><title>SEN support</title></head><body><h1>SEN support</h1>"
                "<p>Schools now review SEN support every term.</p></body></html>", lastmod="2025-06-01")
    changed = scrape(site, tmp_path)
    plain = by_url(tmp_path)[site.url("/plain.html")]
    assert changed["changed"] == [plain.id]
    assert "every term" in plain.sections[-1].text or any("every term" in s.text for s in plain.sections)

    site.pages["/plain.html"] = FixturePage(b"gone", status=404)
    removed = scrape(site, tmp_path)
    assert removed["removed"] == [plain.id]
    assert site.url("/plain.html") not in by_url(tmp_path)


def test_scrape_killed_half_way_leaves_corpus_and_state_as_they_were(site: FixtureSite, tmp_path: Path) -> None:
    scrape(site, tmp_path)
    corpus = tmp_path / "documents.jsonl"
    (state,) = (tmp_path / "scrape-state").glob("*.json")  # the one source's own state
    before = (corpus.read_bytes(), state.read_bytes())
    site.update("/plain.html", "<h1>Changed</h1><p>New text for the page.</p>", lastmod="2025-09-09")
    site.delays["/slow.html"] = 30.0  # the run is still crawling when it is killed
    process = subprocess.Popen(
        [sys.executable, "-m", "navigator.cli", "corpus", "scrape", site.base_url + "/", "--corpus-dir",
         str(tmp_path), "--delay", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not site.requested("/slow.html") and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert site.requested("/plain.html")[-1].status == 200  # the changed page had been fetched …
    assert (corpus.read_bytes(), state.read_bytes()) == before  # … but nothing was half-written
    assert not list(tmp_path.glob(".documents.jsonl.*"))


def test_scrape_oruk_endpoint_and_corpus_build_keeps_scraped(site: FixtureSite, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(cli, ["corpus", "scrape", site.url("/oruk"), "--kind", "oruk",
                                      "--corpus-dir", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    services = [d for d in load_documents(tmp_path / "documents.jsonl") if d.kind == "directory-service"]
    assert len(services) == 3 and all(d.title for d in services)

    sources = Path(__file__).resolve().parents[2] / "corpus" / "sources"
    monkeypatch.setenv("NAVIGATOR_SOURCES_DIR", str(sources))
    monkeypatch.setenv("NAVIGATOR_CORPUS_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        built = CliRunner().invoke(cli, ["corpus", "build"])
    finally:
        get_settings.cache_clear()
    assert built.exit_code == 0, built.output
    kinds = [d.kind for d in load_documents(tmp_path / "documents.jsonl")]
    assert kinds.count("directory-service") == 3 and "strategy" in kinds


def owners(corpus: Path) -> Counter[str]:
    return Counter(str(d.extra.get(SCRAPED_MARK)) for d in load_documents(corpus / "documents.jsonl"))


def test_scrape_keeps_a_website_its_section_and_a_directory_on_one_host_apart(
    site: FixtureSite, tmp_path: Path
) -> None:
    website = scrape(site, tmp_path)
    section = scrape(site, tmp_path, path=OAG_PATH)  # one of the website's sections, as a source of its own
    directory = scrape(site, tmp_path, "--kind", "oruk", path="/oruk")
    names = {website["source"], section["source"], directory["source"]}
    counts = owners(tmp_path)
    assert len(names) == 3 and all(counts[name] > 0 for name in names), counts
    assert section["removed"] == [] and directory["removed"] == []
    assert counts[directory["source"]] == 3

    again = scrape(site, tmp_path)  # the website once more: the other two sources' documents stay
    assert again["removed"] == [] and owners(tmp_path) == counts

    site.oruk.pop()  # a service leaves the directory: only that one document goes, and the report says why
    fewer = scrape(site, tmp_path, "--kind", "oruk", path="/oruk")
    assert len(fewer["removed"]) == 1 and "directory" in fewer["removed_why"][fewer["removed"][0]]
    assert owners(tmp_path) == counts - Counter({directory["source"]: 1})

    removed = CliRunner().invoke(cli, ["corpus", "remove-source", section["source"], "--corpus-dir", str(tmp_path)])
    assert removed.exit_code == 0, removed.output
    assert f"Removed {counts[section['source']]} documents" in removed.output
    left = owners(tmp_path)
    assert section["source"] not in left and left[website["source"]] == counts[website["source"]]
    unknown = CliRunner().invoke(cli, ["corpus", "remove-source", "nowhere", "--corpus-dir", str(tmp_path)])
    assert unknown.exit_code == 1 and website["source"] in unknown.output


@pytest.mark.model
def test_scrape_then_index_reembeds_only_the_changed_page(site: FixtureSite, tmp_path: Path, e5: Any) -> None:
    scrape(site, tmp_path)
    index = tmp_path / "index"
    params = {"model_id": E5_SMALL_NAME, "max_words": 160, "overlap_sentences": 1}
    first = build_index(load_documents(tmp_path / "documents.jsonl"), e5, index, **params)
    site.update("/plain.html", "<html><body><h1>SEN support</h1><p>A brand new sentence about SEN support plans.</p>"
                "</body></html>", lastmod="2025-08-08")
    scrape(site, tmp_path)
    second = build_index(load_documents(tmp_path / "documents.jsonl"), e5, index, **params)
    assert first.embedded > 10 and 0 < second.embedded <= 4
