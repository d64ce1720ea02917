"""The ONNX Runtime backend gives PyTorch's vectors, refuses an export that does not, and is chosen by settings."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from tiny_model import write_tiny_model

from navigator.assembly import embedder, reusable_embeddings
from navigator.config import Settings
from navigator.errors import ModelError
from navigator.models import onnx_export
from navigator.models.e5_small import E5_SMALL_NAME
from navigator.models.mpnet import MPNET_NAME, install_mpnet
from navigator.models.onnx_export import export_onnx, exported_embedder
from navigator.models.onnx_runtime import MIN_COSINE, OnnxEmbedder, onnx_path, read_export_record
from navigator.models.torch_runtime import SentenceTransformerEmbedder
from navigator.retrieval.vectors import QueryVectorCache

QUESTIONS = [
    "How long does an EHC needs assessment take?",
    "میرے بیٹے کو دوپہر کے کھانے پر گھر بھیج دیا جاتا ہے، کیا یہ جائز ہے؟",
    "ਮੇਰੇ ਪੁੱਤਰ ਲਈ ਸਕੂਲ ਵਿੱਚ ਕਿਹੜੀ ਮਦਦ ਹੈ?",
    "আমার মেয়ের জন্য EHC পরিকল্পনা কীভাবে পাব?",
    "ما هي خدمة SENDIASS في برمنغهام؟",
    "Ilmahaygu wuxuu u baahan yahay qorshaha EHC",
    "Czy moje dziecko może dostać wsparcie SEN w szkole?",
    "Copilul meu are nevoie de sprijin la școală",
    "زما زوی په ښوونځي کې مرسته ته اړتیا لري",
    "我的孩子在学校需要什么帮助？",
    "کوڕەکەم پێویستی بە یارمەتی هەیە لە قوتابخانە",
]
# Longer than both models' token limits (512 and 384): truncation must match too.
LONG = " ".join(["The local authority must issue the final EHC plan within 20 weeks of the request."] * 60)


def lowest_cosine(a: list[list[float]], b: list[list[float]]) -> float:
    return float((np.asarray(a) * np.asarray(b)).sum(axis=1).min())


@pytest.mark.parametrize(("pooling", "lower_case"), [("mean", False), ("cls", False), ("mean", True)])
def test_onnx_export_agrees_with_torch_on_a_tiny_model(tmp_path: Path, pooling: str, lower_case: bool) -> None:
    folder = write_tiny_model(tmp_path / "tiny", pooling=pooling, lower_case=lower_case)
    export_onnx(folder)
    record = read_export_record(folder)
    assert record is not None and record["min_cosine"] >= MIN_COSINE
    onnx, torch = OnnxEmbedder("tiny", str(folder)), SentenceTransformerEmbedder("tiny", str(folder))
    texts = ["What is my plan", "the Child needs help at school " * 3, "SEND", "parent council support"]
    assert lowest_cosine(onnx.embed_documents(texts), torch.embed_documents(texts)) >= MIN_COSINE
    assert lowest_cosine([onnx.embed_query(texts[0])], [torch.embed_query(texts[0])]) >= MIN_COSINE
    # The prompts come from the folder: a query and a passage of the same words are embedded differently.
    assert lowest_cosine([onnx.embed_query(texts[0])], [onnx.embed_documents([texts[0]])[0]]) < 0.9999


def test_export_that_disagrees_with_torch_is_refused_and_leaves_no_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_tiny_model(tmp_path / "a", seed=0)
    other = write_tiny_model(tmp_path / "b", seed=1)
    export_onnx(other)
    real_export = onnx_export._export

    def export_the_other_model(model_folder: Path, out: Path, token_states: bool) -> Any:
        reference = real_export(model_folder, out, token_states)
        shutil.copyfile(onnx_path(other), out)  # a graph whose weights are not the folder's
        return reference

    monkeypatch.setattr(onnx_export, "_export", export_the_other_model)
    with pytest.raises(ModelError, match="disagrees with PyTorch"):
        export_onnx(folder)
    assert not (folder / "onnx").exists()
    assert [p.name for p in folder.iterdir() if p.name.startswith(".onnx")] == []


def test_truncated_export_is_not_used(tmp_path: Path) -> None:
    folder = write_tiny_model(tmp_path / "tiny")
    export_onnx(folder)
    data = onnx_path(folder).read_bytes()
    onnx_path(folder).write_bytes(data[: len(data) // 2])
    assert read_export_record(folder) is None
    settings = Settings(embedding_model=str(folder), english_model="")
    assert isinstance(embedder(settings), SentenceTransformerEmbedder)  # auto falls back
    export_onnx(folder)  # exports again
    assert isinstance(embedder(settings), OnnxEmbedder)


def test_backend_is_chosen_by_settings(tmp_path: Path) -> None:
    folder = write_tiny_model(tmp_path / "tiny")
    settings = Settings(embedding_model=str(folder), english_model="", embedding_backend="onnx")
    with pytest.raises(ModelError, match="navigator models install"):
        embedder(settings)
    assert isinstance(embedder(settings.model_copy(update={"embedding_backend": "auto"})),
                      SentenceTransformerEmbedder)
    export_onnx(folder)
    assert isinstance(embedder(settings), OnnxEmbedder)
    assert isinstance(embedder(settings.model_copy(update={"embedding_backend": "torch"})),
                      SentenceTransformerEmbedder)


def test_reload_reuses_a_loaded_model_only_under_the_same_runtime(tmp_path: Path) -> None:
    folder = write_tiny_model(tmp_path / "tiny")
    export_onnx(folder)
    settings = Settings(embedding_model=str(folder), english_model="")
    loaded = embedder(settings)
    current: Any = SimpleNamespace(queries=SimpleNamespace(embeddings=loaded), english_queries=None)
    assert reusable_embeddings(current, settings) == (loaded, None)
    assert reusable_embeddings(current, settings.model_copy(update={"embedding_backend": "torch"})) == (None, None)
    other = write_tiny_model(tmp_path / "other", seed=1)
    assert reusable_embeddings(current, settings.model_copy(update={"embedding_model": str(other)})) == (None, None)


def test_pooling_the_runtime_does_not_implement_is_refused(tmp_path: Path) -> None:
    folder = write_tiny_model(tmp_path / "tiny", pooling="max")  # neither mean nor cls
    with pytest.raises(ModelError, match="torch"):
        export_onnx(folder)
    assert read_export_record(folder) is None


def test_real_models_give_torch_vectors_in_every_language(e5: OnnxEmbedder, e5_path: Path) -> None:
    torch_e5 = SentenceTransformerEmbedder(E5_SMALL_NAME, str(e5_path))
    texts = [*QUESTIONS, LONG]
    assert lowest_cosine(e5.embed_documents(texts), torch_e5.embed_documents(texts)) >= MIN_COSINE
    assert lowest_cosine([e5.embed_query(q) for q in texts], [torch_e5.embed_query(q) for q in texts]) >= MIN_COSINE
    mpnet_path = install_mpnet(e5_path.parent)
    mpnet = exported_embedder(MPNET_NAME, mpnet_path, token_states=False)
    english = [QUESTIONS[0], LONG, "Who can ask for an EHC needs assessment?"]
    torch_mpnet = SentenceTransformerEmbedder(MPNET_NAME, str(mpnet_path))
    assert lowest_cosine(mpnet.embed_documents(english), torch_mpnet.embed_documents(english)) >= MIN_COSINE
    # Token states only where late interaction uses them: the English companion's graph stays fully fused.
    assert e5.gives_states and not mpnet.gives_states
    assert QueryVectorCache(mpnet).states(english[0]) is None
