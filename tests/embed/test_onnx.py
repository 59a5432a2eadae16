"""The ONNX Runtime backend (relate.embed.onnx): helpers on hand-made inputs, and the real export against PyTorch."""
from __future__ import annotations

import builtins
import json
import os

import numpy as np
import pytest

from relate.embed import BackendUnavailable, require_onnx
from relate.errors import RelateError, WorkspaceError

onnx_backend = pytest.importorskip("relate.embed.onnx")
onnx_model = pytest.importorskip("relate.embed.onnx.model")

HAS_ORT = all(__import__("importlib").util.find_spec(m) is not None for m in ("onnxruntime", "onnx"))
needs_ort = pytest.mark.skipif(not HAS_ORT, reason="onnxruntime/onnx not installed (pip install onnxruntime onnx)")


# ----------------------------------------------------------------------------- no packages
def test_missing_onnxruntime_names_the_install(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "onnxruntime":
            raise ImportError("No module named 'onnxruntime'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(BackendUnavailable, match=r"pip install onnxruntime onnx") as info:
        require_onnx()
    assert isinstance(info.value, ImportError) and isinstance(info.value, RelateError)
    assert "onnxruntime" in str(info.value)


def test_wrong_backend_is_rejected(tmp_path):
    from relate.config import EmbedConfig

    if not HAS_ORT:
        pytest.skip("onnxruntime not installed")
    with pytest.raises(WorkspaceError, match="onnx-int8"):
        onnx_backend.load_onnx_model(tmp_path, EmbedConfig(backend="torch"), tmp_path)


# ----------------------------------------------------------------------------- helpers
def test_mean_cls_and_max_pooling_by_hand():
    hidden = np.array([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]]], dtype=np.float32)
    mask = np.array([[1, 1, 0]])
    assert onnx_model._pool(hidden, mask, "mean").tolist() == [[2.0, 3.0]]
    assert onnx_model._pool(hidden, mask, "cls").tolist() == [[1.0, 2.0]]
    assert onnx_model._pool(hidden, mask, "max").tolist() == [[3.0, 4.0]]
    np.testing.assert_allclose(onnx_model._pool(hidden, mask, "mean_sqrt_len"), [[4 / np.sqrt(2), 6 / np.sqrt(2)]])


def _st_folder(tmp_path, modules, pooling=None):
    (tmp_path / "modules.json").write_text(json.dumps(modules))
    if pooling is not None:
        (tmp_path / "1_Pooling").mkdir()
        (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    (tmp_path / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 77}))
    return tmp_path


