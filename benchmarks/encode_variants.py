"""The encoder variants ``bench_encode.py`` times: PyTorch, ONNX Runtime on one exported file, and
the ONNX files (raw and fused fp32, int8 forms) they run, written once into a work folder.

``export_timing`` gives the seconds of a first ONNX load of relate's own (export and quantise)
and of a second one (cached).
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np


class TorchVariant:
    """sentence-transformers on PyTorch (fp32)."""

    def __init__(self, model_path: str, threads: int, max_len: int = 128):
        import torch
        from sentence_transformers import SentenceTransformer

        self.threads = threads
        torch.set_num_threads(threads)
        self.model = SentenceTransformer(model_path, device="cpu", local_files_only=True)
        self.model.max_seq_length = max_len

    def encode(self, texts, batch_size=64, sort_by_length=True):
        import torch

        torch.set_num_threads(self.threads)
        if sort_by_length:
            return self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True)
        # unsorted: batches in input order (sentence-transformers sorts only inside each call)
        return np.concatenate([self.model.encode(texts[i:i + batch_size], batch_size=batch_size,
                                                 normalize_embeddings=True, convert_to_numpy=True)
                               for i in range(0, len(texts), batch_size)])


class OnnxVariant:
    """relate's ONNX Runtime model on one exported file."""

    def __init__(self, onnx_path: Path, model_path: str, threads: int, level: str = "all", max_len: int = 128):
        from relate.embed.onnx import OnnxSentenceModel

        self.model = OnnxSentenceModel(onnx_path, model_path, threads=threads, graph_optimization=level,
                                       max_seq_length=max_len)

    def encode(self, texts, batch_size=64, sort_by_length=True):
        return self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                 sort_by_length=sort_by_length)


def prepare_exports(model_path: str, work: Path) -> dict[str, Path]:
    """Writes (once) the ONNX files the variants use: raw and fused fp32, and int8 forms."""
    from relate.embed.onnx import export_onnx, quantize_int8

    work.mkdir(parents=True, exist_ok=True)
    files = {"raw": work / "raw.onnx", "fused": work / "fused.onnx",
             "raw-int8": work / "raw_int8_ffn_fp32.onnx",            # unfused, FFN outputs fp32
             "int8-all": work / "fused_int8_all.onnx",               # every MatMul/Attention int8
             "int8-tensor": work / "fused_int8_per_tensor_ffn_fp32.onnx",
             "int8": work / "fused_int8_ffn_fp32.onnx"}              # relate's default
    if not files["raw"].is_file():
        export_onnx(model_path, files["raw"], fuse=False)
    if not files["fused"].is_file():
        export_onnx(model_path, files["fused"], fuse=True)
    todo = {"raw-int8": ("raw", {}), "int8-all": ("fused", {"exclude": ()}),
            "int8-tensor": ("fused", {"per_channel": False}), "int8": ("fused", {})}
    for name, (src, kw) in todo.items():
        if not files[name].is_file():
            quantize_int8(files[src], files[name], **kw)
    return files


def export_timing(model_path: str, work: Path, backend: str) -> tuple[float, float]:
    """Seconds for a first ``load_onnx_model`` (export + quantise) and for a second one (cached)."""
    import shutil

    from relate.config import EmbedConfig
    from relate.embed.onnx import load_onnx_model

    cache = work / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    cfg = EmbedConfig(backend=backend)
    t0 = time.perf_counter()
    load_onnx_model(model_path, cfg, cache)
    t1 = time.perf_counter()
    load_onnx_model(model_path, cfg, cache)
    return t1 - t0, time.perf_counter() - t1
