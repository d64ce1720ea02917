"""Answer-eval scoring on hand-made cases, summaries with intervals, thresholds, comparison, datasets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evals.answers.compare import compare_runs
from evals.answers.evaluate import Passage, bootstrap_ci, missed_thresholds, parse_thresholds, score_item, summarize
from evals.answers.generate import write_run
from evals.answers.report import render_report
from evals.datasets import append_item, feedback_drafts, validate_dataset
from navigator.testing import make_document

EVIDENCE = "the rolling (annual) average was 55% in March 2024, comfortably above the national average of 49%"
ITEM: dict[str, Any] = {
    "id": "t-1", "question": "Are plans on time?", "lang": "en", "audience": "parent", "answerable": True,
    "answer": "55% within 20 weeks", "source": "sef.txt", "evidence": EVIDENCE, "keywords": ["55%", "20 weeks"],
}
UNANSWERABLE: dict[str, Any] = {
    "id": "t-2", "question": "What is the SENDIASS phone number?", "lang": "en", "audience": "parent",
    "answerable": False, "answer": "not in the documents", "source": None, "evidence": None, "keywords": [],
}


def reply(status: str, citations: list[tuple[str, str]], answer: str = "It was 55% [1]") -> dict[str, Any]:
    return {
        "status": status,
        "answer": answer,
        "citations": [{"n": i, "doc_id": d, "title": "T", "section": "S", "url": None, "quote": q}
                      for i, (d, q) in enumerate(citations, 1)],
    }


def test_score_item_counts_evidence_cut_across_two_chunks() -> None:
    # Chunk boundaries cut the evidence: the second chunk holds 16 of its 18 words in order (over 80%).
    first = Passage("sef", "Plans improved: the rolling (annual) average")
    second = Passage("sef", "average was 55% in March 2024, comfortably above the national average of 49%. More text.")
    row = score_item(ITEM, [Passage("other", "unrelated"), first, second], reply("answered", []), 10.0, "en")
    assert row["scores"]["hit@1"] == 0.0 and row["scores"]["hit@3"] == 1.0
    assert row["scores"]["mrr@10"] == pytest.approx(1 / 3)


def test_score_item_ignores_tags_left_in_table_cells() -> None:
    item = dict(ITEM, evidence="Partner survey<br />| 27<br>")
    row = score_item(item, [Passage("sef", "Events | How Many Attended\nPartner survey | 27")],
                     reply("answered", []), 1.0, "en")
    assert row["scores"]["hit@1"] == 1.0


def test_score_item_unanswerable_item_answered_is_a_failure() -> None:
    row = score_item(UNANSWERABLE, [], reply("answered", [("sef", "SENDIASS gives advice.")]), 1.0, "en")
    assert row["scores"]["abstention"] == 0.0
    assert row["scores"]["citation_precision"] == 0.0
    assert row["scores"]["hit@5"] is None and row["scores"]["false_decline"] is None
    declined = score_item(UNANSWERABLE, [], reply("not_found", [], "I could not find…"), 1.0, "en")
    assert declined["scores"]["abstention"] == 1.0 and declined["scores"]["citation_precision"] is None


def test_score_item_right_document_wrong_passage_is_not_precise() -> None:
    wrong_passage = reply("answered", [("sef", "Plans are issued by the local authority.")])
    assert score_item(ITEM, [], wrong_passage, 1.0, "en")["scores"]["citation_precision"] == 0.0
    one_wrong_document = reply("answered", [("sef", EVIDENCE), ("other", "text")])
    assert score_item(ITEM, [], one_wrong_document, 1.0, "en")["scores"]["citation_precision"] == 0.0
    right = reply("answered", [("sef", f"In short, {EVIDENCE}.")])
    assert score_item(ITEM, [], right, 1.0, "en")["scores"]["citation_precision"] == 1.0


def test_score_item_keyword_recall_language_and_decline() -> None:
    row = score_item(ITEM, [], reply("answered", [], "Plans: 55% were on time [1]"), 1.0, "ur")
    assert row["scores"]["keyword_recall"] == 0.5
    assert row["scores"]["answer_language"] == 0.0
    declined = score_item(ITEM, [], reply("not_found", [], "…"), 1.0, "en")
    assert declined["scores"]["false_decline"] == 1.0 and declined["scores"]["keyword_recall"] is None


def _rows(n: int, hits: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        item = dict(ITEM, id=f"i{i}", lang="en" if i % 2 else "ur")
        retrieved = [Passage("sef", EVIDENCE)] if i < hits else [Passage("other", "x")]
        rows.append(score_item(item, retrieved, reply("answered", [("sef", EVIDENCE)]), float(i), "en"))
    return rows


def test_summarize_slices_and_intervals() -> None:
    rows = _rows(20, 10)
    summary = summarize(rows)
    assert summary["overall"]["hit@5"] == 0.5 and summary["overall"]["n"] == 20
    assert set(summary["by_lang"]) == {"en", "ur"} and set(summary) >= {"by_audience", "by_source", "ci95"}
    low, high = summary["ci95"]["overall"]["hit@5"]
    assert 0.2 < low < 0.5 < high < 0.8  # 20 items: a wide interval
    assert summary["overall"]["latency_p50_ms"] == 9.5
    assert bootstrap_ci(rows, "abstention") is None  # no unanswerable items


def test_thresholds_parse_and_report_misses() -> None:
    thresholds = parse_thresholds(["hit@5=0.8", "false_decline=0.1"])
    missed = missed_thresholds({"hit@5": 0.7, "false_decline": 0.2}, thresholds)
    assert missed == ["hit@5 = 0.7 is below 0.8", "false_decline = 0.2 is above 0.1"]
    with pytest.raises(ValueError, match="metric"):
        parse_thresholds(["accuracy=1"])


def test_write_run_and_compare(tmp_path: Path) -> None:
    run_a, _ = write_run(tmp_path, _rows(10, 3), {"datasets": ["d.jsonl"], "started_at": "then"})
    run_b, summary = write_run(tmp_path, _rows(10, 6), {"datasets": ["d.jsonl"], "started_at": "now"})
    assert {p.name for p in run_b.iterdir()} == {"config.json", "rows.jsonl", "summary.json", "report.html"}
    assert json.loads((run_b / "summary.json").read_text())["overall"]["hit@5"] == summary["overall"]["hit@5"] == 0.6
    result = compare_runs(run_a, run_b)
    assert result["overall"]["hit@5"] == {"a": 0.3, "b": 0.6, "delta": 0.3, "better": True}
    assert sorted(e["id"] for e in result["items"]["better"] if e["outcome"] == "hit@5") == ["i3", "i4", "i5"]
    assert result["items"]["worse"] == []


def test_report_is_self_contained_and_escapes_text() -> None:
    rows = _rows(4, 1)
    rows[0]["question"] = "<script>alert(1)</script>"
    html = render_report(summarize(rows), rows, {"datasets": ["d"], "started_at": "now"})
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "http://" not in html and "https://" not in html  # no external assets
    assert html.count("data:image/png;base64,") == 2
    assert "evidence not in the top 5" in html


@pytest.fixture
def corpus() -> list[Any]:
    return [make_document("sef", "SEF", [(["Timeliness"], f"Good news: {EVIDENCE}. More.")])]


def test_validate_dataset_reports_bad_items(tmp_path: Path, corpus: list[Any]) -> None:
    path = tmp_path / "set.jsonl"
    lines = [
        json.dumps(ITEM),
        json.dumps(dict(ITEM, id="t-1")),  # duplicate id
        json.dumps(dict(ITEM, id="t-3", evidence="words that are nowhere in the document at all")),
        json.dumps(dict(ITEM, id="t-4", lang="xx", source="missing.txt")),
        "{not json",
        json.dumps(UNANSWERABLE),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items, problems = validate_dataset(path, corpus)
    assert [i["id"] for i in items] == ["t-1", "t-2"]
    text = [str(p) for p in problems]
    assert any("line 2 (t-1): duplicate id" in t for t in text)
    assert any("line 3 (t-3): evidence not found in sef.txt" in t for t in text)
    assert any("unknown lang 'xx'" in t for t in text) and any("missing.txt" in t for t in text)
    assert any("line 5" in t and "not a JSON object" in t for t in text)


def test_append_item_validates_before_writing(tmp_path: Path, corpus: list[Any]) -> None:
    path = tmp_path / "mine.jsonl"
    append_item(path, ITEM, corpus)
    with pytest.raises(ValueError, match="duplicate id"):
        append_item(path, ITEM, corpus)
    with pytest.raises(ValueError, match="evidence not found"):
        append_item(path, dict(ITEM, id="new", evidence="not in the text at all, really not"), corpus)
    assert path.read_text(encoding="utf-8").count("\n") == 1


def test_feedback_drafts_only_from_not_useful_feedback() -> None:
    rows = [
        {"id": 1, "useful": True, "question": "q1", "language": "en", "status": "answered", "citations": []},
        {"id": 2, "useful": False, "question": "q2", "language": "ur", "status": "answered",
         "citations": [{"doc_id": "sef"}], "comment": "wrong date"},
    ]
    drafts = feedback_drafts(rows)
    assert [d["id"] for d in drafts] == ["feedback-2"]
    assert drafts[0]["lang"] == "ur" and "wrong date" in drafts[0]["review_note"] and "sef" in drafts[0]["review_note"]