def test_sentence_config_is_read(tmp_path):
    folder = _st_folder(tmp_path, [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ], {"word_embedding_dimension": 8, "pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False})
    assert onnx_model._read_sentence_config(folder) == ("cls", True, 77, 8)


def test_unsupported_module_is_a_clear_error(tmp_path):
    folder = _st_folder(tmp_path, [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "2_Dense", "type": "sentence_transformers.models.Dense"},
    ])
    with pytest.raises(WorkspaceError, match="backend: torch"):
        onnx_model._read_sentence_config(folder)


def test_export_folder_changes_with_the_model_files(tmp_path):
    model = tmp_path / "my-model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    first = onnx_backend.export_folder(model, tmp_path / "cache")
    assert first.parent == tmp_path / "cache" / "onnx" and first.name.startswith("my-model-")
    assert onnx_backend.export_folder(model, tmp_path / "cache") == first
    (model / "config.json").write_text('{"changed": 1}')
    assert onnx_backend.export_folder(model, tmp_path / "cache") != first


def test_default_cache_is_under_the_user_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RELATE_CACHE_DIR", str(tmp_path / "c"))
    assert str(onnx_backend.export_folder(tmp_path)).startswith(str(tmp_path / "c" / "onnx"))


def test_isa_tag_from_cpu_flags():
    assert onnx_backend.isa_tag(["sse4_2", "avx2", "fma"], "x86_64") == "avx2"
    assert onnx_backend.isa_tag(["avx2", "avx512f", "avx512_vnni"], "x86_64") == "avx512-vnni"
    assert onnx_backend.isa_tag(["avx2", "avx_vnni"], "x86_64") == "avx-vnni"
    assert onnx_backend.isa_tag(["avx2", "avx512f"], "x86_64") == "avx512"
    assert onnx_backend.isa_tag(["sse2"], "x86_64") == "generic"
    assert onnx_backend.isa_tag([], "aarch64") == "arm64"
    assert [onnx_backend.isa_has_vnni(t) for t in ("avx512-vnni", "avx-vnni", "arm64", "avx512", "avx2")] == \
        [True, True, True, False, False]
    assert onnx_backend.cpu_isa() in ("arm64", "avx512-vnni", "avx-vnni", "avx512", "avx2", "generic")


def test_int8_export_is_cached_per_instruction_set(tmp_path, monkeypatch):
    """The ISA tag is in the int8 file's name; another kind of CPU quantises its own (no model)."""
    from relate.config import EmbedConfig

    if not HAS_ORT:
        pytest.skip("onnxruntime not installed")
    model_dir = tmp_path / "my-model"
    model_dir.mkdir()
    (model_dir / "config.json").write_text("{}")
    cache = tmp_path / "models"
    folder = onnx_backend.export_folder(model_dir, cache)
    folder.mkdir(parents=True)
    (folder / "model.onnx").write_bytes(b"fp32")  # already exported
    made, loaded = [], []

    def fake_quantize(src, dst, reduce_range=None, **_):
        made.append((os.path.basename(dst), reduce_range))
        open(dst, "wb").close()

    monkeypatch.setattr(onnx_model, "quantize_int8", fake_quantize)
    monkeypatch.setattr(onnx_model, "OnnxSentenceModel", lambda target, path, **kw: loaded.append(target.name))
    cfg = EmbedConfig(backend="onnx-int8")
    for isa in ("avx512-vnni", "avx512-vnni", "avx2", "avx512-vnni"):
        monkeypatch.setattr(onnx_model, "cpu_isa", lambda isa=isa: isa)
        onnx_backend.load_onnx_model(model_dir, cfg, cache)
    assert made == [("model_int8-avx512-vnni.onnx", False), ("model_int8-avx2.onnx", True)]
    assert loaded == ["model_int8-avx512-vnni.onnx", "model_int8-avx512-vnni.onnx", "model_int8-avx2.onnx",
                      "model_int8-avx512-vnni.onnx"]
    assert onnx_backend.int8_file(folder, "avx2") == folder / "model_int8-avx2.onnx"


# ----------------------------------------------------------------------------- real model
TEXTS = [
    "Microsoft adds GPU virtual machines to Azure",
    "Azure SQL Database gets a serverless tier. Pay per second for compute.",
    "x",
    ("A much longer text about cloud storage pricing, archive tiers, lifecycle rules and what they "
     "mean for a company keeping petabytes of logs for seven years"),
]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    if not HAS_ORT:
        pytest.skip("onnxruntime not installed")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from relate.config import EmbedConfig
    from relate.embed import Encoder

    cache = tmp_path_factory.mktemp("models")
    torch_vecs = Encoder(EmbedConfig(backend="torch")).encode(TEXTS)
    return cache, torch_vecs


@pytest.mark.model
@needs_ort
def test_onnx_fp32_matches_torch_and_exports_once(exported):
    from relate.config import EmbedConfig
    from relate.embed import Encoder

    cache, torch_vecs = exported
    enc = Encoder(EmbedConfig(backend="onnx"), cache_folder=cache)
    vecs = enc.encode(TEXTS)
    assert vecs.shape == (4, 384) and enc.dim == 384
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, rtol=1e-5)
    assert np.sum(vecs * torch_vecs, axis=1).min() > 0.9999
    (folder,) = list((cache / "onnx").iterdir())
    info = json.loads((folder / "export.json").read_text())
    assert info["fused"].get("Attention") == 6 and info["max_abs_diff"] < 1e-3
    stamp = (folder / "model.onnx").stat().st_mtime_ns
    Encoder(EmbedConfig(backend="onnx"), cache_folder=cache).encode(TEXTS[:1])
    assert (folder / "model.onnx").stat().st_mtime_ns == stamp  # reused, not exported again


@pytest.mark.model
@needs_ort
def test_a_damaged_export_is_made_again(exported, tmp_path, caplog):
    """The export is a cache: one cut short (a run killed while copying a workspace, a full disk)
    is exported again with a warning, not reported as a bug; the vectors are the same."""
    import logging
    import shutil

    from relate.config import EmbedConfig
    from relate.embed import Encoder

    cache, _torch = exported
    Encoder(EmbedConfig(backend="onnx"), cache_folder=cache).encode(TEXTS[:1])    # exported (once per module)
    copy = tmp_path / "models"
    shutil.copytree(cache, copy)
    want = Encoder(EmbedConfig(backend="onnx"), cache_folder=copy).encode(TEXTS)
    (model,) = copy.glob("onnx/*/model.onnx")
    model.write_bytes(model.read_bytes()[:1000])
    with caplog.at_level(logging.WARNING):
        got = Encoder(EmbedConfig(backend="onnx"), cache_folder=copy).encode(TEXTS)
    assert "cannot be read" in caplog.text and model.stat().st_size > 1_000_000
    np.testing.assert_array_equal(got, want)


