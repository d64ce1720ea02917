"""The `navigator` command end to end on a small source folder, with the real model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from navigator.cli import cli
from navigator.config import get_settings

pytestmark = pytest.mark.model

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "extraction"


@pytest.fixture
def workspace(tmp_path, monkeypatch, e5_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    entries = []
    for name in ("report_with_debris.txt", "strategy_with_tables.txt"):
        shutil.copy(FIXTURES / name, sources / name)
        entries.append({"file": name, "title": name.removesuffix(".txt").replace("_", " ").title(),
                        "publisher": "Widgetshire Council", "published": "2024", "kind": "strategy", "url": None})
    (sources / "manifest.json").write_text(json.dumps({"documents": entries}), encoding="utf-8")
    monkeypatch.setenv("NAVIGATOR_SOURCES_DIR", str(sources))
    monkeypatch.setenv("NAVIGATOR_CORPUS_DIR", str(tmp_path / "corpus"))
    monkeypatch.setenv("NAVIGATOR_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("NAVIGATOR_MODEL_CACHE_DIR", str(e5_path.parent))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_corpus_index_search_round_trip(workspace):
    runner = CliRunner()
    built = runner.invoke(cli, ["corpus", "build"])
    assert built.exit_code == 0, built.output
    assert "Wrote 2 documents" in built.output
    lines = (workspace / "corpus" / "documents.jsonl").read_text(encoding="utf-8").splitlines()
    assert {json.loads(line)["id"] for line in lines} == {"report_with_debris", "strategy_with_tables"}

    indexed = runner.invoke(cli, ["index", "build", "--json"])
    assert indexed.exit_code == 0, indexed.output
    manifest = json.loads(indexed.stdout)
    assert manifest["documents"] == 2 and manifest["chunks"] > 0 and manifest["embedded"] > 0

    again = runner.invoke(cli, ["index", "build", "--json"])
    assert json.loads(again.stdout)["embedded"] == 0  # nothing changed

    found = runner.invoke(cli, ["search", "--json", "-k", "3", "Glossary of terms"])
    assert found.exit_code == 0, found.output
    results = json.loads(found.stdout)["results"]
    assert 1 <= len(results) <= 3
    assert all(r["doc_id"] in {"report_with_debris", "strategy_with_tables"} for r in results)


def test_search_without_index_fails_cleanly(workspace):
    result = CliRunner().invoke(cli, ["search", "EHCP"])
    assert result.exit_code == 1
    assert "navigator index build" in result.output and "Traceback" not in result.output


def test_corpus_build_with_missing_manifest_fails_cleanly(workspace, tmp_path):
    (workspace / "sources" / "manifest.json").unlink()
    result = CliRunner().invoke(cli, ["corpus", "build"])
    assert result.exit_code == 1 and "manifest" in result.output.lower()


def test_eval_retrieval_scores_a_dataset_and_writes_a_run(workspace):
    runner = CliRunner()
    assert runner.invoke(cli, ["corpus", "build"]).exit_code == 0
    assert runner.invoke(cli, ["index", "build"]).exit_code == 0
    dataset = workspace / "set.jsonl"
    items = [
        {"id": "q1", "question": "How long do families wait for speech therapy now?", "lang": "en",
         "audience": "parent", "answerable": True, "source": "report_with_debris.txt",
         "evidence": "Waiting times for speech and language therapy have fallen from 40 weeks to 22 weeks."},
        {"id": "q1-pl", "question": "Jak długo czeka się na terapię mowy?", "lang": "pl", "audience": "parent",
         "answerable": True, "source": "report_with_debris.txt",
         "evidence": "Waiting times for speech and language therapy have fallen from 40 weeks to 22 weeks."},
        {"id": "q2", "question": "What is the phone number?", "lang": "en", "audience": "parent",
         "answerable": False, "source": None, "evidence": None},
    ]
    dataset.write_text("\n".join(json.dumps(i) for i in items), encoding="utf-8")
    out = workspace / "runs"
    result = runner.invoke(cli, ["eval", "retrieval", "--dataset", str(dataset), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["overall"]["n"] == 2  # unanswerable items are not scored for retrieval
    assert summary["by_lang"]["en"]["hit@10"] == 1.0  # a two-document corpus: the passage must be found
    (run,) = out.iterdir()
    assert {p.name for p in run.iterdir()} == {"config.json", "rows.jsonl", "summary.json"}
    assert len((run / "rows.jsonl").read_text(encoding="utf-8").splitlines()) == 2

    gated = runner.invoke(cli, ["eval", "retrieval", "--dataset", str(dataset), "--out", str(out),
                                "--fail-under", "1.01"])
    assert gated.exit_code == 1 and "below" in gated.output
