"""Crawl speed on a generated 200-page fixture site served on loopback: first run, and an unchanged re-run.

The crawl uses the default limits (concurrency 2, retries, size cap) with the politeness delay set to 0. The
first run fetches every page; the re-run sends conditional requests and gets only 304s. A third figure re-runs
with ``<lastmod>`` in the sitemap, where the crawler need not ask at all. Medians over ``--rounds`` rounds.
Writes benchmarks/results/scrape_speed.json and prints it.

    python benchmarks/scrape_speed.py [--pages 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from fixture_site import FixturePage, FixtureSite, html_page  # noqa: E402

from scrapers.base import CrawlLimits, FetchedPage, SourceConfig  # noqa: E402
from scrapers.crawler import Crawler, CrawlResult  # noqa: E402
from scrapers.state import CrawlState  # noqa: E402

PARAGRAPH = (
    "<p>Families can ask the council for an Education, Health and Care needs assessment when a child's "
    "special educational needs cannot be met through SEN support alone. The council decides within six weeks "
    "whether to assess, and the whole process should take no more than twenty weeks.</p>"
)


def generate_pages(count: int, *, with_lastmod: bool) -> dict[str, FixturePage]:
    """``count`` interlinked pages of about 4 kB: each links to the home page and to four others."""
    pages: dict[str, FixturePage] = {}
    for i in range(count):
        path = "/" if i == 0 else f"/pages/page-{i}.html"
        targets = {(i + 1) % count, (i + 2) % count, (i * 7 + 3) % count, (i * 13 + 5) % count, 0} - {i}
        links = "".join(
            f'<li><a href="{"/" if t == 0 else f"/pages/page-{t}.html"}">Page {t}</a></li>' for t in targets
        )
        body = f"<main><h1>Page {i}</h1>{PARAGRAPH * 8}<h2>Related</h2><ul>{links}</ul></main>"
        page = html_page(f"Page {i}", body, sitemap="pages", lastmod="2025-01-01" if with_lastmod else None)
        pages[path] = page
    return pages


def parse_seconds(pages: list[FetchedPage]) -> float | None:
    """Seconds to parse ``pages`` with the parser ``--kind auto`` picks for each (as `corpus scrape` does)."""
    from scrapers.parsers.detect import parser_for

    if not pages:
        return None
    started = time.perf_counter()
    for page in pages:
        parser_for("auto", page).parse(page)
    return time.perf_counter() - started


def crawl_once(source: SourceConfig, state: CrawlState) -> CrawlResult:
    return Crawler(source, state).run()


def measure(pages: int, rounds: int) -> dict[str, object]:
    first_s, rerun_s, lastmod_rerun_s, first_rate, parse_ms = [], [], [], [], []
    fetched = rerun_fetched = lastmod_fetched = 0
    for with_lastmod in (False, True):
        site = FixtureSite(generate_pages(pages, with_lastmod=with_lastmod)).start()
        try:
            limits = replace(CrawlLimits(), delay_seconds=0.0)
            source = SourceConfig(name="bench", start_url=site.url("/"), limits=limits)
            for _ in range(rounds):
                state = CrawlState()
                first = crawl_once(source, state)
                assert len(first.changed) == pages and not first.failed, first.to_json()
                rerun = crawl_once(source, state)
                assert rerun.changed == [] and len(rerun.unchanged) == pages, rerun.to_json()
                if with_lastmod:
                    lastmod_rerun_s.append(rerun.timing.seconds)
                    lastmod_fetched = rerun.timing.pages_fetched
                    continue
                first_s.append(first.timing.seconds)
                first_rate.append(first.timing.pages_per_second)
                rerun_s.append(rerun.timing.seconds)
                fetched, rerun_fetched = first.timing.pages_fetched, rerun.timing.pages_fetched
                seconds = parse_seconds(first.changed)
                if seconds is not None:
                    parse_ms.append(1000 * seconds / len(first.changed))
        finally:
            site.stop()
    first_median, rerun_median = statistics.median(first_s), statistics.median(rerun_s)
    return {
        "pages": pages,
        "rounds": rounds,
        "limits": {"delay_seconds": 0.0, "concurrency": CrawlLimits().concurrency},
        "first_run_s": round(first_median, 3),
        "first_run_pages_per_s": round(statistics.median(first_rate), 1),
        "first_run_pages_fetched": fetched,
        "rerun_304_s": round(rerun_median, 3),
        "rerun_304_pages_fetched": rerun_fetched,
        "rerun_to_first_ratio": round(rerun_median / first_median, 3),
        "rerun_with_sitemap_lastmod_s": round(statistics.median(lastmod_rerun_s), 3),
        "rerun_with_sitemap_lastmod_pages_fetched": lastmod_fetched,
        "rerun_with_sitemap_lastmod_ratio": round(statistics.median(lastmod_rerun_s) / first_median, 3),
        "parse_ms_per_page": round(statistics.median(parse_ms), 2) if parse_ms else None,
        "runs_s": {"first": [round(s, 3) for s in first_s], "rerun_304": [round(s, 3) for s in rerun_s]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/scrape_speed.json")
    args = parser.parse_args()
    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "crawl": measure(args.pages, args.rounds),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