@pytest.mark.model
@needs_ort
def test_onnx_int8_is_close_and_keeps_input_order(exported):
    from relate.config import EmbedConfig
    from relate.embed import Encoder

    cache, torch_vecs = exported
    enc = Encoder(EmbedConfig(backend="onnx-int8", batch_size=2), cache_folder=cache)
    vecs = enc.encode(TEXTS)
    assert np.sum(vecs * torch_vecs, axis=1).mean() > 0.98
    backwards = enc.encode(TEXTS[::-1])
    np.testing.assert_allclose(backwards[::-1], vecs, atol=1e-5)
    unsorted = enc.model.encode(TEXTS, batch_size=2, normalize_embeddings=True, sort_by_length=False)
    # int8 activations are scaled per batch, so other batches give slightly other vectors
    assert np.sum(unsorted * vecs, axis=1).min() > 0.98
    assert enc.model.encode(TEXTS[0]).shape == (384,)
    assert enc.model.encode([]).shape == (0, 384)
    folder = next((cache / "onnx").iterdir())
    assert (folder / f"model_int8-{onnx_backend.cpu_isa()}.onnx").is_file()


@pytest.mark.model
@needs_ort
def test_max_seq_length_cuts_tokens(exported):
    from relate.config import EmbedConfig
    from relate.embed import Encoder

    cache, _ = exported
    enc = Encoder(EmbedConfig(backend="onnx", max_seq_length=8), cache_folder=cache)
    assert enc.model.max_seq_length == 8
    assert enc.model.tokenize([TEXTS[3]])["input_ids"].shape == (1, 8)


# ----------------------------------------------------------------------------- a model that is not BERT
@pytest.fixture(scope="module")
def tiny_mpnet(tmp_path_factory):
    """A sentence-transformers folder holding a tiny, randomly initialised MPNet (not BERT-family)."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import MPNetConfig, MPNetModel, MPNetTokenizer

    root = tmp_path_factory.mktemp("tiny-mpnet")
    words = sorted({w for t in TEXTS for w in t.lower().replace(",", " ").replace(".", " ").split()})
    tokenizer = MPNetTokenizer(vocab={w: i for i, w in enumerate(["<s>", "<pad>", "</s>", "[UNK]", "<mask>", *words])})
    torch.manual_seed(0)
    model = MPNetModel(MPNetConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2,
                                   num_attention_heads=2, intermediate_size=64, max_position_embeddings=130))
    hf = root / "hf"
    tokenizer.save_pretrained(hf)
    model.save_pretrained(hf)
    st = root / "st"
    SentenceTransformer(modules=[Transformer(str(hf), max_seq_length=128), Pooling(32)], device="cpu").save(str(st))
    return st


@pytest.mark.model
@needs_ort
def test_a_model_that_is_not_bert_exports_without_onnxscript(tiny_mpnet, tmp_path, monkeypatch):
    """``embed.model`` is one line for any model: the default backend exports MPNet with the
    TorchScript exporter (before, it needed onnxscript, which relate does not install, and the
    command stopped with a traceback)."""
    from relate.config import EmbedConfig
    from relate.embed import Encoder

    monkeypatch.setitem(__import__("sys").modules, "onnxscript", None)     # as if not installed
    info = onnx_backend.export_onnx(tiny_mpnet, tmp_path / "m.onnx")
    assert info["exporter"] == "torch.onnx (TorchScript)" and info["max_abs_diff"] <= onnx_backend.EXPORT_TOLERANCE
    onnx_vecs = Encoder(EmbedConfig(model=str(tiny_mpnet), backend="onnx"), cache_folder=tmp_path / "cache").encode(TEXTS)
    torch_vecs = Encoder(EmbedConfig(model=str(tiny_mpnet), backend="torch")).encode(TEXTS)
    assert onnx_vecs.shape == torch_vecs.shape == (len(TEXTS), 32)
    assert np.min(np.sum(onnx_vecs * torch_vecs, axis=1)) > 0.9999
