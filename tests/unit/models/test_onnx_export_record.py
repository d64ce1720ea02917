"""Which ONNX export records count: complete, checked, and of the current version (with token states)."""

from __future__ import annotations

import json

from navigator.models.onnx_runtime import EXPORT_VERSION, read_export_record


def _export(folder, **record):
    (folder / "onnx").mkdir(parents=True)
    (folder / "onnx" / "model.onnx").write_bytes(b"x" * 10)
    base = {"version": EXPORT_VERSION, "token_states": True, "bytes": 10}
    base |= {"min_cosine": 1.0, "min_token_cosine": 0.99999}
    (folder / "onnx" / "export.json").write_text(json.dumps(base | record), encoding="utf-8")
    return folder


def test_onnx_export_record_current_version_counts(tmp_path):
    assert read_export_record(_export(tmp_path / "states"))["version"] == EXPORT_VERSION
    plain = read_export_record(_export(tmp_path / "plain", token_states=False, min_token_cosine=None))
    assert plain is not None and not plain["token_states"]


def test_onnx_export_record_without_token_states_is_made_again(tmp_path):
    assert read_export_record(_export(tmp_path / "v1", version=1)) is None
    assert read_export_record(_export(tmp_path / "weak", min_token_cosine=0.9)) is None
    assert read_export_record(_export(tmp_path / "cut", bytes=11)) is None
