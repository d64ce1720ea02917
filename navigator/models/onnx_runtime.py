"""A sentence-transformers folder run by ONNX Runtime, behind LangChain's ``Embeddings`` interface.

Same vectors as ``SentenceTransformerEmbedder`` (the export is checked at cosine >= 0.9999, see
``onnx_export``), two to four times faster for one query on CPU. Its memory also stays flat whatever input
lengths arrive, where PyTorch's grew with each new length (``benchmarks/memory_shapes.py``).
Tokenising, prompts, pooling and normalising follow the folder's sentence-transformers files; a folder whose
pooling this class does not implement is refused, so it is used with PyTorch instead.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from navigator.errors import ModelError
from navigator.languages.matching import clause_spans
from navigator.models.base import TokenStates, unit_rows

logger = logging.getLogger(__name__)

ONNX_DIR = "onnx"
ONNX_FILE = "model.onnx"
EXPORT_RECORD = "export.json"
MIN_COSINE = 0.9999
MIN_TOKEN_COSINE = 0.999  # single token states differ a little more than their pooled mean
TOKEN_STATES = "token_states"
EXPORT_VERSION = 2  # 2: the graph also outputs token_states; version-1 exports are made again


def onnx_path(model_folder: Path) -> Path:
    """Where the export of ``model_folder`` lives."""
    return Path(model_folder) / ONNX_DIR / ONNX_FILE


def read_export_record(model_folder: Path) -> dict[str, Any] | None:
    """The record of a completed, checked export, or None when there is none (or it is incomplete)."""
    folder = Path(model_folder) / ONNX_DIR
    try:
        record = json.loads((folder / EXPORT_RECORD).read_text(encoding="utf-8"))
        size = (folder / ONNX_FILE).stat().st_size
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("bytes") != size or record.get("min_cosine", 0) < MIN_COSINE:
        return None
    if record.get("version") != EXPORT_VERSION:
        return None
    if record.get("token_states") and record.get("min_token_cosine", 0) < MIN_TOKEN_COSINE:
        return None
    return record


_POOLING_MODES = {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls"}


@dataclass(frozen=True)
class _Runtime:
    session: Any
    tokenizer: Any
    prompts: dict[str, str]
    pooling: str
    normalise: bool
    pad_id: int
    lowercase: bool  # sentence-transformers' do_lower_case
    has_states: bool  # the export also outputs token states (exports before version 2 do not)


def token_batches(lengths: Sequence[int], max_texts: int, max_tokens: int) -> list[range]:
    """Consecutive runs of texts, each at most ``max_texts`` long and ``max_tokens`` once padded to its longest.

    Long passages go a few at a time: a run's memory grows with texts x tokens, and ONNX Runtime keeps the
    largest run's buffers. Capping tokens per run embeds the longest passages in about the same time at about half
    the memory (docs/benchmarks.md). Short sentences still go 32 at a time. Callers sort by length, so padding stays
    small.
    """
    runs: list[range] = []
    start, longest = 0, 0
    for i, n in enumerate(lengths):
        wider = max(longest, n)
        if i > start and ((i - start + 1) * wider > max_tokens or i - start >= max_texts):
            runs.append(range(start, i))
            start, wider = i, n
        longest = wider
    if lengths:
        runs.append(range(start, len(lengths)))
    return runs


class OnnxEmbedder(Embeddings):
    """Embeds with ``onnx/model.onnx`` of a model folder; loaded on first use.

    Args:
        model_id: the configured model name (the cache key of its vectors).
        model_path: the sentence-transformers folder holding the export.
        batch_size: passages per run.
        onnx_file: another export to load (the exporter checks a new one before moving it into place).
        max_batch_tokens: most tokens (texts x longest text) in one run.

    """

    def __init__(
        self,
        model_id: str,
        model_path: str,
        batch_size: int = 32,
        onnx_file: Path | None = None,
        max_batch_tokens: int = 3072,
    ) -> None:
        self.model_id = model_id
        self.model_path = model_path
        self.batch_size = batch_size
        self._onnx_file = Path(onnx_file) if onnx_file else onnx_path(Path(model_path))
        self._lock = threading.Lock()
        self.max_batch_tokens = max_batch_tokens
        self._runtime: _Runtime | None = None

    @property
    def gives_states(self) -> bool:
        """Whether the export outputs token states (only the main model's does)."""
        return self._load().has_states

    def _load(self) -> _Runtime:
        with self._lock:
            if self._runtime is None:
                self._runtime = self._open()
                logger.info("loaded embedding model %s with ONNX Runtime", self.model_id)
            return self._runtime

    def _open(self) -> _Runtime:
        folder = Path(self.model_path)
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ModelError(f"ONNX Runtime is not installed ({exc}); run `pip install onnxruntime`.") from exc
        try:
            modules = _read_json(folder / "modules.json", [])
            pooling = _pooling_mode(folder, modules)
            st_config = _read_json(folder / "sentence_bert_config.json", {})
            max_length = int(st_config.get("max_seq_length", 512))
            prompts = _read_json(folder / "config_sentence_transformers.json", {}).get("prompts", {}) or {}
            tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
            pad_token = _pad_token(folder)
            pad_id = tokenizer.token_to_id(pad_token)
            if pad_id is None:
                raise ModelError(f"{folder}: the tokenizer has no padding token {pad_token!r}")
            tokenizer.enable_truncation(max_length)
            tokenizer.no_padding()  # padded per run, to the run's longest text
            options = ort.SessionOptions()
            options.intra_op_num_threads = 0  # one per core
            options.inter_op_num_threads = 1
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            # Idle threads must sleep, not spin: two models (and BM25, FAISS) share two cores, and a spinning
            # pool of one model slowed the other badly (docs/benchmarks.md, "Speed").
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            session = ort.InferenceSession(str(self._onnx_file), options, providers=["CPUExecutionProvider"])
        except ModelError:
            raise
        except Exception as exc:  # ONNX Runtime and tokenizers raise their own types
            raise ModelError(
                f"Cannot load the ONNX export of {self.model_path!r}: {exc}. Run `navigator models install` "
                "(it exports the model again) or set NAVIGATOR_EMBEDDING_BACKEND=torch."
            ) from exc
        normalise = any(m.get("type", "").endswith(".Normalize") for m in modules)
        prompt_texts = {k: str(v) for k, v in prompts.items()}
        lowercase = bool(st_config.get("do_lower_case", False))
        has_states = TOKEN_STATES in [o.name for o in session.get_outputs()]
        return _Runtime(session, tokenizer, prompt_texts, pooling, normalise, pad_id, lowercase, has_states)

    def embed_raw(self, texts: list[str]) -> np.ndarray:
        """Vectors of ``texts`` as given (no prompt added), in runs of similar length (see ``token_batches``)."""
        rt = self._load()
        runs = self._runs(self._encode(texts))
        out = [_pool(hidden, mask, rt.pooling, rt.normalise) for _, hidden, _, mask in runs]
        if not out:
            return np.zeros((0, 0), dtype=np.float32)
        return np.concatenate(out).astype(np.float32)

    def raw_token_states(self, texts: list[str]) -> list[np.ndarray]:
        """Every token's second-to-last-layer state of ``texts`` as given (special tokens included), float32.

        Raises:
            ModelError: the export predates token states (run `navigator models install`).

        """
        return self._token_states(self._encode(texts))

    def token_states(self, texts: list[str], prompt_name: str) -> list[TokenStates]:
        """Token states of ``texts`` with the model's ``prompt_name`` prompt, without special or prompt tokens."""
        prompt = self._load().prompts.get(prompt_name, "")
        encodings = self._encode([prompt + t for t in texts])
        raw = self._token_states(encodings)
        return [_text_states(e, states, len(prompt)) for e, states in zip(encodings, raw, strict=True)]

    def token_spans(self, texts: list[str], prompt_name: str) -> list[list[tuple[int, int]]]:
        """Where in each text the tokens ``token_states`` keeps for it lie (character start and end, in order).

        Lets a caller find the stored states of a part of a passage (one sentence) without running the model.
        """
        prompt = self._load().prompts.get(prompt_name, "")
        spans = []
        for encoding in self._encode([prompt + t for t in texts]):
            ends = np.array([end for _, end in encoding.offsets])
            keep = ~np.asarray(encoding.special_tokens_mask, dtype=bool) & (ends > len(prompt))
            offsets = [o for o, kept in zip(encoding.offsets, keep, strict=True) if kept]
            spans.append([(max(0, a - len(prompt)), b - len(prompt)) for a, b in offsets])
        return spans

    def query_with_states(self, text: str) -> tuple[list[float], TokenStates]:
        """The query vector and the query's token states, from one run of the model.

        Raises:
            ModelError: the export predates token states (run `navigator models install`).

        """
        vector, states, _ = self._query_run(text, need_states=True, clauses=False)
        assert states is not None  # need_states raises first
        return vector, states

    def query_with_clauses(self, text: str) -> tuple[list[float], TokenStates | None, np.ndarray]:
        """The query vector, its token states (when the export has them) and its clauses' vectors, from one run.

        A clause's vector pools the last layer over the clause's own tokens (with the prompt and special tokens),
        so that "my husband hits the children, what should I do?" can be judged by its first clause too, without
        embedding it again. No rows when the message is one clause or the model pools its first token.
        """
        return self._query_run(text, need_states=self._load().has_states, clauses=True)

    def _query_run(
        self, text: str, *, need_states: bool, clauses: bool
    ) -> tuple[list[float], TokenStates | None, np.ndarray]:
        """One run of the model on the query: its vector, and its token states and clauses' vectors when asked."""
        rt = self._load()
        prompt = rt.prompts.get("query", "")
        encodings = self._encode([prompt + text])
        ((_, hidden, tokens, mask),) = list(self._runs(encodings, need_states=need_states))
        vector = _pool(hidden, mask, rt.pooling, rt.normalise)[0]
        states = _text_states(encodings[0], tokens[0], len(prompt)) if tokens is not None else None
        rows = _NO_ROWS
        if clauses and rt.pooling != "cls":
            rows = _clause_vectors(encodings[0], hidden[0], len(prompt), text)
        return vector.tolist(), states, rows

    def _encode(self, texts: list[str]) -> list[Any]:
        """Token ids of ``texts``, lower-cased first when the model's sentence-transformers config says so."""
        rt = self._load()
        prepared = [t.strip().lower() if rt.lowercase else t.strip() for t in texts]
        encodings: list[Any] = rt.tokenizer.encode_batch(prepared)
        return encodings

    def _token_states(self, encodings: list[Any]) -> list[np.ndarray]:
        states: dict[int, np.ndarray] = {}
        for run, _, tokens, _ in self._runs(encodings, need_states=True):
            assert tokens is not None  # need_states raises first
            for row, i in enumerate(run):
                states[i] = tokens[row, : len(encodings[i].ids)].astype(np.float32)
        return [states[i] for i in range(len(encodings))]

    def _runs(
        self, encodings: list[Any], need_states: bool = False
    ) -> Iterator[tuple[range, np.ndarray, np.ndarray | None, np.ndarray]]:
        """For each run of similar-length texts: its indices, last hidden states, token states and mask."""
        rt = self._load()
        if need_states and not rt.has_states:
            raise ModelError(
                f"The ONNX export of {self.model_path!r} has no token states (it predates them). "
                "Run `navigator models install` to export the model again."
            )
        for run in token_batches([len(e.ids) for e in encodings], self.batch_size, self.max_batch_tokens):
            longest = max(len(encodings[i].ids) for i in run)
            ids = np.full((len(run), longest), rt.pad_id, dtype=np.int64)
            mask = np.zeros((len(run), longest), dtype=np.int64)
            for row, i in enumerate(run):
                ids[row, : len(encodings[i].ids)] = encodings[i].ids
                mask[row, : len(encodings[i].ids)] = 1
            outputs = rt.session.run(None, {"input_ids": ids, "attention_mask": mask})
            yield run, outputs[0], (outputs[1] if rt.has_states else None), mask

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Passage embeddings (with the model's passage prompt)."""
        prompt = self._load().prompts.get("passage", "")
        vectors: list[list[float]] = self.embed_raw([prompt + t for t in texts]).tolist()
        return vectors

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Query embeddings of several texts in batched runs (with the model's query prompt), one row each."""
        prompt = self._load().prompts.get("query", "")
        return self.embed_raw([prompt + t for t in texts])

    def embed_query(self, text: str) -> list[float]:
        """Query embedding (with the model's query prompt)."""
        prompt = self._load().prompts.get("query", "")
        vectors: list[list[float]] = self.embed_raw([prompt + text]).tolist()
        return vectors[0]


_NO_ROWS = np.zeros((0, 0), dtype=np.float32)


def _clause_vectors(encoding: Any, hidden: np.ndarray, prompt_chars: int, text: str) -> np.ndarray:
    """Unit-length mean-pooled vectors of the text's clauses (split at punctuation), one row each."""
    spans = clause_spans(text)
    if len(spans) < 2:
        return _NO_ROWS
    special = np.asarray(encoding.special_tokens_mask, dtype=bool)
    offsets = [(a - prompt_chars, b - prompt_chars) for a, b in encoding.offsets]
    frame = [i for i, (_, b) in enumerate(offsets) if special[i] or b <= 0]  # the prompt and [CLS]/[SEP]
    rows = []
    for a, b in spans:
        own = [i for i, (x, y) in enumerate(offsets) if not special[i] and y > 0 and x >= a and y <= b]
        if len(own) < 2:
            continue
        pooled = hidden[frame + own].mean(axis=0)
        rows.append(pooled / max(float(np.linalg.norm(pooled)), 1e-12))
    return np.asarray(rows, dtype=np.float32) if rows else _NO_ROWS


def _text_states(encoding: Any, states: np.ndarray, prompt_chars: int) -> TokenStates:
    """The states of the text's own tokens: not special, and ending after the prompt's characters."""
    ends = np.array([end for _, end in encoding.offsets])
    keep = ~np.asarray(encoding.special_tokens_mask, dtype=bool) & (ends > prompt_chars)
    return TokenStates(unit_rows(states[keep]), np.asarray(encoding.ids, dtype=np.int32)[keep])


def _pool(hidden: np.ndarray, mask: np.ndarray, mode: str, normalise: bool) -> np.ndarray:
    if mode == "cls":
        pooled = hidden[:, 0, :]
    else:
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    if normalise:
        pooled = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    return pooled.astype(np.float32)


def _read_json(path: Path, default: Any) -> Any:
    if not path.exists():
        return default
    return json.loads(path.read_text(encoding="utf-8"))


def _pooling_mode(folder: Path, modules: list[dict[str, Any]]) -> str:
    """``mean`` or ``cls`` from the folder's pooling module; anything else is refused."""
    pooling = next((m for m in modules if m.get("type", "").endswith(".Pooling")), None)
    if pooling is None:
        raise ModelError(f"{folder} has no pooling module; use NAVIGATOR_EMBEDDING_BACKEND=torch")
    config = _read_json(folder / pooling.get("path", "") / "config.json", {})
    modes = [name for key, name in _POOLING_MODES.items() if config.get(key)]
    others = [k for k, v in config.items() if k.startswith("pooling_mode_") and v and k not in _POOLING_MODES]
    if len(modes) != 1 or others:
        raise ModelError(f"{folder}: pooling {config} is not supported by ONNX Runtime here; use the torch backend")
    return modes[0]


def _pad_token(folder: Path) -> str:
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        token = _read_json(folder / name, {}).get("pad_token")
        if isinstance(token, dict):
            token = token.get("content")
        if token:
            return str(token)
    return "<pad>"
