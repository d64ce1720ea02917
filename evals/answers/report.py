"""The self-contained HTML report of an evaluation run: headline table, charts, and every failure with its cause."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

HEADLINE = ("hit@5", "mrr@10", "answered_with_evidence", "lead_holds_evidence", "citation_precision", "keyword_recall",
            "abstention", "false_decline", "duplicate_quotes", "answer_language", "latency_p50_ms")


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) and value <= 1 else f"{value}"


def _cell(values: Mapping[str, Any], ci: Mapping[str, Any], metric: str) -> str:
    interval = ci.get(metric) if ci else None
    extra = f'<span class="ci">{interval[0]:.2f}–{interval[1]:.2f}</span>' if interval else ""
    return f"<td>{escape(_fmt(values.get(metric)))}{extra}</td>"


def _table(caption: str, slices: Mapping[str, Mapping[str, Any]], cis: Mapping[str, Any]) -> str:
    head = "".join(f'<th scope="col">{escape(m)}</th>' for m in HEADLINE)
    body = []
    for name, values in slices.items():
        cells = "".join(_cell(values, cis.get(name, {}), m) for m in HEADLINE)
        body.append(f'<tr><th scope="row">{escape(name)}</th><td>{values.get("n", "")}</td>{cells}</tr>')
    return (f"<table><caption>{escape(caption)}</caption><thead><tr><th scope=\"col\">slice</th>"
            f"<th scope=\"col\">n</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def _chart(title: str, slices: Mapping[str, Mapping[str, Any]], metrics: Sequence[str]) -> str:
    """A grouped bar chart as an embedded PNG, with a text alternative."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(slices)
    fig, ax = plt.subplots(figsize=(max(6.0, len(names) * 0.7), 3.2), dpi=100)
    width = 0.8 / len(metrics)
    for i, metric in enumerate(metrics):
        values = [slices[n].get(metric) or 0.0 for n in names]
        ax.bar([x + i * width for x in range(len(names))], values, width, label=metric)
    ax.set_xticks([x + width * (len(metrics) - 1) / 2 for x in range(len(names))], names)
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode()
    alt = "; ".join(f"{n}: " + ", ".join(f"{m} {_fmt(slices[n].get(m))}" for m in metrics) for n in names)
    return f'<figure><img src="data:image/png;base64,{data}" alt="{escape(title)}. {escape(alt)}"></figure>'


def failure_reason(row: Mapping[str, Any]) -> str | None:
    """Why a row counts as a failure, or None when it does not."""
    s = row["scores"]
    if not row["answerable"]:
        return None if s["abstention"] else "answered a question the documents cannot answer"
    if s["false_decline"]:
        return "declined a question the documents answer"
    if not s["hit@5"]:
        return "evidence not in the top 5 retrieved passages"
    if s["citation_precision"] == 0:
        return "cited the wrong document or a passage without the evidence"
    if s["answer_language"] == 0:
        return "reply not in the question's language"
    return None


def _failure(row: Mapping[str, Any], reason: str) -> str:
    cites = "".join(
        f"<li>[{c.get('n')}] {escape(str(c.get('doc_id')))} › {escape(str(c.get('section')))}"
        f"<blockquote>{escape(str(c.get('quote', ''))[:600])}</blockquote></li>"
        for c in row["citations"]
    ) or "<li>none</li>"
    retrieved = "".join(
        f"<li>{escape(p['doc_id'])}: {escape(p['text'][:300])}</li>" for p in row.get("retrieved", [])
    ) or "<li>none</li>"
    return (
        f'<article><h3>{escape(str(row["id"]))} <small>({escape(str(row["lang"]))}, '
        f'{escape(str(row["audience"]))})</small>: {escape(reason)}</h3>'
        f"<dl><dt>Question</dt><dd>{escape(str(row['question']))}</dd>"
        f"<dt>Expected answer</dt><dd>{escape(str(row.get('expected_answer') or ''))}</dd>"
        f"<dt>Evidence ({escape(str(row['source']))})</dt><dd>{escape(str(row.get('evidence') or '–'))}</dd>"
        f"<dt>Status</dt><dd>{escape(str(row['status']))}</dd>"
        f"<dt>Reply</dt><dd><pre>{escape(str(row.get('answer') or ''))}</pre></dd>"
        f"<dt>Cited</dt><dd><ul>{cites}</ul></dd>"
        f"<dt>Retrieved (top 5)</dt><dd><ol>{retrieved}</ol></dd></dl></article>"
    )


_STYLE = """body{font-family:system-ui,sans-serif;margin:2rem;max-width:80rem;color:#1b1b1b}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #999;padding:.3rem .5rem;text-align:right}
th[scope=row]{text-align:left}caption{text-align:left;font-weight:bold}.ci{display:block;font-size:.75em;color:#555}
article{border-top:1px solid #ccc;padding:.5rem 0}dt{font-weight:bold}pre{white-space:pre-wrap}
blockquote{margin:.2rem 0 .5rem 1rem;color:#333}img{max-width:100%}"""


def render_report(
    summary: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    config: Mapping[str, Any],
    safeguarding_rows: Sequence[Mapping[str, Any]] = (),
) -> str:
    """The report page (no external assets)."""
    from evals.safeguarding.evaluate import render_safeguarding

    ci = summary.get("ci95", {})
    overall = {"overall": summary["overall"]}
    failures = [(row, reason) for row in rows if (reason := failure_reason(row))]
    datasets = ", ".join(escape(str(d)) for d in config.get("datasets", []))
    parts = [
        f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>SEND Navigator evaluation</title>"
        f"<style>{_STYLE}</style></head><body><main><h1>SEND Navigator evaluation</h1>",
        f"<p>{len(rows)} items from {datasets}; run at {escape(str(config.get('started_at', '')))}. "
        "Intervals under each figure are 95% bootstrap confidence intervals: with 10–20 items a slice, "
        "differences inside them are not evidence of a change.</p>",
        _table("Overall", overall, {"overall": ci.get("overall", {})}),
        _table("By language", summary["by_lang"], ci.get("by_lang", {})),
        _table("By audience", summary["by_audience"], ci.get("by_audience", {})),
        _table("By source document", summary["by_source"], ci.get("by_source", {})),
        render_safeguarding(summary["safeguarding"], safeguarding_rows) if "safeguarding" in summary else "",
        "<h2>Charts</h2>",
        _chart("By language", summary["by_lang"], ("hit@5", "answered_with_evidence", "false_decline")),
        _chart("By audience", summary["by_audience"], ("hit@5", "answered_with_evidence", "false_decline")),
        f"<h2>Failures ({len(failures)})</h2>",
        *(_failure(row, reason) for row, reason in failures),
        "</main></body></html>",
    ]
    return "\n".join(parts)
