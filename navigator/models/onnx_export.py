"""Export a provisioned sentence-transformers folder's transformer to ONNX, checked against PyTorch.

On these 2-core machines ONNX Runtime embeds one short query several times faster than PyTorch
(docs/benchmarks.md, "Speed"), which is most of a search's time. The export runs once, at `navigator models
install`, from the folder's hash-checked weights; it is kept only if ONNX Runtime's embeddings of a set of probe
texts agree with PyTorch's at cosine >= ``MIN_COSINE``, so a faulty export can never silently change what is
retrieved.
The export lives inside the model folder (``onnx/model.onnx``) with a record of the check.

The graph has a second output, ``token_states``: every token's state after the second-to-last layer, which
late-interaction reranking compares token by token (``late_interaction.py``). It comes from the same run, so
it costs a query nothing extra.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from navigator.errors import ModelError
from navigator.models.onnx_runtime import (
    EXPORT_RECORD,
    EXPORT_VERSION,
    MIN_COSINE,
    MIN_TOKEN_COSINE,
    ONNX_DIR,
    ONNX_FILE,
    TOKEN_STATES,
    OnnxEmbedder,
    onnx_path,
    read_export_record,
)
from navigator.models.provenance import dist_version

logger = logging.getLogger(__name__)

OPSET = 17

# Short and long, several scripts, with and without the model's prompts: the shapes a deployment sees.
PROBE_TEXTS = (
    "What is an EHC plan?",
    "میرے بیٹے کو دوپہر کے کھانے پر گھر بھیج دیا جاتا ہے، کیا یہ جائز ہے؟",
    "Czy moje dziecko może dostać wsparcie SEN w szkole?",
    "ما هي خدمة SENDIASS في برمنغهام؟",
    "Ilmahaygu wuxuu u baahan yahay qorshaha EHC",
    "The local authority must issue the final EHC plan within 20 weeks of the request for an assessment. "
    "Schools should follow the graduated approach: assess, plan, do and review, drawing on the Ordinarily "
    "Available Guidance before asking for an EHC needs assessment.",
)


def export_onnx(model_folder: Path, *, force: bool = False, token_states: bool = True) -> Path:
    """Export ``model_folder``'s transformer to ``onnx/model.onnx`` once, and check it (about 10 s).

    ``token_states`` adds the second output. Only the model that late interaction uses needs it: exposing an
    inner layer keeps ONNX Runtime from fusing some of the graph, which makes every query slower
    (docs/benchmarks.md, "Speed").

    The export is written to a temporary folder beside the model and moved into place only after the check, so
    an interrupted or failed export leaves the model usable with PyTorch.

    Raises:
        ModelError: the exporter or ONNX Runtime is not installed, the export fails, or its embeddings disagree
            with PyTorch's.

    """
    model_folder = Path(model_folder)
    target = model_folder / ONNX_DIR
    existing = read_export_record(model_folder)
    if not force and existing is not None and bool(existing.get("token_states")) == token_states:
        return onnx_path(model_folder)
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix=".onnx.export-", dir=model_folder))
    try:
        reference = _export(model_folder, tmp / ONNX_FILE, token_states)
        min_cosine, min_token_cosine = _check(model_folder, tmp / ONNX_FILE, reference, token_states)
        if min_cosine < MIN_COSINE or min_token_cosine < MIN_TOKEN_COSINE:
            raise ModelError(
                f"The ONNX export of {model_folder} disagrees with PyTorch (lowest cosine {min_cosine:.6f}, "
                f"needed {MIN_COSINE}; lowest token-state cosine {min_token_cosine:.6f}, needed "
                f"{MIN_TOKEN_COSINE}). Set NAVIGATOR_EMBEDDING_BACKEND=torch to use PyTorch."
            )
        record = {
            "version": EXPORT_VERSION,
            "token_states": token_states,
            "bytes": (tmp / ONNX_FILE).stat().st_size,
            "min_cosine": round(min_cosine, 7),
            "min_token_cosine": round(min_token_cosine, 7),
            "opset": OPSET,
            "torch": dist_version("torch"),
            "onnxruntime": dist_version("onnxruntime"),
            "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        (tmp / EXPORT_RECORD).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        tmp.chmod(0o755)
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    logger.info(
        "Exported %s to ONNX in %.1fs (lowest probe cosine %.7f).",
        model_folder.name,
        time.perf_counter() - started,
        min_cosine,
    )
    return onnx_path(model_folder)


def _export(model_folder: Path, out: Path, token_states: bool) -> Any:
    """Write the ONNX graph; return the PyTorch sentence-transformers model for the check."""
    try:
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:  # pragma: no cover - both are dependencies
        raise ModelError(f"Exporting to ONNX needs torch and sentence-transformers: {exc}") from exc
    if dist_version("onnx") is None:
        raise ModelError("Exporting to ONNX needs the onnx package: run `pip install onnx`.")
    model = SentenceTransformer(str(model_folder), device="cpu")
    transformer: Any = model[0].auto_model
    transformer.eval()

    class _Hidden(torch.nn.Module):
        """The last hidden state and the second-to-last layer's: pooling and normalising stay in NumPy."""

        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            if not token_states:
                return self.transformer(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            out = self.transformer(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)
            return out.last_hidden_state, out.hidden_states[-2]

    sample = model.preprocess(["query: an example sentence to trace the graph"])
    axes = {
        "input_ids": {0: "batch", 1: "tokens"},
        "attention_mask": {0: "batch", 1: "tokens"},
        "last_hidden_state": {0: "batch", 1: "tokens"},
    }
    outputs = ["last_hidden_state"]
    if token_states:
        axes[TOKEN_STATES] = {0: "batch", 1: "tokens"}
        outputs.append(TOKEN_STATES)
    try:
        # The TorchScript exporter on purpose: the newer one needs onnxscript and gave no faster graph. Its
        # deprecation and tracing warnings are about that choice, not about this model.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _Hidden(),
                (sample["input_ids"], sample["attention_mask"]),
                str(out),
                input_names=["input_ids", "attention_mask"],
                output_names=outputs,
                dynamic_axes=axes,
                opset_version=OPSET,
                dynamo=False,
            )
    except Exception as exc:  # the exporter raises many types
        raise ModelError(f"Could not export {model_folder} to ONNX: {exc}") from exc
    return model


