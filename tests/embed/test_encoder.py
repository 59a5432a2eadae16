"""The encoder protocol, model names and ids, and what is (not) imported before a model is asked for."""
from __future__ import annotations

import builtins
import inspect
import subprocess
import sys
import typing

import numpy as np
import pytest

from relate.config import EmbedConfig
from relate.embed import (
    DEFAULT_MODEL_NAMES,
    BackendUnavailable,
    Encoder,
    TextEncoder,
    model_id,
    resolve_model,
)


def _has_members(obj, protocol) -> bool:
    """Whether ``obj`` has every member of ``protocol``, looked up without running a property."""
    members = _members(protocol)
    return all(_static(obj, m) for m in members)


def _members(protocol) -> set[str]:
    return {m for m in vars(protocol) if not m.startswith("_")} | set(typing.get_type_hints(protocol))


def _static(obj, name: str) -> bool:
    try:
        inspect.getattr_static(obj, name)
    except AttributeError:
        return False
    return True


def test_the_hash_encoder_and_the_real_one_are_text_encoders(hash_encoder):
    assert _members(TextEncoder) == {"id", "dim", "encode"}
    assert _has_members(hash_encoder, TextEncoder)
    enc = Encoder(EmbedConfig())
    assert _has_members(enc, TextEncoder) and enc._model is None  # nothing loaded to check this
    assert not _has_members(object(), TextEncoder)
    vecs = hash_encoder.encode(["Azure outage", "bakery"])
    assert vecs.shape == (2, hash_encoder.dim) and vecs.dtype == np.float32


def test_model_id_names_what_changes_the_vectors():
    assert model_id(EmbedConfig()) == "all-MiniLM-L6-v2|onnx|128"
    for name in DEFAULT_MODEL_NAMES:
        assert model_id(EmbedConfig(model=name, backend="torch")) == "all-MiniLM-L6-v2|torch|128"
    assert model_id(EmbedConfig(model="/models/my-model", backend="onnx-int8", max_seq_length=64)) == \
        "my-model|onnx-int8|64"
    assert Encoder(EmbedConfig(backend="onnx")).id == "all-MiniLM-L6-v2|onnx|128"


def test_resolve_model(tmp_path):
    assert resolve_model("not/a/folder/anywhere") == "not/a/folder/anywhere"
    assert resolve_model(str(tmp_path)) == str(tmp_path)
    packaged = resolve_model("default")
    assert packaged == resolve_model("all-MiniLM-L6-v2") and packaged != "default"


def test_onnx_backend_without_onnxruntime_names_the_install(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "onnxruntime":
            raise ImportError("No module named 'onnxruntime'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(BackendUnavailable, match=r"pip install onnxruntime onnx.*embed.backend: torch"):
        _ = Encoder(EmbedConfig()).model  # the default backend: a clear error naming the way out


@pytest.mark.process
def test_importing_relate_embed_loads_no_model_library():
    code = ("import sys, relate.embed, relate.text, relate.index, relate.lexical, relate.rank; "
            "print(sorted(m for m in ('torch', 'sentence_transformers', 'onnxruntime', 'transformers', 'faiss', "
            "'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_default_backend_is_the_one_the_docs_name():
    """docs/scale.md marks one row of its backends table "(default)": the config's default."""
    import re
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "scale.md").read_text(encoding="utf-8")
    marked = re.findall(r"^\| `([a-z0-9-]+)` \(default\) \|", docs, flags=re.MULTILINE)
    assert marked == [EmbedConfig().backend] == ["onnx"]
    assert EmbedConfig().backend in EmbedConfig.__dataclass_fields__["backend"].metadata["choices"]
    assert "onnx (the default" in EmbedConfig.__dataclass_fields__["backend"].metadata["help"]


@pytest.mark.parametrize("backend", ["onnx", "torch"])
def test_a_model_that_is_not_on_disk_is_named_with_what_to_set(tmp_path, backend):
    """Every backend says which ``embed.model`` it could not find and that relate needs a local
    folder (the ONNX one, the default, used to surface the hub library's "Repo id must be in
    the form ..." as "cannot save encoded vectors")."""
    from relate.errors import WorkspaceError

    missing = str(tmp_path / "models" / "all-mpnet-base-v2")
    encoder = Encoder(EmbedConfig(model=missing, backend=backend), cache_folder=tmp_path / "cache")
    with pytest.raises(WorkspaceError, match=r"cannot load model .*all-mpnet-base-v2.*no such folder.*embed\.model"):
        encoder.encode(["a text"])
