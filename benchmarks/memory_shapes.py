"""Does memory grow with traffic, or with the input lengths the models have seen? One process, no server.

Embeds every dev question as a query with each configured model (e5, and the English companion when set),
twice, with a new suffix each pass; then inputs of every length from 1 to 129 words; then the dev questions
twice more. Resident memory after each step shows whether growth follows new requests (a leak) or new
input shapes (per-shape kernel and allocator caches, which stop growing once every length has been seen).
Writes benchmarks/results/memory_shapes.json.

    python benchmarks/memory_shapes.py
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evals.datasets import load_dataset  # noqa: E402
from navigator.assembly import embedder, english_embedder  # noqa: E402
from navigator.config import get_settings  # noqa: E402


def rss_mb() -> int:
    """Resident memory of the current process, in MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith("VmRSS"))
    return int(line.split()[1]) // 1024


def main() -> None:
    settings = get_settings()
    models = [embedder(settings)]
    if settings.english_model:
        models.append(english_embedder(settings))
    questions = [i["question"] for i in load_dataset(ROOT.parent / "shared/evals/dev.jsonl")]

    def embed(text: str) -> None:
        for model in models:
            model.embed_query(text)

    embed("warm-up")
    steps = [("models loaded", rss_mb())]
    for n in (1, 2):
        for q in questions:
            embed(f"{q} ({n})")
        steps.append((f"dev questions, pass {n}", rss_mb()))
    words = "the child school plan support parent council needs".split()
    rng = random.Random(0)
    for length in range(1, 130):
        embed(" ".join(rng.choice(words) for _ in range(length)))
    steps.append(("one input of every length, 1-129 words", rss_mb()))
    for n in (3, 4):
        for q in questions:
            embed(f"{q} ({n})")
        steps.append((f"dev questions, pass {n}", rss_mb()))
    for name, mb in steps:
        print(f"{name:<45} {mb:>6} MB")
    out = ROOT / "benchmarks/results/memory_shapes.json"
    out.write_text(json.dumps({"models": [m.model_id for m in models], "steps": steps}, indent=2) + "\n")


if __name__ == "__main__":
    main()
