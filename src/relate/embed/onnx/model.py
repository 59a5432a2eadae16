"""Runs an exported sentence-transformers model with ONNX Runtime: :func:`load_onnx_model` and the model it returns.

The object returned by :func:`load_onnx_model` behaves like the parts of a
``SentenceTransformer`` that relate uses: ``encode``, ``max_seq_length`` and
``get_sentence_embedding_dimension``. Like sentence-transformers it sorts texts by length,
batches them, and returns vectors in the caller's order.

Example:
    >>> from relate.config import EmbedConfig
    >>> from relate.embed import resolve_model
    >>> cfg = EmbedConfig(backend="onnx-int8")
    >>> model = load_onnx_model(resolve_model(cfg.model), cfg, ".relate/models")  # doctest: +SKIP
    >>> model.encode(["Azure adds GPU VMs"], normalize_embeddings=True).shape  # doctest: +SKIP
    (1, 384)
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from ...errors import RelateError, WorkspaceError
from ...fileio import atomic_write_bytes
from ...user_cache import user_cache_dir
from ..encoder import require_onnx
from .export import EXPORT_FORMAT, cpu_isa, export_onnx, isa_has_vnni, quantize_int8

logger = logging.getLogger(__name__)

__all__ = ["GRAPH_LEVELS", "OnnxSentenceModel", "available_cpus", "export_folder", "int8_file", "load_onnx_model"]

#: ONNX Runtime graph optimisation levels by name.
GRAPH_LEVELS = ("disable", "basic", "extended", "all")

_SLUG = re.compile(r"[^A-Za-z0-9_.-]+")


# ----------------------------------------------------------------------------- entry point
def load_onnx_model(path: str | os.PathLike, cfg, cache_folder: str | os.PathLike | None = None) -> OnnxSentenceModel:
    """Loads the ONNX form of a sentence-transformers model, exporting it on first use.

    Args:
        path: folder of the sentence-transformers model (as from ``relate.embed.resolve_model``).
        cfg: the ``embed`` config; ``backend`` (``onnx`` or ``onnx-int8``), ``threads``,
            ``max_seq_length`` and ``device`` are used.
        cache_folder: where exports are kept (the workspace's ``models`` folder); ``None`` uses
            :func:`relate.user_cache.user_cache_dir` (``$RELATE_CACHE_DIR``, else ``~/.cache/relate``).

    Returns:
        An :class:`OnnxSentenceModel`.

    Raises:
        BackendUnavailable: ``onnxruntime`` or ``onnx`` is not installed.
        WorkspaceError: the model cannot be exported faithfully (use ``backend: torch``).
    """
    require_onnx()
    backend = getattr(cfg, "backend", "onnx")
    if backend not in ("onnx", "onnx-int8"):
        raise WorkspaceError(f"load_onnx_model serves backends 'onnx' and 'onnx-int8', not {backend!r}")
    folder = export_folder(path, cache_folder)
    cached = (folder / "model.onnx").is_file()
    try:
        return _export_and_load(path, cfg, folder, backend)
    except RelateError:
        raise
    except Exception as exc:  # noqa: BLE001 -- onnxruntime's and onnx's errors are plain Exceptions
        if not cached:
            raise
        # A cache: an export cut short or overwritten is made again, not reported as a bug.
        logger.warning("the ONNX export in %s cannot be read (%s); exporting the model again", folder, exc)
        for old in folder.glob("*.onnx"):
            old.unlink(missing_ok=True)
        return _export_and_load(path, cfg, folder, backend)


def _export_and_load(path: str | os.PathLike, cfg, folder: Path, backend: str) -> OnnxSentenceModel:
    """The export in ``folder`` (made first where missing: fp32, then int8 for this CPU), loaded."""
    fp32 = folder / "model.onnx"
    if not fp32.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        info = export_onnx(path, fp32)
        info.update(source=str(path), fingerprint=folder.name, seconds=round(time.perf_counter() - started, 1))
        _write_json(folder / "export.json", info)
        logger.info("exported %s to %s in %.1fs", path, fp32, info["seconds"])
    target = fp32
    if backend == "onnx-int8":
        isa = cpu_isa()
        target = int8_file(folder, isa)
        if not target.is_file():
            started = time.perf_counter()
            quantize_int8(fp32, target, reduce_range=not isa_has_vnni(isa))
            logger.info("quantised %s to int8 for %s in %.1fs", fp32, isa, time.perf_counter() - started)
    return OnnxSentenceModel(target, path, threads=getattr(cfg, "threads", None),
                             max_seq_length=getattr(cfg, "max_seq_length", None),
                             device=getattr(cfg, "device", "cpu"))


def int8_file(folder: str | os.PathLike, isa: str) -> Path:
    """The int8 export in ``folder`` for CPUs of instruction set ``isa`` (:func:`.export.cpu_isa`).

    int8 kernels differ by instruction set (CPUs without VNNI need 7-bit weights), so each
    kind of CPU gets its own file, made on first use there: ``model_int8-avx512-vnni.onnx``,
    ``model_int8-avx2.onnx``, ...

    Example:
        >>> int8_file("/ws/models/onnx/all-MiniLM-L6-v2-0123abcd", "avx2").name
        'model_int8-avx2.onnx'
    """
    return Path(folder) / f"model_int8-{_SLUG.sub('_', isa)}.onnx"


def export_folder(path: str | os.PathLike, cache_folder: str | os.PathLike | None = None) -> Path:
    """The folder that holds (or will hold) the exports of the model at ``path``.

    Its name changes when the model's files, or relate's export format, change.
    """
    if cache_folder is None:
        cache_folder = user_cache_dir()
    path = Path(path)
    h = hashlib.sha1(f"format={EXPORT_FORMAT}".encode())
    if path.is_dir():
        for f in sorted(path.rglob("*")):
            if f.is_file() and f.suffix in (".json", ".safetensors", ".bin", ".txt", ".model"):
                st = f.stat()
                h.update(f"{f.relative_to(path)}:{st.st_size}:{st.st_mtime_ns}".encode())
    else:
        h.update(str(path).encode())
    name = path.name if path.name != "model" else (path.parent.name or "model")
    return Path(cache_folder) / "onnx" / f"{_SLUG.sub('_', name)[:60]}-{h.hexdigest()[:12]}"


def available_cpus() -> int:
    """CPUs this process may run on (its affinity, else ``os.cpu_count()``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


# ----------------------------------------------------------------------------- the model
class OnnxSentenceModel:
    """A sentence-transformers model run by ONNX Runtime: tokenizer, ONNX transformer, pooling.

    Args:
        onnx_path: the exported transformer (token vectors out).
        model_path: the sentence-transformers folder (tokenizer, pooling and normalize settings).
        threads: intra-op threads; ``None`` uses every CPU this process may run on.
        graph_optimization: ONNX Runtime's level, one of :data:`GRAPH_LEVELS`.
        max_seq_length: tokens kept per text (``None``: the model's own setting).
        device: ``cuda`` uses ONNX Runtime's CUDA provider when it is installed; else CPU.

    Example:
        >>> m = OnnxSentenceModel(".relate/models/onnx/.../model_int8.onnx", folder)  # doctest: +SKIP
        >>> m.encode(["a", "b"], batch_size=64, normalize_embeddings=True).shape  # doctest: +SKIP
        (2, 384)
    """

    def __init__(self, onnx_path: str | os.PathLike, model_path: str | os.PathLike, *, threads: int | None = None,
                 graph_optimization: str = "all", max_seq_length: int | None = None,
                 device: str | None = "cpu") -> None:
        require_onnx()
        from transformers import AutoTokenizer

        if graph_optimization not in GRAPH_LEVELS:
            raise ValueError(f"graph_optimization is {graph_optimization!r}; use one of {', '.join(GRAPH_LEVELS)}")
        self.onnx_path = Path(onnx_path)
        self.model_path = Path(model_path)
        self.pooling, self.normalize, default_len, dim = _read_sentence_config(self.model_path)
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_path))
        self.threads = int(threads) if threads else available_cpus()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = {
            "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
            "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
            "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
            "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
        }[graph_optimization]
        providers = ["CPUExecutionProvider"]
        if device and str(device).startswith("cuda") and "CUDAExecutionProvider" in ort.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")
        self.session = ort.InferenceSession(str(self.onnx_path), opts, providers=providers)
        self._inputs = [i.name for i in self.session.get_inputs()]
        out_dim = self.session.get_outputs()[0].shape[-1]
        self._dim = int(out_dim) if isinstance(out_dim, int) else dim
        self.max_seq_length = int(max_seq_length or default_len or 256)

    def get_sentence_embedding_dimension(self) -> int:
        """Length of the vectors :meth:`encode` returns."""
        return int(self._dim)

    def tokenize(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """The model's inputs for ``texts`` (padded to the longest, cut at ``max_seq_length``)."""
        feats = self.tokenizer([str(t).strip() for t in texts], padding=True, truncation="longest_first",
                               max_length=self.max_seq_length, return_tensors="np")
        batch = {}
        for name in self._inputs:
            if name in feats:
                batch[name] = feats[name].astype(np.int64, copy=False)
            else:
                batch[name] = np.zeros_like(feats["input_ids"], dtype=np.int64)
        return batch

    def forward(self, texts: Sequence[str]) -> np.ndarray:
        """Pooled (not normalised) vectors of one batch of texts."""
        batch = self.tokenize(texts)
        hidden = self.session.run(None, batch)[0]
        return _pool(hidden, batch["attention_mask"], self.pooling)

    def encode(self, sentences: str | Sequence[str], batch_size: int = 32, show_progress_bar: bool | None = None,
               convert_to_numpy: bool = True, normalize_embeddings: bool = False, sort_by_length: bool = True,
               **_: Any) -> np.ndarray:
        """Encodes texts into an ``(n, dim)`` float32 array in input order.

        Args:
            sentences: one text or a list of them.
            batch_size: texts per ONNX Runtime call.
            show_progress_bar: show a tqdm bar.
            convert_to_numpy: accepted for compatibility; the result is always a numpy array.
            normalize_embeddings: scale each vector to unit length (always done when the model
                has a ``Normalize`` module).
            sort_by_length: batch texts of similar length together (less padding), as
                sentence-transformers does; ``False`` keeps input order (for measuring).
        """
        single = isinstance(sentences, str)
        texts = [sentences] if single else list(sentences)
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        if texts:
            if sort_by_length:
                order = np.argsort([-len(str(t)) for t in texts], kind="stable")
            else:
                order = np.arange(len(texts))
            starts = range(0, len(texts), batch_size)
            if show_progress_bar:
                from tqdm.auto import tqdm

                starts = tqdm(starts, desc="Batches")
            for start in starts:
                rows = order[start:start + batch_size]
                out[rows] = self.forward([texts[i] for i in rows])
            if normalize_embeddings or self.normalize:
                out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out[0] if single else out


def _read_sentence_config(path: Path) -> tuple[str, bool, int | None, int | None]:
    """Pooling mode, whether vectors are normalised, max_seq_length and dimension of an ST folder."""
    pooling, normalize, max_len, dim = "mean", False, None, None
    modules_file = path / "modules.json"
    if modules_file.is_file():
        modules = json.loads(modules_file.read_text(encoding="utf-8"))
        for m in modules:
            kind = str(m.get("type", "")).rsplit(".", 1)[-1]
            if kind == "Transformer":
                continue
            if kind == "Pooling":
                conf_file = path / m.get("path", "") / "config.json"
                conf = json.loads(conf_file.read_text(encoding="utf-8")) if conf_file.is_file() else {}
                dim = conf.get("word_embedding_dimension")
                for mode, key in (("cls", "pooling_mode_cls_token"), ("max", "pooling_mode_max_tokens"),
                                  ("mean_sqrt_len", "pooling_mode_mean_sqrt_len_tokens"),
                                  ("mean", "pooling_mode_mean_tokens")):
                    if conf.get(key):
                        pooling = mode
                        break
                if sum(bool(v) for k, v in conf.items() if k.startswith("pooling_mode")) > 1:
                    raise WorkspaceError(f"{conf_file}: the ONNX backend supports one pooling mode; use embed.backend: torch")
            elif kind == "Normalize":
                normalize = True
            else:
                raise WorkspaceError(
                    f"{modules_file}: module {m.get('type')!r} is not supported by the ONNX backend; "
                    "use embed.backend: torch")
    st_file = path / "sentence_bert_config.json"
    if st_file.is_file():
        max_len = json.loads(st_file.read_text(encoding="utf-8")).get("max_seq_length")
    return pooling, normalize, max_len, dim


def _pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    if mode == "cls":
        return np.ascontiguousarray(hidden[:, 0], dtype=np.float32)
    m = mask[..., None].astype(np.float32)
    if mode == "max":
        return np.where(m > 0, hidden, -1e9).max(axis=1).astype(np.float32)
    summed = (hidden * m).sum(axis=1)
    counts = np.maximum(m.sum(axis=1), 1e-9)
    if mode == "mean_sqrt_len":
        return (summed / np.sqrt(counts)).astype(np.float32)
    return (summed / counts).astype(np.float32)


def _write_json(path: Path, data: dict) -> None:
    atomic_write_bytes(path, json.dumps(data, indent=2, sort_keys=True).encode("utf-8"))
