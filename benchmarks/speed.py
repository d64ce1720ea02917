"""Speed on this machine: search and chat latency, index build times and the server's peak memory.

Warm /api/search and /api/chat latency are set against the bare query embedding measured in the same run
(the chat store writes to a temporary database): e5's embedding of the question, and for English questions
also the English companion's when one is configured, since the server computes both. English and other
questions are reported apart as well as together. Then a full index build, rebuilds after one document
changed, and the server's peak memory. Writes benchmarks/results/speed.json.

    python benchmarks/speed.py [--rounds 3] [--build-runs 1] [--skip-build | --rebuild-only]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from langchain_core.embeddings import Embeddings  # noqa: E402

from evals.datasets import load_dataset  # noqa: E402
from navigator import assembly  # noqa: E402
from navigator.config import Settings, get_settings  # noqa: E402
from navigator.corpus.documents import Section, hash_sections, load_documents  # noqa: E402
from navigator.languages.word_translations import load_word_translations  # noqa: E402
from navigator.retrieval.companion import EnglishModel  # noqa: E402
from navigator.retrieval.index_build import build_index  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def translated_words(settings: Settings) -> Callable[[str, str], str] | None:
    """The English words a question in another language stands for, as the searcher reads them (None: not read)."""
    if not (settings.retrieval.expand_glossary and settings.retrieval.translate_words):
        return None
    words = load_word_translations()
    return lambda text, lang: " ".join(words.english_words(text, lang))


def measure_search(questions: list[tuple[str, str]], rounds: int, embedder: Embeddings,
                   english: Embeddings | None, translate: Callable[[str, str], str] | None = None) -> dict:
    """Per round: embed every question bare, then send every question to a live server; medians over rounds.

    The bare embedding is every model run a turn needs: e5's, and the English companion's of an English question
    or of the English words (``translate``) another language's question stands for.
    """
    port = free_port()
    database = Path(tempfile.mkdtemp()) / "bench.sqlite3"
    server = subprocess.Popen(
        [sys.executable, "-m", "navigator.cli", "serve", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        # The per-client rate limit would turn a latency run into a 429 test.
        env=os.environ | {"PYTHONUNBUFFERED": "1", "NAVIGATOR_DATABASE_PATH": str(database),
                          "NAVIGATOR_RATE_LIMIT_PER_MINUTE": "0"},
    )
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(timeout=30) as client:
            for _ in range(600):
                try:
                    if client.get(f"{base}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
            else:
                raise RuntimeError("server did not become ready")
            for q, _ in questions[:10]:  # warm-up
                client.post(f"{base}/api/search", json={"query": q + " warm", "k": 10})
                client.post(f"{base}/api/chat", json={"message": q + " warm up"})
                embedder.embed_query(q + " warm")
                if english is not None:
                    english.embed_query(q + " warm")
            rounds_out = []
            for r in range(rounds):
                times: dict[str, list[tuple[str, float]]] = {"bare": [], "bare_all": [], "search": [], "chat": []}
                for q, lang in questions:
                    text = f"{q} ({r})"  # a new text each round: no query-vector cache hits
                    t = time.perf_counter()
                    embedder.embed_query(text)
                    e5_ms = (time.perf_counter() - t) * 1000
                    times["bare"].append((lang, e5_ms))
                    companion_text = text if lang == "en" else translate(text, lang) if translate else ""
                    if english is not None and companion_text:
                        t = time.perf_counter()
                        english.embed_query(companion_text)
                        e5_ms += (time.perf_counter() - t) * 1000
                    times["bare_all"].append((lang, e5_ms))
                    t = time.perf_counter()
                    response = client.post(f"{base}/api/search", json={"query": text, "k": 10})
                    times["search"].append((lang, (time.perf_counter() - t) * 1000))
                    response.raise_for_status()
                    t = time.perf_counter()
                    response = client.post(f"{base}/api/chat", json={"message": f"{q} [{r}]"})
                    times["chat"].append((lang, (time.perf_counter() - t) * 1000))
                    response.raise_for_status()
                row = {}
                for group, keep in (("", lambda lang: True), ("en_", lambda lang: lang == "en"),
                                    ("other_", lambda lang: lang != "en")):
                    for name, pairs in times.items():
                        values = [ms for lang, ms in pairs if keep(lang)]
                        row[f"{group}{name}_p50"] = statistics.median(values)
                        row[f"{group}{name}_p95"] = percentile(values, 0.95)
                    row[f"{group}chat_p99"] = percentile([ms for lang, ms in times["chat"] if keep(lang)], 0.99)
                rounds_out.append(row)
        status = Path(f"/proc/{server.pid}/status").read_text()
        peak_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))
    finally:
        server.terminate()
        server.wait(timeout=30)
    result = {k: round(statistics.median(r[k] for r in rounds_out), 2) for k in rounds_out[0]}
    for group in ("", "en_", "other_"):
        result[f"{group}ratio_p50"] = round(result[f"{group}search_p50"] / result[f"{group}bare_all_p50"], 3)
        result[f"{group}chat_ratio_p50"] = round(result[f"{group}chat_p50"] / result[f"{group}bare_all_p50"], 3)
    result["english_model"] = english.model_id if english is not None else None
    result["rounds"] = rounds
    result["questions"] = len(questions)
    result["server_peak_rss_mb"] = round(peak_kb / 1024, 1)
    return result


def measure_builds(build_runs: int, rebuild_only: bool = False) -> dict:
    """Full build from nothing, then rebuilds after one document changed (a sentence appended).

    ``rebuild_only`` starts the rebuilds from a copy of the configured index instead of a full build.
    """
    import shutil

    from navigator.retrieval.index_store import read_manifest

    settings = get_settings()
    documents = load_documents(settings.documents_path)
    embedder = assembly.embedder(settings)
    english = None
    if settings.english_model:
        english = EnglishModel(settings.english_model, assembly.english_embedder(settings))
    params = {"model_id": settings.embedding_model, "max_words": settings.chunking.max_words,
              "overlap_sentences": settings.chunking.overlap_sentences,
              "batch_size": settings.embedding_batch_size, "english_model": english}
    full: list[float] = []
    rebuild, embedded = [], []
    with tempfile.TemporaryDirectory() as tmp:
        if rebuild_only:
            target = Path(tmp) / "index"
            shutil.copytree(settings.index_dir, target)
            manifest = read_manifest(target)
        for run in range(0 if rebuild_only else build_runs):
            target = Path(tmp) / f"index-{run}"
            t = time.perf_counter()
            manifest = build_index(documents, embedder, target, **params)
            full.append(time.perf_counter() - t)
        changed_docs = list(documents)
        for run in range(3):
            doc = changed_docs[0]
            sections = list(doc.sections)
            sections[-1] = Section(sections[-1].heading_path, sections[-1].text + f" This sentence was added ({run}).")
            changed_docs[0] = replace(doc, sections=tuple(sections), content_hash=hash_sections(sections))
            t = time.perf_counter()
            m = build_index(changed_docs, embedder, target, **params)
            rebuild.append(time.perf_counter() - t)
            embedded.append(m.embedded)
    return {
        "chunks": manifest.chunks, "sentences": manifest.sentences, "english_model": settings.english_model or None,
        "full_build_s": round(statistics.median(full), 1) if full else None, "full_build_runs": len(full),
        "one_document_rebuild_s": round(statistics.median(rebuild), 2), "rebuild_runs": 3,
        "rebuild_texts_embedded": embedded,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=ROOT.parent / "shared/evals/dev.jsonl")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--build-runs", type=int, default=1)
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--rebuild-only", action="store_true", help="time rebuilds from a copy of the index")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/speed.json")
    args = parser.parse_args()
    settings = get_settings()
    questions = [(i["question"], i["lang"]) for i in load_dataset(args.dataset)]
    embedder = assembly.embedder(settings)
    english = assembly.english_embedder(settings) if settings.english_model else None
    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "search": measure_search(questions, args.rounds, embedder, english, translated_words(settings)),
    }
    print(json.dumps(report["search"], indent=2))
    if not args.skip_build:
        report["build"] = measure_builds(args.build_runs, args.rebuild_only)
        print(json.dumps(report["build"], indent=2))
    elif args.out.exists():  # keep the build figures of the last run that measured them
        previous = json.loads(args.out.read_text(encoding="utf-8"))
        if "build" in previous:
            report["build"] = previous["build"] | {"measured_in_earlier_run": True}
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
