"""``navigator index build``, ``search``, ``serve`` and ``start``: build the index, query it, serve the API."""

from __future__ import annotations

import json

import click

from navigator.cli.support import handled, tqdm_progress
from navigator.config import get_settings
from navigator.errors import NavigatorError


@click.group()
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


@click.command()
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


@click.command()
@click.option("--host", default=None, help="Bind address (default from settings: 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default from settings: 8000).")
def serve(host: str | None, port: int | None) -> None:
    """Serve the HTTP API."""
    import uvicorn

    from navigator.api.app import create_app

    settings = get_settings()
    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port, log_level="info")


@click.command()
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
