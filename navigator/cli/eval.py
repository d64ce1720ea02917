"""``navigator eval``: score retrieval and answers on evaluation sets, compare runs, curate datasets."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

import navigator
from navigator.cli.support import handled
from navigator.config import get_settings


def dataset_and_out(default_out: Path) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The ``--dataset`` (repeatable) and ``--out`` options that every scoring command takes."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        command = click.option(
            "--out",
            type=click.Path(path_type=Path),
            default=default_out,
            show_default=True,
            help="Folder for the timestamped run.",
        )(command)
        return click.option(
            "--dataset",
            "datasets",
            multiple=True,
            required=True,
            type=click.Path(exists=True, path_type=Path),
            help="JSONL evaluation set (repeatable).",
        )(command)

    return decorate


SAFEGUARDING_TEST = Path(navigator.__file__).resolve().parents[1] / "evals" / "safeguarding" / "test.jsonl"
"""The test half of the safeguarding set, in the source checkout."""


@click.group("eval")
def eval_group() -> None:
    """Measure quality on an evaluation set."""


@eval_group.command("retrieval")
@dataset_and_out(Path("results/retrieval"))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON instead of a table.")
@click.option("--fail-under", type=float, default=None, help="Exit 1 when overall hit@5 is below this.")
def eval_retrieval(datasets: tuple[Path, ...], out: Path, as_json: bool, fail_under: float | None) -> None:
    """Score hit@1/3/5/10 and MRR@10 by language, audience and document."""
    from evals.retrieval.evaluate import format_table, run_retrieval_eval
    from navigator.assembly import build_searcher

    settings = get_settings()
    with handled():
        searcher = build_searcher(settings)
        summary, run_dir = run_retrieval_eval(searcher, list(datasets), out, settings)
    click.echo(json.dumps(summary, indent=2, ensure_ascii=False) if as_json else format_table(summary))
    click.echo(f"Run written to {run_dir}", err=True)
    if fail_under is not None and summary["overall"]["hit@5"] < fail_under:
        raise click.ClickException(f"hit@5 {summary['overall']['hit@5']:.3f} is below {fail_under}")


@eval_group.command("run")
@dataset_and_out(Path("results/eval"))
@click.option("--api", default=None, help="Evaluate a running server at this URL instead of in process.")
@click.option(
    "--fail-under",
    "fail_under",
    multiple=True,
    metavar="METRIC=VALUE",
    help="Exit 1 when a metric misses this (repeatable; false_decline and latency must stay under).",
)
@click.option("--give-language", is_flag=True, help="Send each item's language with the question (default: detect).")
@click.option(
    "--safeguarding",
    "safeguarding_set",
    type=click.Path(dir_okay=False, path_type=Path),
    default=SAFEGUARDING_TEST,
    show_default=True,
    help="Safeguarding set: disclosures that must be signposted, ordinary messages that must not.",
)
@click.option("--no-safeguarding", is_flag=True, help="Skip the safeguarding set.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON instead of a table.")
def eval_run(
    datasets: tuple[Path, ...],
    out: Path,
    api: str | None,
    fail_under: tuple[str, ...],
    give_language: bool,
    safeguarding_set: Path,
    no_safeguarding: bool,
    as_json: bool,
) -> None:
    """Score retrieval and chat replies on every item, sliced by language, audience and document."""
    from datetime import UTC, datetime

    from evals.answers.evaluate import missed_thresholds, parse_thresholds
    from evals.answers.generate import ApiTarget, InProcessTarget, run_items, write_run
    from evals.datasets import validate_dataset
    from evals.safeguarding.dataset import load_items
    from evals.safeguarding.evaluate import run_safeguarding
    from navigator.corpus.documents import load_documents
    from navigator.languages.detection import LanguageDetector

    try:
        thresholds = parse_thresholds(fail_under)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--fail-under") from exc
    settings = get_settings()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    with handled():
        documents = load_documents(settings.documents_path)
        items: list[dict[str, Any]] = []
        for path in datasets:
            valid, problems = validate_dataset(path, documents)
            for problem in problems:
                click.echo(f"{path}: skipped {problem}", err=True)
            items.extend(valid)
        target = ApiTarget(api) if api else InProcessTarget(settings)
        detector = LanguageDetector()
        rows = run_items(items, target, lambda text: detector.detect(text).lang, give_language=give_language)
        safeguarding_rows = None
        if not no_safeguarding:
            if not safeguarding_set.is_file():
                raise click.ClickException(
                    f"No safeguarding set at {safeguarding_set}: pass --safeguarding PATH, or --no-safeguarding."
                )
            try:
                safeguarding_items = load_items(safeguarding_set)
            except ValueError as exc:
                raise click.ClickException(str(exc)) from exc
            safeguarding_rows = run_safeguarding(safeguarding_items, target.chat, give_language=give_language)
    config = {
        "datasets": [str(p) for p in datasets],
        "safeguarding": None if no_safeguarding else str(safeguarding_set),
        "started_at": started,
        "thresholds": thresholds,
        **target.description,
    }
    run_dir, summary = write_run(out, rows, config, safeguarding_rows)
    click.echo(json.dumps(summary, indent=2) if as_json else format_summary(summary))
    click.echo(f"Run written to {run_dir} (open report.html)", err=True)
    missed = missed_thresholds(summary["overall"], thresholds)
    if missed:
        raise click.ClickException("Thresholds missed: " + "; ".join(missed))


def format_summary(summary: dict[str, Any]) -> str:
    """The overall figures and the per-language and per-audience table."""
    metrics = (
        "hit@5",
        "mrr@10",
        "citation_precision",
        "abstention",
        "false_decline",
        "answer_language",
        "latency_p50_ms",
    )
    header = f"{'slice':<22}{'n':>5}" + "".join(f"{m:>19}" for m in metrics)
    lines = [header, "-" * len(header)]

    def line(name: str, values: dict[str, Any]) -> str:
        cells = "".join(f"{'–' if values.get(m) is None else round(values[m], 3):>19}" for m in metrics)
        return f"{name[:22]:<22}{values.get('n', ''):>5}{cells}"

    lines.append(line("overall", summary["overall"]))
    for key in ("by_lang", "by_audience"):
        lines.append("")
        lines.extend(line(f"{key[3:]}={name}", values) for name, values in summary[key].items())
    guard = summary.get("safeguarding")
    if guard:
        lines.append("")
        lines.append(f"{'safeguarding':<22}{'n':>5}{'recall':>19}{'n':>5}{'false_alarms':>19}")
        for name, values in [("overall", guard["overall"]), *guard["by_lang"].items()]:
            recall, alarms = values["recall"], values["false_alarms"]
            lines.append(
                f"{name[:22]:<22}{values['n_risk']:>5}{'–' if recall is None else round(recall, 3):>19}"
                f"{values['n_none']:>5}{'–' if alarms is None else round(alarms, 3):>19}"
            )
    return "\n".join(lines)


@eval_group.command("compare")
@click.argument("run_a", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("run_b", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the comparison as JSON here (default: RUN_B/compare.json).",
)
def eval_compare(run_a: Path, run_b: Path, out: Path | None) -> None:
    """Show which metrics and which items got better or worse from RUN_A to RUN_B."""
    from evals.answers.compare import compare_runs, format_comparison

    try:
        result = compare_runs(run_a, run_b)
    except (OSError, json.JSONDecodeError, KeyError) as exc:
        raise click.ClickException(f"Not an evaluation run folder: {exc}") from exc
    target = out or run_b / "compare.json"
    target.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    click.echo(format_comparison(result))
    click.echo(f"Written to {target}", err=True)


@eval_group.command("validate")
@click.option("--dataset", "dataset", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def eval_validate(dataset: Path) -> None:
    """Check every item of DATASET (fields, languages, evidence found in the named corpus document)."""
    from evals.datasets import validate_dataset
    from navigator.corpus.documents import load_documents

    with handled():
        documents = load_documents(get_settings().documents_path)
    items, problems = validate_dataset(dataset, documents)
    for problem in problems:
        click.echo(str(problem))
    click.echo(f"{len(items)} valid items, {len(problems)} problems", err=True)
    if problems:
        raise SystemExit(1)


@eval_group.command("add")
@click.option("--dataset", "dataset", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--item", "item_json", required=True, help="The item as one JSON object (format: shared/evals/README.md)."
)
def eval_add(dataset: Path, item_json: str) -> None:
    """Append a validated item to DATASET: the evidence must be in the named corpus document."""
    from evals.datasets import append_item
    from navigator.corpus.documents import load_documents

    try:
        item = json.loads(item_json)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--item") from exc
    with handled():
        documents = load_documents(get_settings().documents_path)
    try:
        append_item(dataset, item, documents)
    except ValueError as exc:
        raise click.ClickException(f"Not added: {exc}") from exc
    click.echo(f"Added {item.get('id')} to {dataset}")
