"""``navigator corpus``: build the corpus from the shipped sources, or scrape a website or directory into it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from navigator.cli.support import handled
from navigator.config import get_settings


@click.group()
def corpus() -> None:
    """Build the corpus from the shipped sources (and, later, scraped pages)."""


@corpus.command("build")
@click.option("--sources", type=click.Path(path_type=Path), help="Folder with manifest.json and .txt files.")
@click.option("--out", type=click.Path(path_type=Path), help="Where to write documents.jsonl.")
def corpus_build(sources: Path | None, out: Path | None) -> None:
    """Clean and section the shipped documents into corpus/documents.jsonl."""
    from navigator.corpus.sources import build_corpus

    settings = get_settings()
    with handled():
        documents = build_corpus(sources or settings.sources_dir, out or settings.documents_path)
    sections = sum(len(d.sections) for d in documents)
    click.echo(f"Wrote {len(documents)} documents ({sections} sections) to {out or settings.documents_path}")


@corpus.command("scrape")
@click.argument("url", required=False)
@click.option("--kind", type=click.Choice(["auto", "local-offer", "oag", "document", "oruk"]), default="auto",
              show_default=True, help="What URL is (with a URL); auto tells pages, OAG pages and documents apart.")
@click.option("--corpus-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Corpus folder whose documents.jsonl is updated (default: the configured one).")
@click.option("--max-pages", type=click.IntRange(1, 100_000), default=None, help="Page budget per source.")
@click.option("--delay", type=click.FloatRange(0, 60), default=None, help="Seconds between requests to a host.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def corpus_scrape(url: str | None, kind: str, corpus_dir: Path | None, max_pages: int | None, delay: float | None,
                  as_json: bool) -> None:
    """Crawl the sources in scrapers/sources.toml (or one URL) into the corpus; then run `navigator index build`."""
    from dataclasses import replace

    from scrapers.run import scrape_source
    from scrapers.sources import load_sources, source_for_url

    settings = get_settings()
    target = corpus_dir or settings.corpus_dir
    with handled():
        if url:
            sources = [source_for_url(url, kind, max_pages=max_pages, delay_seconds=delay)]  # type: ignore[arg-type]
        else:
            given: dict[str, Any] = {"max_pages": max_pages, "delay_seconds": delay}
            overrides = {k: v for k, v in given.items() if v is not None}
            sources = [replace(s, limits=replace(s.limits, **overrides)) if overrides else s
                       for s in load_sources() if s.enabled]
        reports = []
        for source in sources:
            bar = _crawl_bar(source.name, source.limits.max_pages)
            try:
                reports.append(scrape_source(source, target, progress=bar))
            finally:
                bar.close()
    if as_json:
        click.echo(json.dumps({"sources": [r.to_json() for r in reports]}, indent=2, ensure_ascii=False))
    else:
        for r in reports:
            click.echo(f"{r.source}: fetched {r.fetched}, changed {len(r.changed)}, unchanged {r.unchanged}, "
                       f"removed {len(r.removed)}, failed {len(r.failed)}, skipped {r.skipped} "
                       f"({r.documents} documents, {r.seconds:.1f} s)")
            for failed_url, reason in sorted(r.failed.items()):
                click.echo(f"  failed {failed_url}: {reason}")
            for doc_id in r.removed:
                click.echo(f"  removed {doc_id}: {r.removed_why.get(doc_id, '')}")
    if any(r.changed or r.removed for r in reports):
        click.echo("The corpus changed: run `navigator index build` to index it.", err=True)


@corpus.command("remove-source")
@click.argument("name")
@click.option("--corpus-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Corpus folder (default: NAVIGATOR_CORPUS_DIR).")
def corpus_remove_source(name: str, corpus_dir: Path | None) -> None:
    """Remove every document scraped by source NAME, and its crawl state (nothing else is touched)."""
    from scrapers.run import remove_source

    target = corpus_dir or get_settings().corpus_dir
    with handled():
        removed = remove_source(name, target)
    click.echo(f"Removed {len(removed)} documents of source {name!r} from {target / 'documents.jsonl'}.")
    if removed:
        click.echo("The corpus changed: run `navigator index build` to index it.", err=True)


def _crawl_bar(label: str, budget: int) -> Any:
    """A progress bar over pages handled; its total grows as links are discovered."""
    from tqdm import tqdm

    bar = tqdm(total=1, desc=label, unit="url", file=sys.stderr, dynamic_ncols=True, leave=True)

    def update(progress: Any) -> None:
        bar.total = max(bar.total, progress.handled + progress.queued)
        bar.n = progress.handled
        bar.set_postfix(fetched=f"{progress.pages_fetched}/{budget}", refresh=False)
        bar.refresh()

    update.close = bar.close  # type: ignore[attr-defined]
    return update