def _check(model_folder: Path, exported: Path, reference: Any, token_states: bool) -> tuple[float, float]:
    """The lowest cosines between PyTorch's and ONNX Runtime's probe embeddings and token states."""
    import torch

    embedder = OnnxEmbedder(model_folder.name, str(model_folder), onnx_file=exported)
    prompts = dict(getattr(reference, "prompts", {}) or {})
    lowest = lowest_token = 1.0
    for prompt in {prompts.get("query", ""), prompts.get("passage", "")}:
        texts = [prompt + t for t in PROBE_TEXTS]
        torch_vectors = reference.encode(texts, normalize_embeddings=True, batch_size=4, show_progress_bar=False)
        onnx_vectors = embedder.embed_raw(texts)
        lowest = min(lowest, float((torch_vectors * onnx_vectors).sum(axis=1).min()))
        if not token_states:
            continue
        for text, states in zip(texts, embedder.raw_token_states(texts), strict=True):
            features = reference.tokenize([text])
            with torch.no_grad():
                out = reference[0].auto_model(
                    input_ids=features["input_ids"],
                    attention_mask=features["attention_mask"],
                    output_hidden_states=True,
                )
            expected = out.hidden_states[-2][0].numpy()
            expected /= np.linalg.norm(expected, axis=1, keepdims=True)
            got = states / np.linalg.norm(states, axis=1, keepdims=True)
            if expected.shape != got.shape:
                return lowest, 0.0
            lowest_token = min(lowest_token, float((expected * got).sum(axis=1).min()))
    return lowest, lowest_token


def exported_embedder(
    model_id: str, model_path: Path, batch_size: int = 32, *, token_states: bool = True
) -> OnnxEmbedder:
    """The embedder of a provisioned folder, exporting it first if `navigator models install` has not."""
    export_onnx(model_path, token_states=token_states)
    return OnnxEmbedder(model_id, str(model_path), batch_size)
