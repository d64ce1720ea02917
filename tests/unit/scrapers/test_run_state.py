"""Each scrape source keeps its own crawl state; the old shared file is split on first use."""

from __future__ import annotations

from pathlib import Path

from scrapers.run import load_state, state_path
from scrapers.state import CrawlState, UrlState


def test_sources_get_separate_state_files_even_with_similar_names(tmp_path: Path) -> None:
    names = ["www.example.gov.uk/", "www.example.gov.uk/ (oruk)", "www.example.gov.uk/send/"]
    paths = {state_path(tmp_path, name) for name in names}
    assert len(paths) == 3 and all(p.parent == tmp_path / "scrape-state" for p in paths)


def test_the_old_shared_state_is_split_by_source(tmp_path: Path) -> None:
    shared = CrawlState(
        tmp_path / "scrape-state.json",
        {
            "https://x/a": UrlState(url="https://x/a", source="site", doc_id="a"),
            "https://x/oruk": UrlState(url="https://x/oruk", source="feed", doc_id="f"),
        },
    )
    shared.save()
    site = load_state(tmp_path, "site")
    assert site.urls("site") == ["https://x/a"] and site.urls("feed") == []
    site.save()
    assert CrawlState.load(state_path(tmp_path, "site")).urls("site") == ["https://x/a"]
    assert load_state(tmp_path, "feed").urls("feed") == ["https://x/oruk"]  # still there for the other source
